"""吹哨报到 (issue 22 §2, §3): a coordinator whistles a need to departments, each reports and reports back
within its limits or refuses, and both sides rate each other.

`(:Whistle)-[:ABOUT]->(:Need)`, `-[:UNDER]->(:DutyItem)` (the duty list line that allowed it);
`(:WhistleCall)-[:PART_OF]->(:Whistle)`, `-[:TO]->(:Department)`, `-[:REROUTED_TO]->(:WhistleCall)` (a
refused call sent on); `(:DepartmentRating)-[:OF]->(:WhistleCall)` (the whistler's rating of a
department's handling), `(:WhistleRating)-[:OF]->(:WhistleCall)` (the department's rating of the
whistle); `(:RoutingDecision)-[:ROUTES]->(:Need)` (where intake sent a need, and why). Every move is
also an audit Event about the need (graph/needs/audit.py), with the types of `WhistleEventType`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from graph.kernel.kinds import ListFilter, Where, declare, listed, many, one
from graph.kernel.records import NodeRecord


class CallRole(StrEnum):
    """A department's part in a whistle: the one that leads (牵头) or one that assists (协办, 联合处置)."""

    LEAD = "LEAD"
    ASSIST = "ASSIST"


class CallStatus(StrEnum):
    """Where a department's answer to a whistle stands: whistled (awaiting its 报到), reported (acknowledged,
    its handler named, acting), done (反馈 given), refused ("not our duty"), or closed with the need."""

    WHISTLED = "WHISTLED"
    REPORTED = "REPORTED"
    DONE = "DONE"
    REFUSED = "REFUSED"
    CLOSED = "CLOSED"


OPEN_CALLS = (CallStatus.WHISTLED, CallStatus.REPORTED)


class WhistleEventType(StrEnum):
    """What the audit trail of a need records of the whistle (beside the needs' own event types)."""

    ROUTE = "ROUTE"  # intake sent it past the community by the negative list
    WHISTLE = "WHISTLE"
    REPORT = "REPORT"
    FEEDBACK = "FEEDBACK"
    REFUSE = "REFUSE"
    REROUTE = "REROUTE"
    PAUSE_CALL = "PAUSE_CALL"
    RESUME_CALL = "RESUME_CALL"
    CALL_OVERDUE = "CALL_OVERDUE"  # past a limit: escalated to the district's leadership
    RATE_DEPARTMENT = "RATE_DEPARTMENT"
    RATE_WHISTLE = "RATE_WHISTLE"
    CLOSE_CALLS = "CLOSE_CALLS"  # the need was cancelled: the calls still open are closed with it


class RouteOutcome(StrEnum):
    """Where intake sent a need: to its community (its own, one it helps with, or not on any list), or
    straight to the owning department (the negative list)."""

    COMMUNITY = "COMMUNITY"
    DEPARTMENT = "DEPARTMENT"


# Overdue: awaiting its 报到 past the response limit, or its 反馈 past the completion limit, clock running.
CALL_OVERDUE_CYPHER = (
    "coalesce(x.pausedAt IS NULL AND ((x.status = 'WHISTLED' AND x.respondBy < datetime($now)) "
    "OR (x.status = 'REPORTED' AND x.completeBy < datetime($now))), false)"
)


def call_overdue(
    status: str, paused_at: datetime | None, respond_by: datetime, complete_by: datetime, now: datetime
) -> bool:
    """CALL_OVERDUE_CYPHER for a record in hand."""
    if paused_at is not None:
        return False
    return (status == CallStatus.WHISTLED and respond_by < now) or (status == CallStatus.REPORTED and complete_by < now)


# The community a whistle's need lies in: what staff scopes are checked against.
_COMMUNITY = "(:Need)-[:AT]->(:Compound|Community)-[:IN*0..1]->(y:Community)"


@dataclass(slots=True)
class Whistle(NodeRecord):
    """吹哨: a need whistled to departments (one lead, any assisting), by a coordinator within its duty list
    or by intake (the negative list), with a note of what is asked and the list line that allowed it."""

    level: str  # who whistled: COMMUNITY, STREET, DISTRICT, CITY, or ROUTING (intake, by the negative list)
    by_id: str
    note: str
    reason: str  # the duty list line, in its words: "负面清单：燃气安全 → 碑林区燃气安全办公室"
    scope_id: str | None = None  # the whistler's place (its street for intake's whistles)
    need_id: str | None = None
    community_id: str | None = None
    duty_item_id: str | None = None
    department_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class WhistleCall(NodeRecord):
    """One department's part in a whistle: it reports (报到: acknowledges, names its handler) within the
    response limit, reports back (反馈) within the completion limit, or refuses with a reason; a refused
    call is re-routed by the whistler to another department."""

    role: CallRole
    status: CallStatus
    respond_by: datetime
    complete_by: datetime
    handler: str | None = None
    report_note: str | None = None
    feedback: str | None = None
    refusal_reason: str | None = None
    reported_at: datetime | None = None
    done_at: datetime | None = None
    refused_at: datetime | None = None
    closed_at: datetime | None = None  # closed with its cancelled need
    responded_late: bool | None = None
    completed_late: bool | None = None
    escalations: int = 0
    escalated_at: datetime | None = None
    paused_at: datetime | None = None
    pause_reason: str | None = None
    department_id: str | None = None
    whistle_id: str | None = None
    need_id: str | None = None
    community_id: str | None = None
    rerouted_to_id: str | None = None
    department_rating_id: str | None = None
    whistle_rating_id: str | None = None
    updated_at: datetime | None = None


@dataclass(slots=True)
class DepartmentRating(NodeRecord):
    """谁呼谁评: the whistler's rating of one department's handling of a whistle (1–5 each), one per call."""

    response: int
    result: int
    attitude: int
    by_id: str
    comment: str | None = None
    call_id: str | None = None
    department_id: str | None = None
    community_id: str | None = None


@dataclass(slots=True)
class WhistleRating(NodeRecord):
    """谁应评谁: a department's rating of the whistle it answered: was it within duty, was the information
    enough. One per call."""

    within_duty: bool
    information_enough: bool
    by_id: str
    comment: str | None = None
    call_id: str | None = None
    department_id: str | None = None
    community_id: str | None = None


@dataclass(slots=True)
class RoutingDecision(NodeRecord):
    """Where intake sent a need by the communities' duty list, and why, in the list's words
    ("负面清单：燃气安全 → 碑林区燃气安全办公室"; "自治清单：邻里纠纷 → 书院门社区")."""

    outcome: RouteOutcome
    explanation: str
    need_id: str | None = None
    duty_item_id: str | None = None


class WhistleCallFilter(ListFilter):
    department_id: Annotated[
        str | None, Field(max_length=80), Where("EXISTS { MATCH (x)-[:TO]->(:Department {id: $departmentId}) }")
    ] = None
    need_id: Annotated[
        str | None,
        Field(max_length=80),
        Where("EXISTS { MATCH (x)-[:PART_OF]->(:Whistle)-[:ABOUT]->(:Need {id: $needId}) }"),
    ] = None
    status: Annotated[list[CallStatus] | None, Where("x.status IN $status")] = None
    role: Annotated[list[CallRole] | None, Where("x.role IN $role")] = None
    overdue: Annotated[
        bool | None,
        Field(description="Past its response or completion limit now."),
        Where(f"$overdue = {CALL_OVERDUE_CYPHER}"),
    ] = None
    late: Annotated[
        bool | None,
        Field(description="Reported or reported back after its limit (what the district counts)."),
        Where("$late = (coalesce(x.respondedLate, false) OR coalesce(x.completedLate, false))"),
    ] = None
    escalated: Annotated[
        bool | None,
        Field(description="Escalated to the district's leadership for being overdue at least once."),
        Where("$escalated = (x.escalations > 0)"),
    ] = None


# A viewer's own calls: a department's staff its department's; coordinators and district admins those of
# the needs in their scope; the city every one; anyone else none (graph/whistle/lists.py).
WHISTLE = declare(
    Whistle, "whistle", reader="staff", scope_attr="communityId", party_attr="departmentIds", indexes=("createdAt",)
).linking(
    need=one("(x)-[:ABOUT]->(y:Need)", "Need", attr="needId"),
    community=one("(x)-[:ABOUT]->" + _COMMUNITY, "Community", attr="communityId"),
    dutyItem=one("(x)-[:UNDER]->(y:DutyItem)", "DutyItem", attr="dutyItemId"),
    departments=listed(
        "(x)<-[:PART_OF]-(:WhistleCall)-[:TO]->(y:Department)", "Department", attr="departmentIds", order="y.code"
    ),
    calls=many("(x)<-[:PART_OF]-(y:WhistleCall)", "WhistleCall"),
)
_CALL_NEED = "(x)-[:PART_OF]->(:Whistle)-[:ABOUT]->"
WHISTLE_CALL = declare(
    WhistleCall,
    "whistlecall",
    reader="staff",
    scope_attr="communityId",
    party_attr="departmentId",
    lockable=True,
    indexes=("status", "createdAt", "respondBy", "completeBy"),
    computed={"overdue": CALL_OVERDUE_CYPHER},
).linking(
    department=one("(x)-[:TO]->(y:Department)", "Department", attr="departmentId"),
    whistle=one("(x)-[:PART_OF]->(y:Whistle)", "Whistle", attr="whistleId"),
    need=one(_CALL_NEED + "(y:Need)", "Need", attr="needId"),
    community=one(_CALL_NEED + _COMMUNITY, "Community", attr="communityId"),
    reroutedTo=one("(x)-[:REROUTED_TO]->(y:WhistleCall)", "WhistleCall", attr="reroutedToId"),
    departmentRating=one("(x)<-[:OF]-(y:DepartmentRating)", "DepartmentRating", attr="departmentRatingId"),
    whistleRating=one("(x)<-[:OF]-(y:WhistleRating)", "WhistleRating", attr="whistleRatingId"),
)
_RATED = "(x)-[:OF]->(:WhistleCall)"
DEPARTMENT_RATING = declare(
    DepartmentRating, "departmentrating", reader="staff", scope_attr="communityId", party_attr="departmentId"
).linking(
    call=one("(x)-[:OF]->(y:WhistleCall)", "WhistleCall", attr="callId"),
    department=one(_RATED + "-[:TO]->(y:Department)", "Department", attr="departmentId"),
    community=one(_RATED + "-[:PART_OF]->(:Whistle)-[:ABOUT]->" + _COMMUNITY, "Community", attr="communityId"),
)
WHISTLE_RATING = declare(
    WhistleRating, "whistlerating", reader="staff", scope_attr="communityId", party_attr="departmentId"
).linking(
    call=one("(x)-[:OF]->(y:WhistleCall)", "WhistleCall", attr="callId"),
    department=one(_RATED + "-[:TO]->(y:Department)", "Department", attr="departmentId"),
    community=one(_RATED + "-[:PART_OF]->(:Whistle)-[:ABOUT]->" + _COMMUNITY, "Community", attr="communityId"),
)
ROUTING_DECISION = declare(RoutingDecision, "routing", reader="public").linking(
    need=one("(x)-[:ROUTES]->(y:Need)", "Need", attr="needId"),
    dutyItem=one("(x)-[:UNDER]->(y:DutyItem)", "DutyItem", attr="dutyItemId"),
)

KINDS = (WHISTLE, WHISTLE_CALL, DEPARTMENT_RATING, WHISTLE_RATING, ROUTING_DECISION)

# What the whistle lends the needs: the routing decision intake made, shown on the need itself.
LENT = {"Need": {"routing": one("(x)<-[:ROUTES]-(y:RoutingDecision)", "RoutingDecision", attr="routingId")}}
