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
