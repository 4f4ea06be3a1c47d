"""Write locks taken before a check, so check-then-write is safe under concurrency.

Neo4j reads committed data without locking, so two transactions can both see a need as open
and both take it. Writing a property takes the node's exclusive lock; once we hold it, every
later read in the same transaction sees the last committed state, and competitors wait.
Which kinds are locked is declared with each kind (`Kind.lockable`).

A race has one winner and many who queue on the lock behind it. Two rules keep the queue short
(issue 20): a statement takes the lock only when the committed state, read first in the same
statement, still lets it win (`lock_if`: whoever arrives after the winner's commit is refused
without queueing), and one that queued and finds, under the lock, that it lost fails on the spot
(`still`). Neo4j ends a transaction and releases its locks the moment one of its statements fails,
so the losers in the queue leave at the server's pace, not one client round trip each; the
transaction is then run again (graph/kernel/db.py) and refused on the state that is committed now.
Within one process the queue is kept out of Neo4j altogether: raced requests wait their turn
(graph/kernel/db.py `Turns`), and one that took no lock says so (`answered_unlocked`), letting
everyone behind it go on together.
"""

from functools import cache

from graph.kernel import registry
from graph.kernel.db import MOVED_MARK, Tx, current_turn
from graph.kernel.errors import NotFound


@cache
def _lock(label: str) -> str:
    if not registry.by_label(label).lockable:
        raise KeyError(f"{label} is not declared lockable")
    return f"MATCH (x:{label} {{id: $id}}) SET x._lock = true REMOVE x._lock RETURN x.id AS id"


async def lock(tx: Tx, label: str, node_id: str, what: str | None = None) -> None:
    """Takes the write lock on one node; NotFound when there is no such node."""
    if not await tx.run(_lock(label), f"lock.{label}", id=node_id):
        raise NotFound(f"no {what or label.lower()} with id {node_id!r}", id=node_id)


def lock_if(var: str, flag: str) -> str:
    """Cypher taking the write lock on `var` only when the boolean `flag` holds: computed just before from
    the committed state, it says whether this statement can still win. One that does not take the lock
    answers from that state and is refused by its caller, without queueing behind the winner."""
    return f"CALL ({var}, {flag}) {{ WITH * WHERE {flag} SET {var}._lock = true REMOVE {var}._lock }}"


def still(condition: str) -> str:
    """Cypher failing the whole statement (its transaction ends in Neo4j, its locks released at once) when
    `condition`, read after the lock, is false: written "did not lock, or still can win", e.g.
    `NOT open OR x.status IN $movable`. The transaction is run again (MovedWhileWaiting)."""
    return f"WITH * WHERE 1 / CASE WHEN {condition} THEN 1 ELSE 0 END = 1 {MOVED_MARK}"


def answered_unlocked(locked: bool) -> None:
    """What a statement written with `lock_if` returned as its flag: False when the committed state
    answered it and it took no lock. Then the request's turn is freed, and the requests of this
    process waiting behind it go on together (graph.kernel.db.Turns)."""
    turn = current_turn()
    if not locked and turn is not None:
        turn.free()
