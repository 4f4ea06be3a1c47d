"""Needs and what hangs off them: the value sets of the workflow, the records and their declarations.

`(:Need)-[:AT]->(:Compound|Community)`, `-[:OF]->(:Category)`, `-[:RAISED_BY]->(:Resident)`;
`(:Assignment)-[:OF]->(:Need)`, `-[:TO]->(:Member|Unit|Offering)`, `-[:BY]->(:User)`;
`(:Evaluation)-[:OF]->(:Assignment)`; `(:Event)-[:ABOUT]->(:Need)` (the audit trail).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from graph.kernel.kinds import Kind, cypher_strings, declare, listed, many, one
from graph.kernel.records import CatalogEntry, GeoPoint, NodeRecord


class NeedStatus(StrEnum):
    """Where a need is in its life: 提交→派单→接单→办理→办结→评价, and the side roads."""

    SUBMITTED = "SUBMITTED"
    DISPATCHED = "DISPATCHED"
    ACCEPTED = "ACCEPTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    EVALUATED = "EVALUATED"
    DECLINED = "DECLINED"
    ESCALATED = "ESCALATED"
    SUSPENDED = "SUSPENDED"
    CANCELLED = "CANCELLED"
    REOPENED = "REOPENED"


# Not yet closed: somebody still owes the resident an answer.
OPEN_STATES = frozenset(NeedStatus) - {NeedStatus.COMPLETED, NeedStatus.EVALUATED, NeedStatus.CANCELLED}
# Whose clock runs: a suspended need is never overdue (its clock is paused).
RUNNING_STATES = frozenset(
    {NeedStatus.DISPATCHED, NeedStatus.ACCEPTED, NeedStatus.IN_PROGRESS, NeedStatus.ESCALATED, NeedStatus.REOPENED}
)

# Overdue: past the response deadline while dispatched, or the completion deadline while the clock runs.
OVERDUE_CYPHER = (
    "coalesce((x.status = 'DISPATCHED' AND x.responseDeadline < datetime($now)) "
    f"OR (x.status IN {cypher_strings(RUNNING_STATES)} AND x.completionDeadline < datetime($now)), false)"
)


# Whether the community can call the requester back: a phone or an email on file. A GeoReport v2 request
# (Open311) may come with neither; the need is filed all the same and shows it.
CALLBACK_CYPHER = "EXISTS { MATCH (x)-[:RAISED_BY]->(r:Resident) WHERE r.phone IS NOT NULL OR r.email IS NOT NULL }"


def is_overdue(
    status: str, response_deadline: datetime | None, completion_deadline: datetime | None, now: datetime
) -> bool:
    """The same rule as OVERDUE_CYPHER, for a record already in hand."""
    if status == NeedStatus.DISPATCHED and response_deadline is not None and response_deadline < now:
        return True
    return status in RUNNING_STATES and completion_deadline is not None and completion_deadline < now


class Channel(StrEnum):
    """How a need came in."""

    APP = "APP"
    HOTLINE_12345 = "HOTLINE_12345"
    GRID_WORKER = "GRID_WORKER"
    SENTINEL = "SENTINEL"
    VISIT = "VISIT"
    OPEN311 = "OPEN311"  # a partner system through the Open311 GeoReport v2 door (server/open311.py)


class Urgency(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class Level(StrEnum):
    """Who holds a need now: the community, the street office or the district (escalation climbs these)."""

    COMMUNITY = "COMMUNITY"
    STREET = "STREET"
    DISTRICT = "DISTRICT"


class AssignmentStatus(StrEnum):
    """Where an offer of a need to one handler stands."""

    INVITED = "INVITED"  # dispatched or invited, awaiting an answer
    OPEN_CLAIM = "OPEN_CLAIM"  # 抢单: offered to every eligible member
    ACTIVE = "ACTIVE"  # accepted, being handled
    DECLINED = "DECLINED"
    LAPSED = "LAPSED"  # someone else accepted first, or the need was cancelled
    TRANSFERRED = "TRANSFERRED"
    COMPLETED = "COMPLETED"


PENDING = (AssignmentStatus.INVITED, AssignmentStatus.OPEN_CLAIM)  # waiting for an answer
HELD = (*PENDING, AssignmentStatus.ACTIVE)  # offered, or being handled


class EventType(StrEnum):
    """What an audit Event records; seeded and live histories use the same names."""

    SUBMIT = "SUBMIT"
    UPDATE = "UPDATE"
    CANCEL = "CANCEL"
    DISPATCH = "DISPATCH"
    OPEN_FOR_CLAIM = "OPEN_FOR_CLAIM"
    INVITE = "INVITE"
    ACCEPT = "ACCEPT"
    DECLINE = "DECLINE"
    START = "START"
    COMPLETE = "COMPLETE"
    TRANSFER = "TRANSFER"
    REOPEN = "REOPEN"
    SUSPEND = "SUSPEND"
    RESUME = "RESUME"
    ESCALATE = "ESCALATE"
    MERGE = "MERGE"  # duplicates closed into one need (both sides record it)
    EVALUATE = "EVALUATE"
    EVALUATE_HANDLING = "EVALUATE_HANDLING"
    GRANT_REQUESTED = "GRANT_REQUESTED"
    GRANT_APPROVED = "GRANT_APPROVED"
    GRANT_REJECTED = "GRANT_REJECTED"


class RaterRole(StrEnum):
    """Who rated a completion (谁呼谁评、谁应评谁)."""

    REQUESTER = "REQUESTER"  # the resident who raised the need rates the result
    COORDINATOR = "COORDINATOR"  # the coordinator who dispatched it rates the handling


@dataclass(slots=True)
class Category(CatalogEntry):
    description: str | None = None


@dataclass(slots=True)
class Need(NodeRecord):
    title: str
    description: str = ""
    number: str | None = None
    status: NeedStatus = NeedStatus.SUBMITTED
    channel: Channel = Channel.APP
    urgency: Urgency = Urgency.NORMAL
    people_needed: int = 1
    level: Level = Level.COMMUNITY
    window_start: datetime | None = None
    window_end: datetime | None = None
    response_deadline: datetime | None = None
    completion_deadline: datetime | None = None
    suspended_at: datetime | None = None
    suspension_reason: str | None = None
    escalated_at: datetime | None = None
    location: GeoPoint | None = None
    media_url: str | None = None
    category_code: str | None = None
    community_id: str | None = None
    compound_id: str | None = None
    resident_id: str | None = None
    merged_into_id: str | None = None
    routing_id: str | None = None  # where intake sent it and why (lent by graph/whistle/kinds.py: `routing`)
    updated_at: datetime | None = None
    can_call_back: bool = False  # CALLBACK_CYPHER, read with the node
    created_at: datetime = field(kw_only=True)  # a need always has one: it is the need's place in lists


@dataclass(slots=True)
class Resident(NodeRecord):
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    email: str | None = None


@dataclass(slots=True)
class Assignment(NodeRecord):
    status: AssignmentStatus
    need_id: str
    target_id: str
    target_label: str
    by_id: str | None = None
    note: str | None = None
    accepted_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(slots=True)
class Evaluation(NodeRecord):
    rating: int
    by_role: str
    comment: str | None = None
    by_id: str | None = None
    assignment_id: str | None = None


@dataclass(slots=True)
class Event(NodeRecord):
    at: datetime
    type: str
    actor_id: str
    role: str
    need_id: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    note: str | None = None


CATEGORY = declare(Category, "category", reader="public", catalog=True, indexes=("code",))
NEED = declare(
    Need,
    "need",
    reader="public",
    computed={"overdue": OVERDUE_CYPHER},
    extra={"canCallBack": CALLBACK_CYPHER},
    # Masked by who may see a resident's contact details (resolvers/kernel/authz.py), with a pattern
    # over addresses that Cypher cannot match: left to the interpreter.
    interpreted=frozenset({"requester"}),
    lockable=True,
    indexes=("status", "createdAt", "channel", "urgency", "responseDeadline", "completionDeadline", "level", "number"),
    point=True,
    fulltext=("title", "description"),
).linking(
    category=one("(x)-[:OF]->(y:Category)", "Category", attr="categoryCode", key="code"),
    # At the community itself, or at one of its compounds (0 or 1 hop up).
    community=one("(x)-[:AT]->(:Compound|Community)-[:IN*0..1]->(y:Community)", "Community", attr="communityId"),
    compound=one("(x)-[:AT]->(y:Compound)", "Compound", attr="compoundId"),
    requester=one("(x)-[:RAISED_BY]->(y:Resident)", "Resident", attr="residentId"),
    mergedInto=one("(x)-[:MERGED_INTO]->(y:Need)", "Need", attr="mergedIntoId"),
    # Signed-in viewers only: notes name people and reasons.
    history=listed("(x)<-[:ABOUT]-(y:Event)", "Event", order="y.at, y.createdAt, y.id", gate="signed-in"),
    assignments=listed("(x)<-[:OF]-(y:Assignment)", "Assignment", order="y.createdAt, y.id", gate="signed-in"),
    # The one handling it now, else the newest still awaiting an answer.
    currentAssignment=one(
        "(x)<-[:OF]-(y:Assignment)",
        "Assignment",
        where=f"y.status IN {cypher_strings(HELD)}",
        order="CASE WHEN y.status = 'ACTIVE' THEN 0 ELSE 1 END, y.createdAt DESC, y.id DESC",
        gate="signed-in",
    ),
)
# Residents are shown only through a need, masked for most viewers (resolvers/needs/intake.py).
RESIDENT = declare(Resident, "resident")
ASSIGNMENT = declare(
    Assignment,
    "assignment",
    reader="signed-in",
    extra={"targetLabel": "[(x)-[:TO]->(t) | labels(t)[0]][0]"},
    lockable=True,
    indexes=("status", "createdAt"),
).linking(
    need=one("(x)-[:OF]->(y:Need)", "Need", attr="needId"),
    # A department is offered the need it leads a whistle of (吹哨报到: graph/whistle/).
    handler=one(
        "(x)-[:TO]->(y:Member|Unit|Offering|Department)", ("Member", "Unit", "Offering", "Department"), attr="targetId"
    ),
    by=one("(x)-[:BY]->(y:User)", "User", attr="byId"),
)
EVALUATION = declare(Evaluation, "evaluation", reader="signed-in").linking(
    assignment=one("(x)-[:OF]->(y:Assignment)", "Assignment", attr="assignmentId"),
)
EVENT = declare(Event, "event", graphql="NeedEvent", reader="signed-in", indexes=("at",)).linking(
    need=one("(x)-[:ABOUT]->(y:Need)", "Need", attr="needId"),
)

# An Open311 request that could not be placed, kept for an operator to place (the spec's token flow):
# `(:PendingRequest)-[:BECAME]->(:Need)` once placed.
PENDING_REQUEST = Kind("PendingRequest", "pending", lockable=True, indexes=("createdAt",))

KINDS = (CATEGORY, NEED, RESIDENT, ASSIGNMENT, EVALUATION, EVENT, PENDING_REQUEST)

# Links of the needs shown on other domains' kinds (graph/kernel/registry.py adds them): what counts as
# open is the needs' to say, so the places need not know it.
LENT = {
    "Community": {
        # Needs raised at the community itself or at one of its compounds.
        "openNeeds": many(
            "(x)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(y:Need)",
            "Need",
            newest_first=True,
            where=f"y.status IN {cypher_strings(OPEN_STATES)}",
        ),
    },
}
