"""Reading nodes into records by id or code, in batches: `node(id:)` and every by-id DataLoader."""

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from graph.kernel import registry
from graph.kernel.db import Graph, Tx
from graph.kernel.listing import to_record


# Fixed per label (never built from input), so Neo4j plans each once and uses the id constraint.
@cache
def _by_ids(label: str) -> str:
    kind = registry.by_label(label)
    if kind.record is None:
        raise KeyError(f"{label} is never read as a record")
    return f"UNWIND $ids AS wanted MATCH (x:{label} {{id: wanted}}) RETURN {kind.projection} AS row"


@cache
def _by_codes(label: str) -> str:
    kind = registry.by_label(label)
    if not kind.catalog:
        raise KeyError(f"{label} is not found by code")
    return f"UNWIND $codes AS wanted MATCH (x:{label} {{code: wanted}}) RETURN {kind.projection} AS row"


@cache
def _existing(label: str) -> str:
    kind = registry.by_label(label)
    return f"UNWIND $ids AS wanted MATCH (x:{kind.label} {{id: wanted}}) RETURN x.id AS id"


async def nodes_by_ids(graph: Graph, label: str, ids: Sequence[str]) -> list[Any]:
    """The records for `ids`, in the same order, None where no such node exists."""
    rows = await graph.read(_by_ids(label), f"byId.{label}", ids=list(dict.fromkeys(ids)))
    found = {row["row"]["id"]: to_record(label, row["row"]) for row in rows}
    return [found.get(node_id) for node_id in ids]


async def nodes_by_codes(graph: Graph, label: str, codes: Sequence[str]) -> list[Any]:
    rows = await graph.read(_by_codes(label), f"byCode.{label}", codes=list(dict.fromkeys(codes)))
    found = {row["row"]["code"]: to_record(label, row["row"]) for row in rows}
    return [found.get(code) for code in codes]


async def existing_ids(tx: Tx, label: str, ids: Iterable[str]) -> set[str]:
    """Which of `ids` exist as `label` nodes, inside a write transaction: one statement per batch."""
    wanted = sorted(set(ids))
    return {row["id"] for row in await tx.run(_existing(label), f"exists.{label}", ids=wanted)} if wanted else set()
