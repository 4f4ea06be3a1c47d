"""派单 and 接单: a coordinator dispatches, opens to first-accept, invites or transfers; the handler
accepts, declines, starts and completes.

Every mutation locks the need before it looks at its state, so under any number of concurrent
`acceptNeed` calls exactly one sees DISPATCHED; the others wait for the lock, then see ACCEPTED
and get CONFLICT from the lifecycle table.
"""

from __future__ import annotations

from datetime import UTC, datetime

from graph.kernel.db import Tx
from graph.kernel.errors import Conflict, Forbidden
from graph.needs import workflow
from graph.needs.kinds import HELD, PENDING, AssignmentStatus
from graph.needs.workflow import AssignmentState, Change, LockedNeed
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer, handler_ids
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
from resolvers.needs.guards import Decider, audience_of, begin, held, require_coordinator

HANDLER_ROLES = (Role.MEMBER, Role.UNIT_ADMIN)
_ACTIVE = (AssignmentStatus.ACTIVE,)


def _now() -> datetime:
    return datetime.now(UTC)


def _offered(state: LockedNeed, target_ids: list[str]) -> set[str]:
    """The audience of an offer to `target_ids`: the handlers, and the units of the offerings among them."""
    units = {t.id: t.unit_id for t in state.targets}
    return {*target_ids, *(unit for tid in target_ids if (unit := units.get(tid)))}


async def _offer(
    tx: Tx,
    viewer: Viewer,
    outbox: Outbox,
    operation: str,
    state: LockedNeed,
    target_ids: list[str],
    status: str,
    note: str | None,
) -> Result:
    """Shared by dispatch, open-for-claim and invite: pending assignments plus deadlines from the policy."""
    decide = Decider(tx, outbox, viewer, state, operation)
    require_coordinator(viewer, state)
    to_state = lifecycle.check_transition(operation, state.status, state.number)
    change = Change(status=to_state)
    # Earlier invitations that were never answered lapse: the new offer replaces them. A handler
    # still holding it (a need escalated mid-work and re-dispatched above) hands it over, load and all.
    stale = held(state)
    active = [row for row in stale if row.status == AssignmentStatus.ACTIVE]
    for row in active:
        change.load(row, -1)
    change.set_assignments(active, AssignmentStatus.TRANSFERRED)
    change.set_assignments([row for row in stale if row not in active], AssignmentStatus.LAPSED)
    created = change.assign(target_ids, status, viewer.subject, viewer.role.value, note)
    respond_by, complete_by = deadlines_for(state.category_code or "", state.urgency, _now())
    change.props = {"responseDeadline": respond_by, "completionDeadline": complete_by}
    summary = f"{len(created)} candidate(s)" if len(created) > 1 else (target_ids[0] if target_ids else "")
    await decide(
        change,
        to_state=to_state,
        note=f"{summary}: {note}" if note else summary,
        audience=_offered(state, target_ids) | audience_of(stale),
    )
    return {"needId": state.id, "assignmentIds": created}


@mutation("dispatchNeed", roles=PLACE_ROLES, form=DispatchNeed)
async def dispatch_need(tx: Tx, viewer: Viewer, form: DispatchNeed, outbox: Outbox) -> Result:
    state = await workflow.facts(tx, form.need_id, targets=[form.handler_id])
    return await _offer(
        tx, viewer, outbox, "dispatchNeed", state, [form.handler_id], AssignmentStatus.INVITED, form.note
    )


@mutation("inviteCandidates", roles=PLACE_ROLES, form=InviteCandidates)
async def invite_candidates(tx: Tx, viewer: Viewer, form: InviteCandidates, outbox: Outbox) -> Result:
    state = await workflow.facts(tx, form.need_id, targets=form.candidate_ids, field="candidateIds")
    return await _offer(
        tx, viewer, outbox, "inviteCandidates", state, form.candidate_ids, AssignmentStatus.INVITED, form.note
    )


@mutation("openNeedForClaim", roles=PLACE_ROLES, form=NeedNote)
async def open_need_for_claim(tx: Tx, viewer: Viewer, form: NeedNote, outbox: Outbox) -> Result:
    """抢单: every member registered with the need's community may accept; the first one wins."""
    state = await workflow.facts(tx, form.need_id, eligible=True)
    if not state.eligible:
        raise Conflict(
            f"no party members are registered with the community of need {state.number}; "
            "dispatch it to a member or unit instead",
        )
    return await _offer(
        tx, viewer, outbox, "openNeedForClaim", state, state.eligible, AssignmentStatus.OPEN_CLAIM, form.note
    )


def _mine(rows: list[AssignmentState], viewer: Viewer, state: LockedNeed, operation: str) -> AssignmentState:
    mine = handler_ids(viewer)
    found = [row for row in rows if row.target_id in mine or row.unit_id in mine]
    if not found:
        raise Forbidden(f"{operation}: need {state.number} is not assigned or offered to you")
    return found[0]


async def _as_handler(
    tx: Tx, viewer: Viewer, outbox: Outbox, need_id: str, operation: str, statuses: tuple[str, ...], lock: bool = False
) -> tuple[LockedNeed, Decider, str, list[AssignmentState], AssignmentState]:
    """How a handler's move starts: the need's facts under its lock (with `lock`, the caller's handlers locked
    after it, so their load is checked under lock), the move checked against the lifecycle (CONFLICT), then
    the caller's own assignment among those in `statuses` (FORBIDDEN without one). Returns the facts, their
    `Decider`, the state the move leads to, the assignments in `statuses` and the caller's."""
    movable = lifecycle.allowed_from(operation)
    if not lock:
        state = await workflow.facts(tx, need_id, movable=movable)
    elif viewer.role is Role.MEMBER:
        state = await workflow.facts(tx, need_id, lock=[viewer.subject], movable=movable)
    else:
        state = await workflow.facts(tx, need_id, lock_unit=viewer.scope_id, movable=movable)
    to_state = lifecycle.check_transition(operation, state.status, state.number)
    rows = held(state, statuses)
    return state, Decider(tx, outbox, viewer, state, operation), to_state, rows, _mine(rows, viewer, state, operation)


def _claimed(form: NeedRef) -> str:
    return f"Need:{form.need_id}"


@mutation("acceptNeed", roles=HANDLER_ROLES, form=NeedRef, race=_claimed)
async def accept_need(tx: Tx, viewer: Viewer, form: NeedRef, outbox: Outbox) -> Result:
    # 抢单: of a hundred claimants at once, one wins. The others wait their turn in this process, and the
    # first of them refused on the winner's committed state frees the rest, refused in parallel without
    # the lock; one queued on the lock in Neo4j (from another process) leaves as soon as it gets it.
    _, decide, to_state, pending, mine = await _as_handler(
        tx, viewer, outbox, form.need_id, "acceptNeed", PENDING, lock=True
    )
    if mine.target_label != "Unit" and mine.open_load >= mine.limit:
        # Units take as much as they choose; their offerings carry the capacity.
        who = "you already have" if mine.target_label == "Member" else "this offering already has"
        raise Conflict(
            f"{who} {mine.open_load} open tasks (the limit is {mine.limit}); finish one before accepting another",
            openLoad=mine.open_load,
            maxLoad=mine.limit,
        )
    change = Change(status=to_state)
    change.load(mine, +1)
    change.set_assignments([mine], AssignmentStatus.ACTIVE, accepted=True)
    # First to accept wins: every other invitation or claim lapses in the same transaction.
    change.set_assignments([row for row in pending if row.id != mine.id], AssignmentStatus.LAPSED)
    await decide(change, to_state=to_state, note=mine.target_id, audience=audience_of(pending))
    return {"needId": form.need_id, "assignmentId": mine.id}


@mutation("declineNeed", roles=HANDLER_ROLES, form=DeclineNeed)
async def decline_need(tx: Tx, viewer: Viewer, form: DeclineNeed, outbox: Outbox) -> Result:
    """The handler says no (with a reason); when nobody else is still asked, the need goes back to the queue."""
    state, decide, to_state, pending, mine = await _as_handler(tx, viewer, outbox, form.need_id, "declineNeed", PENDING)
    change = Change()
    change.set_assignments([mine], AssignmentStatus.DECLINED, note=form.reason)
    if any(row.id != mine.id for row in pending):
        to_state = state.status  # others are still asked
    else:
        change.status = to_state
    await decide(change, to_state=to_state, note=form.reason, audience=audience_of([mine]))
    return {"needId": form.need_id, "assignmentId": mine.id}


@mutation("startNeed", roles=HANDLER_ROLES, form=NeedNote)
async def start_need(tx: Tx, viewer: Viewer, form: NeedNote, outbox: Outbox) -> Result:
    _, decide, to_state, _, mine = await _as_handler(tx, viewer, outbox, form.need_id, "startNeed", _ACTIVE)
    await decide(Change(status=to_state), to_state=to_state, note=form.note, audience=audience_of([mine]))
    return {"needId": form.need_id, "assignmentId": mine.id}


@mutation("completeNeed", roles=HANDLER_ROLES, form=CompleteNeed)
async def complete_need(tx: Tx, viewer: Viewer, form: CompleteNeed, outbox: Outbox) -> Result:
    _, decide, to_state, _, mine = await _as_handler(tx, viewer, outbox, form.need_id, "completeNeed", _ACTIVE)
    change = Change(status=to_state)
    change.load(mine, -1, completed=True)
    change.set_assignments([mine], AssignmentStatus.COMPLETED, note=form.note, completed=True)
    await decide(change, to_state=to_state, note=form.note, audience=audience_of([mine]))
    return {"needId": form.need_id, "assignmentId": mine.id}


@mutation("transferNeed", roles=PLACE_ROLES, form=TransferNeed)
async def transfer_need(tx: Tx, viewer: Viewer, form: TransferNeed, outbox: Outbox) -> Result:
    """A coordinator moves the need to another handler, who then accepts or declines it."""
    state, decide, to_state = await begin(tx, viewer, outbox, form.need_id, "transferNeed", targets=[form.handler_id])
    current = held(state, HELD)
    if any(row.target_id == form.handler_id for row in current):
        raise Conflict(f"need {state.number} is already with {form.handler_id}", field="handlerId")
    change = Change(status=to_state)
    for row in current:
        if row.status == AssignmentStatus.ACTIVE:
            change.load(row, -1)
    change.set_assignments(current, AssignmentStatus.TRANSFERRED, note=form.reason)
    created = change.assign([form.handler_id], AssignmentStatus.INVITED, viewer.subject, viewer.role.value, form.reason)
    respond_by, complete_by = deadlines_for(state.category_code or "", state.urgency, _now())
    change.props = {"responseDeadline": respond_by, "completionDeadline": complete_by}
    await decide(
        change,
        to_state=to_state,
        note=f"{form.handler_id}: {form.reason}",
        audience=audience_of(current) | _offered(state, [form.handler_id]),
    )
    return {"needId": form.need_id, "assignmentId": created[0]}
