"""Batch dispatch plans: the few statements that fetch a whole scope's needs and candidates, and the
statements that store and commit a plan.

Fetching (proposal), four statements whatever the number of needs, each answering one row of
plain value lists (`Graph.read_values`: a city's worth of candidates as dicts costs seconds in the
driver alone):
1. the open needs of the scope (SUBMITTED or DECLINED by default), with their places;
2. the members registered with the needs' communities (双报到) with headroom, each once, with every
   field batch scoring reads (skill fit is checked in numpy);
3. the skills and the categories each serves (a few dozen rows);
4. active offerings with capacity serving the needs' categories, with their units' registrations.
The columns fill `matching.planning`'s PlanMembers and PlanOffering, which score and solve (no I/O).
The plan is a `(:DispatchPlan)` node: pairs as a JSON property, objectives, counts, status PROPOSED,
then COMMITTED with a JSON report of what was dispatched and what was skipped.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import NotFound
from graph.kernel.ids import label_of, new_id
from graph.kernel.records import native
from graph.needs.audit import event_create
from graph.needs.candidates import COMMUNITY_RATINGS, NeedFacts
from graph.needs.kinds import NeedStatus
from matching.factors import rating_prior
from matching.models import NeedProfile, Place, SkillRef
from matching.planning import PlanMembers, PlanOffering

OPEN_STATUSES = (NeedStatus.SUBMITTED, NeedStatus.DECLINED)


def _instant(epoch_millis: int | None) -> datetime | None:
    """Instants (createdAt, lastServedAt: written with `datetime()`) travel as epoch milliseconds:
    the driver builds a DateTime object for each at ~30 µs, a second on a city's needs and members."""
    return None if epoch_millis is None else datetime.fromtimestamp(epoch_millis / 1000, UTC)


_NEEDS = """
MATCH (n:Need) WHERE n.status IN $statuses AND ($ids IS NULL OR n.id IN $ids)
MATCH (n)-[:AT]->(p)-[:IN*0..1]->(c:Community)-[:IN]->(s:Street)-[:IN]->(d:District)
WHERE $scope IS NULL OR $scope IN [c.id, s.id, d.id] OR (p:Compound AND p.id = $scope)
OPTIONAL MATCH (n)-[:OF]->(k:Category)
WITH n, k, p, c, s, d ORDER BY n.createdAt, n.id
RETURN collect([n.id, n.status, n.number, k.code, k.name, CASE WHEN p:Compound THEN p.id END, c.id, s.id, d.id,
  n.location.y, n.location.x, n.windowStart, n.windowEnd, n.peopleNeeded, n.urgency, n.createdAt.epochMillis]) AS rows
"""


async def open_needs(
    graph: Graph, scope_id: str | None, need_ids: list[str] | None, statuses: tuple[str, ...] = OPEN_STATUSES
) -> list[NeedFacts]:
    """NeedFacts of the scope's needs in `statuses` (all of them, or only `need_ids`), oldest first.

    Light: no title or description (plans use no text relevance)."""
    [[rows]] = await graph.read_values(_NEEDS, statuses=list(statuses), ids=need_ids, scope=scope_id)
    out = []
    for row in rows:
        nid, status, number, code, name, compound, community, street, district, lat, lon = row[:11]
        ws, we, people, urgency, at = row[11:]
        place = Place(compound, community, street, district, lat, lon)
        profile = NeedProfile(
            id=nid,
            category_code=code or "",
            category_name=name or "",
            place=place,
            window_start=native(ws),
            window_end=native(we),
            people_needed=people or 1,
            urgency=urgency or "NORMAL",
        )
        places = frozenset(pid for pid in (compound, community, street, district) if pid)
        out.append(NeedFacts(profile, status or "", number, places, _instant(at)))
    return out


# One list per member, its values in PlanMembers' field order (the columns the pool is made of).
_MEMBERS = """
UNWIND $communities AS cid
MATCH (:Community {id: cid})<-[:REGISTERED_WITH]-(m:Member)
WHERE coalesce(m.maxLoad, 0) > coalesce(m.openLoad, 0)
WITH m, collect(cid) AS communities
RETURN collect([m.id, communities, m.location.y, m.location.x, coalesce(m.availability, []),
  coalesce(m.maxLoad, 0), coalesce(m.openLoad, 0), coalesce(m.ratingSum, 0), coalesce(m.ratingCount, 0),
  coalesce(m.completedCount, 0), coalesce(m.assignedCount, 0), m.lastServedAt.epochMillis,
  [(m)-[:HAS_SKILL]->(s:Skill) | s.code]]) AS rows
"""


_PRIORS = f"UNWIND $communities AS cid MATCH (c:Community {{id: cid}}) CALL (c) {{ {COMMUNITY_RATINGS} }} " + (
    "RETURN collect([cid, ratingSum, ratingCount]) AS rows"
)


async def rating_priors(graph: Graph, communities: list[str]) -> dict[str, float]:
    """Each community's prior for its members' ratings (matching.factors.rating_prior), as matchCandidates."""
    [[rows]] = await graph.read_values(_PRIORS, communities=communities)
    return {cid: rating_prior(total, count) for cid, total, count in rows}


async def plan_members(graph: Graph, communities: list[str]) -> PlanMembers:
    """Members registered with any of `communities` with headroom. Whether a skill serves a need's
    category is left to scoring: filtering it here costs the server more than shipping the few
    members without one (on the city seed 171k members, 141k fit some need of their community)."""
    [[rows]] = await graph.read_values(_MEMBERS, communities=communities)
    names = [f.name for f in dataclasses.fields(PlanMembers)]
    values = [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in names]
    columns = dict(zip(names, values, strict=True))
    columns["availability"] = [tuple(a) for a in columns["availability"]]
    columns["last_served"] = [_instant(t) for t in columns["last_served"]]
    return PlanMembers(**columns)


_SKILLS = "MATCH (s:Skill) RETURN collect([s.code, s.name, [(s)-[:SERVES]->(k:Category) | k.code]]) AS rows"


async def skills(graph: Graph) -> dict[str, SkillRef]:
    """Every skill by code, with the categories it serves."""
    [[rows]] = await graph.read_values(_SKILLS)
    return {code: SkillRef(code, name or "", frozenset(serves)) for code, name, serves in rows}


_OFFERINGS = """
MATCH (k:Category)<-[:SERVES]-(o:Offering)<-[:OFFERS]-(u:Unit)
WHERE k.code IN $categories AND o.status = 'ACTIVE' AND coalesce(o.capacity, 0) > coalesce(o.openLoad, 0)
WITH DISTINCT o, u
RETURN collect([o.id, o.title, u.id, u.name, u.location.y, u.location.x,
  [(u)-[:REGISTERED_WITH]->(c:Community)-[:IN]->(s:Street) | [c.id, s.id, [(s)-[:IN]->(d:District) | d.id][0]]],
  [(o)-[:SERVES]->(x:Category) | x.code], coalesce(o.capacity, 0), coalesce(o.openLoad, 0),
  coalesce(o.availability, []), coalesce(o.status, 'ACTIVE'), [(o)-[:IN_AREA]->(a) | a.id]]) AS rows
"""


async def plan_offerings(graph: Graph, categories: list[str]) -> list[PlanOffering]:
    """Offerings with capacity left serving any of `categories`."""
    [[rows]] = await graph.read_values(_OFFERINGS, categories=categories)
    return [
        PlanOffering(
            oid,
            title or "",
            uid,
            uname or "",
            lat,
            lon,
            tuple(Place(None, c, s, d) for c, s, d in regs),
            frozenset(serves),
            cap,
            load,
            tuple(av),
            status,
            frozenset(areas),
        )
        for oid, title, uid, uname, lat, lon, regs, serves, cap, load, av, status, areas in rows
    ]


# --- storing and reading plans -----------------------------------------------------------------

_CREATE = """
CREATE (p:DispatchPlan {id: $id, scopeId: $scopeId, status: 'PROPOSED', pairs: $pairs, objective: $objective,
  greedyObjective: $greedyObjective, needsConsidered: $needsConsidered, needsServed: $needsServed,
  greedyNeedsServed: $greedyNeedsServed, membersUsed: $membersUsed, resourcesUsed: $resourcesUsed,
  createdBy: $createdBy, createdAt: datetime(), stats: $stats})
RETURN p.id AS id
"""


async def store(tx: Tx, fields: dict[str, Any]) -> str:
    plan_id = new_id("plan")
    fields = {**fields, "pairs": json.dumps(fields["pairs"], ensure_ascii=False)}
    fields["stats"] = json.dumps(fields.get("stats") or {}, ensure_ascii=False)
    await tx.run(_CREATE, id=plan_id, **fields)
    return plan_id


def plan_from_row(row: dict[str, Any]) -> dict[str, Any]:
    plan = {k: native(v) for k, v in row.items()}
    plan["pairs"] = json.loads(plan.get("pairs") or "[]")
    plan["report"] = json.loads(plan["report"]) if plan.get("report") else None
    plan["stats"] = json.loads(plan["stats"]) if plan.get("stats") else {}
    return plan


async def get(graph: Graph, plan_id: str) -> dict[str, Any]:
    label_of(plan_id, expected=("DispatchPlan",), field="id")
    rows = await graph.read("MATCH (p:DispatchPlan {id: $id}) RETURN p {.*} AS plan", id=plan_id)
    if not rows:
        raise NotFound(f"no dispatch plan with id {plan_id!r}", field="id")
    return plan_from_row(rows[0]["plan"])


_LOCKED_PLAN = "MATCH (p:DispatchPlan {id: $id}) SET p._lock = true REMOVE p._lock RETURN p {.*} AS plan"


async def locked_plan(tx: Tx, plan_id: str) -> dict[str, Any]:
    """The plan under its lock (one statement)."""
    label_of(plan_id, expected=("DispatchPlan",), field="planId")
    row = await tx.single(_LOCKED_PLAN, id=plan_id)
    if row is None:
        raise NotFound(f"no dispatch plan with id {plan_id!r}", id=plan_id)
    return plan_from_row(row["plan"])


# --- committing --------------------------------------------------------------------------------

# The plan's needs, then its members and offerings, each under its lock and in id order (the lists
# are sorted), so two commits touching the same needs cannot deadlock. Label-specific branches, so
# each lookup is an index seek on the id constraint.
_LOCK_PAIRS = """
CALL () {
  UNWIND $needs AS nid
  MATCH (n:Need {id: nid})
  SET n._lock = true REMOVE n._lock
  RETURN collect({id: n.id, number: n.number, status: n.status, urgency: n.urgency,
    categoryCode: [(n)-[:OF]->(k:Category) | k.code][0],
    requesterId: [(n)-[:RAISED_BY]->(r:Resident) | r.id][0],
    residentIds: [(n)-[:RAISED_BY|ALSO_RAISED_BY]->(r:Resident) | r.id],
    placeIds: [(n)-[:AT]->(:Compound|Community)-[:IN*0..3]->(p) | p.id]}) AS needs
}
CALL () {
  UNWIND $members AS hid
  MATCH (x:Member {id: hid})
  SET x._lock = true REMOVE x._lock
  RETURN collect({id: x.id, label: 'Member', openLoad: coalesce(x.openLoad, 0), limit: coalesce(x.maxLoad, 0),
    status: 'ACTIVE'}) AS members
}
CALL () {
  UNWIND $offerings AS hid
  MATCH (x:Offering {id: hid})
  SET x._lock = true REMOVE x._lock
  RETURN collect({id: x.id, label: 'Offering', openLoad: coalesce(x.openLoad, 0), limit: coalesce(x.capacity, 0),
    status: coalesce(x.status, 'ACTIVE')}) AS offerings
}
RETURN needs, members + offerings AS handlers
"""


async def lock_pairs(
    tx: Tx, need_ids: list[str], handler_ids: list[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The needs and the handlers (members, offerings) of a plan's pairs under their locks, by id."""
    ids = sorted(set(handler_ids))
    row = await tx.single(
        _LOCK_PAIRS,
        needs=sorted(set(need_ids)),
        members=[hid for hid in ids if hid.startswith("member:")],
        offerings=[hid for hid in ids if hid.startswith("offering:")],
    )
    assert row is not None, "the collecting subqueries always give one row"
    return {n["id"]: n for n in row["needs"]}, {h["id"]: h for h in row["handlers"]}


# One statement: the needs' open invitations lapse; one INVITED assignment per pair (the shape of
# graph/needs/assignments.create); each need DISPATCHED with its deadlines and its audit Event; the
# plan COMMITTED with its report.
_COMMIT = (
    """
CALL () {
  UNWIND $needIds AS nid
  MATCH (:Need {id: nid})<-[:OF]-(a:Assignment) WHERE a.status IN ['INVITED', 'OPEN_CLAIM']
  SET a.status = 'LAPSED', a.updatedAt = datetime()
}
CALL () {
  UNWIND $rows AS row
  MERGE (u:User {id: $by}) ON CREATE SET u.createdAt = datetime(), u.role = $role
  WITH u, row
  MATCH (n:Need {id: row.need})
  CALL (row) {
    MATCH (t:Member {id: row.target}) RETURN t
    UNION
    MATCH (t:Offering {id: row.target}) RETURN t
  }
  CREATE (a:Assignment {id: row.id, status: 'INVITED', note: row.note, createdAt: datetime(), planId: $plan})
  CREATE (a)-[:OF]->(n), (a)-[:TO]->(t), (a)-[:BY]->(u)
}
CALL () {
  UNWIND $dispatched AS row
  MATCH (n:Need {id: row.need})
  SET n.status = 'DISPATCHED', n.responseDeadline = datetime(row.respond),
      n.completionDeadline = datetime(row.complete), n.updatedAt = datetime()
  WITH n, row
"""
    + event_create("row.event")
    + """
  RETURN collect(e {.*, needId: n.id}) AS events
}
MATCH (p:DispatchPlan {id: $plan})
SET p.status = 'COMMITTED', p.committedAt = datetime(), p.committedBy = $by, p.report = $report
RETURN events
"""
)


async def commit(
    tx: Tx,
    plan_id: str,
    pairs: list[dict[str, Any]],
    dispatched: dict[str, tuple[datetime, datetime, dict[str, Any]]],
    report: dict[str, Any],
    by: str,
    role: str,
) -> list[dict[str, Any]]:
    """Writes a plan's commit (see _COMMIT): `pairs` to dispatch, and for each need dispatched its
    (response deadline, completion deadline, `event_params` of its audit Event). Returns the Events."""
    rows = [
        {"id": new_id("assignment"), "need": p["needId"], "target": p["resourceId"], "note": p.get("reason")}
        for p in pairs
    ]
    row = await tx.single(
        _COMMIT,
        needIds=sorted(dispatched),
        rows=rows,
        dispatched=[
            {"need": nid, "respond": respond.isoformat(), "complete": complete.isoformat(), "event": event}
            for nid, (respond, complete, event) in dispatched.items()
        ],
        plan=plan_id,
        by=by,
        role=role,
        report=json.dumps(report, ensure_ascii=False),
    )
    assert row is not None, "the plan was locked in this transaction"
    return row["events"]
