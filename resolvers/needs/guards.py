"""What every need mutation does inside its transaction: read the facts under the need's lock
(graph/needs/workflow.facts), check who may act, then decide (`Decider`): write the change with its audit Event
and queue the Event in the mutation's outbox, which publishes it after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from graph.kernel.db import Tx
from graph.kernel.errors import Forbidden
from graph.needs import workflow
from graph.needs.kinds import HELD
from graph.needs.workflow import AssignmentState, Change, LockedNeed
from graph.places.scopes import NeedAccess
from resolvers.kernel.authz import in_scope
from resolvers.kernel.events import Published
from resolvers.kernel.mutations import Outbox
from resolvers.kernel.viewer import Role, Viewer
from resolvers.needs import lifecycle


class ScopedNeed(Protocol):
    """What deciding who may act on a need reads of it (`LockedNeed`, a need of a merge)."""

    @property
    def id(self) -> str: ...
    @property
    def number(self) -> str | None: ...
    @property
    def requester_id(self) -> str | None: ...
    @property
    def place_ids(self) -> list[str]: ...


def coordinates(viewer: Viewer, state: ScopedNeed) -> bool:
    """True when the viewer is a coordinator or admin whose scope contains the need."""
    access = NeedAccess(state.id, state.requester_id, frozenset(state.place_ids), frozenset())
    return in_scope(viewer, access)


def require_coordinator(viewer: Viewer, state: ScopedNeed) -> None:
    if not coordinates(viewer, state):
        raise Forbidden(
            f"need {state.number} lies outside your scope {viewer.scope_id}; "
            "only coordinators of its community, street or district may do this",
            scope=viewer.scope_id,
        )


def require_requester_or_coordinator(viewer: Viewer, state: LockedNeed, operation: str) -> None:
    if viewer.role is Role.RESIDENT:
        if viewer.subject != state.requester_id:
            raise Forbidden(f"{operation}: need {state.number} was raised by someone else")
        return
    if viewer.role in (Role.MEMBER, Role.UNIT_ADMIN):
        raise Forbidden(
            f"{operation} is for the resident who raised the need or its coordinators; "
            f"you are signed in as {viewer.role.value}"
        )
    require_coordinator(viewer, state)


def audience_of(rows: Iterable[AssignmentState]) -> set[str]:
    """The handlers who hear of a move on these assignments: each one's handler, and an offering's unit."""
    ids: set[str] = set()
    for row in rows:
        ids.add(row.target_id)
        if row.unit_id:
            ids.add(row.unit_id)
    return ids


def held(state: LockedNeed, statuses: tuple[str, ...] = HELD) -> list[AssignmentState]:
    """The need's assignments in `statuses` (offered or being handled, by default), oldest first."""
    return [row for row in state.assignments if row.status in statuses]


@dataclass(frozen=True, slots=True)
class Decider:
    """How a mutation decides about the need at hand: in its transaction, in the viewer's name, about
    the facts it read under the need's lock (`state`), making the move `operation` (graph/needs/workflow.py
    `MOVES`), queuing the Event in its outbox."""

    tx: Tx
    outbox: Outbox
    viewer: Viewer
    state: LockedNeed
    operation: str

    async def __call__(
        self, change: Change, *, to_state: str | None, note: str | None = None, audience: set[str] | None = None
    ) -> dict[str, Any]:
        """Writes the decision and its audit Event in the move's one statement (graph/needs/workflow.py) and
        queues the Event in the mutation's outbox, published after the commit."""
        event = await workflow.apply(
            self.tx,
            self.state,
            self.operation,
            change,
            actor_id=self.viewer.subject,
            role=self.viewer.role.value,
            to_state=to_state,
            note=note,
        )
        self.outbox.add(Published.of_need(event, self.state.place_ids, self.state.resident_ids, audience))
        return event


async def begin(
    tx: Tx, viewer: Viewer, outbox: Outbox, need_id: str, operation: str, *, requester: bool = False, **facts: Any
) -> tuple[LockedNeed, Decider, str]:
    """How a coordinator's move on a need starts (with `requester`, also the raising resident's): the need's
    facts read under its lock, the caller authorised on them (FORBIDDEN), then the move checked against the
    lifecycle table (CONFLICT). Returns the facts, their `Decider` and the state the move leads to."""
    state = await workflow.facts(tx, need_id, movable=lifecycle.allowed_from(operation), **facts)
    if requester:
        require_requester_or_coordinator(viewer, state, operation)
    else:
        require_coordinator(viewer, state)
    to_state = lifecycle.check_transition(operation, state.status, state.number)
    return state, Decider(tx, outbox, viewer, state, operation), to_state
