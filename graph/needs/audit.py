"""The audit trail: one Event per state change, written in the transaction that makes the change."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from graph.kernel.ids import new_id
from graph.needs.kinds import EventType


def event_create(source: str = "$event", var: str = "e", need: str = "n") -> str:
    """The CREATE of one audit Event about the need bound to `need`, binding `var`; its properties are read
    from the map `source` as `event_params` makes it: the parameter `$event`, or a variable such as `f.event`
    for a batch. Every statement that records an Event writes it with this, so an Event has one shape."""
    return (
        f"CREATE ({var}:Event {{id: {source}.id, at: datetime(), createdAt: datetime(), actorId: {source}.actorId, "
        f"role: {source}.role, fromState: {source}.fromState, toState: {source}.toState, note: {source}.note, "
        f"type: {source}.type}})-[:ABOUT]->({need})"
    )


# For statements that write something else too (a grant and its audit in one round trip): binds `e`.
EVENT_CREATE = event_create()


def event_params(
    *,
    actor_id: str,
    role: str,
    from_state: str | None,
    to_state: str | None,
    type: str,
    note: str | None = None,
    types: type[StrEnum] = EventType,
) -> dict[str, Any]:
    """`$event` (or a batch row's `event`) for `event_create`: the properties of one audit Event. `types`:
    the value set `type` belongs to (another domain's moves of a need, such as the whistle's)."""
    return {
        "id": new_id("event"),
        "actorId": actor_id,
        "role": role,
        "fromState": from_state,
        "toState": to_state,
        "note": note,
        "type": types(type).value,
    }
