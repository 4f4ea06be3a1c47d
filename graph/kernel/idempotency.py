"""Idempotency records: a retried mutation with the same key and caller gets the first result.

The record is written in the mutation's own transaction, so it exists exactly when the change
does. Records expire: `sweep_expired` deletes those older than the server's
`MINHU_IDEMPOTENCY_TTL_HOURS` (the background sweep and `minhu sweep` call it), so a key is
recognised for at least that long and at most one sweep interval longer. Its id is unique,
so two identical requests racing each other serialise on it: the second
waits for the first to commit and then finds its result.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import Conflict


def record_id(caller: str, key: str) -> str:
    return "idem:" + hashlib.sha256(f"{caller}\x00{key}".encode()).hexdigest()[:40]


async def claim(tx: Tx, caller: str, key: str, operation: str) -> dict[str, Any] | None:
    """The stored result of an earlier request with this key, or None if this one is the first."""
    row = await tx.single(
        "MERGE (r:IdempotencyRecord {id: $id}) "
        "ON CREATE SET r.createdAt = datetime(), r.operation = $operation, r.caller = $caller, r.pending = true "
        "RETURN r.operation AS operation, r.result AS result, r.pending AS pending",
        id=record_id(caller, key),
        operation=operation,
        caller=caller,
    )
    assert row is not None
    if row["operation"] != operation:
        raise Conflict(
            f"idempotencyKey {key!r} was already used for {row['operation']}; use a new key for a new request",
            field="idempotencyKey",
        )
    if row["result"] is not None:
        return json.loads(row["result"])
    return None


async def store(tx: Tx, caller: str, key: str, result: dict[str, Any]) -> None:
    await tx.run(
        "MATCH (r:IdempotencyRecord {id: $id}) SET r.result = $result REMOVE r.pending",
        id=record_id(caller, key),
        result=json.dumps(result, ensure_ascii=False, default=str),
    )


# Records deleted per transaction: keeps each sweep transaction small however large the backlog.
SWEEP_BATCH = 5000


async def sweep_expired(graph: Graph, older_than: datetime) -> int:
    """Deletes the records created before `older_than`, in small transactions; returns how many."""
    deleted = 0
    while True:
        row = await graph.write_tx(
            lambda tx: tx.single(
                "MATCH (r:IdempotencyRecord) WHERE r.createdAt < $cutoff "
                "WITH r LIMIT $batch DELETE r RETURN count(*) AS deleted",
                cutoff=older_than,
                batch=SWEEP_BATCH,
            )
        )
        count = row["deleted"] if row else 0
        deleted += count
        if count < SWEEP_BATCH:
            return deleted
