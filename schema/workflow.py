"""The order workflow (群众点单、社区派单、单位接单): raising, dispatching, accepting, completing,
time limits and escalation (限时办结, 吹哨), evaluation (谁呼谁评), and live events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from functools import partial
from typing import Any

import strawberry
from strawberry.types import Info

from graph.whistle import kinds as whistle
from resolvers.kernel import read
from resolvers.needs import dispatch, duplicates, escalation, evaluation, forms, open311, subscriptions
from resolvers.needs import intake as needs
from schema.derive import input_of, mutation_field, mutation_input, node_type
from schema.needs import Assignment, Evaluation, Need, NeedEvent
from schema.relay import Node

# Inputs several mutations share, each the input of the form they have in common; every other
# mutation's input is its own form's (`mutation_field`).
NeedKeyInput = mutation_input(forms.NeedRef, "NeedKeyInput")
NeedNoteInput = mutation_input(forms.NeedNote, "NeedNoteInput")
NeedReasonInput = mutation_input(forms.NeedReason, "NeedReasonInput")
EvaluateInput = mutation_input(forms.Evaluate, "EvaluateInput")
input_of(forms.ResidentDetails, "ResidentInput")


@node_type(whistle.WHISTLE_CALL)
class WhistleCall(Node):
    """吹哨报到 (issue 22 §2): what a department's call shows beyond its data; the whistle, its calls' mutations,
    their ratings and routing decisions are derived from the declarations."""

    @strawberry.field(description="Past its response limit (no 报到) or its completion limit (no 反馈), clock running.")
    def overdue(self, info: Info) -> bool:
        return whistle.call_overdue(self.status, self.paused_at, self.respond_by, self.complete_by, info.context.now)


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
        needs.submit_need, "Raise a need (群众点单): a resident for themself, or staff on a resident's behalf."
    )

    update_need = _need_mutation(needs.update_need, "Edit a need before it is dispatched (SUBMITTED or DECLINED).")

    cancel_need = _need_mutation(needs.cancel_need, "Withdraw a need nobody has accepted yet.", input=NeedReasonInput)

    merge_needs = _need_mutation(
        duplicates.merge_needs,
        "Close duplicates into one need (coordinators in scope): they become CANCELLED and merged into "
        "it, their requesters follow it, both trails record it, and stats count it once.",
    )

    place_open311_request = _need_mutation(
        open311.place_request,
        "Place an Open311 request the door could not place (coordinators and admins of the place): "
        "the need is filed as the door would have filed it, and GET tokens/{token} then answers its id.",
    )

    reopen_need = _need_mutation(
        needs.reopen_need,
        "Not solved after all: back to the same handler with a new completion deadline.",
        input=NeedReasonInput,
    )

    dispatch_need = _need_mutation(
        dispatch.dispatch_need, "派单: offer the need to one member, unit or offering; it accepts or declines."
    )

    open_need_for_claim = _need_mutation(
        dispatch.open_need_for_claim,
        "抢单: open the need to every member registered with its community; first wins.",
        input=NeedNoteInput,
    )

    invite_candidates = _need_mutation(
        dispatch.invite_candidates, "Invite several candidates; the first to accept wins, the others lapse."
    )

    accept_need = _need_mutation(
        dispatch.accept_need, "接单: take a need offered to you (within your maximum load).", input=NeedKeyInput
    )

    decline_need = _need_mutation(
        dispatch.decline_need, "Decline a need offered to you, with a reason.", input=NeedReasonInput
    )

    start_need = _need_mutation(dispatch.start_need, "Start work on a need you accepted.", input=NeedNoteInput)

    complete_need = _need_mutation(
        dispatch.complete_need, "Report a need done, with a note of what was done.", input=NeedNoteInput
    )

    transfer_need = _need_mutation(
        dispatch.transfer_need, "Move a need to another member, unit or offering, with a reason."
    )

    suspend_need = _need_mutation(
        escalation.suspend_need, "限时办结: pause the need's clock, with a reason (coordinators in scope)."
    )

    resume_need = _need_mutation(escalation.resume_need, "Restart a suspended need's clock with the time it had left.")

    escalate_need = _need_mutation(
        escalation.escalate_need,
        "吹哨: hand a need this level cannot solve to the level above (community → street → district).",
    )

    evaluate_need = mutation_field(
        _evaluation_payload,
        evaluation.evaluate_need,
        "谁呼谁评: the resident who raised a completed need rates it (1–5).",
        input=EvaluateInput,
    )

    evaluate_handling = mutation_field(
        _evaluation_payload,
        evaluation.evaluate_handling,
        "谁应评谁: the coordinator who dispatched a need rates how it was handled.",
        input=EvaluateInput,
    )


@strawberry.type
class WorkflowSubscription:
    @strawberry.subscription(
        description="Every event of needs at or below a place in your scope (coordinators, admins)."
    )
    async def need_events(self, info: Info, scope_id: strawberry.ID) -> AsyncGenerator[NeedEvent, None]:
        async for event in subscriptions.need_events(info.context, str(scope_id)):
            yield event

    @strawberry.subscription(
        description="Events of needs offered to or held by you (members, unit admins), or whistled to your "
        "department (department staff: 吹哨报到)."
    )
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
