"""Batch dispatch plans: the few statements that fetch a whole scope's needs and candidates, and the
statements that store and commit a plan.

Fetching (proposal), at most four statements whatever the number of needs:
1. the open needs of the scope (SUBMITTED or DECLINED by default);
2. per (community, category) of the needs, the members registered there with headroom and a fitting
   skill, with their home point (light rows: the pool to preselect from);
3. the full records of the members some need preselected (the K nearest per need, chosen in Python
   with numpy);
4. active offerings with capacity serving the needs' categories.
The plan is a `(:DispatchPlan)` node: pairs as a JSON property, objectives, counts, status PROPOSED,
then COMMITTED with a JSON report of what was dispatched and what was skipped.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from graph.candidates import need_facts_from_row
from graph.db import Graph, Tx
from graph.errors import NotFound
from graph.ids import label_of, new_id
from graph.locks import lock
from graph.models import _native

OPEN_STATUSES = ("SUBMITTED", "DECLINED")

_NEEDS = """
MATCH (n:Need) WHERE n.status IN $statuses AND ($ids IS NULL OR n.id IN $ids)
MATCH (n)-[:AT]->(p)-[:IN*0..1]->(c:Community)-[:IN]->(s:Street)-[:IN]->(d:District)
WHERE $scope IS NULL OR $scope IN [c.id, s.id, d.id] OR (p:Compound AND p.id = $scope)
OPTIONAL MATCH (n)-[:OF]->(k:Category)
RETURN n {.id, .status, .number, .description, .title, .urgency, .peopleNeeded, .windowStart, .windowEnd,
          .location, .createdAt} AS need,
  k.code AS categoryCode, k.name AS categoryName,
  CASE WHEN p:Compound THEN p.id END AS compoundId, c.id AS communityId, s.id AS streetId, d.id AS districtId
ORDER BY n.createdAt, n.id
"""


async def open_needs(
    graph: Graph, scope_id: str | None, need_ids: list[str] | None, statuses: tuple[str, ...] = OPEN_STATUSES
) -> list[Any]:
    """NeedFacts of the scope's needs in `statuses` (all of them, or only `need_ids`), oldest first."""
    rows = await graph.read(_NEEDS, statuses=list(statuses), ids=need_ids, scope=scope_id)
    return [need_facts_from_row(row) for row in rows]


# One row per (community, category) group of the needs: the members registered there (双报到) with
# headroom and a skill serving the category. Why communities, not streets: a street holds thousands
# of members and the pool statement would return hundreds of thousands of rows city-wide.
_MEMBER_POOL = """
UNWIND $groups AS g
MATCH (:Community {id: g.community})<-[:REGISTERED_WITH]-(m:Member)
WHERE coalesce(m.maxLoad, 0) > coalesce(m.openLoad, 0)
  AND EXISTS { (m)-[:HAS_SKILL]->(:Skill)-[:SERVES]->(:Category {code: g.category}) }
RETURN g.community AS community, g.category AS category, collect([m.id, m.location]) AS members
"""


async def member_pool(graph: Graph, groups: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """(community, category, [[member id, location]…]) for members with headroom serving the category."""
    return await graph.read(_MEMBER_POOL, groups=[{"community": c, "category": k} for c, k in groups])


_MEMBERS = """
UNWIND $ids AS mid
MATCH (m:Member {id: mid})
RETURN m {.id, .name, .availability, .maxLoad, .openLoad, .ratingSum, .ratingCount, .completedCount,
          .assignedCount, .lastServedAt, .location} AS member,
  [(m)-[:REGISTERED_WITH]->(c:Community)-[:IN]->(s:Street) | {community: c.id, street: s.id,
     district: [(s)-[:IN]->(d:District) | d.id][0]}] AS regs,
  [(m)-[:HAS_SKILL]->(s:Skill) | {code: s.code, name: s.name, serves: [(s)-[:SERVES]->(k:Category) | k.code]}]
    AS skills
"""


async def member_rows(graph: Graph, ids: list[str]) -> list[dict[str, Any]]:
    """Full member rows (the shape `graph.candidates.member_from_row` reads)."""
    return await graph.read(_MEMBERS, ids=ids)


_OFFERINGS = """
MATCH (k:Category)<-[:SERVES]-(o:Offering)<-[:OFFERS]-(u:Unit)
WHERE k.code IN $categories AND o.status = 'ACTIVE' AND coalesce(o.capacity, 0) > coalesce(o.openLoad, 0)
RETURN DISTINCT o {.id, .title, .capacity, .openLoad, .availability, .status} AS offering,
  u {.id, .name, .location} AS unit,
  [(u)-[:REGISTERED_WITH]->(c:Community)-[:IN]->(s:Street) | {community: c.id, street: s.id,
     district: [(s)-[:IN]->(d:District) | d.id][0]}] AS regs,
  [(o)-[:SERVES]->(x:Category) | x.code] AS serves,
  [(o)-[:IN_AREA]->(a) | a.id] AS areaIds,
  0.0 AS textScore
"""


async def offering_rows(graph: Graph, categories: list[str]) -> list[dict[str, Any]]:
    """Offerings with capacity left serving any of `categories` (shape of `offering_from_row`)."""
    return await graph.read(_OFFERINGS, categories=categories)


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
    plan = {k: _native(v) for k, v in row.items()}
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


async def locked_plan(tx: Tx, plan_id: str) -> dict[str, Any]:
    label_of(plan_id, expected=("DispatchPlan",), field="planId")
    await lock(tx, "DispatchPlan", plan_id, "dispatch plan")
    row = await tx.single("MATCH (p:DispatchPlan {id: $id}) RETURN p {.*} AS plan", id=plan_id)
    assert row is not None
    return plan_from_row(row["plan"])


# --- committing --------------------------------------------------------------------------------

# Locks in id order (both statements sort), so two commits touching the same needs cannot deadlock.
_LOCK_NEEDS = """
UNWIND $ids AS nid
MATCH (n:Need {id: nid})
SET n._lock = true REMOVE n._lock
RETURN n.id AS id, n.number AS number, n.status AS status, n.urgency AS urgency,
  [(n)-[:OF]->(k:Category) | k.code][0] AS categoryCode,
  [(n)-[:RAISED_BY]->(r:Resident) | r.id][0] AS requesterId,
  [(n)-[:AT]->(:Compound|Community)-[:IN*0..3]->(p) | p.id] AS placeIds
"""

# Label-specific branches, so each lookup is an index seek on the id constraint.
_LOCK_HANDLERS = """
UNWIND $members AS hid
MATCH (x:Member {id: hid})
SET x._lock = true REMOVE x._lock
RETURN x.id AS id, 'Member' AS label, coalesce(x.openLoad, 0) AS openLoad, coalesce(x.maxLoad, 0) AS limit,
  'ACTIVE' AS status
UNION ALL
UNWIND $offerings AS hid
MATCH (x:Offering {id: hid})
SET x._lock = true REMOVE x._lock
RETURN x.id AS id, 'Offering' AS label, coalesce(x.openLoad, 0) AS openLoad, coalesce(x.capacity, 0) AS limit,
  coalesce(x.status, 'ACTIVE') AS status
"""


async def lock_needs(tx: Tx, need_ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = await tx.run(_LOCK_NEEDS, ids=sorted(set(need_ids)))
    return {row["id"]: row for row in rows}


async def lock_handlers(tx: Tx, handler_ids: list[str]) -> dict[str, dict[str, Any]]:
    ids = sorted(set(handler_ids))
    members = [hid for hid in ids if hid.startswith("member:")]
    offerings = [hid for hid in ids if hid.startswith("offering:")]
    rows = await tx.run(_LOCK_HANDLERS, members=members, offerings=offerings)
    return {row["id"]: row for row in rows}


_LAPSE = """
UNWIND $ids AS nid
MATCH (:Need {id: nid})<-[:OF]-(a:Assignment) WHERE a.status IN ['INVITED', 'OPEN_CLAIM']
SET a.status = 'LAPSED', a.updatedAt = datetime()
"""

# Same shape as graph/assignments.create (INVITED = dispatched, awaiting acceptance), for many needs at once.
_ASSIGN = """
MERGE (u:User {id: $by}) ON CREATE SET u.createdAt = datetime(), u.role = $role
WITH u
UNWIND $rows AS row
MATCH (n:Need {id: row.need})
CALL {
  WITH row MATCH (t:Member {id: row.target}) RETURN t
  UNION
  WITH row MATCH (t:Offering {id: row.target}) RETURN t
}
CREATE (a:Assignment {id: row.id, status: 'INVITED', note: row.note, createdAt: datetime(), planId: $plan})
CREATE (a)-[:OF]->(n), (a)-[:TO]->(t), (a)-[:BY]->(u)
"""

_DISPATCH = """
UNWIND $rows AS row
MATCH (n:Need {id: row.need})
SET n.status = 'DISPATCHED', n.responseDeadline = datetime(row.respond), n.completionDeadline = datetime(row.complete),
    n.updatedAt = datetime()
"""


async def dispatch_pairs(
    tx: Tx,
    plan_id: str,
    pairs: list[dict[str, Any]],
    deadlines: dict[str, tuple[datetime, datetime]],
    by: str,
    role: str,
) -> list[str]:
    """Creates one INVITED assignment per pair and moves each need to DISPATCHED with its deadlines."""
    need_ids = sorted(deadlines)
    await tx.run(_LAPSE, ids=need_ids)
    rows = [
        {"id": new_id("assignment"), "need": p["needId"], "target": p["resourceId"], "note": p.get("reason")}
        for p in pairs
    ]
    await tx.run(_ASSIGN, rows=rows, by=by, role=role, plan=plan_id)
    await tx.run(
        _DISPATCH,
        rows=[{"need": nid, "respond": r.isoformat(), "complete": c.isoformat()} for nid, (r, c) in deadlines.items()],
    )
    return [row["id"] for row in rows]


async def mark_committed(tx: Tx, plan_id: str, report: dict[str, Any], by: str) -> None:
    await tx.run(
        "MATCH (p:DispatchPlan {id: $id}) SET p.status = 'COMMITTED', p.committedAt = datetime(), "
        "p.committedBy = $by, p.report = $report",
        id=plan_id,
        by=by,
        report=json.dumps(report, ensure_ascii=False),
    )
