"""Idempotency records: a retried mutation with the same key and caller gets the first result.

The record is written in the mutation's own transaction, so it exists exactly when the change
does. Its id is unique, so two identical requests racing each other serialise on it: the second
waits for the first to commit and then finds its result.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from graph.kernel.db import Tx
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
