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
from graph.kernel.errors import BadUserInput, Conflict, Forbidden
from graph.needs import assignments
from graph.needs import write as needs_write
from resolvers.kernel.authz import require_role
from resolvers.kernel.context import Context
from resolvers.kernel.mutations import run_mutation
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs import lifecycle
from resolvers.needs.deadlines import deadlines_for
from resolvers.needs.guards import Outbox, audience_of, handler_ids, locked_need, require_coordinator

HANDLER_ROLES = (Role.MEMBER, Role.UNIT_ADMIN)
MAX_INVITES = 50


def _now() -> datetime:
    return datetime.now(UTC)


async def _mutate(ctx: Context, operation: str, key: str | None, body: Any) -> dict[str, Any]:
    """Runs `body(tx, viewer, outbox)` as one idempotent mutation and publishes its events after commit."""
    outbox = Outbox()

    async def work(tx: Tx, viewer: Viewer) -> dict[str, Any]:
        outbox.clear()
        return await body(tx, viewer, outbox)

    result = await run_mutation(ctx, operation, key, work)
    outbox.publish(result)
    return result


async def _offer(
    tx: Tx,
    viewer: Viewer,
    outbox: Outbox,
    operation: str,
    need_id: str,
    target_ids: list[str],
    status: str,
    note: str | None,
) -> dict[str, Any]:
    """Shared by dispatch, open-for-claim and invite: pending assignments plus deadlines from the policy."""
    state = await locked_need(tx, need_id)
    require_coordinator(viewer, state)
    to_state = lifecycle.check_transition(operation, state["status"], state["number"])
    # Earlier invitations that were never answered lapse: the new offer replaces them. A handler
    # still holding it (a need escalated mid-work and re-dispatched above) hands it over, load and all.
    stale = await assignments.of_need(tx, need_id, assignments.OPEN)
    held = [row for row in stale if row["status"] == "ACTIVE"]
    for row in held:
        await assignments.change_load(tx, row, -1)
    await assignments.set_status(tx, [row["id"] for row in held], "TRANSFERRED")
    await assignments.set_status(tx, [row["id"] for row in stale if row["status"] != "ACTIVE"], "LAPSED")
    created = await assignments.create(tx, need_id, target_ids, status, viewer.subject, viewer.role.value, note)
    respond_by, complete_by = deadlines_for(state["categoryCode"] or "", state["urgency"], _now())
    await needs_write.set_status(tx, need_id, to_state, responseDeadline=respond_by, completionDeadline=complete_by)
    rows = await assignments.of_need(tx, need_id, assignments.PENDING)
    type_ = {"dispatchNeed": "DISPATCH", "openNeedForClaim": "OPEN_FOR_CLAIM", "inviteCandidates": "INVITE"}[operation]
    summary = f"{len(created)} candidate(s)" if len(created) > 1 else (target_ids[0] if target_ids else "")
    await outbox.record(
        tx,
        state,
        viewer,
        type=type_,
        to_state=to_state,
        note=f"{summary}: {note}" if note else summary,
        audience=audience_of(rows) | audience_of(stale),
    )
    return {"needId": need_id, "assignmentIds": created}


def _check_targets(ids: list[str], field: str) -> list[str]:
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise BadUserInput(f"{field} names nobody; give at least one member, unit or offering id", field=field)
    if len(unique) > MAX_INVITES:
        raise BadUserInput(f"{field} may name at most {MAX_INVITES} candidates", field=field)
    return unique


async def dispatch_need(ctx: Context, need_id: str, handler_id: str, note: str | None, key: str | None) -> dict:
    require_role(ctx.viewer, *PLACE_ROLES)

    async def body(tx: Tx, viewer: Viewer, outbox: Outbox) -> dict[str, Any]:
        await assignments.targets(tx, [handler_id], "handlerId")
        return await _offer(tx, viewer, outbox, "dispatchNeed", need_id, [handler_id], "INVITED", note)

    return await _mutate(ctx, "dispatchNeed", key, body)


async def invite_candidates(
    ctx: Context, need_id: str, candidate_ids: list[str], note: str | None, key: str | None
) -> dict:
    require_role(ctx.viewer, *PLACE_ROLES)
    ids = _check_targets(candidate_ids, "candidateIds")

    async def body(tx: Tx, viewer: Viewer, outbox: Outbox) -> dict[str, Any]:
        await assignments.targets(tx, ids, "candidateIds")
        return await _offer(tx, viewer, outbox, "inviteCandidates", need_id, ids, "INVITED", note)

    return await _mutate(ctx, "inviteCandidates", key, body)


async def open_need_for_claim(ctx: Context, need_id: str, note: str | None, key: str | None) -> dict:
    """抢单: every member registered with the need's community may accept; the first one wins."""
    require_role(ctx.viewer, *PLACE_ROLES)

    async def body(tx: Tx, viewer: Viewer, outbox: Outbox) -> dict[str, Any]:
        state = await needs_write.need_state(tx, need_id)
        community = next((pid for pid in state["placeIds"] if pid.startswith("community:")), None)
        eligible = await assignments.eligible_members(tx, community) if community else []
        if not eligible:
            raise Conflict(
                f"no party members are registered with the community of need {state['number']}; "
                "dispatch it to a member or unit instead",
            )
        ids = [row["id"] for row in eligible]
        return await _offer(tx, viewer, outbox, "openNeedForClaim", need_id, ids, "OPEN_CLAIM", note)

    return await _mutate(ctx, "openNeedForClaim", key, body)


def _mine(rows: list[dict[str, Any]], viewer: Viewer, state: dict[str, Any], operation: str) -> dict[str, Any]:
    held = assignments.held_by(rows, handler_ids(viewer))
    if not held:
        raise Forbidden(f"{operation}: need {state['number']} is not assigned or offered to you")
    return held[0]


async def accept_need(ctx: Context, need_id: str, key: str | None) -> dict:
    require_role(ctx.viewer, *HANDLER_ROLES)

    async def body(tx: Tx, viewer: Viewer, outbox: Outbox) -> dict[str, Any]:
        state = await locked_need(tx, need_id)
        to_state = lifecycle.check_transition("acceptNeed", state["status"], state["number"])
        pending = await assignments.of_need(tx, need_id, assignments.PENDING)
        mine = _mine(pending, viewer, state, "acceptNeed")
        await assignments.take_load(tx, mine)
        await assignments.set_status(tx, [mine["id"]], "ACTIVE", acceptedAt=True)
        others = [row for row in pending if row["id"] != mine["id"]]
        # First to accept wins: every other invitation or claim lapses in the same transaction.
        await assignments.set_status(tx, [row["id"] for row in others], "LAPSED")
        await needs_write.set_status(tx, need_id, to_state)
        await outbox.record(
            tx, state, viewer, type="ACCEPT", to_state=to_state, note=mine["targetId"], audience=audience_of(pending)
        )
        return {"needId": need_id, "assignmentId": mine["id"]}

    return await _mutate(ctx, "acceptNeed", key, body)


async def decline_need(ctx: Context, need_id: str, reason: str, key: str | None) -> dict:
    """The handler says no (with a reason); when nobody else is still asked, the need goes back to the queue."""
    require_role(ctx.viewer, *HANDLER_ROLES)
    if not reason or not reason.strip():
        raise BadUserInput("say why you decline (reason): the coordinator reads it", field="reason")

    async def body(tx: Tx, viewer: Viewer, outbox: Outbox) -> dict[str, Any]:
        state = await locked_need(tx, need_id)
        to_state = lifecycle.check_transition("declineNeed", state["status"], state["number"])
        pending = await assignments.of_need(tx, need_id, assignments.PENDING)
        mine = _mine(pending, viewer, state, "declineNeed")
        await assignments.set_status(tx, [mine["id"]], "DECLINED", note=reason)
        still_asked = [row for row in pending if row["id"] != mine["id"]]
        if still_asked:
            to_state = state["status"]
        else:
            await needs_write.set_status(tx, need_id, to_state)
        await outbox.record(
            tx, state, viewer, type="DECLINE", to_state=to_state, note=reason, audience=audience_of([mine])
        )
        return {"needId": need_id, "assignmentId": mine["id"]}

    return await _mutate(ctx, "declineNeed", key, body)


async def start_need(ctx: Context, need_id: str, note: str | None, key: str | None) -> dict:
    require_role(ctx.viewer, *HANDLER_ROLES)

    async def body(tx: Tx, viewer: Viewer, outbox: Outbox) -> dict[str, Any]:
        state = await locked_need(tx, need_id)
        to_state = lifecycle.check_transition("startNeed", state["status"], state["number"])
        mine = _mine(await assignments.of_need(tx, need_id, ("ACTIVE",)), viewer, state, "startNeed")
        await needs_write.set_status(tx, need_id, to_state)
        await outbox.record(tx, state, viewer, type="START", to_state=to_state, note=note, audience=audience_of([mine]))
        return {"needId": need_id, "assignmentId": mine["id"]}

    return await _mutate(ctx, "startNeed", key, body)


async def complete_need(ctx: Context, need_id: str, note: str, key: str | None) -> dict:
    require_role(ctx.viewer, *HANDLER_ROLES)
    if not note or not note.strip():
        raise BadUserInput("say what was done (note): the resident reads it before rating", field="note")

    async def body(tx: Tx, viewer: Viewer, outbox: Outbox) -> dict[str, Any]:
        state = await locked_need(tx, need_id)
        to_state = lifecycle.check_transition("completeNeed", state["status"], state["number"])
        mine = _mine(await assignments.of_need(tx, need_id, ("ACTIVE",)), viewer, state, "completeNeed")
        await assignments.set_status(tx, [mine["id"]], "COMPLETED", note=note, completedAt=True)
        await assignments.change_load(tx, mine, -1, completed=True)
        await needs_write.set_status(tx, need_id, to_state)
        await outbox.record(
            tx, state, viewer, type="COMPLETE", to_state=to_state, note=note, audience=audience_of([mine])
        )
        return {"needId": need_id, "assignmentId": mine["id"]}

    return await _mutate(ctx, "completeNeed", key, body)


async def transfer_need(ctx: Context, need_id: str, handler_id: str, reason: str, key: str | None) -> dict:
    """A coordinator moves the need to another handler, who then accepts or declines it."""
    require_role(ctx.viewer, *PLACE_ROLES)
    if not reason or not reason.strip():
        raise BadUserInput("say why the need is transferred (reason)", field="reason")

    async def body(tx: Tx, viewer: Viewer, outbox: Outbox) -> dict[str, Any]:
        await assignments.targets(tx, [handler_id], "handlerId")
        state = await locked_need(tx, need_id)
        require_coordinator(viewer, state)
        to_state = lifecycle.check_transition("transferNeed", state["status"], state["number"])
        current = await assignments.of_need(tx, need_id, assignments.OPEN)
        if any(row["targetId"] == handler_id for row in current):
            raise Conflict(f"need {state['number']} is already with {handler_id}", field="handlerId")
        for row in current:
            if row["status"] == "ACTIVE":
                await assignments.change_load(tx, row, -1)
        await assignments.set_status(tx, [row["id"] for row in current], "TRANSFERRED", note=reason)
        created = await assignments.create(
            tx, need_id, [handler_id], "INVITED", viewer.subject, viewer.role.value, reason
        )
        respond_by, complete_by = deadlines_for(state["categoryCode"] or "", state["urgency"], _now())
        await needs_write.set_status(tx, need_id, to_state, responseDeadline=respond_by, completionDeadline=complete_by)
        new = await assignments.of_need(tx, need_id, assignments.PENDING)
        await outbox.record(
            tx,
            state,
            viewer,
            type="TRANSFER",
            to_state=to_state,
            note=f"{handler_id}: {reason}",
            audience=audience_of(current) | audience_of(new),
        )
        return {"needId": need_id, "assignmentId": created[0]}

    return await _mutate(ctx, "transferNeed", key, body)
