"""派单 and 接单: a coordinator dispatches, opens to first-accept, invites or transfers; the handler
accepts, declines, starts and completes.

Every mutation locks the need before it looks at its state, so under any number of concurrent
`acceptNeed` calls exactly one sees DISPATCHED; the others wait for the lock, then see ACCEPTED
and get CONFLICT from the lifecycle table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import Conflict, Forbidden
from graph.needs import assignments
from graph.needs import write as needs_write
from graph.needs.kinds import HELD, PENDING, AssignmentStatus, EventType
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs import lifecycle
from resolvers.needs.deadlines import deadlines_for
from resolvers.needs.forms import (
    CompleteNeed,
    DeclineNeed,
    DispatchNeed,
    InviteCandidates,
    NeedNote,
    NeedRef,
    TransferNeed,
)
from resolvers.needs.guards import announce, audience_of, handler_ids, locked_need, require_coordinator

HANDLER_ROLES = (Role.MEMBER, Role.UNIT_ADMIN)
_OFFER_EVENT = {
    "dispatchNeed": EventType.DISPATCH,
    "openNeedForClaim": EventType.OPEN_FOR_CLAIM,
    "inviteCandidates": EventType.INVITE,
}


def _now() -> datetime:
    return datetime.now(UTC)


async def _offer(
    tx: Tx,
    viewer: Viewer,
    outbox: Outbox,
    operation: str,
    need_id: str,
    target_ids: list[str],
    status: str,
    note: str | None,
) -> Result:
    """Shared by dispatch, open-for-claim and invite: pending assignments plus deadlines from the policy."""
    state = await locked_need(tx, need_id)
    require_coordinator(viewer, state)
    to_state = lifecycle.check_transition(operation, state["status"], state["number"])
    # Earlier invitations that were never answered lapse: the new offer replaces them. A handler
    # still holding it (a need escalated mid-work and re-dispatched above) hands it over, load and all.
    stale = await assignments.of_need(tx, need_id, HELD)
    held = [row for row in stale if row["status"] == AssignmentStatus.ACTIVE]
    for row in held:
        await assignments.change_load(tx, row, -1)
    await assignments.set_status(tx, [row["id"] for row in held], AssignmentStatus.TRANSFERRED)
    await assignments.set_status(
        tx, [row["id"] for row in stale if row["status"] != AssignmentStatus.ACTIVE], AssignmentStatus.LAPSED
    )
    created = await assignments.create(tx, need_id, target_ids, status, viewer.subject, viewer.role.value, note)
    respond_by, complete_by = deadlines_for(state["categoryCode"] or "", state["urgency"], _now())
    await needs_write.set_status(tx, need_id, to_state, responseDeadline=respond_by, completionDeadline=complete_by)
    rows = await assignments.of_need(tx, need_id, PENDING)
    summary = f"{len(created)} candidate(s)" if len(created) > 1 else (target_ids[0] if target_ids else "")
    await announce(
        tx,
        outbox,
        state,
        viewer,
        type=_OFFER_EVENT[operation],
        to_state=to_state,
        note=f"{summary}: {note}" if note else summary,
        audience=audience_of(rows) | audience_of(stale),
    )
    return {"needId": need_id, "assignmentIds": created}


@mutation("dispatchNeed", roles=PLACE_ROLES, form=DispatchNeed)
async def dispatch_need(tx: Tx, viewer: Viewer, form: DispatchNeed, outbox: Outbox) -> Result:
    await assignments.targets(tx, [form.handler_id], "handlerId")
    return await _offer(
        tx, viewer, outbox, "dispatchNeed", form.need_id, [form.handler_id], AssignmentStatus.INVITED, form.note
    )


@mutation("inviteCandidates", roles=PLACE_ROLES, form=InviteCandidates)
async def invite_candidates(tx: Tx, viewer: Viewer, form: InviteCandidates, outbox: Outbox) -> Result:
    await assignments.targets(tx, form.candidate_ids, "candidateIds")
    return await _offer(
        tx, viewer, outbox, "inviteCandidates", form.need_id, form.candidate_ids, AssignmentStatus.INVITED, form.note
    )


@mutation("openNeedForClaim", roles=PLACE_ROLES, form=NeedNote)
async def open_need_for_claim(tx: Tx, viewer: Viewer, form: NeedNote, outbox: Outbox) -> Result:
    """抢单: every member registered with the need's community may accept; the first one wins."""
    state = await needs_write.need_state(tx, form.need_id)
    community = next((pid for pid in state["placeIds"] if pid.startswith("community:")), None)
    eligible = await assignments.eligible_members(tx, community) if community else []
    if not eligible:
        raise Conflict(
            f"no party members are registered with the community of need {state['number']}; "
            "dispatch it to a member or unit instead",
        )
    ids = [row["id"] for row in eligible]
    return await _offer(
        tx, viewer, outbox, "openNeedForClaim", form.need_id, ids, AssignmentStatus.OPEN_CLAIM, form.note
    )


def _mine(rows: list[dict[str, Any]], viewer: Viewer, state: dict[str, Any], operation: str) -> dict[str, Any]:
    held = assignments.held_by(rows, handler_ids(viewer))
    if not held:
        raise Forbidden(f"{operation}: need {state['number']} is not assigned or offered to you")
    return held[0]


@mutation("acceptNeed", roles=HANDLER_ROLES, form=NeedRef)
async def accept_need(tx: Tx, viewer: Viewer, form: NeedRef, outbox: Outbox) -> Result:
    state = await locked_need(tx, form.need_id)
    to_state = lifecycle.check_transition("acceptNeed", state["status"], state["number"])
    pending = await assignments.of_need(tx, form.need_id, PENDING)
    mine = _mine(pending, viewer, state, "acceptNeed")
    await assignments.take_load(tx, mine)
    await assignments.set_status(tx, [mine["id"]], AssignmentStatus.ACTIVE, acceptedAt=True)
    others = [row for row in pending if row["id"] != mine["id"]]
    # First to accept wins: every other invitation or claim lapses in the same transaction.
    await assignments.set_status(tx, [row["id"] for row in others], AssignmentStatus.LAPSED)
    await needs_write.set_status(tx, form.need_id, to_state)
    await announce(
        tx,
        outbox,
        state,
        viewer,
        type=EventType.ACCEPT,
        to_state=to_state,
        note=mine["targetId"],
        audience=audience_of(pending),
    )
    return {"needId": form.need_id, "assignmentId": mine["id"]}


@mutation("declineNeed", roles=HANDLER_ROLES, form=DeclineNeed)
async def decline_need(tx: Tx, viewer: Viewer, form: DeclineNeed, outbox: Outbox) -> Result:
    """The handler says no (with a reason); when nobody else is still asked, the need goes back to the queue."""
    state = await locked_need(tx, form.need_id)
    to_state = lifecycle.check_transition("declineNeed", state["status"], state["number"])
    pending = await assignments.of_need(tx, form.need_id, PENDING)
    mine = _mine(pending, viewer, state, "declineNeed")
    await assignments.set_status(tx, [mine["id"]], AssignmentStatus.DECLINED, note=form.reason)
    still_asked = [row for row in pending if row["id"] != mine["id"]]
    if still_asked:
        to_state = state["status"]
    else:
        await needs_write.set_status(tx, form.need_id, to_state)
    await announce(
        tx,
        outbox,
        state,
        viewer,
        type=EventType.DECLINE,
        to_state=to_state,
        note=form.reason,
        audience=audience_of([mine]),
    )
    return {"needId": form.need_id, "assignmentId": mine["id"]}


@mutation("startNeed", roles=HANDLER_ROLES, form=NeedNote)
async def start_need(tx: Tx, viewer: Viewer, form: NeedNote, outbox: Outbox) -> Result:
    state = await locked_need(tx, form.need_id)
    to_state = lifecycle.check_transition("startNeed", state["status"], state["number"])
    mine = _mine(await assignments.of_need(tx, form.need_id, (AssignmentStatus.ACTIVE,)), viewer, state, "startNeed")
    await needs_write.set_status(tx, form.need_id, to_state)
    await announce(
        tx, outbox, state, viewer, type=EventType.START, to_state=to_state, note=form.note, audience=audience_of([mine])
    )
    return {"needId": form.need_id, "assignmentId": mine["id"]}


@mutation("completeNeed", roles=HANDLER_ROLES, form=CompleteNeed)
async def complete_need(tx: Tx, viewer: Viewer, form: CompleteNeed, outbox: Outbox) -> Result:
    state = await locked_need(tx, form.need_id)
    to_state = lifecycle.check_transition("completeNeed", state["status"], state["number"])
    active = await assignments.of_need(tx, form.need_id, (AssignmentStatus.ACTIVE,))
    mine = _mine(active, viewer, state, "completeNeed")
    await assignments.set_status(tx, [mine["id"]], AssignmentStatus.COMPLETED, note=form.note, completedAt=True)
    await assignments.change_load(tx, mine, -1, completed=True)
    await needs_write.set_status(tx, form.need_id, to_state)
    await announce(
        tx,
        outbox,
        state,
        viewer,
        type=EventType.COMPLETE,
        to_state=to_state,
        note=form.note,
        audience=audience_of([mine]),
    )
    return {"needId": form.need_id, "assignmentId": mine["id"]}


@mutation("transferNeed", roles=PLACE_ROLES, form=TransferNeed)
async def transfer_need(tx: Tx, viewer: Viewer, form: TransferNeed, outbox: Outbox) -> Result:
    """A coordinator moves the need to another handler, who then accepts or declines it."""
    await assignments.targets(tx, [form.handler_id], "handlerId")
    state = await locked_need(tx, form.need_id)
    require_coordinator(viewer, state)
    to_state = lifecycle.check_transition("transferNeed", state["status"], state["number"])
    current = await assignments.of_need(tx, form.need_id, HELD)
    if any(row["targetId"] == form.handler_id for row in current):
        raise Conflict(f"need {state['number']} is already with {form.handler_id}", field="handlerId")
    for row in current:
        if row["status"] == AssignmentStatus.ACTIVE:
            await assignments.change_load(tx, row, -1)
    await assignments.set_status(tx, [row["id"] for row in current], AssignmentStatus.TRANSFERRED, note=form.reason)
    created = await assignments.create(
        tx, form.need_id, [form.handler_id], AssignmentStatus.INVITED, viewer.subject, viewer.role.value, form.reason
    )
    respond_by, complete_by = deadlines_for(state["categoryCode"] or "", state["urgency"], _now())
    await needs_write.set_status(
        tx, form.need_id, to_state, responseDeadline=respond_by, completionDeadline=complete_by
    )
    new = await assignments.of_need(tx, form.need_id, PENDING)
    await announce(
        tx,
        outbox,
        state,
        viewer,
        type=EventType.TRANSFER,
        to_state=to_state,
        note=f"{form.handler_id}: {form.reason}",
        audience=audience_of(current) | audience_of(new),
    )
    return {"needId": form.need_id, "assignmentId": created[0]}
