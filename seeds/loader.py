"""The bulk loader: streams a generator preset into Neo4j with batched `UNWIND $rows` statements.

Nodes are created in batches per label (`CREATE … SET n = row`, each row a plain map); relationships
in batches per (start label, type, end label), matching both ends on their unique `id` (index-backed).
Before any relationship batch is written, every pending node batch is flushed, so both ends exist.
Loading is for an empty graph only: a second load is rejected (`SeedError`) instead of duplicating.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from neo4j.spatial import WGS84Point

from graph.kernel import bulk
from graph.kernel.db import Graph
from graph.needs.write import set_need_sequences
from seeds.assessment import with_whistle
from seeds.generator import PRESETS, Generator, LatLon, Node, Record
from seeds.property_firms import with_firms
from seeds.ten_things import with_ten_things

NODE_BATCH = 5_000
REL_BATCH = 10_000

Progress = Callable[[str, int, int], None]


class SeedError(RuntimeError):
    """The graph cannot be seeded as asked (e.g. it already holds data)."""


async def graph_is_empty(graph: Graph) -> bool:
    """True when no District exists yet (the places are the first thing a seed writes)."""
    return await bulk.is_empty(graph)


def _row(props: dict[str, Any]) -> dict[str, Any]:
    return {k: WGS84Point((v.lon, v.lat)) if isinstance(v, LatLon) else v for k, v in props.items() if v is not None}


async def load_preset(
    graph: Graph,
    preset: str,
    *,
    seed: int = 20261125,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Generates `preset` and writes it; returns the number of nodes created per label.

    `progress(name, done, total)` is called after every batch: `name` is a label (or `:TYPE` for
    relationships), `done` what is written of it, `total` what has been generated of it so far
    (the stream's length is unknown until it ends). Migrations must have run (unique ids).
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; presets: {', '.join(sorted(PRESETS))}")
    if not await graph_is_empty(graph):
        raise SeedError("the graph already holds seeded data (District nodes exist); wipe it before seeding again")

    nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rels: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    generated: Counter[str] = Counter()
    written: Counter[str] = Counter()

    async def flush_nodes(label: str) -> None:
        rows = nodes.pop(label, None)
        if not rows:
            return
        await bulk.create_nodes(graph, label, rows)
        written[label] += len(rows)
        if progress:
            progress(label, written[label], generated[label])

    async def flush_all_nodes() -> None:
        for label in list(nodes):
            await flush_nodes(label)

    async def flush_rels(key: tuple[str, str, str]) -> None:
        rows = rels.pop(key, None)
        if not rows:
            return
        start, rel_type, end = key
        await bulk.create_relationships(graph, start, rel_type, end, rows)
        name = f":{rel_type}"
        written[name] += len(rows)
        if progress:
            progress(name, written[name], generated[name])

    for record in _stream(Generator(preset, seed, now)):
        if isinstance(record, Node):
            generated[record.label] += 1
            batch = nodes[record.label]
            batch.append(_row(record.props))
            if len(batch) >= NODE_BATCH:
                await flush_nodes(record.label)
        else:
            key = (record.start_label, record.type, record.end_label)
            generated[f":{record.type}"] += 1
            rbatch = rels[key]
            rbatch.append({"a": record.start, "b": record.end})
            if len(rbatch) >= REL_BATCH:
                await flush_all_nodes()
                await flush_rels(key)
    await flush_all_nodes()
    for key in list(rels):
        await flush_rels(key)
    await set_need_sequences(graph)
    return {label: count for label, count in sorted(generated.items()) if not label.startswith(":")}


def _stream(gen: Generator) -> Iterator[Record]:
    """The generator's records with the demo's property firms, whistles and practical matters laid over them."""
    return with_ten_things(gen, with_whistle(gen, with_firms(gen)))
