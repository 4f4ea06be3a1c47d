"""Cypher for evaluations (谁呼谁评、谁应评谁): `(:Evaluation)-[:OF]->(:Assignment)`.

An Evaluation rates one completion of one assignment: `forCompletionAt` is the assignment's
`completedAt` when it was rated, so after a reopening and a second completion the same
assignment can be rated again, but one completion is never rated twice by the same role.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graph.kernel.db import Graph, Tx
from graph.kernel.ids import new_id
from graph.kernel.locks import lock

_COMPLETED = """
MATCH (:Need {id: $need})<-[:OF]-(a:Assignment {status: 'COMPLETED'})-[:TO]->(t)
RETURN a.id AS id, a.completedAt AS completedAt, t.id AS targetId, labels(t)[0] AS targetLabel,
  [(t)<-[:OFFERS]-(u:Unit) | u.id][0] AS unitId, [(a)-[:BY]->(u:User) | u.id][0] AS byId
ORDER BY a.completedAt DESC, a.id
LIMIT 1
"""


async def completed_assignment(tx: Tx, need_id: str) -> dict[str, Any] | None:
    """The assignment whose completion is being rated (the latest one), with its handler and dispatcher."""
    return await tx.single(_COMPLETED, need=need_id)


_ALREADY = """
MATCH (e:Evaluation {byRole: $byRole})-[:OF]->(a:Assignment {id: $assignment})
WHERE e.forCompletionAt = a.completedAt
RETURN e.id AS id
"""


async def already_rated(tx: Tx, assignment_id: str, by_role: str) -> bool:
    return bool(await tx.run(_ALREADY, assignment=assignment_id, byRole=by_role))


_CREATE = """
MATCH (a:Assignment {id: $assignment})
CREATE (e:Evaluation {id: $id, rating: $rating, comment: $comment, byRole: $byRole, byId: $byId,
  forCompletionAt: a.completedAt, createdAt: datetime()})-[:OF]->(a)
RETURN e {.*, assignmentId: a.id} AS evaluation
"""


async def create(tx: Tx, assignment_id: str, rating: int, comment: str, by_role: str, by_id: str) -> dict[str, Any]:
    row = await tx.single(
        _CREATE,
        assignment=assignment_id,
        id=new_id("evaluation"),
        rating=rating,
        comment=comment,
        byRole=by_role,
        byId=by_id,
    )
    assert row is not None, "the assignment was read in this transaction"
    return row["evaluation"]


# The counters are read and written after the node's lock, so concurrent ratings never lose one.
_ADD = {
    label: f"MATCH (x:{label} {{id: $id}}) SET x.ratingSum = coalesce(x.ratingSum, 0) + $rating, "
    "x.ratingCount = coalesce(x.ratingCount, 0) + 1"
    for label in ("Member", "Unit", "Offering")
}


async def add_rating(tx: Tx, holders: list[tuple[str, str]], rating: int) -> None:
    """Adds one rating to each (label, id): the handler, and the unit behind an offering."""
    for label, node_id in holders:
        await lock(tx, label, node_id)
        await tx.run(_ADD[label], id=node_id, rating=rating)


def as_datetime(value: Any) -> datetime | None:
    """Neo4j's DateTime as a Python datetime."""
    return value.to_native() if hasattr(value, "to_native") else value


async def evaluation_by_id(graph: Graph, evaluation_id: str) -> dict[str, Any] | None:
    """An evaluation as the payload shows it (id, rating, comment, byRole), None if there is none."""
    rows = await graph.read(
        "MATCH (e:Evaluation {id: $id}) RETURN e.id AS id, e.rating AS rating, e.comment AS comment, "
        "e.byRole AS byRole",
        id=evaluation_id,
    )
    return rows[0] if rows else None
