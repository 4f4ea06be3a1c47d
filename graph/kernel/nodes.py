"""Reading nodes into records by id or code, in batches: `node(id:)` and every by-id DataLoader."""

from collections.abc import Iterable, Sequence
from typing import Any

from graph.catalog import BY_LABEL
from graph.kernel.db import Graph, Tx
from graph.kernel.listing import to_record

# Fixed per label (never built from input), so Neo4j plans each once and uses the id constraint.
_BY_IDS = {
    kind.label: f"UNWIND $ids AS wanted MATCH (x:{kind.label} {{id: wanted}}) RETURN {kind.projection} AS row"
    for kind in BY_LABEL.values()
    if kind.record is not None
}
_BY_CODES = {
    kind.label: f"UNWIND $codes AS wanted MATCH (x:{kind.label} {{code: wanted}}) RETURN {kind.projection} AS row"
    for kind in BY_LABEL.values()
    if kind.catalog
}
_EXISTING = {label: f"UNWIND $ids AS wanted MATCH (x:{label} {{id: wanted}}) RETURN x.id AS id" for label in BY_LABEL}


async def nodes_by_ids(graph: Graph, label: str, ids: Sequence[str]) -> list[Any]:
    """The records for `ids`, in the same order, None where no such node exists."""
    rows = await graph.read(_BY_IDS[label], f"byId.{label}", ids=list(dict.fromkeys(ids)))
    found = {row["row"]["id"]: to_record(label, row["row"]) for row in rows}
    return [found.get(node_id) for node_id in ids]


async def nodes_by_codes(graph: Graph, label: str, codes: Sequence[str]) -> list[Any]:
    rows = await graph.read(_BY_CODES[label], f"byCode.{label}", codes=list(dict.fromkeys(codes)))
    found = {row["row"]["code"]: to_record(label, row["row"]) for row in rows}
    return [found.get(code) for code in codes]


async def existing_ids(tx: Tx, label: str, ids: Iterable[str]) -> set[str]:
    """Which of `ids` exist as `label` nodes, inside a write transaction: one statement per batch."""
    wanted = sorted(set(ids))
    return {row["id"] for row in await tx.run(_EXISTING[label], f"exists.{label}", ids=wanted)} if wanted else set()
