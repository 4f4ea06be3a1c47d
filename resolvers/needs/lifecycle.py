"""The need lifecycle as one pure table: which operation may run from which states, and where it leads.

Every mutation that changes a need's status asks `check_transition` first (after locking the
need, so the state it checks is the state it changes). Keeping the rules in one table means the
whole state machine can be read, reviewed and tested in one place.

`KEEP` as a to-state means the operation edits a need without moving it (updateNeed).
`RESTORE` means the to-state is not fixed by the table but restored from the need itself
(resuming a suspended need goes back to where it was); the caller supplies it.
"""

from __future__ import annotations

from graph.kernel.errors import Conflict
from graph.needs.kinds import NeedStatus

S = NeedStatus  # the graph's value set, short so the table reads as a table

KEEP = "*"
RESTORE = "<restore>"

# States from which a coordinator may (re)dispatch: new, handed back, escalated to them.
_DISPATCHABLE = frozenset({S.SUBMITTED, S.DECLINED, S.ESCALATED})
# States in which someone handles (or is about to handle) the need.
_HANDLED = frozenset({S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.REOPENED})

TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "updateNeed": (frozenset({S.SUBMITTED, S.DECLINED}), KEEP),
    # Cancelling is possible until a handler has accepted; after that it is a transfer or a completion.
    "cancelNeed": (frozenset({S.SUBMITTED, S.DISPATCHED, S.DECLINED, S.ESCALATED}), S.CANCELLED),
    "dispatchNeed": (_DISPATCHABLE, S.DISPATCHED),
    "openNeedForClaim": (_DISPATCHABLE, S.DISPATCHED),
    "inviteCandidates": (_DISPATCHABLE, S.DISPATCHED),
    "acceptNeed": (frozenset({S.DISPATCHED}), S.ACCEPTED),
    # With several invitations out, one decline leaves the need DISPATCHED; the last one sends it back.
    "declineNeed": (frozenset({S.DISPATCHED}), S.DECLINED),
    "startNeed": (frozenset({S.ACCEPTED, S.REOPENED}), S.IN_PROGRESS),
    "completeNeed": (frozenset({S.IN_PROGRESS}), S.COMPLETED),
    "transferNeed": (_HANDLED, S.DISPATCHED),
    "reopenNeed": (frozenset({S.COMPLETED, S.EVALUATED}), S.REOPENED),
    # Time limits, escalation and evaluation (resolvers/needs/escalation.py, resolvers/needs/evaluation.py).
    # Only a running clock can be paused; resuming goes back to the state recorded at suspension.
    "suspendNeed": (frozenset({S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.ESCALATED, S.REOPENED}), S.SUSPENDED),
    "resumeNeed": (frozenset({S.SUSPENDED}), RESTORE),
    # 吹哨: anything still open and not paused can be handed up; the level check is the caller's.
    "escalateNeed": (
        frozenset({S.SUBMITTED, S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.DECLINED, S.ESCALATED, S.REOPENED}),
        S.ESCALATED,
    ),
    "evaluateNeed": (frozenset({S.COMPLETED}), S.EVALUATED),
    # The dispatching coordinator's rating of the handling does not move the need.
    "evaluateHandling": (frozenset({S.COMPLETED, S.EVALUATED}), KEEP),
}


def allowed_from(operation: str) -> frozenset[str]:
    return TRANSITIONS[operation][0]


def check_transition(operation: str, current_status: str, need_number: str | None) -> str:
    """The state `operation` leads to from `current_status`; Conflict naming the current state otherwise.

    Returns `current_status` for KEEP rows; RESTORE rows return RESTORE for the caller to resolve.
    """
    sources, target = TRANSITIONS[operation]
    if current_status not in sources:
        wanted = " or ".join(sorted(sources))
        raise Conflict(
            f"need {need_number or '?'} is {current_status}; {operation} needs {wanted}",
            status=current_status,
            allowed=sorted(sources),
        )
    return current_status if target == KEEP else target
