"""Write locks taken before a check, so check-then-write is safe under concurrency.

Neo4j reads committed data without locking, so two transactions can both see a need as open
and both take it. Writing a property takes the node's exclusive lock; once we hold it, every
later read in the same transaction sees the last committed state, and competitors wait.
Which kinds are locked is declared with each kind (`Kind.lockable`).
"""

from functools import cache

from graph.kernel import registry
from graph.kernel.db import Tx
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
