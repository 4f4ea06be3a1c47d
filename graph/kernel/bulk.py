"""Writing many nodes and relationships at once (seeds, imports): one statement per batch and label.

Labels and relationship types come from the kinds' declarations, never from input; values travel as
parameters.
"""

from __future__ import annotations

from typing import Any

from graph.kernel import registry
from graph.kernel.db import Graph


def _label(label: str) -> str:
    try:
        return registry.by_label(label).label
    except KeyError:
        raise ValueError(f"{label!r} is not a declared kind") from None


async def is_empty(graph: Graph) -> bool:
    """True when no District exists yet (the places are the first thing a seed writes)."""
    rows = await graph.read("MATCH (d:District) RETURN count(d) > 0 AS seeded")
    return not rows[0]["seeded"]


async def create_nodes(graph: Graph, label: str, rows: list[dict[str, Any]]) -> None:
    await graph.write(f"UNWIND $rows AS row CREATE (n:{_label(label)}) SET n = row", f"bulk.{label}", rows=rows)


async def create_relationships(graph: Graph, start: str, rel_type: str, end: str, rows: list[dict[str, str]]) -> None:
    """`(start {id: row.a})-[:rel_type]->(end {id: row.b})` for each row."""
    if not rel_type.isidentifier() or not rel_type.isupper():
        raise ValueError(f"{rel_type!r} is not a relationship type")
    await graph.write(
        f"UNWIND $rows AS row MATCH (a:{_label(start)} {{id: row.a}}) MATCH (b:{_label(end)} {{id: row.b}}) "
        f"CREATE (a)-[:{rel_type}]->(b)",
        f"bulk.{rel_type}",
        rows=rows,
    )
