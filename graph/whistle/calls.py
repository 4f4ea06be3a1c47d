"""吹哨报到 in statements: a whistle's facts and its write (the need locked first, then what hangs off
it, in that order everywhere, so a whistle and a department's answer on one need run one after the
other); a call's facts and every move on it in one statement with its audit Event; intake's routing by
the communities' duty list; the overdue calls the sweep escalates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import NotFound
from graph.kernel.ids import new_id
from graph.needs.audit import EVENT_CREATE, event_create, event_params
from graph.whistle.kinds import WhistleEventType


def event(*, actor_id: str, role: str, from_state: str | None, to_state: str | None, type: str, note: str) -> dict:
    """`$event` for the needs' audit Event of a whistle's move (`WhistleEventType`)."""
    return event_params(
        actor_id=actor_id, role=role, from_state=from_state, to_state=to_state, type=type, note=note,
        types=WhistleEventType,
    )  # fmt: skip


# The duty list line applying to the need at `$level` (none when $level is null): its district's own
# list in force, else the city's default.
_DUTY_ITEM = """
CALL (n, d) {
  OPTIONAL MATCH (l:DutyList {level: $level, current: true})
  WHERE EXISTS { (l)-[:FOR]->(d) } OR NOT EXISTS { (l)-[:FOR]->(:District) }
  WITH n, l ORDER BY CASE WHEN EXISTS { (l)-[:FOR]->(:District) } THEN 0 ELSE 1 END LIMIT 1
  OPTIONAL MATCH (l)<-[:IN]-(i:DutyItem)-[:OF]->(:Category)<-[:OF]-(n)
  RETURN CASE WHEN l IS NULL THEN null ELSE l {.id, .version, .level, district: [(l)-[:FOR]->(x:District) | x.name][0]}
    END AS dutyList,
    CASE WHEN i IS NULL THEN null ELSE i {.id, .duty,
      leadId: [(i)-[:LED_BY]->(x:Department) | x.id][0], leadName: [(i)-[:LED_BY]->(x:Department) | x.name][0],
      assistingIds: [(i)-[:ASSISTED_BY]->(x:Department) | x.id]} END AS item
}
"""

_NEED = """
WITH n, [(n)-[:AT]->(:Compound|Community)-[:IN*0..3]->(p) | p] AS places
WITH n, places, [p IN places WHERE p:District][0] AS d, [p IN places WHERE p:Street][0] AS s,
  [p IN places WHERE p:Community][0] AS c
"""

_NEED_FIELDS = """
  n.id AS id, n.number AS number, n.status AS status, n.urgency AS urgency, n.level AS level,
  [(n)-[:OF]->(k:Category) | k {.code, .name}][0] AS category,
  [p IN places | p.id] AS placeIds, [(n)-[:RAISED_BY|ALSO_RAISED_BY]->(r:Resident) | r.id] AS residentIds,
  d.id AS districtId, d.name AS districtName, s.id AS streetId, c.id AS communityId, c.name AS communityName
"""

_WHISTLE_FACTS = f"""
MATCH (n:Need {{id: $needId}})
SET n._lock = true REMOVE n._lock
{_NEED}
{_DUTY_ITEM}
RETURN {_NEED_FIELDS}, dutyList, item,
  COLLECT {{ MATCH (n)<-[:ABOUT]-(:Whistle)<-[:PART_OF]-(x:WhistleCall)-[:TO]->(dep:Department)
            WHERE x.status IN ['WHISTLED', 'REPORTED'] RETURN dep.name }} AS openCalls,
  COLLECT {{ MATCH (dep:Department) WHERE dep.id IN $departmentIds RETURN dep {{.id, .name}} }} AS departments
"""


async def whistle_facts(tx: Tx, need_id: str, level: str | None, department_ids: list[str]) -> dict[str, Any]:
    """The need under its lock (state, places, category), the duty list line for it at `level`, the departments
    already whistled and still owing an answer, and which of `department_ids` exist."""
    row = await tx.single(_WHISTLE_FACTS, "whistle.facts", needId=need_id, level=level, departmentIds=department_ids)
    if row is None:
        raise NotFound(f"no need with id {need_id!r}", id=need_id, field="needId")
    return row


# The calls' assignment: the lead department is offered the need as its handler (so the need's own
# workflow, the resident's evaluation included, sees who handles it).
_LEAD_ASSIGNMENT = """
  MERGE (u:User {id: $by}) ON CREATE SET u.createdAt = datetime(), u.role = $byRole
  WITH n, u
  MATCH (lead:Department {id: $lead.departmentId})
  CREATE (a:Assignment {id: $lead.assignmentId, status: 'INVITED', note: $lead.note, createdAt: datetime()})
  CREATE (a)-[:OF]->(n), (a)-[:TO]->(lead), (a)-[:BY]->(u)
"""

_CREATE_CALL = """
  MATCH (dep:Department {id: call.departmentId})
  CREATE (x:WhistleCall {id: call.id, role: call.role, status: 'WHISTLED', respondBy: datetime(call.respondBy),
    completeBy: datetime(call.completeBy), escalations: 0, createdAt: datetime()})
  CREATE (x)-[:PART_OF]->(w), (x)-[:TO]->(dep)
"""

_WHISTLE = f"""
MATCH (n:Need {{id: $needId}})
SET n += $needProps, n.updatedAt = datetime()
CREATE (w:Whistle {{id: $whistle.id, level: $whistle.level, byId: $by, note: $whistle.note, reason: $whistle.reason,
  scopeId: $whistle.scopeId, createdAt: datetime()}})-[:ABOUT]->(n)
WITH n, w
CALL (w) {{ MATCH (i:DutyItem {{id: $whistle.dutyItemId}}) CREATE (w)-[:UNDER]->(i) }}
CALL (w) {{ UNWIND $calls AS call {_CREATE_CALL} }}
CALL (n) {{ WITH n WHERE $lead IS NOT NULL {_LEAD_ASSIGNMENT} }}
{EVENT_CREATE}
RETURN e {{.*, needId: n.id}} AS event
"""


async def write_whistle(
    tx: Tx,
    need_id: str,
    need_props: dict[str, Any],
    whistle: dict[str, Any],
    calls: list[dict[str, Any]],
    lead: dict[str, Any] | None,
    by: tuple[str, str],
    event: dict[str, Any],
) -> dict[str, Any]:
    """The Whistle ({id, level, note, reason, scopeId, dutyItemId}), its calls ({id, departmentId, role,
    respondBy, completeBy}), the lead's assignment ({assignmentId, departmentId, note}), the need's new
    properties and the audit Event, in one statement; returns the Event."""
    row = await tx.single(
        _WHISTLE,
        "whistle.write",
        needId=need_id,
        needProps=need_props,
        whistle=whistle,
        calls=calls,
        lead=lead,
        by=by[0],
        byRole=by[1],
        event=event,
    )
    assert row is not None, "the need was locked in this transaction"
    return row["event"]


_CALL_FACTS = f"""
MATCH (x:WhistleCall {{id: $callId}})-[:PART_OF]->(w:Whistle)-[:ABOUT]->(n:Need)
SET n._lock = true REMOVE n._lock
SET x._lock = true REMOVE x._lock
{_NEED.replace("WITH n,", "WITH x, w, n,")}
RETURN {_NEED_FIELDS}, x {{.*}} AS call, w {{.id, .byId, .scopeId, .level}} AS whistle,
  [(x)-[:TO]->(dep:Department) | dep {{.id, .name}}][0] AS department,
  [(n)<-[:OF]-(a:Assignment)-[:TO]->(:Department)<-[:TO]-(x) WHERE a.status IN ['INVITED', 'ACTIVE'] | a.id][0]
    AS assignmentId,
  EXISTS {{ (x)<-[:OF]-(:DepartmentRating) }} AS departmentRated,
  EXISTS {{ (x)<-[:OF]-(:WhistleRating) }} AS whistleRated,
  head(COLLECT {{ MATCH (dep:Department) WHERE dep.id = $departmentId RETURN dep {{.id, .name}} }}) AS newDepartment,
  COLLECT {{ MATCH (w)<-[:PART_OF]-(o:WhistleCall)-[:TO]->(dep:Department)
            WHERE o.status IN ['WHISTLED', 'REPORTED', 'DONE'] RETURN dep.id }} AS answeringIds
"""


async def call_facts(tx: Tx, call_id: str, department_id: str | None = None) -> dict[str, Any]:
    """The call under its need's lock and its own: its state, its whistle, its department, the need, the lead
    assignment it answers for, whether each side rated it; with `department_id`, that department (to re-route
    to) and the departments of the whistle still answering."""
    row = await tx.single(_CALL_FACTS, "whistle.call", callId=call_id, departmentId=department_id)
    if row is None:
        raise NotFound(f"no whistle call with id {call_id!r}", id=call_id, field="callId")
    return row


_CALL_MOVE = f"""
MATCH (x:WhistleCall {{id: $callId}})-[:PART_OF]->(w:Whistle)-[:ABOUT]->(n:Need)
SET x += $callProps, x.updatedAt = datetime()
SET n += $needProps, n.updatedAt = datetime()
WITH x, w, n
CALL (n) {{
  WITH n WHERE $assignment IS NOT NULL
  MATCH (a:Assignment {{id: $assignment.id}})
  SET a.status = $assignment.status, a.updatedAt = datetime(), a.note = coalesce($assignment.note, a.note),
      a.acceptedAt = CASE WHEN $assignment.accepted THEN datetime() ELSE a.acceptedAt END,
      a.completedAt = CASE WHEN $assignment.completed THEN datetime() ELSE a.completedAt END
}}
CALL (x, w, n) {{
  WITH * WHERE $newCall IS NOT NULL
  WITH x, w, n, $newCall AS call
  {_CREATE_CALL}
  CREATE (x)-[:REROUTED_TO]->(new)
}}
CALL (n) {{ WITH n WHERE $lead IS NOT NULL {_LEAD_ASSIGNMENT} }}
CALL (x) {{
  WITH x WHERE $departmentRating IS NOT NULL
  CREATE (:DepartmentRating {{id: $departmentRating.id, response: $departmentRating.response,
    result: $departmentRating.result, attitude: $departmentRating.attitude, comment: $departmentRating.comment,
    byId: $departmentRating.byId, createdAt: datetime()}})-[:OF]->(x)
}}
CALL (x) {{
  WITH x WHERE $whistleRating IS NOT NULL
  CREATE (:WhistleRating {{id: $whistleRating.id, withinDuty: $whistleRating.withinDuty,
    informationEnough: $whistleRating.informationEnough, comment: $whistleRating.comment,
    byId: $whistleRating.byId, createdAt: datetime()}})-[:OF]->(x)
}}
{EVENT_CREATE}
RETURN e {{.*, needId: n.id}} AS event
""".replace("CREATE (x:WhistleCall", "CREATE (new:WhistleCall").replace(
    "CREATE (x)-[:PART_OF]->(w), (x)-[:TO]->(dep)", "CREATE (new)-[:PART_OF]->(w), (new)-[:TO]->(dep)"
)


async def move_call(
    tx: Tx,
    call_id: str,
    event: dict[str, Any],
    *,
    call_props: dict[str, Any] | None = None,
    need_props: dict[str, Any] | None = None,
    assignment: dict[str, Any] | None = None,
    new_call: dict[str, Any] | None = None,
    lead: dict[str, Any] | None = None,
    by: tuple[str, str] = ("", ""),
    department_rating: dict[str, Any] | None = None,
    whistle_rating: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One move on a locked call, in one statement: its properties, the need's, the lead assignment's change
    ({id, status, note?, accepted?, completed?}), a call it is re-routed to (with a new lead assignment),
    a rating by either side, and the audit Event about the need; returns the Event."""
    row = await tx.single(
        _CALL_MOVE,
        "whistle.move",
        callId=call_id,
        callProps=call_props or {},
        needProps=need_props or {},
        assignment=assignment,
        newCall=new_call,
        lead=lead,
        by=by[0],
        byRole=by[1],
        departmentRating=department_rating,
        whistleRating=whistle_rating,
        event=event,
    )
    assert row is not None, "the call was locked in this transaction"
    return row["event"]


# Intake's routing: the communities' duty list line for the new need, and the decision recorded.
_ROUTE = f"""
MATCH (n:Need {{id: $needId}})
{_NEED}
{_DUTY_ITEM}
WITH n, c, s, d, dutyList, item, [(n)-[:OF]->(k:Category) | k.name][0] AS category
WITH n, c, s, d, dutyList, item, category,
  CASE WHEN item IS NULL THEN null ELSE $words[item.duty] END AS words
CREATE (r:RoutingDecision {{id: $id, createdAt: datetime(),
  outcome: CASE WHEN item.duty = 'NEGATIVE' AND item.leadId IS NOT NULL THEN 'DEPARTMENT' ELSE 'COMMUNITY' END,
  explanation: CASE
    WHEN dutyList IS NULL THEN $unlisted + '：' + category + ' → ' + c.name
    WHEN item IS NULL THEN $unlisted + '（v' + toString(dutyList.version) + '）：' + category + ' → ' + c.name
    WHEN item.duty = 'NEGATIVE' AND item.leadId IS NOT NULL THEN words + '：' + category + ' → ' + item.leadName
    WHEN item.duty = 'ASSISTED' THEN words + '：' + category + ' → ' + c.name + '（' + item.leadName + $leads + '）'
    ELSE words + '：' + category + ' → ' + c.name END}})-[:ROUTES]->(n)
WITH r, item, s
CALL (r, item) {{ WITH * WHERE item IS NOT NULL MATCH (i:DutyItem {{id: item.id}}) CREATE (r)-[:UNDER]->(i) }}
RETURN r.outcome AS outcome, r.explanation AS explanation, item, s.id AS streetId
"""


async def route(tx: Tx, need_id: str, words: dict[str, str], unlisted: str, leads: str) -> dict[str, Any]:
    """Records where intake sends the need by the communities' duty list, explained in the list's words;
    returns {outcome, explanation, item, streetId}."""
    row = await tx.single(
        _ROUTE,
        "whistle.route",
        needId=need_id,
        id=new_id("routing"),
        level="COMMUNITY",
        words=words,
        unlisted=unlisted,
        leads=leads,
    )
    assert row is not None, "the need was created in this transaction"
    return row


_OVERDUE = """
MATCH (x:WhistleCall)
WHERE x.status IN ['WHISTLED', 'REPORTED'] AND x.pausedAt IS NULL
  AND ((x.status = 'WHISTLED' AND x.respondBy < datetime($now) AND NOT 'RESPONSE' IN coalesce(x.escalatedFor, []))
    OR (x.status = 'REPORTED' AND x.completeBy < datetime($now) AND NOT 'COMPLETION' IN coalesce(x.escalatedFor, [])))
  AND EXISTS { MATCH (x)-[:PART_OF]->(:Whistle)-[:ABOUT]->(n:Need) WHERE NOT n.status IN $closed }
RETURN x.id AS id
ORDER BY x.respondBy, x.id
LIMIT $limit
"""


async def overdue_calls(graph: Graph, now: datetime, closed: list[str], limit: int) -> list[str]:
    """Calls past a limit not yet escalated for it, on needs still open; the sweep re-checks each under lock."""
    rows = await graph.read(_OVERDUE, now=now.isoformat(), closed=closed, limit=limit)
    return [row["id"] for row in rows]


# The calls on a need still owing an answer (WHISTLED, REPORTED); the need is locked by its move.
_OPEN = "(n)<-[:ABOUT]-(:Whistle)<-[:PART_OF]-(x:WhistleCall)-[:TO]->(dep:Department) WHERE x.status IN $open"
OPEN_CALLS = ["WHISTLED", "REPORTED"]

_OWING = f"""
MATCH (n:Need {{id: $needId}})
MATCH {_OPEN}
RETURN dep.name AS name ORDER BY name
"""


async def owing(tx: Tx, need_id: str) -> list[str]:
    """The departments whose calls on the (locked) need still owe an answer, by name."""
    rows = await tx.run(_OWING, "whistle.owing", needId=need_id, open=OPEN_CALLS)
    return [row["name"] for row in rows]


_CLOSE = f"""
MATCH (n:Need {{id: $needId}})
MATCH {_OPEN}
SET x.status = 'CLOSED', x.closedAt = datetime(), x.updatedAt = datetime()
WITH n, collect(dep.name) AS names, collect(dep.id) AS departmentIds, $event AS base
WITH n, departmentIds, base {{.*, note: base.note + reduce(s = '', name IN names |
  s + CASE s WHEN '' THEN '' ELSE '、' END + name)}} AS closing
{event_create("closing")}
RETURN e {{.*, needId: n.id}} AS event, departmentIds
"""


async def close_calls(tx: Tx, need_id: str, event: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    """Closes the (locked) need's calls still owing an answer, with one audit Event naming their departments
    after `event`'s note; (the Event, the departments), or (None, []) when none was open."""
    row = await tx.single(_CLOSE, "whistle.close", needId=need_id, open=OPEN_CALLS, event=event)
    if row is None:
        return None, []
    return row["event"], row["departmentIds"]
