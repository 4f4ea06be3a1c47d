"""A need mutation in two statements: `facts` (lock the need, read all a decision needs) and `apply`
(every write of the decision and its audit Event, folded into one statement: the move's own, `MOVES`).

The resolvers decide in Python between the two (lifecycle, who may act, load limits) and describe the
writes as a `Change`. Locks are taken in one order everywhere — the need, then the handlers whose
load is checked — and every read of `facts` comes after the need's lock, so it sees the last
committed state: under any number of concurrent accepts exactly one sees the need DISPATCHED.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, NotFound
from graph.kernel.ids import label_of, new_id
from graph.kernel.locks import answered_unlocked, lock_if, still
from graph.kernel.records import from_row
from graph.needs.audit import EVENT_CREATE, event_params
from graph.needs.kinds import ASSIGNMENT, EventType

# Whom a coordinator dispatches to; a department (the handler's other target) is reached by a whistle.
HANDLER_LABELS = tuple(label for label in ASSIGNMENT.link("handler").targets if label != "Department")

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


@dataclass(frozen=True, slots=True)
class AssignmentState:
    """One of the need's assignments as `facts` reads it, with its handler's load."""

    id: str
    status: str
    target_id: str  # the handler: a member, unit or offering
    target_label: str
    unit_id: str | None  # an offering's unit
    by_id: str | None  # the User who made it (the dispatching coordinator)
    completed_at: datetime | None
    rated_by: list[str]  # the roles that rated its latest completion
    open_load: int
    limit: int  # the handler's most open tasks at once


@dataclass(frozen=True, slots=True)
class Handler:
    """A member, unit or offering named by the move (`targets`)."""

    id: str
    label: str
    status: str | None  # an offering's (WITHDRAWN ones are refused)
    unit_id: str | None  # an offering's unit


@dataclass(frozen=True, slots=True)
class LockedNeed:
    """The need as its move reads it under the need's lock (`facts`)."""

    id: str
    number: str | None
    status: str
    urgency: str | None
    level: str | None
    status_before_suspension: str | None
    response_deadline: datetime | None
    completion_deadline: datetime | None
    category_exists: bool  # the category the move names exists (True when it names none)
    category_code: str | None
    requester_id: str | None
    resident_ids: list[str]  # the requester and whoever raised it too
    place_ids: list[str]  # its compound or community and every place above it
    assignments: list[AssignmentState]  # oldest first; none when the committed state refuses the move
    targets: list[Handler]
    eligible: list[str]  # the members registered with its community (`eligible`)

    @classmethod
    def of(cls, row: dict[str, Any]) -> LockedNeed:
        return from_row(
            cls,
            {
                **row,
                "assignments": [from_row(AssignmentState, a) for a in row["assignments"]],
                "targets": [from_row(Handler, t) for t in row["targets"]],
            },
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
) -> LockedNeed:
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
    need = LockedNeed.of(row)
    found = {t.id: t for t in need.targets}
    missing = [tid for tid in targets if tid not in found]
    if missing:
        raise NotFound(f"no member, unit or offering with id {', '.join(missing)}", field=field)
    withdrawn = [tid for tid in targets if found[tid].status == "WITHDRAWN"]
    if withdrawn:
        raise BadUserInput(f"offering {', '.join(withdrawn)} is withdrawn", field=field)
    return need


# --- what a move writes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reassignment:
    """An existing assignment's new status; `accepted`/`completed` stamp the time it happened."""

    id: str
    status: str
    note: str | None = None
    accepted: bool = False
    completed: bool = False


@dataclass(frozen=True, slots=True)
class Offer:
    """New assignments of the need, made by one User with one note: `to` holds (assignment id, handler id)."""

    by: str
    by_role: str
    status: str
    note: str | None
    to: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Load:
    """The counters one assignment change moves on its handler (docs/GRAPH.md, "Counters"): openLoad for
    members and offerings; for members also assignedCount (a new task), completedCount (+1 done, -1
    reopened) and lastServedAt. Units carry no load (their offerings do)."""

    label: str  # Member or Offering
    id: str
    delta: int
    new_task: bool
    completed: bool = False
    reopened: bool = False


@dataclass(frozen=True, slots=True)
class Rating:
    """A resident's rating added to a handler's ratingSum and ratingCount."""

    holder_id: str
    rating: int


@dataclass(frozen=True, slots=True)
class NewEvaluation:
    """An Evaluation of the assignment's latest completion."""

    id: str
    assignment_id: str
    rating: int
    comment: str
    by_role: str
    by_id: str


@dataclass(frozen=True, slots=True)
class Suspension:
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Escalation:
    level: str  # the level the need is handed up to
    complete_by: datetime
    at: datetime


@dataclass
class Change:
    """The writes of one decision on a need, applied by `apply` in its move's statement."""

    status: str | None = None  # the need's new status (None: unchanged)
    props: dict[str, Any] = field(default_factory=dict)  # other properties of the need to set (camelCase)
    reassigned: list[Reassignment] = field(default_factory=list)
    offer: Offer | None = None
    loads: list[Load] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
    evaluation: NewEvaluation | None = None
    suspend: Suspension | None = None
    resume: datetime | None = None  # when the clock restarts
    escalate: Escalation | None = None
    category: str | None = None  # the need's new category code

    def assign(self, target_ids: list[str], status: str, by: str, role: str, note: str | None) -> list[str]:
        ids = [new_id("assignment") for _ in target_ids]
        self.offer = Offer(by, role, status, note, list(zip(ids, target_ids, strict=True)))
        return ids

    def set_assignments(
        self, rows: Iterable[AssignmentState], status: str, note: str | None = None, **stamp: bool
    ) -> None:
        self.reassigned += [Reassignment(row.id, status, note, **stamp) for row in rows]

    def load(
        self,
        row: AssignmentState,
        delta: int,
        *,
        completed: bool = False,
        new_task: bool | None = None,
        reopened: bool = False,
    ) -> None:
        """Moves the counters of `row`'s handler by `delta` open tasks (a unit has none to move)."""
        if row.target_label not in ("Member", "Offering"):
            return
        new = delta > 0 if new_task is None else new_task
        self.loads.append(Load(row.target_label, row.target_id, delta, new, completed, reopened))


# --- each move's statement ------------------------------------------------------------------------


class Part(Enum):
    """What a move may write besides the need's own status and properties, in the order its statement
    writes them (an evaluation reads the completion the reassignments just stamped)."""

    SUSPEND = """
CALL (n) {
  WITH n, datetime($suspend.now) AS now
  SET n.statusBeforeSuspension = n.status, n.suspendedAt = now, n.suspensionReason = $suspend.reason,
      n.responseRemainingSeconds = CASE WHEN n.responseDeadline IS NULL THEN null
        ELSE duration.inSeconds(now, n.responseDeadline).seconds END,
      n.completionRemainingSeconds = CASE WHEN n.completionDeadline IS NULL THEN null
        ELSE duration.inSeconds(now, n.completionDeadline).seconds END,
      n.status = 'SUSPENDED', n.updatedAt = now
}"""
    RESUME = """
CALL (n) {
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
}"""
    ESCALATE = """
CALL (n) {
  WITH n, datetime($escalate.now) AS now
  SET n.level = $escalate.level, n.status = 'ESCALATED', n.completionDeadline = datetime($escalate.completeBy),
      n.escalatedAt = now, n.updatedAt = now
}"""
    RECATEGORISE = """
CALL (n) {
  WITH n WHERE $category IS NOT NULL
  OPTIONAL MATCH (n)-[old:OF]->(:Category)
  DELETE old
  WITH DISTINCT n
  MATCH (k:Category {code: $category})
  CREATE (n)-[:OF]->(k)
}"""
    REASSIGN = """
CALL (n) {
  UNWIND $assignments AS change
  MATCH (a:Assignment {id: change.id})
  SET a.status = change.status, a.note = coalesce(change.note, a.note), a.updatedAt = datetime(),
      a.acceptedAt = CASE WHEN change.accepted THEN datetime() ELSE a.acceptedAt END,
      a.completedAt = CASE WHEN change.completed THEN datetime() ELSE a.completedAt END
}"""
    OFFER = """
CALL (n) {
  MERGE (u:User {id: $offer.by}) ON CREATE SET u.createdAt = datetime(), u.role = $offer.byRole
  WITH n, u
  UNWIND $offer.to AS row
  CALL (row) {
    MATCH (t:Member {id: row.target}) RETURN t
    UNION MATCH (t:Unit {id: row.target}) RETURN t
    UNION MATCH (t:Offering {id: row.target}) RETURN t
  }
  CREATE (a:Assignment {id: row.id, status: $offer.status, note: $offer.note, createdAt: datetime()})
  CREATE (a)-[:OF]->(n), (a)-[:TO]->(t), (a)-[:BY]->(u)
}"""
    LOAD = """
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
}"""
    EVALUATE = """
CALL (n) {
  MATCH (a:Assignment {id: $evaluation.assignmentId})
  CREATE (:Evaluation {id: $evaluation.id, rating: $evaluation.rating, comment: $evaluation.comment,
    byRole: $evaluation.byRole, byId: $evaluation.byId, forCompletionAt: a.completedAt, createdAt: datetime()})
    -[:OF]->(a)
}"""
    RATE = """
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
}"""


def _parts(change: Change) -> set[Part]:
    """The parts `change` carries, which its move's statement must write."""
    carried = {
        Part.SUSPEND: change.suspend is not None,
        Part.RESUME: change.resume is not None,
        Part.ESCALATE: change.escalate is not None,
        Part.RECATEGORISE: change.category is not None,
        Part.REASSIGN: bool(change.reassigned),
        Part.OFFER: change.offer is not None,
        Part.LOAD: bool(change.loads),
        Part.EVALUATE: change.evaluation is not None,
        Part.RATE: bool(change.ratings),
    }
    return {part for part, present in carried.items() if present}


# Parts a move writes only sometimes (a reopened need may have no handler left; an update may keep the
# category); every other part of a move's statement is required of its change.
_OPTIONAL = frozenset({Part.RECATEGORISE, Part.REASSIGN, Part.LOAD, Part.RATE})


@dataclass(frozen=True, slots=True)
class Move:
    """One move of a need: the audit Event it records and the parts it writes, in one statement."""

    event: EventType
    parts: frozenset[Part]
    statement: str

    @classmethod
    def of(cls, event: EventType, *parts: Part) -> Move:
        clauses = "".join(part.value for part in Part if part in parts)
        statement = (
            "MATCH (n:Need {id: $id})\n"
            "SET n += $props, n.status = coalesce($status, n.status), n.updatedAt = datetime()\n"
            f"WITH n{clauses}\n{EVENT_CREATE}\nRETURN e {{.*, needId: n.id}} AS event"
        )
        return cls(event, frozenset(parts), statement)


P = Part
# Every move of a need, by the mutation that makes it (resolvers/needs/lifecycle.py `TRANSITIONS` says from
# which states): the Event it records and what it writes besides the need's status and properties.
MOVES: dict[str, Move] = {
    "updateNeed": Move.of(EventType.UPDATE, P.RECATEGORISE),
    "cancelNeed": Move.of(EventType.CANCEL, P.REASSIGN),
    "dispatchNeed": Move.of(EventType.DISPATCH, P.REASSIGN, P.OFFER, P.LOAD),
    "openNeedForClaim": Move.of(EventType.OPEN_FOR_CLAIM, P.REASSIGN, P.OFFER, P.LOAD),
    "inviteCandidates": Move.of(EventType.INVITE, P.REASSIGN, P.OFFER, P.LOAD),
    "acceptNeed": Move.of(EventType.ACCEPT, P.REASSIGN, P.LOAD),
    "declineNeed": Move.of(EventType.DECLINE, P.REASSIGN),
    "startNeed": Move.of(EventType.START),
    "completeNeed": Move.of(EventType.COMPLETE, P.REASSIGN, P.LOAD),
    "transferNeed": Move.of(EventType.TRANSFER, P.REASSIGN, P.OFFER, P.LOAD),
    "reopenNeed": Move.of(EventType.REOPEN, P.REASSIGN, P.LOAD),
    "suspendNeed": Move.of(EventType.SUSPEND, P.SUSPEND),
    "resumeNeed": Move.of(EventType.RESUME, P.RESUME),
    "escalateNeed": Move.of(EventType.ESCALATE, P.REASSIGN, P.LOAD, P.ESCALATE),
    "evaluateNeed": Move.of(EventType.EVALUATE, P.EVALUATE, P.RATE),
    "evaluateHandling": Move.of(EventType.EVALUATE_HANDLING, P.EVALUATE),
}


def _params(change: Change) -> dict[str, Any]:
    """The statement's parameters: the change's parts as the Cypher maps they are written from."""
    offer, evaluation = change.offer, change.evaluation
    return {
        "props": change.props,
        "status": change.status,
        "suspend": change.suspend and {"reason": change.suspend.reason, "now": change.suspend.at.isoformat()},
        "resume": change.resume and change.resume.isoformat(),
        "escalate": change.escalate
        and {
            "level": change.escalate.level,
            "completeBy": change.escalate.complete_by.isoformat(),
            "now": change.escalate.at.isoformat(),
        },
        "category": change.category,
        "assignments": [
            {"id": r.id, "status": r.status, "note": r.note, "accepted": r.accepted, "completed": r.completed}
            for r in change.reassigned
        ],
        "offer": offer
        and {
            "by": offer.by,
            "byRole": offer.by_role,
            "status": offer.status,
            "note": offer.note,
            "to": [{"id": aid, "target": tid} for aid, tid in offer.to],
        },
        "loads": [
            {
                "label": x.label,
                "id": x.id,
                "delta": x.delta,
                "newTask": x.new_task,
                "completed": x.completed,
                "reopened": x.reopened,
            }
            for x in change.loads
        ],
        "evaluation": evaluation
        and {
            "id": evaluation.id,
            "assignmentId": evaluation.assignment_id,
            "rating": evaluation.rating,
            "comment": evaluation.comment,
            "byRole": evaluation.by_role,
            "byId": evaluation.by_id,
        },
        "ratings": [{"id": r.holder_id, "rating": r.rating} for r in change.ratings],
    }


async def apply(
    tx: Tx,
    need: LockedNeed,
    operation: str,
    change: Change,
    *,
    actor_id: str,
    role: str,
    to_state: str | None,
    note: str | None,
) -> dict[str, Any]:
    """Writes `change` and the audit Event of `operation` (from the need's status to `to_state`) in the
    move's statement; returns the Event (camelCase, with needId)."""
    move = MOVES[operation]
    carried = _parts(change)
    # A part the move's statement does not write would be lost without a word: a mistake in the resolver.
    assert carried <= move.parts, f"{operation} does not write {sorted(p.name for p in carried - move.parts)}"
    assert move.parts - _OPTIONAL <= carried, f"{operation} needs {sorted(p.name for p in move.parts - carried)}"
    event = event_params(
        actor_id=actor_id, role=role, from_state=need.status, to_state=to_state, type=move.event, note=note
    )
    row = await tx.single(move.statement, id=need.id, **_params(change), event=event)
    assert row is not None, "the need was locked in this transaction, so it exists"
    return row["event"]
