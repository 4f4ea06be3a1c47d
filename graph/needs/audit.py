"""The audit trail: one Event per state change, written in the transaction that makes the change."""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Tx
from graph.kernel.ids import new_id
from graph.needs.kinds import EventType

_RECORD = """
MATCH (n:Need {id: $needId})
CREATE (e:Event {id: $id, at: datetime(), createdAt: datetime(), actorId: $actorId, role: $role,
                 fromState: $fromState, toState: $toState, note: $note, type: $type})-[:ABOUT]->(n)
RETURN e {.*, needId: n.id} AS event
"""


# The same Event as a fragment for statements that write something else too (a grant and its audit in one
# round trip): `n` is the need, `$event` the map `event_params` makes; binds `e`.
EVENT_CREATE = """
CREATE (e:Event {id: $event.id, at: datetime(), createdAt: datetime(), actorId: $event.actorId, role: $event.role,
                 fromState: $event.fromState, toState: $event.toState, note: $event.note, type: $event.type})
       -[:ABOUT]->(n)
"""


def event_params(
    *, actor_id: str, role: str, from_state: str | None, to_state: str | None, type: str, note: str | None = None
) -> dict[str, Any]:
    """`$event` for EVENT_CREATE: the properties `record_event` writes."""
    return {
        "id": new_id("event"),
        "actorId": actor_id,
        "role": role,
        "fromState": from_state,
        "toState": to_state,
        "note": note,
        "type": EventType(type).value,
    }


async def record_event(
    tx: Tx,
    need_id: str,
    *,
    actor_id: str,
    role: str,
    from_state: str | None,
    to_state: str | None,
    type: str,
    note: str | None = None,
) -> dict[str, Any]:
    row = await tx.single(
        _RECORD,
        needId=need_id,
        id=new_id("event"),
        actorId=actor_id,
        role=role,
        fromState=from_state,
        toState=to_state,
        note=note,
        type=EventType(type).value,
    )
    assert row is not None, "record_event is called after the need was locked, so it exists"
    return row["event"]
