"""The order workflow's GraphQL surface: needs' lifecycle, dispatch and acceptance, `me`, live events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from graph.needs import kinds as needs_kinds
from graph.needs.kinds import Assignment as AssignmentRecord
from graph.needs.kinds import Resident as ResidentRecord
from resolvers.accounts import me
from resolvers.accounts.me import Me as MeRecord
from resolvers.kernel import read
from resolvers.needs import dispatch, subscriptions
from resolvers.needs import intake as needs
from schema.common import Node, model_type
from schema.enums import Channel, Urgency
from schema.types import Member, Need

KEY = "Send the same key again to retry safely: the first result is returned and nothing changes twice."


@strawberry.enum(description="Where an offer of a need to one handler stands.")
class AssignmentStatus(Enum):
    INVITED = "INVITED"
    OPEN_CLAIM = "OPEN_CLAIM"
    ACTIVE = "ACTIVE"
    DECLINED = "DECLINED"
    LAPSED = "LAPSED"
    TRANSFERRED = "TRANSFERRED"
    COMPLETED = "COMPLETED"


@strawberry.type(description="One entry of a need's audit trail: who moved it, from where, to where, why.")
@model_type(needs_kinds.Event)
class NeedEvent:
    id: strawberry.ID
    at: datetime
    type: str
    actor_id: str
    role: str
    from_state: str | None
    to_state: str | None
    note: str | None
    need_id: strawberry.ID | None

    @strawberry.field
    async def need(self, info: Info) -> Need | None:
        return await read.by_id(info.context, "Need", self.need_id)


@strawberry.type(description="The resident who raised a need; phone and address masked unless you may see them.")
@model_type(ResidentRecord)
class Resident:
    id: strawberry.ID
    name: str | None
    phone: str | None
    address: str | None


@strawberry.type(description="An offer of a need to one handler (member, unit or offering), and its outcome.")
@model_type(AssignmentRecord)
class Assignment:
    id: strawberry.ID
    status: AssignmentStatus
    note: str | None
    accepted_at: datetime | None
    completed_at: datetime | None
    created_at: datetime | None

    @strawberry.field(description="The member, unit or offering it is addressed to.")
    async def handler(self, info: Info) -> Node | None:
        return await read.node(info.context, self.target_id)

    @strawberry.field
    async def need(self, info: Info) -> Need | None:
        return await read.by_id(info.context, "Need", self.need_id)


@strawberry.type(description="Who you are, and what is yours.")
@model_type(MeRecord)
class Me:
    subject: str
    role: str
    scope_id: str | None
    member: Member | None = strawberry.field(description="Your member record (MEMBER).")
    open_assignments: list[Assignment] = strawberry.field(description="Offered to or held by you (MEMBER, UNIT_ADMIN).")
    needs: list[Need] = strawberry.field(description="Needs you raised, newest first (RESIDENT).")


# --- inputs ----------------------------------------------------------------------------------


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


@strawberry.type(description="The need after the change; `replayed` is true when an idempotency key matched.")
class NeedPayload:
    need: Need | None
    assignment: Assignment | None = None
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


def _fields(value: Any, *skip: str) -> dict[str, Any]:
    from schema.inputs import as_dict

    data = as_dict(value) or {}
    return {k: v for k, v in data.items() if k not in skip}


@strawberry.type
class WorkflowMutation:
    @strawberry.mutation(
        description="Raise a need (群众点单): a resident for themself, or staff on a resident's behalf."
    )
    async def submit_need(self, info: Info, input: SubmitNeedInput) -> NeedPayload:
        data = _fields(input, "idempotency_key")
        if input.resident is not None:
            data["resident"] = _fields(input.resident)
        return await _payload(info, await needs.submit_need(info.context, data, input.idempotency_key))

    @strawberry.mutation(description="Edit a need before it is dispatched (SUBMITTED or DECLINED).")
    async def update_need(self, info: Info, input: UpdateNeedInput) -> NeedPayload:
        data = _fields(input, "idempotency_key", "need_id")
        return await _payload(info, await needs.update_need(info.context, input.need_id, data, input.idempotency_key))

    @strawberry.mutation(description="Withdraw a need nobody has accepted yet.")
    async def cancel_need(self, info: Info, input: NeedReasonInput) -> NeedPayload:
        ctx = info.context
        return await _payload(info, await needs.cancel_need(ctx, input.need_id, input.reason, input.idempotency_key))

    @strawberry.mutation(description="Not solved after all: back to the same handler with a new completion deadline.")
    async def reopen_need(self, info: Info, input: NeedReasonInput) -> NeedPayload:
        ctx = info.context
        return await _payload(
            info, await needs.reopen_need(ctx, input.need_id, input.reason or "", input.idempotency_key)
        )

    @strawberry.mutation(description="派单: offer the need to one member, unit or offering; it accepts or declines.")
    async def dispatch_need(self, info: Info, input: DispatchNeedInput) -> NeedPayload:
        result = await dispatch.dispatch_need(
            info.context, input.need_id, input.handler_id, input.note, input.idempotency_key
        )
        return await _payload(info, result)

    @strawberry.mutation(description="抢单: open the need to every member registered with its community; first wins.")
    async def open_need_for_claim(self, info: Info, input: NeedNoteInput) -> NeedPayload:
        result = await dispatch.open_need_for_claim(info.context, input.need_id, input.note, input.idempotency_key)
        return await _payload(info, result)

    @strawberry.mutation(description="Invite several candidates; the first to accept wins, the others lapse.")
    async def invite_candidates(self, info: Info, input: InviteCandidatesInput) -> NeedPayload:
        ids = [str(i) for i in input.candidate_ids]
        result = await dispatch.invite_candidates(info.context, input.need_id, ids, input.note, input.idempotency_key)
        return await _payload(info, result)

    @strawberry.mutation(description="接单: take a need offered to you (within your maximum load).")
    async def accept_need(self, info: Info, input: NeedKeyInput) -> NeedPayload:
        return await _payload(info, await dispatch.accept_need(info.context, input.need_id, input.idempotency_key))

    @strawberry.mutation(description="Decline a need offered to you, with a reason.")
    async def decline_need(self, info: Info, input: NeedReasonInput) -> NeedPayload:
        result = await dispatch.decline_need(info.context, input.need_id, input.reason or "", input.idempotency_key)
        return await _payload(info, result)

    @strawberry.mutation(description="Start work on a need you accepted.")
    async def start_need(self, info: Info, input: NeedNoteInput) -> NeedPayload:
        result = await dispatch.start_need(info.context, input.need_id, input.note, input.idempotency_key)
        return await _payload(info, result)

    @strawberry.mutation(description="Report a need done, with a note of what was done.")
    async def complete_need(self, info: Info, input: NeedNoteInput) -> NeedPayload:
        result = await dispatch.complete_need(info.context, input.need_id, input.note or "", input.idempotency_key)
        return await _payload(info, result)

    @strawberry.mutation(description="Move a need to another member, unit or offering, with a reason.")
    async def transfer_need(self, info: Info, input: TransferNeedInput) -> NeedPayload:
        result = await dispatch.transfer_need(
            info.context, input.need_id, input.handler_id, input.reason, input.idempotency_key
        )
        return await _payload(info, result)


@strawberry.type
class WorkflowQuery:
    @strawberry.field(description="Who you are (subject, role, scope) and what is yours.")
    async def me(self, info: Info) -> Me:
        return await me.me(info.context)


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
