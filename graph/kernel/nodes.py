"""Fetching nodes by id, in batches: the queries behind `node(id:)` and every by-id DataLoader."""

from collections.abc import Iterable, Sequence

from graph.kernel.db import Graph, Tx
from graph.kernel.projections import PROJECTIONS, to_model

# Fixed per label (never built from input), so Neo4j plans each once and uses the id constraint.
_BY_IDS = {
    label: f"UNWIND $ids AS wanted MATCH (x:{label} {{id: wanted}}) RETURN {projection} AS row"
    for label, projection in PROJECTIONS.items()
}
_BY_CODES = {
    label: f"UNWIND $codes AS wanted MATCH (x:{label} {{code: wanted}}) RETURN {PROJECTIONS[label]} AS row"
    for label in ("Category", "Skill", "Facility")
}


async def nodes_by_ids(graph: Graph, label: str, ids: Sequence[str]) -> list[object | None]:
    """The records for `ids`, in the same order, None where no such node exists."""
    rows = await graph.read(_BY_IDS[label], ids=list(dict.fromkeys(ids)))
    found = {row["row"]["id"]: to_model(label, row["row"]) for row in rows}
    return [found.get(node_id) for node_id in ids]


async def nodes_by_codes(graph: Graph, label: str, codes: Sequence[str]) -> list[object | None]:
    rows = await graph.read(_BY_CODES[label], codes=list(dict.fromkeys(codes)))
    found = {row["row"]["code"]: to_model(label, row["row"]) for row in rows}
    return [found.get(code) for code in codes]


_EXISTING = {
    label: f"UNWIND $ids AS wanted MATCH (x:{label} {{id: wanted}}) RETURN x.id AS id" for label in PROJECTIONS
}


async def existing_ids(tx: Tx, label: str, ids: Iterable[str]) -> set[str]:
    """Which of `ids` exist as `label` nodes, inside a write transaction: one statement per batch."""
    wanted = sorted(set(ids))
    return {row["id"] for row in await tx.run(_EXISTING[label], ids=wanted)} if wanted else set()
