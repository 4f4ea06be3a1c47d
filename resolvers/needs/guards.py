"""What every need mutation does inside its transaction: read the facts under the need's lock
(graph/needs/workflow.facts), check who may act, then decide (`Decider`): write the change with its audit Event
and queue the Event in the mutation's outbox, which publishes it after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import Forbidden
from graph.needs import workflow
from graph.needs.kinds import HELD
from graph.needs.workflow import Change
from graph.places.scopes import NeedAccess
from resolvers.kernel.authz import in_scope
from resolvers.kernel.events import Published
from resolvers.kernel.mutations import Outbox
from resolvers.kernel.viewer import Role, Viewer
from resolvers.needs import lifecycle


def coordinates(viewer: Viewer, state: dict[str, Any]) -> bool:
    """True when the viewer is a coordinator or admin whose scope contains the need."""
    access = NeedAccess(state["id"], state["requesterId"], frozenset(state["placeIds"]), frozenset())
    return in_scope(viewer, access)


def require_coordinator(viewer: Viewer, state: dict[str, Any]) -> None:
    if not coordinates(viewer, state):
        raise Forbidden(
            f"need {state['number']} lies outside your scope {viewer.scope_id}; "
            "only coordinators of its community, street or district may do this",
            scope=viewer.scope_id,
        )


def require_requester_or_coordinator(viewer: Viewer, state: dict[str, Any], operation: str) -> None:
    if viewer.role is Role.RESIDENT:
        if viewer.subject != state["requesterId"]:
            raise Forbidden(f"{operation}: need {state['number']} was raised by someone else")
        return
    if viewer.role in (Role.MEMBER, Role.UNIT_ADMIN):
        raise Forbidden(
            f"{operation} is for the resident who raised the need or its coordinators; "
            f"you are signed in as {viewer.role.value}"
        )
    require_coordinator(viewer, state)


def audience_of(rows: list[dict[str, Any]]) -> set[str]:
    ids: set[str] = set()
    for row in rows:
        ids.add(row["targetId"])
        if row.get("unitId"):
            ids.add(row["unitId"])
    return ids


def held(state: dict[str, Any], statuses: tuple[str, ...] = HELD) -> list[dict[str, Any]]:
    """The need's assignments in `statuses` (offered or being handled, by default), oldest first."""
    return [row for row in state["assignments"] if row["status"] in statuses]


@dataclass(frozen=True, slots=True)
class Decider:
    """How a mutation decides about the need at hand: in its transaction, in the viewer's name, about
    the facts it read under the need's lock (`state`), queuing the Event in its outbox."""

    tx: Tx
    outbox: Outbox
    viewer: Viewer
    state: dict[str, Any]

    async def __call__(
        self,
        change: Change,
        *,
        type: str,
        to_state: str | None,
        note: str | None = None,
        audience: set[str] | None = None,
    ) -> dict[str, Any]:
        """Writes the decision and its audit Event in one statement (graph/needs/workflow.py) and queues the
        Event in the mutation's outbox, published after the commit."""
        change.event = {
            "actorId": self.viewer.subject,
            "role": self.viewer.role.value,
            "fromState": self.state["status"],
            "toState": to_state,
            "type": type,
            "note": note,
        }
        event = await workflow.apply(self.tx, self.state["id"], change)
        self.outbox.add(Published.of_need(event, self.state, audience))
        return event


async def begin(
    tx: Tx, viewer: Viewer, outbox: Outbox, need_id: str, operation: str, *, requester: bool = False, **facts: Any
) -> tuple[dict[str, Any], Decider, str]:
    """How a coordinator's move on a need starts (with `requester`, also the raising resident's): the need's
    facts read under its lock, the caller authorised on them (FORBIDDEN), then the move checked against the
    lifecycle table (CONFLICT). Returns the facts, their `Decider` and the state the move leads to."""
    state = await workflow.facts(tx, need_id, movable=lifecycle.allowed_from(operation), **facts)
    if requester:
        require_requester_or_coordinator(viewer, state, operation)
    else:
        require_coordinator(viewer, state)
    to_state = lifecycle.check_transition(operation, state["status"], state["number"])
    return state, Decider(tx, outbox, viewer, state), to_state
