"""What a request wrote: the whole (small) test graph read before and after, and the difference.

A refusal must leave `changes` empty; an allowed write must change exactly what it says, whoever sends
it. Fine for the hand-made worlds of tests/support; never for the demo or city seeds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from graph.kernel.db import Graph


@dataclass(frozen=True)
class GraphState:
    nodes: dict[str, tuple[tuple[str, ...], dict[str, Any]]]  # id → labels, properties
    links: Counter[tuple[str, str, str, tuple]]  # (start id, type, end id, properties)


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


async def graph_state(graph: Graph) -> GraphState:
    nodes = await graph.read(
        "MATCH (n) WHERE NOT n:Migration "
        "RETURN coalesce(n.id, elementId(n)) AS id, labels(n) AS labels, properties(n) AS props"
    )
    links = await graph.read(
        "MATCH (a)-[r]->(b) RETURN coalesce(a.id, elementId(a)) AS a, type(r) AS type, "
        "coalesce(b.id, elementId(b)) AS b, properties(r) AS props"
    )
    return GraphState(
        {row["id"]: (tuple(sorted(row["labels"])), row["props"]) for row in nodes},
        Counter((row["a"], row["type"], row["b"], _frozen(row["props"])) for row in links),
    )


def changes(before: GraphState, after: GraphState) -> dict[str, list[str]]:
    """What differs, kept short enough to write down in a test: the labels of the nodes added, the ids
    of those removed and of those whose properties changed, and the types of the links added and removed
    (a link whose properties changed counts as removed and added). Empty when nothing was written."""
    added = [":".join(after.nodes[i][0]) for i in after.nodes.keys() - before.nodes.keys()]
    removed = list(before.nodes.keys() - after.nodes.keys())
    changed = [i for i in before.nodes.keys() & after.nodes.keys() if before.nodes[i] != after.nodes[i]]
    linked = [link[1] for link in (after.links - before.links).elements()]
    unlinked = [link[1] for link in (before.links - after.links).elements()]
    found = {"added": added, "removed": removed, "changed": changed, "linked": linked, "unlinked": unlinked}
    return {what: sorted(items) for what, items in found.items() if items}
