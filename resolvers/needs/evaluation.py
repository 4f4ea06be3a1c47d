"""谁呼谁评、谁应评谁: who called rates, who answered is rated.

Two ratings of one completion, kept apart because they answer different questions:
- `evaluateNeed`: the resident who raised the need rates the result (1–5, comment); so may a resident
  whose duplicate was merged into it (they raised it too), once for all of them. The need
  becomes EVALUATED and the handler's `ratingSum`/`ratingCount` (and, for an offering, its unit's)
  grow in the same transaction. This is the satisfaction rate.
- `evaluateHandling`: the coordinator who dispatched the need rates how the unit (or member)
  handled it — speed, cooperation, quality of the hand-back. Only the dispatcher may, because only
  they saw the handling; it does not move the need and does not touch the handler's resident
  rating. `stats` reports it separately (averageHandlingRating).
"""

from __future__ import annotations

from graph.kernel.db import Tx
from graph.kernel.errors import Conflict, Forbidden
from graph.kernel.ids import new_id
from graph.needs import workflow
from graph.needs.kinds import AssignmentStatus, RaterRole
from graph.needs.workflow import AssignmentState, Change, LockedNeed, NewEvaluation, Rating
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs import lifecycle
from resolvers.needs.forms import Evaluate
from resolvers.needs.guards import Decider, begin, held


def _rated(state: LockedNeed, by_role: str) -> AssignmentState:
    """The completion being rated (the latest one), unless this role already rated it."""
    done = held(state, (AssignmentStatus.COMPLETED,))
    if not done:
        raise Conflict(f"need {state.number} has no completed assignment to rate", status=state.status)
    latest = max(done, key=lambda row: row.completed_at)  # type: ignore[arg-type,return-value]
    latest = min((row for row in done if row.completed_at == latest.completed_at), key=lambda row: row.id)
    if by_role in latest.rated_by:
        raise Conflict(f"this completion of need {state.number} is already rated", status=state.status)
    return latest


def _note(rating: int, comment: str | None) -> str:
    return f"{rating}/5" + (f": {comment}" if comment else "")


def _evaluation(done: AssignmentState, form: Evaluate, by_role: str, viewer: Viewer) -> NewEvaluation:
    return NewEvaluation(new_id("evaluation"), done.id, form.rating, form.comment or "", by_role, viewer.subject)


@mutation("evaluateNeed", roles=(Role.RESIDENT,), form=Evaluate)
async def evaluate_need(tx: Tx, viewer: Viewer, form: Evaluate, outbox: Outbox) -> Result:
    state = await workflow.facts(tx, form.need_id)
    decide = Decider(tx, outbox, viewer, state, "evaluateNeed")
    # Whoever raised it, first or as a duplicate merged into it (ALSO_RAISED_BY), rates it: one rating per
    # completion for all of them, the first to rate speaking for the rest.
    if viewer.subject not in state.resident_ids:
        raise Forbidden(f"only the residents who raised need {state.number} rate it")
    to_state = lifecycle.check_transition("evaluateNeed", state.status, state.number)
    done = _rated(state, RaterRole.REQUESTER)
    evaluation = _evaluation(done, form, RaterRole.REQUESTER, viewer)
    # An offering's rating is also its unit's.
    rated = [done.target_id, *([done.unit_id] if done.unit_id else [])]
    change = Change(status=to_state, evaluation=evaluation, ratings=[Rating(who, form.rating) for who in rated])
    await decide(change, to_state=to_state, note=_note(form.rating, form.comment), audience=set(rated))
    return {"needId": form.need_id, "evaluationId": evaluation.id}


@mutation("evaluateHandling", roles=PLACE_ROLES, form=Evaluate)
async def evaluate_handling(tx: Tx, viewer: Viewer, form: Evaluate, outbox: Outbox) -> Result:
    state, decide, status = await begin(tx, viewer, outbox, form.need_id, "evaluateHandling")
    done = _rated(state, RaterRole.COORDINATOR)
    if done.by_id != viewer.subject:
        raise Forbidden(
            f"the handling of need {state.number} is rated by the coordinator who dispatched it ({done.by_id})",
        )
    evaluation = _evaluation(done, form, RaterRole.COORDINATOR, viewer)
    await decide(
        Change(evaluation=evaluation),
        to_state=status,
        note=f"{done.target_id} {_note(form.rating, form.comment)}",
        audience={done.target_id},
    )
    return {"needId": form.need_id, "evaluationId": evaluation.id}
