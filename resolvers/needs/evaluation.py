"""谁呼谁评、谁应评谁: who called rates, who answered is rated.

Two ratings of one completion, kept apart because they answer different questions:
- `evaluateNeed`: the resident who raised the need rates the result (1–5, comment). The need
  becomes EVALUATED and the handler's `ratingSum`/`ratingCount` (and, for an offering, its unit's)
  grow in the same transaction. This is the satisfaction rate.
- `evaluateHandling`: the coordinator who dispatched the need rates how the unit (or member)
  handled it — speed, cooperation, quality of the hand-back. Only the dispatcher may, because only
  they saw the handling; it does not move the need and does not touch the handler's resident
  rating. `stats` reports it separately (averageHandlingRating).
"""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import Conflict, Forbidden
from graph.needs import evaluation
from graph.needs import write as needs_write
from graph.needs.kinds import EventType, RaterRole
from resolvers.kernel.context import Context
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs import lifecycle
from resolvers.needs.forms import Evaluate
from resolvers.needs.guards import announce, locked_need, require_coordinator


async def _rated(tx: Tx, state: dict[str, Any], by_role: str) -> dict[str, Any]:
    done = await evaluation.completed_assignment(tx, state["id"])
    if done is None:
        raise Conflict(f"need {state['number']} has no completed assignment to rate", status=state["status"])
    if await evaluation.already_rated(tx, done["id"], by_role):
        raise Conflict(f"this completion of need {state['number']} is already rated", status=state["status"])
    return done


def _note(rating: int, comment: str | None) -> str:
    return f"{rating}/5" + (f": {comment}" if comment else "")


@mutation("evaluateNeed", roles=(Role.RESIDENT,), form=Evaluate)
async def evaluate_need(tx: Tx, viewer: Viewer, form: Evaluate, outbox: Outbox) -> Result:
    state = await locked_need(tx, form.need_id)
    if viewer.subject != state["requesterId"]:
        raise Forbidden(f"only the resident who raised need {state['number']} rates it")
    to_state = lifecycle.check_transition("evaluateNeed", state["status"], state["number"])
    done = await _rated(tx, state, RaterRole.REQUESTER)
    created = await evaluation.create(
        tx, done["id"], form.rating, form.comment or "", RaterRole.REQUESTER, viewer.subject
    )
    holders = [(done["targetLabel"], done["targetId"])]
    if done["unitId"]:
        holders.append(("Unit", done["unitId"]))  # an offering's rating is also its unit's
    await evaluation.add_rating(tx, holders, form.rating)
    await needs_write.set_status(tx, form.need_id, to_state)
    audience = {done["targetId"], *([done["unitId"]] if done["unitId"] else [])}
    await announce(
        tx,
        outbox,
        state,
        viewer,
        type=EventType.EVALUATE,
        to_state=to_state,
        note=_note(form.rating, form.comment),
        audience=audience,
    )
    return {"needId": form.need_id, "evaluationId": created["id"]}


@mutation("evaluateHandling", roles=PLACE_ROLES, form=Evaluate)
async def evaluate_handling(tx: Tx, viewer: Viewer, form: Evaluate, outbox: Outbox) -> Result:
    state = await locked_need(tx, form.need_id)
    require_coordinator(viewer, state)
    status = lifecycle.check_transition("evaluateHandling", state["status"], state["number"])
    done = await _rated(tx, state, RaterRole.COORDINATOR)
    if done["byId"] != viewer.subject:
        raise Forbidden(
            f"the handling of need {state['number']} is rated by the coordinator who dispatched it ({done['byId']})",
        )
    created = await evaluation.create(
        tx, done["id"], form.rating, form.comment or "", RaterRole.COORDINATOR, viewer.subject
    )
    await announce(
        tx,
        outbox,
        state,
        viewer,
        type=EventType.EVALUATE_HANDLING,
        to_state=status,
        note=f"{done['targetId']} {_note(form.rating, form.comment)}",
        audience={done["targetId"]},
    )
    return {"needId": form.need_id, "evaluationId": created["id"]}


async def evaluation_record(ctx: Context, evaluation_id: str) -> dict[str, Any] | None:
    return await evaluation.evaluation_by_id(ctx.graph, evaluation_id)
