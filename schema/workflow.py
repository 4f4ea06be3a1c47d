"""The order workflow (群众点单、社区派单、单位接单): raising, dispatching, accepting, completing,
time limits and escalation (限时办结, 吹哨), evaluation (谁呼谁评), and live events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from resolvers.kernel import read
from resolvers.needs import dispatch, duplicates, escalation, evaluation, open311, subscriptions
from resolvers.needs import intake as needs
from schema.needs import Assignment, Channel, Evaluation, Need, NeedEvent, Urgency
from schema.relay import KEY, as_dict


@strawberry.input(description="A resident's contact details; stored in full, shown masked to most viewers.")
class ResidentInput:
    name: str
    phone: str
    address: str = strawberry.field(description="Exact address: compound, building, unit, room.")


@strawberry.input
class SubmitNeedInput:
    title: str
    category_code: str = strawberry.field(description="e.g. SEWER")
    place_id: strawberry.ID = strawberry.field(description="The compound (小区) or community it is at.")
    description: str = ""
    urgency: Urgency | None = strawberry.field(default=None, description="NORMAL when left out.")
    people_needed: int = 1
    window_start: datetime | None = None
    window_end: datetime | None = None
    channel: Channel | None = strawberry.field(default=None, description="Required when staff file it; APP else.")
    resident_id: strawberry.ID | None = strawberry.field(default=None, description="Staff: a known resident.")
    resident: ResidentInput | None = strawberry.field(
        default=None, description="Staff: a new resident; a resident: their own details to store."
    )
    media_url: str | None = strawberry.field(
        default=None, description="A photo or file of the problem (http or https URL), as Open311's media_url."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class UpdateNeedInput:
    need_id: strawberry.ID
    title: str | None = None
    description: str | None = None
    category_code: str | None = None
    urgency: Urgency | None = None
    people_needed: int | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class NeedReasonInput:
    need_id: strawberry.ID
    reason: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Duplicates to close into one need.")
class MergeNeedsInput:
    into_id: strawberry.ID = strawberry.field(description="The need that stays (still open).")
    from_ids: list[strawberry.ID] = strawberry.field(
        description="Its duplicates, 1…20, not yet taken by a handler (SUBMITTED or DECLINED), of its category."
    )
    reason: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Where an Open311 request the door could not place belongs.")
class PlaceOpen311RequestInput:
    token: str = strawberry.field(description="The token the door answered with (unplacedRequests lists them).")
    place_id: strawberry.ID = strawberry.field(description="The compound or community it concerns.")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class NeedNoteInput:
    need_id: strawberry.ID
    note: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class NeedKeyInput:
    need_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class DispatchNeedInput:
    need_id: strawberry.ID
    handler_id: strawberry.ID = strawberry.field(description="A member, unit or offering id.")
    note: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class InviteCandidatesInput:
    need_id: strawberry.ID
    candidate_ids: list[strawberry.ID] = strawberry.field(
        description="Members, units or offerings; first to accept wins."
    )
    note: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class TransferNeedInput:
    need_id: strawberry.ID
    handler_id: strawberry.ID
    reason: str
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class SuspendNeedInput:
    need_id: strawberry.ID
    reason: str = strawberry.field(description="Why the clock stops (waiting for parts, a permit, the resident…).")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class ResumeNeedInput:
    need_id: strawberry.ID
    note: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class EscalateNeedInput:
    need_id: strawberry.ID
    reason: str = strawberry.field(description="Why this level cannot solve it; the level above reads it.")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class EvaluateInput:
    need_id: strawberry.ID
    rating: int = strawberry.field(description="1 (very dissatisfied) to 5 (very satisfied).")
    comment: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.type(description="The need after the change; `replayed` is true when an idempotency key matched.")
class NeedPayload:
    need: Need | None
    assignment: Assignment | None = None
    replayed: bool = False

    @strawberry.field(
        description="Open needs that look like this one: same category, same compound or community, raised within "
        "days of it, alike in text (most alike first). Worth a look before dispatching twice."
    )
    async def likely_duplicates(self, info: Info) -> list[Need]:
        if self.need is None:
            return []
        return [found.need for found in await duplicates.of_need(info.context, self.need)]


@strawberry.type
class EvaluationPayload:
    need: Need | None
    evaluation: Evaluation | None
    replayed: bool = False


async def _payload(info: Info, result: dict[str, Any]) -> NeedPayload:
    ctx = info.context
    need = await read.by_id(ctx, "Need", result["needId"])
    assignment = None
    assignment_id = result.get("assignmentId") or (result.get("assignmentIds") or [None])[0]
    if assignment_id:
        items = await needs.need_assignments(ctx, result["needId"])
        assignment = next((a for a in items if a.id == assignment_id), None)
    return NeedPayload(need=need, assignment=assignment, replayed=bool(result.get("replayed")))


async def _evaluation_payload(info: Info, result: dict[str, Any]) -> EvaluationPayload:
    need = await read.by_id(info.context, "Need", result["needId"])
    found = await read.by_id(info.context, "Evaluation", result["evaluationId"])
    return EvaluationPayload(need=need, evaluation=found, replayed=bool(result.get("replayed")))


@strawberry.type
class WorkflowMutation:
    @strawberry.mutation(
        description="Raise a need (群众点单): a resident for themself, or staff on a resident's behalf."
    )
    async def submit_need(self, info: Info, input: SubmitNeedInput) -> NeedPayload:
        return await _payload(info, await needs.submit_need(info.context, as_dict(input)))

    @strawberry.mutation(description="Edit a need before it is dispatched (SUBMITTED or DECLINED).")
    async def update_need(self, info: Info, input: UpdateNeedInput) -> NeedPayload:
        return await _payload(info, await needs.update_need(info.context, as_dict(input)))

    @strawberry.mutation(description="Withdraw a need nobody has accepted yet.")
    async def cancel_need(self, info: Info, input: NeedReasonInput) -> NeedPayload:
        return await _payload(info, await needs.cancel_need(info.context, as_dict(input)))

    @strawberry.mutation(
        description="Close duplicates into one need (coordinators in scope): they become CANCELLED and merged into "
        "it, their requesters follow it, both trails record it, and stats count it once."
    )
    async def merge_needs(self, info: Info, input: MergeNeedsInput) -> NeedPayload:
        return await _payload(info, await duplicates.merge_needs(info.context, as_dict(input)))

    @strawberry.mutation(
        description="Place an Open311 request the door could not place (coordinators and admins of the place): "
        "the need is filed as the door would have filed it, and GET tokens/{token} then answers its id."
    )
    async def place_open311_request(self, info: Info, input: PlaceOpen311RequestInput) -> NeedPayload:
        return await _payload(info, await open311.place_request(info.context, as_dict(input)))

    @strawberry.mutation(description="Not solved after all: back to the same handler with a new completion deadline.")
    async def reopen_need(self, info: Info, input: NeedReasonInput) -> NeedPayload:
        return await _payload(info, await needs.reopen_need(info.context, as_dict(input)))

    @strawberry.mutation(description="派单: offer the need to one member, unit or offering; it accepts or declines.")
    async def dispatch_need(self, info: Info, input: DispatchNeedInput) -> NeedPayload:
        return await _payload(info, await dispatch.dispatch_need(info.context, as_dict(input)))

    @strawberry.mutation(description="抢单: open the need to every member registered with its community; first wins.")
    async def open_need_for_claim(self, info: Info, input: NeedNoteInput) -> NeedPayload:
        return await _payload(info, await dispatch.open_need_for_claim(info.context, as_dict(input)))

    @strawberry.mutation(description="Invite several candidates; the first to accept wins, the others lapse.")
    async def invite_candidates(self, info: Info, input: InviteCandidatesInput) -> NeedPayload:
        return await _payload(info, await dispatch.invite_candidates(info.context, as_dict(input)))

    @strawberry.mutation(description="接单: take a need offered to you (within your maximum load).")
    async def accept_need(self, info: Info, input: NeedKeyInput) -> NeedPayload:
        return await _payload(info, await dispatch.accept_need(info.context, as_dict(input)))

    @strawberry.mutation(description="Decline a need offered to you, with a reason.")
    async def decline_need(self, info: Info, input: NeedReasonInput) -> NeedPayload:
        return await _payload(info, await dispatch.decline_need(info.context, as_dict(input)))

    @strawberry.mutation(description="Start work on a need you accepted.")
    async def start_need(self, info: Info, input: NeedNoteInput) -> NeedPayload:
        return await _payload(info, await dispatch.start_need(info.context, as_dict(input)))

    @strawberry.mutation(description="Report a need done, with a note of what was done.")
    async def complete_need(self, info: Info, input: NeedNoteInput) -> NeedPayload:
        return await _payload(info, await dispatch.complete_need(info.context, as_dict(input)))

    @strawberry.mutation(description="Move a need to another member, unit or offering, with a reason.")
    async def transfer_need(self, info: Info, input: TransferNeedInput) -> NeedPayload:
        return await _payload(info, await dispatch.transfer_need(info.context, as_dict(input)))

    @strawberry.mutation(description="限时办结: pause the need's clock, with a reason (coordinators in scope).")
    async def suspend_need(self, info: Info, input: SuspendNeedInput) -> NeedPayload:
        return await _payload(info, await escalation.suspend_need(info.context, as_dict(input)))

    @strawberry.mutation(description="Restart a suspended need's clock with the time it had left.")
    async def resume_need(self, info: Info, input: ResumeNeedInput) -> NeedPayload:
        return await _payload(info, await escalation.resume_need(info.context, as_dict(input)))

    @strawberry.mutation(
        description="吹哨: hand a need this level cannot solve to the level above (community → street → district)."
    )
    async def escalate_need(self, info: Info, input: EscalateNeedInput) -> NeedPayload:
        return await _payload(info, await escalation.escalate_need(info.context, as_dict(input)))

    @strawberry.mutation(description="谁呼谁评: the resident who raised a completed need rates it (1–5).")
    async def evaluate_need(self, info: Info, input: EvaluateInput) -> EvaluationPayload:
        return await _evaluation_payload(info, await evaluation.evaluate_need(info.context, as_dict(input)))

    @strawberry.mutation(description="谁应评谁: the coordinator who dispatched a need rates how it was handled.")
    async def evaluate_handling(self, info: Info, input: EvaluateInput) -> EvaluationPayload:
        return await _evaluation_payload(info, await evaluation.evaluate_handling(info.context, as_dict(input)))


@strawberry.type
class WorkflowSubscription:
    @strawberry.subscription(
        description="Every event of needs at or below a place in your scope (coordinators, admins)."
    )
    async def need_events(self, info: Info, scope_id: strawberry.ID) -> AsyncGenerator[NeedEvent, None]:
        async for event in subscriptions.need_events(info.context, str(scope_id)):
            yield event

    @strawberry.subscription(description="Events of needs offered to or held by you (members, unit admins).")
    async def my_assignments(self, info: Info) -> AsyncGenerator[NeedEvent, None]:
        async for event in subscriptions.my_assignments(info.context):
            yield event

    @strawberry.subscription(
        description="Events of needs you raised or follow (residents): a need of yours merged into another "
        "brings you that one's events."
    )
    async def my_needs(self, info: Info) -> AsyncGenerator[NeedEvent, None]:
        async for event in subscriptions.my_needs(info.context):
            yield event
