"""What every need mutation does inside its transaction: lock, read state, check, record, announce.

`announce` writes the audit Event and queues it in the mutation's outbox (resolvers/kernel/mutations.py),
which publishes it after the commit, and only when the work really ran.
"""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import Forbidden
from graph.kernel.locks import lock
from graph.needs import audit
from graph.needs.write import need_state
from graph.places.scopes import NeedAccess
from resolvers.kernel.authz import in_scope
from resolvers.kernel.events import Published
from resolvers.kernel.mutations import Outbox
from resolvers.kernel.viewer import Role, Viewer


async def locked_need(tx: Tx, need_id: str) -> dict[str, Any]:
    """The need's state, read after taking its write lock: competitors wait until we commit."""
    await lock(tx, "Need", need_id, "need")
    return await need_state(tx, need_id)


def handler_ids(viewer: Viewer) -> frozenset[str]:
    """Whom the caller answers for: a member themself; a unit admin their unit (and its offerings)."""
    if viewer.role is Role.MEMBER:
        return frozenset({viewer.subject})
    if viewer.role is Role.UNIT_ADMIN and viewer.scope_id:
        return frozenset({viewer.scope_id})
    return frozenset()


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


async def announce(
    tx: Tx,
    outbox: Outbox,
    state: dict[str, Any],
    viewer: Viewer,
    *,
    type: str,
    to_state: str | None,
    note: str | None = None,
    audience: set[str] | None = None,
) -> None:
    """Records the need's audit Event in this transaction and queues it for subscribers after commit."""
    event = await audit.record_event(
        tx,
        state["id"],
        actor_id=viewer.subject,
        role=viewer.role.value,
        from_state=state["status"],
        to_state=to_state,
        type=type,
        note=note,
    )
    outbox.add(Published(event, frozenset(state["placeIds"]), frozenset(audience or ())))
