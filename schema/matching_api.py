"""Matching's GraphQL surface: candidates, venues and bookings, grants, dispatch plans."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graph.kernel.records import from_row
from resolvers.funding import grants
from resolvers.kernel import read
from resolvers.needs import candidates as matching_api
from resolvers.plans import plans
from resolvers.venues import booking
from schema.common import Fen
from schema.types import FundingProgram, Member, Need, Offering, Venue

KEY = "Send the same key again to retry safely: the first result is returned and nothing changes twice."

Resource = Annotated[
    Member | Offering | Venue | FundingProgram,
    strawberry.union("Resource", description="What a need is matched to (an offering leads to its unit)."),
]
_LABEL_BY_PREFIX = {"member": "Member", "offering": "Offering", "venue": "Venue", "program": "FundingProgram"}


@strawberry.enum(description="What a need can be matched to.")
class CandidateKind(Enum):
    MEMBER = "MEMBER"
    UNIT = "UNIT"
    VENUE = "VENUE"
    FUNDING = "FUNDING"


@strawberry.type(description="One factor of a score: contribution = value × weight; a score is the sum of its parts.")
class ScorePart:
    factor: str
    value: float
    weight: float
    contribution: float
    note: str | None = strawberry.field(
        default=None, description="How the value came about where the number alone does not say (Chinese)."
    )


@strawberry.type(description="A ranked candidate for a need, with why it ranks where it does.")
class Candidate:
    kind: CandidateKind
    score: float = strawberry.field(description="0–1; the sum of the parts' contributions.")
    parts: list[ScorePart]
    reason: str = strawberry.field(description="One readable sentence (Chinese).")
    resource: Resource


@strawberry.input(description="A time window [start, end); a time without offset is Xi'an time (UTC+8).")
class WindowInput:
    start: datetime
    end: datetime


@strawberry.input(description="Search centre: a place id or a point, and how far to look.")
class NearInput:
    place_id: strawberry.ID | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float = 5.0


@strawberry.type(description="A venue free for the whole window, scored for the search.")
class VenueOption:
    venue: Venue
    score: float
    parts: list[ScorePart]
    reason: str
    distance_km: float | None
    fee_for_window: Fen = strawberry.field(description="Fee for the whole window, in fen.")


@strawberry.type(description="A confirmed or cancelled booking of a venue.")
class Booking:
    id: strawberry.ID
    start: datetime
    end: datetime
    status: str
    purpose: str | None = None
    series_id: str | None = None
    booked_by: str | None = None
    venue_id: strawberry.ID
    need_id: strawberry.ID | None = None

    @strawberry.field
    async def venue(self, info: Info) -> Venue | None:
        return await read.by_id(info.context, "Venue", self.venue_id)

    @strawberry.field
    async def need(self, info: Info) -> Need | None:
        return await read.by_id(info.context, "Need", self.need_id)

    @classmethod
    def of(cls, row: dict[str, Any]) -> Booking:
        return from_row(cls, row)


@strawberry.type
class BookingPayload:
    booking: Booking | None
    replayed: bool = False


@strawberry.type(description="A date of a series that was not booked, and the booking it clashes with.")
class SkippedOccurrence:
    start: datetime
    end: datetime
    clashing_booking_id: strawberry.ID


@strawberry.type
class BookingSeriesPayload:
    series_id: str | None
    bookings: list[Booking]
    skipped: list[SkippedOccurrence]
    replayed: bool = False


@strawberry.type(description="A grant from a funding program; amounts in fen.")
class Grant:
    id: strawberry.ID
    amount: Fen
    status: str
    purpose: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None
    created_at: datetime | None = None
    program_id: strawberry.ID
    need_id: strawberry.ID | None = None

    @strawberry.field
    async def program(self, info: Info) -> FundingProgram | None:
        return await read.by_id(info.context, "FundingProgram", self.program_id)

    @strawberry.field
    async def need(self, info: Info) -> Need | None:
        return await read.by_id(info.context, "Need", self.need_id)

    @classmethod
    def of(cls, row: dict[str, Any]) -> Grant:
        return from_row(cls, row)


@strawberry.type
class GrantPayload:
    grant: Grant | None
    replayed: bool = False


@strawberry.type(description="One (need, handler) pair of a plan, with its score and reason.")
class PlanPair:
    kind: CandidateKind
    score: float
    reason: str
    need_id: strawberry.ID
    resource_id: strawberry.ID

    @strawberry.field
    async def need(self, info: Info) -> Need | None:
        return await read.by_id(info.context, "Need", self.need_id)

    @strawberry.field
    async def resource(self, info: Info) -> Resource | None:
        label = _LABEL_BY_PREFIX.get(str(self.resource_id).split(":")[0])
        return await read.by_id(info.context, label, self.resource_id) if label else None


@strawberry.type(description="A pair of a plan that was not dispatched at commit, and why.")
class SkippedPair:
    need_id: strawberry.ID
    resource_id: strawberry.ID
    why: str


@strawberry.type(description="An optimal batch assignment of a scope's open needs (min-cost flow), vs greedy.")
class DispatchPlan:
    id: strawberry.ID
    scope_id: str
    status: str = strawberry.field(description="PROPOSED, then COMMITTED.")
    created_at: datetime | None
    committed_at: datetime | None
    objective: float = strawberry.field(description="Σ scores − fairness costs of the plan.")
    greedy_objective: float = strawberry.field(description="The same objective for first-come greedy assignment.")
    needs_considered: int
    needs_served: int
    greedy_needs_served: int
    members_used: int = strawberry.field(description="Distinct members in the plan.")
    resources_used: int = strawberry.field(description="Distinct members and offerings in the plan.")
    pair_rows: strawberry.Private[list[dict[str, Any]]]
    report: strawberry.Private[dict[str, Any] | None]

    @strawberry.field(description="How much better than greedy, as a share of greedy's objective.")
    def improvement(self) -> float:
        return (self.objective - self.greedy_objective) / self.greedy_objective if self.greedy_objective else 0.0

    @strawberry.field(description="The plan's pairs, needs in plan order.")
    def pairs(self, first: int | None = None) -> list[PlanPair]:
        rows = self.pair_rows if first is None else self.pair_rows[: max(first, 0)]
        return [
            PlanPair(
                kind=r["kind"],
                score=r["score"],
                reason=r["reason"],
                need_id=r["needId"],
                resource_id=r["resourceId"],
            )
            for r in rows
        ]

    @strawberry.field(description="After commit: how many pairs were dispatched.")
    def dispatched_count(self) -> int | None:
        return len(self.report["dispatched"]) if self.report else None

    @strawberry.field(description="After commit: pairs skipped because the need or handler changed.")
    def skipped(self) -> list[SkippedPair]:
        rows = self.report["skipped"] if self.report else []
        return [SkippedPair(need_id=r["needId"], resource_id=r["resourceId"], why=r["why"]) for r in rows]

    @classmethod
    def of(cls, plan: dict[str, Any]) -> DispatchPlan:
        return cls(
            id=plan["id"],
            scope_id=plan["scopeId"],
            status=plan["status"],
            created_at=plan.get("createdAt"),
            committed_at=plan.get("committedAt"),
            objective=plan["objective"],
            greedy_objective=plan["greedyObjective"],
            needs_considered=plan["needsConsidered"],
            needs_served=plan["needsServed"],
            greedy_needs_served=plan["greedyNeedsServed"],
            members_used=plan["membersUsed"],
            resources_used=plan["resourcesUsed"],
            pair_rows=plan["pairs"],
            report=plan.get("report"),
        )


@strawberry.type
class DispatchPlanPayload:
    plan: DispatchPlan | None
    replayed: bool = False


# --- inputs ------------------------------------------------------------------------------------


@strawberry.input
class BookVenueInput:
    venue_id: strawberry.ID
    window: WindowInput
    need_id: strawberry.ID | None = None
    purpose: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="The same window every week: `window` is the first occurrence.")
class BookVenueSeriesInput:
    venue_id: strawberry.ID
    window: WindowInput
    weeks: int = strawberry.field(description="How many weekly occurrences (1–52).")
    skip_clashes: bool = strawberry.field(
        default=False, description="false: all or nothing; true: book the free dates and report the others."
    )
    need_id: strawberry.ID | None = None
    purpose: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class CancelBookingInput:
    booking_id: strawberry.ID
    reason: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class RequestGrantInput:
    need_id: strawberry.ID
    program_id: strawberry.ID
    amount: Fen = strawberry.field(description="In fen (1/100 yuan), above 0 and within the cap per grant.")
    purpose: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class GrantDecisionInput:
    grant_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Required to reject.")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class ProposeDispatchPlanInput:
    scope_id: strawberry.ID = strawberry.field(description="A district, street or community id, or 'city'.")
    need_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these open needs (default: every SUBMITTED or DECLINED need of the scope)."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class CommitDispatchPlanInput:
    plan_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


# --- payload builders --------------------------------------------------------------------------


async def _booking_payload(info: Info, result: dict[str, Any]) -> BookingPayload:
    rows = await booking.bookings(info.context, result["bookingIds"])
    return BookingPayload(booking=Booking.of(rows[0]) if rows else None, replayed=bool(result.get("replayed")))


async def _grant_payload(info: Info, result: dict[str, Any]) -> GrantPayload:
    rows = await grants.grants(info.context, [result["grantId"]])
    return GrantPayload(grant=Grant.of(rows[0]) if rows else None, replayed=bool(result.get("replayed")))


def _window(w: WindowInput) -> tuple[datetime, datetime]:
    return w.start, w.end


@strawberry.type
class MatchingQuery:
    @strawberry.field(description="Ranked, explained candidates for a need, best first within each kind.")
    async def match_candidates(
        self, info: Info, need_id: strawberry.ID, kinds: list[CandidateKind] | None = None, first: int = 10
    ) -> list[Candidate]:
        found = await matching_api.match_candidates(info.context, str(need_id), kinds, first)
        return [
            Candidate(
                kind=c.kind,  # enums serialise from their stored string values
                score=c.score,
                parts=[
                    ScorePart(factor=p.factor, value=p.value, weight=p.weight, contribution=p.contribution, note=p.note)
                    for p in c.parts
                ],
                reason=c.reason,
                resource=c.resource,
            )
            for c in found
        ]

    @strawberry.field(description="Programs covering the need's category and district with budget left, best first.")
    async def eligible_programs(self, info: Info, need_id: strawberry.ID, first: int = 100) -> list[Candidate]:
        found = await matching_api.eligible_programs(info.context, str(need_id), first)
        return [
            Candidate(
                kind=CandidateKind.FUNDING.value,
                score=c.score,
                parts=[
                    ScorePart(factor=p.factor, value=p.value, weight=p.weight, contribution=p.contribution, note=p.note)
                    for p in c.parts
                ],
                reason=c.reason,
                resource=c.resource,
            )
            for c in found
        ]

    @strawberry.field(description="Venues open for the whole window, big enough, equipped, within the fee, not booked.")
    async def available_venues(
        self,
        info: Info,
        window: WindowInput,
        capacity: int | None = None,
        facilities: list[str] | None = None,
        near: NearInput | None = None,
        max_fee: Fen | None = None,
        first: int = 20,
    ) -> list[VenueOption]:
        near_dict = None
        if near is not None:
            near_dict = {
                "place_id": near.place_id,
                "latitude": near.latitude,
                "longitude": near.longitude,
                "radius_km": near.radius_km,
            }
        found = await booking.available_venues(
            info.context, window.start, window.end, capacity, facilities, near_dict, max_fee, first
        )
        return [
            VenueOption(
                venue=o.venue,
                score=o.score,
                parts=[
                    ScorePart(factor=p.factor, value=p.value, weight=p.weight, contribution=p.contribution, note=p.note)
                    for p in o.parts
                ],
                reason=o.reason,
                distance_km=o.distance_km,
                fee_for_window=o.fee_for_window,
            )
            for o in found
        ]

    @strawberry.field(description="A stored dispatch plan.")
    async def dispatch_plan(self, info: Info, id: strawberry.ID) -> DispatchPlan:
        return DispatchPlan.of(await plans.dispatch_plan(info.context, str(id)))


@strawberry.type
class MatchingMutation:
    @strawberry.mutation(description="Book a venue for one window; CONFLICT names the clashing booking.")
    async def book_venue(self, info: Info, input: BookVenueInput) -> BookingPayload:
        start, end = _window(input.window)
        result = await booking.book_venue(
            info.context,
            str(input.venue_id),
            start,
            end,
            str(input.need_id) if input.need_id else None,
            input.purpose,
            input.idempotency_key,
        )
        return await _booking_payload(info, result)

    @strawberry.mutation(description="Book the same window weekly; all or nothing unless skipClashes.")
    async def book_venue_series(self, info: Info, input: BookVenueSeriesInput) -> BookingSeriesPayload:
        start, end = _window(input.window)
        result = await booking.book_venue_series(
            info.context,
            str(input.venue_id),
            start,
            end,
            input.weeks,
            input.skip_clashes,
            str(input.need_id) if input.need_id else None,
            input.purpose,
            input.idempotency_key,
        )
        rows = await booking.bookings(info.context, result["bookingIds"])
        skipped = [
            SkippedOccurrence(
                start=datetime.fromisoformat(s["start"]),
                end=datetime.fromisoformat(s["end"]),
                clashing_booking_id=s["bookingId"],
            )
            for s in result.get("skipped", [])
        ]
        return BookingSeriesPayload(
            series_id=result.get("seriesId"),
            bookings=[Booking.of(r) for r in rows],
            skipped=skipped,
            replayed=bool(result.get("replayed")),
        )

    @strawberry.mutation(description="Cancel a confirmed booking: the time is free again.")
    async def cancel_booking(self, info: Info, input: CancelBookingInput) -> BookingPayload:
        result = await booking.cancel_booking(info.context, str(input.booking_id), input.reason, input.idempotency_key)
        return await _booking_payload(info, result)

    @strawberry.mutation(description="Ask a funding program for money for a need (coordinators).")
    async def request_grant(self, info: Info, input: RequestGrantInput) -> GrantPayload:
        result = await grants.request_grant(
            info.context, str(input.need_id), str(input.program_id), input.amount, input.purpose, input.idempotency_key
        )
        return await _grant_payload(info, result)

    @strawberry.mutation(description="Approve a requested grant: never past the cap or the program's budget.")
    async def approve_grant(self, info: Info, input: GrantDecisionInput) -> GrantPayload:
        result = await grants.approve_grant(info.context, str(input.grant_id), input.idempotency_key)
        return await _grant_payload(info, result)

    @strawberry.mutation(description="Reject a requested grant, with a reason.")
    async def reject_grant(self, info: Info, input: GrantDecisionInput) -> GrantPayload:
        result = await grants.reject_grant(info.context, str(input.grant_id), input.reason, input.idempotency_key)
        return await _grant_payload(info, result)

    @strawberry.mutation(description="Plan the best assignment of a scope's open needs (min-cost flow), vs greedy.")
    async def propose_dispatch_plan(self, info: Info, input: ProposeDispatchPlanInput) -> DispatchPlanPayload:
        ids = [str(n) for n in input.need_ids] if input.need_ids is not None else None
        plan = await plans.propose_dispatch_plan(info.context, str(input.scope_id), ids, input.idempotency_key)
        return DispatchPlanPayload(plan=DispatchPlan.of(plan), replayed=plan.get("replayed", False))

    @strawberry.mutation(description="Dispatch a proposed plan's pairs; changed pairs are skipped and reported.")
    async def commit_dispatch_plan(self, info: Info, input: CommitDispatchPlanInput) -> DispatchPlanPayload:
        result = await plans.commit_dispatch_plan(info.context, str(input.plan_id), input.idempotency_key)
        plan = await plans.dispatch_plan(info.context, result["planId"])
        return DispatchPlanPayload(plan=DispatchPlan.of(plan), replayed=bool(result.get("replayed")))
