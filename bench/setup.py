"""The benchmark's graph: its own local Neo4j with the `city` seed, kept between runs.

The store lives in `.minhu/bench-neo4j` (git-ignored). It is filled by the bulk load
(seeds/admin_import.py: CSV from the generator, `neo4j-admin database import full`, migrations on
the first start), and the seconds that took are written into a marker file, which `make bench`
prints as the seed load time. Later runs start Neo4j on the cached store and go; with
MINHU_BENCH_FRESH=1 the store is deleted and loaded again, so the printed time is this run's. An
interrupted load left no marker and is redone from an empty store instead of benchmarking half a
city. With NEO4J_URI set, that server is used as it is (seeded transactionally if it holds no places).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from graph.kernel.db import Graph
from graph.kernel.migrations import migrate
from graph.local import server as local_neo4j
from seeds.admin_import import bulk_seed
from seeds.loader import graph_is_empty, load_preset

HOME = Path(os.environ.get("MINHU_BENCH_DIR", ".minhu/bench-neo4j"))
MARKER = "seeded-city"
HEAP, PAGECACHE = "2g", "1g"


def _progress() -> object:
    last = [0.0]

    def report(name: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 5:
            last[0] = now
            print(f"  loading city seed: {name} {done:,}", file=sys.stderr, flush=True)

    return report


# The Bolt address of the graph bench_graph yields (the API subprocesses connect to it too).
SERVED: dict[str, str] = {}
# What the last bulk load took, read from the marker: {"total": s, "import": s, ...} and when.
LOAD: dict[str, object] = {}


async def _fresh_or_cached(marker: Path, preset: str) -> local_neo4j.LocalNeo4j:
    """The cached Neo4j (running, or started on the cached store); bulk-loaded afresh if the load never
    finished or MINHU_BENCH_FRESH is set."""
    server = local_neo4j.running(HOME)
    if os.environ.get("MINHU_BENCH_FRESH"):
        marker.unlink(missing_ok=True)
    if marker.exists():
        with contextlib.suppress(ValueError):  # a marker of an older bench holds no timings
            LOAD.update(json.loads(marker.read_text()))
        LOAD.update(cached=True)
        return server or local_neo4j.start(HOME, heap=HEAP, pagecache=PAGECACHE, verbose=True)
    if server is not None:
        server.stop()
    shutil.rmtree(HOME / "store", ignore_errors=True)
    print(f"bench: bulk-loading the {preset} seed…", file=sys.stderr, flush=True)
    say = lambda text: print(f"  {text}", file=sys.stderr, flush=True)  # noqa: E731
    server, timings = await bulk_seed(HOME, preset, heap=HEAP, pagecache=PAGECACHE, progress=say)
    LOAD.update(timings, at=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), cached=False)
    marker.write_text(json.dumps({k: v for k, v in LOAD.items() if k != "cached"}))
    print(f"bench: seed loaded in {timings['total']:.1f} s", file=sys.stderr, flush=True)
    return server


@asynccontextmanager
async def bench_graph(preset: str = "city", keep_running: bool = False) -> AsyncIterator[Graph]:
    """A connected graph holding the preset; stops the Neo4j it started on exit unless `keep_running`."""
    server = None
    started_here = False
    uri = os.environ.get("NEO4J_URI")
    marker = HOME / f"{MARKER}-{preset}"
    if not uri:
        server = await _fresh_or_cached(marker, preset)
        started_here = server.process is not None and not keep_running
        uri = server.uri
    SERVED["uri"] = uri
    graph = Graph.connect(uri, os.environ.get("NEO4J_USER"), os.environ.get("NEO4J_PASSWORD"), "neo4j")
    try:
        await migrate(graph)
        if await graph_is_empty(graph):
            started = time.monotonic()
            print(f"bench: loading the {preset} seed (first run only)…", file=sys.stderr, flush=True)
            await load_preset(graph, preset, progress=_progress())  # type: ignore[arg-type]
            LOAD.update(total=time.monotonic() - started, transactional=True, cached=False)
            print(f"bench: seed loaded in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        yield graph
    finally:
        await graph.close()
        if started_here and server is not None:
            server.stop()


async def _main(keep: bool) -> None:
    """`python -m bench.setup [--keep]`: load (or check) the cached city graph; --keep leaves Neo4j up."""
    async with bench_graph(keep_running=keep) as graph:
        rows = await graph.read("MATCH (m:Member) RETURN count(m) AS members")
        print(f"bench graph ready: {rows[0]['members']:,} members")


if __name__ == "__main__":
    import asyncio

    asyncio.run(_main("--keep" in sys.argv))
