"""Races that certainly overlap, and one request sent many times at once with the same idempotencyKey.

`asyncio.gather` alone starts the requests together but cannot make them meet in the database: the
copies of a quick mutation often ran one after the other, and a build without the protection under
test passed its race some of the time (a key read without its lock, two runs in five; a venue booked
without its lock, two in three). `released_together` makes the meeting certain: the test holds the
write lock of a node every request locks, starts them, and lets go once all of them wait in Neo4j.

The same key at once: a client that retries (a flaky network, a double tap) may send its keyed request
again before the first has answered. The idempotency record's id is unique, so the copies wait for the
first to commit and then answer its result (graph/kernel/idempotency.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from graph.kernel.db import Graph

SAME_KEY_AT_ONCE = 20
T = TypeVar("T")


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


async def released_together(graph: Graph, gate: tuple[str, str], calls: Sequence[Awaitable[T]]) -> list[T]:
    """Runs `calls` (requests that write) so that they are all in Neo4j together: `gate` (label, id of
    a node each of them locks) is held while they start, and let go once every one waits for a lock
    (`Blocked by: …` in SHOW TRANSACTIONS, or for its turn in front of it in this process) or, where
    nothing stopped it, has finished."""
    async with holding(graph, *gate):
        tasks = [asyncio.create_task(call) for call in calls]  # type: ignore[arg-type]
        try:
            await _all_in(graph, tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
    return await asyncio.gather(*tasks)


async def _all_in(graph: Graph, tasks: list[asyncio.Task], patience: float = 120.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    arrived = 0
    while arrived < len(tasks):
        if loop.time() > deadline:
            raise AssertionError(f"{arrived} of {len(tasks)} requests reached the database within {patience:g} s")
        await asyncio.sleep(0.05)
        rows = await graph.read(
            "SHOW TRANSACTIONS YIELD status WHERE status STARTS WITH 'Blocked' RETURN count(*) AS blocked"
        )
        # A request of this process may instead wait for its turn at the lock (graph/kernel/db.py Turns):
        # it has reached the line in front of Neo4j's lock, and goes to Neo4j when the one ahead ends.
        arrived = rows[0]["blocked"] + graph.turns.waiting_now() + sum(task.done() for task in tasks)


async def same_request_at_once(client, document: str, variables: dict, tok: str, gate: tuple[str, str]) -> list[dict]:
    """`SAME_KEY_AT_ONCE` copies of one keyed request, all in flight together (`released_together`):
    `gate` is a node the mutation locks after claiming its key; while it is held the first copy waits
    there and the others on its idempotency record."""
    assert variables["input"].get("idempotencyKey"), "the race is about one key"
    calls = [client(document, variables, token=tok, expect_errors=True) for _ in range(SAME_KEY_AT_ONCE)]
    return await released_together(client.graph, gate, calls)


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
