"""A need mutation in two statements: `facts` (lock the need, read all a decision needs) and `apply`
(every write of the decision and its audit Event, folded into one statement).

The resolvers decide in Python between the two (lifecycle, who may act, load limits) and describe the
writes as a `Change`. Locks are taken in one order everywhere — the need, then the handlers whose
load is checked — and every read of `facts` comes after the need's lock, so it sees the last
committed state: under any number of concurrent accepts exactly one sees the need DISPATCHED.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, NotFound
from graph.kernel.ids import label_of, new_id
from graph.kernel.locks import answered_unlocked, lock_if, still
from graph.needs.audit import EVENT_CREATE
from graph.needs.kinds import ASSIGNMENT, EventType

HANDLER_LABELS = ASSIGNMENT.link("handler").targets

# Whether the need can still make the move asked for (its committed status among `$movable`; any status
# when the caller names none): read before the lock and again under it (graph/kernel/locks.py).
_MOVABLE = "($movable IS NULL OR n.status IN $movable)"
_FACTS = (
    f"""
MATCH (n:Need {{id: $id}})
WITH n, {_MOVABLE} AS open
{lock_if("n", "open")}
{still("NOT open OR " + _MOVABLE)}
CALL (n, open) {{
  WITH * WHERE open UNWIND $lock AS hid MATCH (h:Member {{id: hid}}) SET h._lock = true REMOVE h._lock
}}
CALL (n, open) {{
  WITH * WHERE open UNWIND $lock AS hid MATCH (h:Offering {{id: hid}}) SET h._lock = true REMOVE h._lock
}}
// A unit admin answers for the unit's offerings this need is offered to.
CALL (n, open) {{
  WITH * WHERE open
  MATCH (n)<-[:OF]-(a:Assignment)-[:TO]->(o:Offering)<-[:OFFERS]-(:Unit {{id: $lockUnit}})
  WHERE a.status IN ['INVITED', 'OPEN_CLAIM']
  SET o._lock = true REMOVE o._lock
}}
"""
    + """
RETURN open AS locked,
  n.id AS id, n.number AS number, n.status AS status, n.urgency AS urgency, n.level AS level,
  n.statusBeforeSuspension AS statusBeforeSuspension,
  n.responseDeadline AS responseDeadline, n.completionDeadline AS completionDeadline,
  $category IS NULL OR EXISTS { MATCH (k:Category {code: $category}) } AS categoryExists,
  [(n)-[:OF]->(k:Category) | k.code][0] AS categoryCode,
  [(n)-[:RAISED_BY]->(r:Resident) | r.id][0] AS requesterId,
  [(n)-[:RAISED_BY|ALSO_RAISED_BY]->(r:Resident) | r.id] AS residentIds,
  [(n)-[:AT]->(:Compound|Community)-[:IN*0..3]->(p) | p.id] AS placeIds,
  // A move refused on the committed state needs none of what follows (a hundred claims, each a map).
  CASE WHEN NOT open THEN [] ELSE COLLECT {
    MATCH (n)<-[:OF]-(a:Assignment)-[:TO]->(t)
    WITH a, t ORDER BY a.createdAt, a.id
    RETURN {id: a.id, status: a.status, targetId: t.id, targetLabel: labels(t)[0],
            unitId: [(t)<-[:OFFERS]-(u:Unit) | u.id][0], byId: [(a)-[:BY]->(b:User) | b.id][0],
            completedAt: a.completedAt,
            ratedBy: [(e:Evaluation)-[:OF]->(a) WHERE e.forCompletionAt = a.completedAt | e.byRole],
            openLoad: coalesce(t.openLoad, 0), limit: coalesce(t.maxLoad, t.capacity, 0)}
  } END AS assignments,
  COLLECT { MATCH (t:Member) WHERE t.id IN $members RETURN {id: t.id, label: 'Member', status: null, unitId: null} }
    + COLLECT { MATCH (t:Unit) WHERE t.id IN $units RETURN {id: t.id, label: 'Unit', status: null, unitId: null} }
    + COLLECT { MATCH (t:Offering) WHERE t.id IN $offerings
       RETURN {id: t.id, label: 'Offering', status: t.status, unitId: [(t)<-[:OFFERS]-(u:Unit) | u.id][0]} }
    AS targets,
  CASE WHEN $eligible AND open THEN COLLECT {
    MATCH (n)-[:AT]->(:Compound|Community)-[:IN*0..1]->(c:Community)<-[:REGISTERED_WITH]-(m:Member)
    RETURN DISTINCT m.id ORDER BY m.id
  } ELSE [] END AS eligible
"""
)


async def facts(
    tx: Tx,
    need_id: str,
    *,
    targets: list[str] = (),  # type: ignore[assignment]
    lock: list[str] = (),  # type: ignore[assignment]
    lock_unit: str | None = None,
    eligible: bool = False,
    category: str | None = None,
    field: str = "handlerId",
    movable: Collection[str] | None = None,
) -> dict[str, Any]:
    """The need under its lock: state, places, every assignment with its handler's load; the handlers
    named by `targets` (checked: they exist, offerings not withdrawn); the members of its community
    (`eligible`); `lock`: the members and offerings whose load will be checked, locked after the need, and
    with `lock_unit` the unit's offerings this need is offered to; whether `category` exists.

    `movable`: the statuses the caller's move starts from. A need in none of them (as last committed) is
    read without any lock, for the caller to refuse; one that leaves them while this waits for its lock
    ends the transaction (MovedWhileWaiting), which is run again."""
    by_label: dict[str, list[str]] = {"Member": [], "Unit": [], "Offering": []}
    for tid in targets:
        by_label[label_of(tid, expected=HANDLER_LABELS, field=field)].append(tid)
    row = await tx.single(
        _FACTS,
        id=need_id,
        lock=list(lock),
        lockUnit=lock_unit,
        category=category,
        members=by_label["Member"],
        units=by_label["Unit"],
        offerings=by_label["Offering"],
        eligible=eligible,
        movable=sorted(movable) if movable is not None else None,
    )
    if row is None:
        raise NotFound(f"no need with id {need_id!r}", id=need_id)
    answered_unlocked(row.pop("locked"))
    found = {t["id"]: t for t in row["targets"]}
    missing = [tid for tid in targets if tid not in found]
    if missing:
        raise NotFound(f"no member, unit or offering with id {', '.join(missing)}", field=field)
    withdrawn = [tid for tid in targets if found[tid]["status"] == "WITHDRAWN"]
    if withdrawn:
        raise BadUserInput(f"offering {', '.join(withdrawn)} is withdrawn", field=field)
    return row


@dataclass
class Change:
    """The writes of one decision on a need, applied by `apply` in one statement."""

    status: str | None = None  # the need's new status (None: unchanged)
    props: dict[str, Any] = field(default_factory=dict)  # other properties of the need to set
    assignments: list[dict[str, Any]] = field(default_factory=list)  # {id, status, note?, accepted?, completed?}
    new_assignments: list[dict[str, Any]] = field(default_factory=list)  # {id, target, status}
    by: str | None = None  # who makes the new assignments (a User)
    by_role: str | None = None
    note: str | None = None  # the new assignments' note
    loads: list[dict[str, Any]] = field(default_factory=list)  # see `load`
    ratings: list[dict[str, Any]] = field(default_factory=list)  # {label, id, rating}
    evaluation: dict[str, Any] | None = None  # {id, assignmentId, rating, comment, byRole, byId}
    suspend: dict[str, Any] | None = None  # {reason, now}
    resume: str | None = None  # now
    escalate: dict[str, Any] | None = None  # {level, completeBy, now}
    category: str | None = None  # the need's new category code
    event: dict[str, Any] = field(default_factory=dict)  # {actorId, role, fromState, toState, type, note}

    def assign(self, target_ids: list[str], status: str, by: str, role: str, note: str | None) -> list[str]:
        ids = [new_id("assignment") for _ in target_ids]
        self.new_assignments += [{"id": i, "target": t, "status": status} for i, t in zip(ids, target_ids, strict=True)]
        self.by, self.by_role, self.note = by, role, note
        return ids

    def set_assignments(self, rows: list[dict[str, Any]], status: str, note: str | None = None, **stamp: bool) -> None:
        for row in rows:
            self.assignments.append({"id": row["id"], "status": status, "note": note, **stamp})


def load(
    row: dict[str, Any], delta: int, *, completed: bool = False, new_task: bool | None = None, reopened: bool = False
) -> dict[str, Any] | None:
    """The counters a handler's assignment change moves (docs/GRAPH.md, "Counters"): openLoad for members and
    offerings; for members also assignedCount (a new task), completedCount (+1 done, -1 reopened) and
    lastServedAt. Units carry no load (their offerings do)."""
    if row["targetLabel"] not in ("Member", "Offering"):
        return None
    return {
        "label": row["targetLabel"],
        "id": row["targetId"],
        "delta": delta,
        "newTask": delta > 0 if new_task is None else new_task,
        "completed": completed,
        "reopened": reopened,
    }


_APPLY = (
    """
MATCH (n:Need {id: $id})
SET n += $props, n.status = coalesce($status, n.status), n.updatedAt = datetime()
WITH n
CALL (n) {
  WITH n WHERE $suspend IS NOT NULL
  WITH n, datetime($suspend.now) AS now
  SET n.statusBeforeSuspension = n.status, n.suspendedAt = now, n.suspensionReason = $suspend.reason,
      n.responseRemainingSeconds = CASE WHEN n.responseDeadline IS NULL THEN null
        ELSE duration.inSeconds(now, n.responseDeadline).seconds END,
      n.completionRemainingSeconds = CASE WHEN n.completionDeadline IS NULL THEN null
        ELSE duration.inSeconds(now, n.completionDeadline).seconds END,
      n.status = 'SUSPENDED', n.updatedAt = now
}
CALL (n) {
  WITH n WHERE $resume IS NOT NULL
  WITH n, datetime($resume) AS now
  // Deadlines are computed in a WITH first: within one SET, later items must not see earlier ones.
  WITH n, now,
    CASE WHEN n.responseRemainingSeconds IS NULL THEN n.responseDeadline
      ELSE now + duration({seconds: n.responseRemainingSeconds}) END AS respondBy,
    CASE WHEN n.completionRemainingSeconds IS NULL THEN n.completionDeadline
      ELSE now + duration({seconds: n.completionRemainingSeconds}) END AS completeBy,
    coalesce(n.statusBeforeSuspension, 'DISPATCHED') AS back
  SET n.status = back, n.responseDeadline = respondBy, n.completionDeadline = completeBy, n.updatedAt = now
  REMOVE n.statusBeforeSuspension, n.suspendedAt, n.suspensionReason,
         n.responseRemainingSeconds, n.completionRemainingSeconds
}
CALL (n) {
  WITH n WHERE $escalate IS NOT NULL
  WITH n, datetime($escalate.now) AS now
  SET n.level = $escalate.level, n.status = 'ESCALATED', n.completionDeadline = datetime($escalate.completeBy),
      n.escalatedAt = now, n.updatedAt = now
}
CALL (n) {
  WITH n WHERE $category IS NOT NULL
  OPTIONAL MATCH (n)-[old:OF]->(:Category)
  DELETE old
  WITH DISTINCT n
  MATCH (k:Category {code: $category})
  CREATE (n)-[:OF]->(k)
}
CALL (n) {
  UNWIND $assignments AS change
  MATCH (a:Assignment {id: change.id})
  SET a.status = change.status, a.note = coalesce(change.note, a.note), a.updatedAt = datetime(),
      a.acceptedAt = CASE WHEN change.accepted THEN datetime() ELSE a.acceptedAt END,
      a.completedAt = CASE WHEN change.completed THEN datetime() ELSE a.completedAt END
}
CALL (n) {
  WITH n WHERE size($created) > 0
  MERGE (u:User {id: $by}) ON CREATE SET u.createdAt = datetime(), u.role = $byRole
  WITH n, u
  UNWIND $created AS row
  CALL (row) {
    MATCH (t:Member {id: row.target}) RETURN t
    UNION MATCH (t:Unit {id: row.target}) RETURN t
    UNION MATCH (t:Offering {id: row.target}) RETURN t
  }
  CREATE (a:Assignment {id: row.id, status: row.status, note: $note, createdAt: datetime()})
  CREATE (a)-[:OF]->(n), (a)-[:TO]->(t), (a)-[:BY]->(u)
}
CALL (n) {
  UNWIND $loads AS l
  MATCH (x:Member {id: l.id}) WHERE l.label = 'Member'
  SET x._lock = true REMOVE x._lock
  SET x.openLoad = CASE WHEN coalesce(x.openLoad, 0) + l.delta < 0 THEN 0 ELSE coalesce(x.openLoad, 0) + l.delta END,
      x.assignedCount = coalesce(x.assignedCount, 0) + CASE WHEN l.newTask THEN 1 ELSE 0 END,
      x.completedCount = coalesce(x.completedCount, 0)
        + CASE WHEN l.completed THEN 1 WHEN l.reopened THEN -1 ELSE 0 END,
      x.lastServedAt = CASE WHEN l.completed THEN datetime() ELSE x.lastServedAt END
}
CALL (n) {
  UNWIND $loads AS l
  MATCH (x:Offering {id: l.id}) WHERE l.label = 'Offering'
  SET x._lock = true REMOVE x._lock
  SET x.openLoad = CASE WHEN coalesce(x.openLoad, 0) + l.delta < 0 THEN 0 ELSE coalesce(x.openLoad, 0) + l.delta END
}
CALL (n) {
  WITH n WHERE $evaluation IS NOT NULL
  MATCH (a:Assignment {id: $evaluation.assignmentId})
  CREATE (:Evaluation {id: $evaluation.id, rating: $evaluation.rating, comment: $evaluation.comment,
    byRole: $evaluation.byRole, byId: $evaluation.byId, forCompletionAt: a.completedAt, createdAt: datetime()})
    -[:OF]->(a)
}
CALL (n) {
  // The counters are read and written after the holder's lock, so concurrent ratings never lose one.
  UNWIND $ratings AS r
  CALL (r) {
    MATCH (x:Member {id: r.id}) RETURN x
    UNION MATCH (x:Unit {id: r.id}) RETURN x
    UNION MATCH (x:Offering {id: r.id}) RETURN x
  }
  SET x._lock = true REMOVE x._lock
  SET x.ratingSum = coalesce(x.ratingSum, 0) + r.rating, x.ratingCount = coalesce(x.ratingCount, 0) + 1
}
"""
    + EVENT_CREATE
    + """
RETURN e {.*, needId: n.id} AS event
"""
)


async def apply(tx: Tx, need_id: str, change: Change) -> dict[str, Any]:
    """Writes `change` and its audit Event in one statement; returns the Event (camelCase, with needId)."""
    event = {**change.event, "id": new_id("event"), "type": EventType(change.event["type"]).value}
    params = asdict(change)
    row = await tx.single(
        _APPLY,
        id=need_id,
        props=params["props"],
        status=change.status,
        suspend=change.suspend,
        resume=change.resume,
        escalate=change.escalate,
        category=change.category,
        assignments=change.assignments,
        created=change.new_assignments,
        by=change.by,
        byRole=change.by_role,
        note=change.note,
        loads=[item for item in change.loads if item],
        evaluation=change.evaluation,
        ratings=change.ratings,
        event=event,
    )
    assert row is not None, "the need was locked in this transaction, so it exists"
    return row["event"]
