"""One request sent many times at once with the same idempotencyKey: one effect, one answer.

A client that retries (a flaky network, a double tap) may send its keyed request again before the
first has answered. The idempotency record's id is unique, so the copies wait for the first to commit
and then answer its result (graph/kernel/idempotency.py).

"At once" is made certain, not left to timing: the test holds the write lock of a node every copy's
work locks after its key is claimed (the need, or the district that numbers a new one), sends the
copies, and lets go only once all of them wait for a lock in Neo4j. Left to `asyncio.gather` alone,
the copies of a quick mutation often ran one after the other, and a key read without its lock
(every copy sees no record and runs) passed the race two runs in five.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from graph.kernel.db import Graph

SAME_KEY_AT_ONCE = 20


@asynccontextmanager
async def holding(graph: Graph, label: str, node_id: str) -> AsyncIterator[None]:
    """The write lock of one node, held by a transaction of the test's own until the block ends, then
    rolled back (it changes nothing)."""
    async with graph.driver.session(database=graph.database) as session:
        tx = await session.begin_transaction()
        try:
            result = await tx.run(f"MATCH (x:{label} {{id: $id}}) SET x._lock = true RETURN x.id AS id", id=node_id)
            assert await result.single() is not None, f"no {label} {node_id!r} to hold"
            yield
        finally:
            await tx.rollback()


async def waiting_for_locks(graph: Graph, count: int, patience: float = 120.0) -> None:
    """Until at least `count` transactions wait for a lock (`Blocked by: …` in SHOW TRANSACTIONS)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    blocked = 0
    while blocked < count:
        if loop.time() > deadline:
            raise AssertionError(f"{blocked} of {count} copies reached the database within {patience:g} s")
        await asyncio.sleep(0.05)
        rows = await graph.read(
            "SHOW TRANSACTIONS YIELD status WHERE status STARTS WITH 'Blocked' RETURN count(*) AS blocked"
        )
        blocked = rows[0]["blocked"]


async def same_request_at_once(client, document: str, variables: dict, tok: str, gate: tuple[str, str]) -> list[dict]:
    """`SAME_KEY_AT_ONCE` copies of one keyed request, all in flight together: released from `gate`
    (label, id: a node the mutation locks after claiming its key) once every copy waits in Neo4j, on
    the gate or, when the key holds, on the first copy's idempotency record."""
    assert variables["input"].get("idempotencyKey"), "the race is about one key"
    async with holding(client.graph, *gate):
        copies = [
            asyncio.create_task(client(document, variables, token=tok, expect_errors=True))
            for _ in range(SAME_KEY_AT_ONCE)
        ]
        try:
            await waiting_for_locks(client.graph, SAME_KEY_AT_ONCE)
        except BaseException:
            for copy in copies:
                copy.cancel()
            raise
    return await asyncio.gather(*copies)


def one_answer(bodies: list[dict], name: str) -> dict[str, Any]:
    """Every copy succeeded; exactly one ran (`replayed: false`), the others replayed it; all answered
    the same payload. Returns it."""
    errors = [b["errors"] for b in bodies if "errors" in b]
    assert not errors, errors[:3]
    answers = [b["data"][name] for b in bodies]
    ran = sum(not a["replayed"] for a in answers)
    assert ran == 1, f"{ran} of {len(answers)} copies ran the mutation"
    payloads = [{k: v for k, v in a.items() if k != "replayed"} for a in answers]
    assert all(p == payloads[0] for p in payloads), [p for p in payloads if p != payloads[0]][:2]
    return payloads[0]
