"""The order workflow (群众点单、社区派单、单位接单): raising, dispatching, accepting, completing,
time limits and escalation (限时办结, 吹哨), evaluation (谁呼谁评), and live events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from functools import partial
from typing import Any

import strawberry
from strawberry.types import Info

from resolvers.kernel import read
from resolvers.needs import dispatch, duplicates, escalation, evaluation, open311, subscriptions
from resolvers.needs import intake as needs
from schema.mutations import MutationInput, mutation_field
from schema.needs import Assignment, Channel, Evaluation, Need, NeedEvent, Urgency


@strawberry.input
class NeedKeyInput(MutationInput):
    need_id: strawberry.ID


@strawberry.input(description="A resident's contact details; stored in full, shown masked to most viewers.")
class ResidentInput:
    name: str
    phone: str | None = strawberry.field(default=None, description="To call back; a phone or an email, or neither.")
    email: str | None = strawberry.field(default=None, description="To write back when there is no phone.")
    address: str = strawberry.field(description="Exact address: compound, building, unit, room.")


@strawberry.input
class SubmitNeedInput(MutationInput):
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


@strawberry.input
class UpdateNeedInput(NeedKeyInput):
    title: str | None = None
    description: str | None = None
    category_code: str | None = None
    urgency: Urgency | None = None
    people_needed: int | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None


@strawberry.input
class NeedReasonInput(NeedKeyInput):
    reason: str | None = None


@strawberry.input(description="Duplicates to close into one need.")
class MergeNeedsInput(MutationInput):
    into_id: strawberry.ID = strawberry.field(description="The need that stays (still open).")
    from_ids: list[strawberry.ID] = strawberry.field(
        description="Its duplicates, 1…20, not yet taken by a handler (SUBMITTED or DECLINED), of its category."
    )
    reason: str | None = None


@strawberry.input(description="Where an Open311 request the door could not place belongs.")
class PlaceOpen311RequestInput(MutationInput):
    token: str = strawberry.field(description="The token the door answered with (unplacedRequests lists them).")
    place_id: strawberry.ID = strawberry.field(description="The compound or community it concerns.")


@strawberry.input
class NeedNoteInput(NeedKeyInput):
    note: str | None = None


@strawberry.input
class DispatchNeedInput(NeedKeyInput):
    handler_id: strawberry.ID = strawberry.field(description="A member, unit or offering id.")
    note: str | None = None


@strawberry.input
class InviteCandidatesInput(NeedKeyInput):
    candidate_ids: list[strawberry.ID] = strawberry.field(
        description="Members, units or offerings; first to accept wins."
    )
    note: str | None = None


@strawberry.input
class TransferNeedInput(NeedKeyInput):
    handler_id: strawberry.ID
    reason: str


@strawberry.input
class SuspendNeedInput(NeedKeyInput):
    reason: str = strawberry.field(description="Why the clock stops (waiting for parts, a permit, the resident…).")


@strawberry.input
class ResumeNeedInput(NeedKeyInput):
    note: str | None = None


@strawberry.input
class EscalateNeedInput(NeedKeyInput):
    reason: str = strawberry.field(description="Why this level cannot solve it; the level above reads it.")


@strawberry.input
class EvaluateInput(NeedKeyInput):
    rating: int = strawberry.field(description="1 (very dissatisfied) to 5 (very satisfied).")
    comment: str | None = None


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


_need_mutation = partial(mutation_field, _payload)


@strawberry.type
class WorkflowMutation:
    submit_need = _need_mutation(
        needs.submit_need,
        SubmitNeedInput,
        "Raise a need (群众点单): a resident for themself, or staff on a resident's behalf.",
    )

    update_need = _need_mutation(
        needs.update_need, UpdateNeedInput, "Edit a need before it is dispatched (SUBMITTED or DECLINED)."
    )

    cancel_need = _need_mutation(needs.cancel_need, NeedReasonInput, "Withdraw a need nobody has accepted yet.")

    merge_needs = _need_mutation(
        duplicates.merge_needs,
        MergeNeedsInput,
        "Close duplicates into one need (coordinators in scope): they become CANCELLED and merged into "
        "it, their requesters follow it, both trails record it, and stats count it once.",
    )

    place_open311_request = _need_mutation(
        open311.place_request,
        PlaceOpen311RequestInput,
        "Place an Open311 request the door could not place (coordinators and admins of the place): "
        "the need is filed as the door would have filed it, and GET tokens/{token} then answers its id.",
    )

    reopen_need = _need_mutation(
        needs.reopen_need,
        NeedReasonInput,
        "Not solved after all: back to the same handler with a new completion deadline.",
    )

    dispatch_need = _need_mutation(
        dispatch.dispatch_need,
        DispatchNeedInput,
        "派单: offer the need to one member, unit or offering; it accepts or declines.",
    )

    open_need_for_claim = _need_mutation(
        dispatch.open_need_for_claim,
        NeedNoteInput,
        "抢单: open the need to every member registered with its community; first wins.",
    )

    invite_candidates = _need_mutation(
        dispatch.invite_candidates,
        InviteCandidatesInput,
        "Invite several candidates; the first to accept wins, the others lapse.",
    )

    accept_need = _need_mutation(
        dispatch.accept_need, NeedKeyInput, "接单: take a need offered to you (within your maximum load)."
    )

    decline_need = _need_mutation(
        dispatch.decline_need, NeedReasonInput, "Decline a need offered to you, with a reason."
    )

    start_need = _need_mutation(dispatch.start_need, NeedNoteInput, "Start work on a need you accepted.")

    complete_need = _need_mutation(
        dispatch.complete_need, NeedNoteInput, "Report a need done, with a note of what was done."
    )

    transfer_need = _need_mutation(
        dispatch.transfer_need, TransferNeedInput, "Move a need to another member, unit or offering, with a reason."
    )

    suspend_need = _need_mutation(
        escalation.suspend_need,
        SuspendNeedInput,
        "限时办结: pause the need's clock, with a reason (coordinators in scope).",
    )

    resume_need = _need_mutation(
        escalation.resume_need, ResumeNeedInput, "Restart a suspended need's clock with the time it had left."
    )

    escalate_need = _need_mutation(
        escalation.escalate_need,
        EscalateNeedInput,
        "吹哨: hand a need this level cannot solve to the level above (community → street → district).",
    )

    evaluate_need = mutation_field(
        _evaluation_payload,
        evaluation.evaluate_need,
        EvaluateInput,
        "谁呼谁评: the resident who raised a completed need rates it (1–5).",
    )

    evaluate_handling = mutation_field(
        _evaluation_payload,
        evaluation.evaluate_handling,
        EvaluateInput,
        "谁应评谁: the coordinator who dispatched a need rates how it was handled.",
    )


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
