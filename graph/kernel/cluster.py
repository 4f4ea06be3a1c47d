"""What several API processes share through the graph: the events outbox and leases.

The outbox: with a broker configured, a mutation writes its events as `OutboxEntry` nodes in its
own transaction, so an event exists exactly when its change committed; a relay (resolvers/kernel/
broker.py) copies them to the broker after the commit and deletes them. A broker outage therefore
neither loses nor blocks a committed change: the entries wait in the graph.

Consumers: an entry names who still has to take it (`for`: "broker", "webhooks"), each consumer reads
the entries still waiting for it and strikes its name off; the last one deletes the entry. Entries
written before consumers were named are the broker's.

Order: entries are read by `at` (the server's clock when the entry was written, at the end of the
transaction) and their position in it. Two transactions touching one need are serialised by the
need's write lock, so the later one's entries carry a later `at`; unrelated needs may interleave.

Leases: `claim_slot` lets one process of many do a periodic job once per interval (the overdue
sweep): time is cut into slots of `interval` seconds by the database's clock, and each slot is
claimed by exactly one caller, whoever comes first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from graph.kernel.db import Graph, Tx

BROKER = "broker"
# What an entry without `for` waits for (entries written before consumers were named).
_FOR = "coalesce(o.for, ['broker'])"


async def record(tx: Tx, payloads: list[str], consumers: Sequence[Sequence[str]] | None = None) -> None:
    """Writes the events of this transaction (serialised by the caller) as outbox entries, the i-th
    waiting for every one of `consumers[i]` (None: each for the broker alone). The caller leaves out
    the events nobody waits for."""
    if not payloads:
        return
    await tx.run(
        "UNWIND range(0, size($payloads) - 1) AS i "
        "CREATE (:OutboxEntry {id: $prefix + toString(i), seq: i, at: datetime.realtime(), payload: $payloads[i], "
        "for: $consumers[i]})",
        payloads=payloads,
        consumers=[list(c) for c in consumers] if consumers is not None else [[BROKER]] * len(payloads),
        prefix=f"outbox:{uuid.uuid4().hex}-",
    )


async def pending(graph: Graph, limit: int, consumer: str = BROKER) -> list[dict[str, Any]]:
    """The oldest entries `consumer` has not taken yet, in commit order. Read in a write transaction: on
    a cluster that is the leader, which has every committed entry."""
    return await graph.write_tx(
        lambda tx: tx.run(
            f"MATCH (o:OutboxEntry) WHERE $consumer IN {_FOR} "
            "RETURN o.id AS id, o.payload AS payload ORDER BY o.at, o.seq LIMIT $limit",
            limit=limit,
            consumer=consumer,
        )
    )


_TAKEN = f"""
UNWIND $ids AS id MATCH (o:OutboxEntry {{id: id}})
WITH o, [c IN {_FOR} WHERE c <> $consumer] AS rest
FOREACH (_ IN CASE WHEN size(rest) = 0 THEN [1] ELSE [] END | DELETE o)
FOREACH (_ IN CASE WHEN size(rest) > 0 THEN [1] ELSE [] END | SET o.for = rest)
"""


async def taken(tx: Tx, ids: list[str], consumer: str) -> None:
    """`consumer` has taken these entries (in the caller's transaction); an entry nobody waits for is deleted."""
    await tx.run(_TAKEN, ids=ids, consumer=consumer)


_CLAIM = f"""
MATCH (o:OutboxEntry) WHERE $consumer IN {_FOR}
WITH o ORDER BY o.at, o.seq LIMIT $limit
SET o._lock = true REMOVE o._lock
WITH o WHERE $consumer IN {_FOR}
RETURN o.id AS id, o.payload AS payload, o.at AS at, o.seq AS seq
ORDER BY at, seq
"""


async def claim(tx: Tx, consumer: str, limit: int) -> list[dict[str, Any]]:
    """The oldest entries waiting for `consumer`, under their write locks (in the caller's transaction,
    which then strikes them off with `taken`): a second caller at once waits for the first one's commit
    and then finds them taken, so each entry is handed to one caller."""
    return await tx.run(_CLAIM, consumer=consumer, limit=limit)


async def relayed(graph: Graph, ids: list[str], consumer: str = BROKER) -> None:
    await graph.write_tx(lambda tx: taken(tx, ids, consumer))


async def waiting(graph: Graph) -> int:
    """How many entries wait for the relay (for /metrics and tests)."""
    rows = await graph.read("MATCH (o:OutboxEntry) RETURN count(o) AS n")
    return rows[0]["n"]


async def claim_slot(
    graph: Graph, name: str, interval_seconds: float, holder: str, at_millis: int | None = None
) -> int | None:
    """The current slot of `name` when this caller claimed it, None when another already had it.

    The lease node's write lock is taken before its slot is read, so of two concurrent callers the
    second reads the first one's committed slot and gives up. The slot comes from the database's
    clock (one clock for every process); `at_millis` pins it (tests).
    """

    async def work(tx: Tx) -> int | None:
        row = await tx.single(
            "MERGE (l:Lease {id: $id}) SET l._lock = true REMOVE l._lock "
            "WITH l, coalesce($at, datetime.realtime().epochMillis) / $millis AS slot "
            "WHERE coalesce(l.slot, -1) < slot "
            "SET l.slot = slot, l.holder = $holder, l.claimedAt = datetime.realtime() "
            "RETURN slot",
            id=f"lease:{name}",
            millis=max(1, int(interval_seconds * 1000)),
            holder=holder,
            at=at_millis,
        )
        return row["slot"] if row else None

    return await graph.write_tx(work)
