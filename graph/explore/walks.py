"""Neighbourhoods and shortest paths, each one statement.

Only nodes of the labels given are walked through (the caller passes the kinds the viewer may be
shown), so a path never runs through a resident or an account. The hop counts are validated
integers written into the statement (Cypher takes no parameter there); everything else is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from graph.kernel.db import Graph

RELATIONSHIP = "{type: type(r), fromId: startNode(r).id, toId: endNode(r).id}"
SHOWN = "n.id IS NOT NULL AND any(l IN labels(n) WHERE l IN $labels)"


@dataclass(frozen=True)
class Walk:
    """Node ids (nearest first, the start first) and the relationships between them."""

    ids: list[str]
    relationships: list[dict[str, str]]
    truncated: bool = False


@cache
def _neighbourhood(label: str, hops: int) -> str:
    steps = "".join(
        "CALL (seen, frontier) { UNWIND frontier AS f MATCH (f)--(n) "
        f"WHERE {SHOWN} AND NOT n IN seen WITH DISTINCT n LIMIT $limit RETURN collect(n) AS found }} "
        "WITH seen + found[0..($limit - size(seen))] AS grown, found, seen, cut "
        "WITH grown AS seen, grown[size(seen)..] AS frontier, cut OR size(seen) + size(found) > $limit AS cut "
        for _ in range(hops)
    )
    return (
        f"MATCH (c:{label} {{id: $id}}) "
        "WITH [c] AS seen, [c] AS frontier, false AS cut "
        f"{steps}"
        "CALL (seen) { UNWIND seen AS a MATCH (a)-[r]->(b) WHERE b IN seen "
        f"RETURN collect({RELATIONSHIP}) AS relationships }} "
        "RETURN [n IN seen | n.id] AS ids, relationships, cut"
    )


async def neighbourhood(
    graph: Graph, node_id: str, label: str, hops: int, labels: list[str], limit: int
) -> Walk | None:
    """The nodes within `hops` of the node (at most `limit` with it), level by level; None when it
    does not exist."""
    rows = await graph.read(
        _neighbourhood(label, hops), "explore.neighbourhood", id=node_id, labels=labels, limit=limit
    )
    if not rows:
        return None
    return Walk(rows[0]["ids"], rows[0]["relationships"], rows[0]["cut"])


@cache
def _paths(from_label: str, to_label: str, max_hops: int) -> str:
    return (
        f"MATCH (a:{from_label} {{id: $fromId}}), (b:{to_label} {{id: $toId}}) "
        f"MATCH p = allShortestPaths((a)-[*..{max_hops}]-(b)) "
        "WHERE all(n IN nodes(p) WHERE " + SHOWN + ") "
        "WITH p LIMIT $first "
        f"RETURN [n IN nodes(p) | n.id] AS ids, [r IN relationships(p) | {RELATIONSHIP}] AS relationships"
    )


async def shortest_paths(
    graph: Graph, from_id: str, from_label: str, to_id: str, to_label: str, max_hops: int, labels: list[str], first: int
) -> list[Walk]:
    """Up to `first` shortest paths between two nodes through the labels given."""
    cypher = _paths(from_label, to_label, max_hops)
    rows = await graph.read(cypher, "explore.paths", fromId=from_id, toId=to_id, labels=labels, first=first)
    return [Walk(row["ids"], row["relationships"]) for row in rows]
