"""What the whistle does inside the needs' own moves (resolvers/needs/routing.py), for a need a department
holds or held (its lead's assignment: the needs' other needs cost nothing more):

- `cancelNeed`: the calls still owing an answer (WHISTLED, REPORTED) are CLOSED with the need, in its
  transaction, with one audit Event naming their departments, published to them;
- `escalateNeed`: refused (CONFLICT naming the departments) while any call still owes an answer. Handing
  the need up would release the lead's assignment and leave the departments acting on a need nobody
  below the district holds; the whistle already takes a late department to the district's leadership
  (its sweep), and a refused lead call is re-routed by the whistler. Once no call owes an answer (done,
  or refused and not re-routed), the need is handed up as any other.
"""

from __future__ import annotations

from graph.kernel.db import Tx
from graph.kernel.errors import Conflict
from graph.needs.kinds import NeedStatus
from graph.needs.workflow import LockedNeed
from graph.whistle import calls
from graph.whistle.kinds import WhistleEventType
from resolvers.kernel.events import Published
from resolvers.kernel.mutations import Outbox
from resolvers.kernel.viewer import Viewer
from resolvers.needs import routing

DEPARTMENT = "Department"


def _whistled(state: LockedNeed) -> bool:
    """Whether a department holds or held the need (a whistle's lead is offered it as its handler)."""
    return any(a.target_label == DEPARTMENT for a in state.assignments)


@routing.after("cancelNeed")
async def close_calls_with_the_need(tx: Tx, viewer: Viewer, state: LockedNeed, outbox: Outbox) -> None:
    if not _whistled(state):
        return
    event = calls.event(
        actor_id=viewer.subject,
        role=viewer.role.value,
        from_state=NeedStatus.CANCELLED,
        to_state=NeedStatus.CANCELLED,
        type=WhistleEventType.CLOSE_CALLS,
        note="诉求已撤销，吹哨关闭：",
    )
    written, departments = await calls.close_calls(tx, state.id, event)
    if written is not None:
        outbox.add(Published.of_need(written, state.place_ids, state.resident_ids, departments))


@routing.before("escalateNeed")
async def no_escalation_past_departments(tx: Tx, viewer: Viewer, state: LockedNeed, outbox: Outbox) -> None:
    if not _whistled(state):
        return
    owing = await calls.owing(tx, state.id)
    if owing:
        raise Conflict(
            f"need {state.number} is whistled to {', '.join(owing)}, who still owe an answer: it is not handed "
            "up past them. Wait for their 报到/反馈 (a late one is escalated to the district by the sweep), "
            "or re-route a refused call",
            status=state.status,
            departments=owing,
        )
