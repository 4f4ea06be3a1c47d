"""Cypher for assignments (派单/接单): who a need is offered to, who holds it, and their load.

An Assignment joins a need to one handler: `(:Assignment)-[:OF]->(:Need)`, `-[:TO]->(:Member|:Unit|:Offering)`,
`-[:BY]->(:User)` (the coordinator who made it). Statuses: INVITED (dispatched or invited, awaiting an
answer), OPEN_CLAIM (抢单: offered to every eligible member), ACTIVE (accepted, being handled), DECLINED,
LAPSED (someone else accepted first, or the need was cancelled), TRANSFERRED, COMPLETED.
"""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import BadUserInput, Conflict, NotFound
from graph.kernel.ids import label_of, new_id
from graph.kernel.locks import lock
from graph.needs.kinds import ASSIGNMENT, HELD

HANDLER_LABELS = ASSIGNMENT.link("handler").targets

_TARGETS = """
UNWIND $ids AS tid
MATCH (t {id: tid}) WHERE t:Member OR t:Unit OR t:Offering
RETURN t.id AS id, labels(t)[0] AS label, coalesce(t.name, t.title) AS name, t.status AS status,
  [(t)<-[:OFFERS]-(u:Unit) | u.id][0] AS unitId
"""


async def targets(tx: Tx, ids: list[str], field: str) -> list[dict[str, Any]]:
    """The members, units or offerings named by `ids`, in order; NotFound naming the missing ones."""
    for tid in ids:
        label_of(tid, expected=HANDLER_LABELS, field=field)
    rows = {row["id"]: row for row in await tx.run(_TARGETS, ids=ids)}
    missing = [tid for tid in ids if tid not in rows]
    if missing:
        raise NotFound(f"no member, unit or offering with id {', '.join(missing)}", field=field)
    withdrawn = [tid for tid in ids if rows[tid]["status"] == "WITHDRAWN"]
    if withdrawn:
        raise BadUserInput(f"offering {', '.join(withdrawn)} is withdrawn", field=field)
    return [rows[tid] for tid in ids]


_ELIGIBLE = """
MATCH (m:Member)-[:REGISTERED_WITH]->(:Community {id: $community})
RETURN m.id AS id, 'Member' AS label, m.name AS name, null AS unitId
ORDER BY m.id
"""


async def eligible_members(tx: Tx, community_id: str) -> list[dict[str, Any]]:
    """Members registered with the community (双报到): who may claim its open needs."""
    return await tx.run(_ELIGIBLE, community=community_id)


_CREATE = """
MATCH (n:Need {id: $need})
MERGE (u:User {id: $by}) ON CREATE SET u.createdAt = datetime(), u.role = $role
WITH n, u
UNWIND $rows AS row
MATCH (t {id: row.target}) WHERE t:Member OR t:Unit OR t:Offering
CREATE (a:Assignment {id: row.id, status: $status, note: $note, createdAt: datetime()})
CREATE (a)-[:OF]->(n), (a)-[:TO]->(t), (a)-[:BY]->(u)
RETURN a.id AS id
"""


async def create(
    tx: Tx, need_id: str, target_ids: list[str], status: str, by: str, role: str, note: str | None
) -> list[str]:
    rows = [{"id": new_id("assignment"), "target": tid} for tid in target_ids]
    await tx.run(_CREATE, need=need_id, by=by, role=role, rows=rows, status=status, note=note)
    return [row["id"] for row in rows]


_OF_NEED = """
MATCH (:Need {id: $need})<-[:OF]-(a:Assignment)-[:TO]->(t)
WHERE a.status IN $statuses
RETURN a.id AS id, a.status AS status, t.id AS targetId, labels(t)[0] AS targetLabel,
  [(t)<-[:OFFERS]-(u:Unit) | u.id][0] AS unitId
ORDER BY a.createdAt, a.id
"""


async def of_need(tx: Tx, need_id: str, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
    return await tx.run(_OF_NEED, need=need_id, statuses=list(statuses))


def held_by(rows: list[dict[str, Any]], handler_ids: frozenset[str]) -> list[dict[str, Any]]:
    """The rows addressed to the caller: directly, or to an offering of the caller's unit."""
    return [row for row in rows if row["targetId"] in handler_ids or row["unitId"] in handler_ids]


async def set_status(tx: Tx, assignment_ids: list[str], status: str, note: str | None = None, **times: bool) -> None:
    """Sets the status of assignments; `acceptedAt=True` / `completedAt=True` stamp those times now."""
    stamps = ", ".join(f"a.{name} = datetime()" for name, on in times.items() if on)
    await tx.run(
        "UNWIND $ids AS aid MATCH (a:Assignment {id: aid}) "
        "SET a.status = $status, a.note = coalesce($note, a.note), a.updatedAt = datetime()"
        + (f", {stamps}" if stamps else ""),
        ids=assignment_ids,
        status=status,
        note=note,
    )


async def take_load(tx: Tx, target: dict[str, Any]) -> None:
    """One more open task for a member or offering, within its limit (the node is locked first)."""
    label, tid = target["targetLabel"], target["targetId"]
    if label == "Unit":
        return  # units take as much as they choose; their offerings carry the capacity
    await lock(tx, label, tid)
    if label == "Member":
        row = await tx.single(
            "MATCH (m:Member {id: $id}) RETURN coalesce(m.openLoad, 0) AS open, coalesce(m.maxLoad, 0) AS max", id=tid
        )
    else:
        row = await tx.single(
            "MATCH (o:Offering {id: $id}) RETURN coalesce(o.openLoad, 0) AS open, coalesce(o.capacity, 0) AS max",
            id=tid,
        )
    assert row is not None
    if row["open"] >= row["max"]:
        who = "you already have" if label == "Member" else "this offering already has"
        raise Conflict(
            f"{who} {row['open']} open tasks (the limit is {row['max']}); finish one before accepting another",
            openLoad=row["open"],
            maxLoad=row["max"],
        )
    await change_load(tx, target, +1)


_FLOOR = "CASE WHEN coalesce(x.openLoad, 0) + $delta < 0 THEN 0 ELSE coalesce(x.openLoad, 0) + $delta END"
_MEMBER_LOAD = (
    f"MATCH (x:Member {{id: $id}}) SET x.openLoad = {_FLOOR}, "
    "x.assignedCount = coalesce(x.assignedCount, 0) + CASE WHEN $newTask THEN 1 ELSE 0 END, "
    "x.completedCount = coalesce(x.completedCount, 0) "
    "+ CASE WHEN $completed THEN 1 WHEN $reopened THEN -1 ELSE 0 END, "
    "x.lastServedAt = CASE WHEN $completed THEN datetime() ELSE x.lastServedAt END"
)
_OFFERING_LOAD = f"MATCH (x:Offering {{id: $id}}) SET x.openLoad = {_FLOOR}"


async def change_load(
    tx: Tx,
    target: dict[str, Any],
    delta: int,
    *,
    completed: bool = False,
    new_task: bool | None = None,
    reopened: bool = False,
) -> None:
    """Keeps openLoad (and a member's counters) in step with the assignment change in this transaction.

    The counters stay equal to what the assignments say (docs/GRAPH.md): `new_task` (default: delta > 0)
    counts an accepted task in assignedCount; a reopened task is not new, and its completion no longer
    counts in completedCount (the assignment is ACTIVE again).
    """
    label, tid = target["targetLabel"], target["targetId"]
    if label == "Member":
        new = delta > 0 if new_task is None else new_task
        await tx.run(_MEMBER_LOAD, id=tid, delta=delta, completed=completed, newTask=new, reopened=reopened)
    elif label == "Offering":
        await tx.run(_OFFERING_LOAD, id=tid, delta=delta)


async def last_completed(tx: Tx, need_id: str) -> dict[str, Any] | None:
    """The assignment that completed the need (reopening hands the need back to it)."""
    rows = await of_need(tx, need_id, ("COMPLETED",))
    return rows[-1] if rows else None


# --- reads for the API ------------------------------------------------------------------------

_BY_NEEDS = """
UNWIND $ids AS nid
MATCH (:Need {id: nid})<-[:OF]-(a:Assignment)-[:TO]->(t)
RETURN nid AS needId, a {.*, needId: nid, targetId: t.id, targetLabel: labels(t)[0],
  byId: [(a)-[:BY]->(u:User) | u.id][0]} AS row
ORDER BY a.createdAt, a.id
"""


async def by_needs(graph: Graph, need_ids: list[str]) -> list[list[dict[str, Any]]]:
    """Every need's assignments, oldest first, in the order of `need_ids` (a DataLoader batch)."""
    rows = await graph.read(_BY_NEEDS, ids=list(dict.fromkeys(need_ids)))
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["needId"], []).append(row["row"])
    return [grouped.get(nid, []) for nid in need_ids]


_OPEN_FOR = """
MATCH (a:Assignment)-[:TO]->(t) WHERE a.status IN $statuses AND (t.id IN $ids OR EXISTS {
  MATCH (t)<-[:OFFERS]-(u:Unit) WHERE u.id IN $ids })
MATCH (a)-[:OF]->(n:Need)
RETURN a {.*, needId: n.id, targetId: t.id, targetLabel: labels(t)[0], byId: [(a)-[:BY]->(u:User) | u.id][0]} AS row
ORDER BY a.createdAt DESC, a.id
LIMIT $limit
"""


async def open_for(graph: Graph, handler_ids: list[str], limit: int = 100) -> list[dict[str, Any]]:
    """Assignments waiting for or held by these handlers (a member, or a unit and its offerings)."""
    rows = await graph.read(_OPEN_FOR, ids=handler_ids, statuses=list(HELD), limit=limit)
    return [row["row"] for row in rows]
