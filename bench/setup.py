"""The benchmark's graph: its own local Neo4j with the `city` seed, kept between runs.

The store lives in `.minhu/bench-neo4j` (git-ignored), so only the first `make bench` pays for
loading the city (several minutes on two cores); later runs start Neo4j and go. A marker file is
written only after the load finished, so an interrupted load is redone from an empty store
instead of benchmarking half a city. With NEO4J_URI set, that server is used as it is (seeded
if it holds no places yet).
"""

from __future__ import annotations

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
from seeds.loader import graph_is_empty, load_preset

HOME = Path(os.environ.get("MINHU_BENCH_DIR", ".minhu/bench-neo4j"))
MARKER = "seeded-city"


def _progress() -> object:
    last = [0.0]

    def report(name: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 5:
            last[0] = now
            print(f"  loading city seed: {name} {done:,}", file=sys.stderr, flush=True)

    return report


def _fresh_or_cached(marker: Path) -> local_neo4j.LocalNeo4j:
    """The cached Neo4j (running, or started on the cached store); a fresh one if the load never finished."""
    server = local_neo4j.running(HOME)
    if not marker.exists():
        if server is not None:
            server.stop()
        shutil.rmtree(HOME / "store", ignore_errors=True)
        server = None
    return server or local_neo4j.start(HOME, heap="2g", pagecache="1g", verbose=True)


@asynccontextmanager
async def bench_graph(preset: str = "city", keep_running: bool = False) -> AsyncIterator[Graph]:
    """A connected graph holding the preset; stops the Neo4j it started on exit unless `keep_running`."""
    server = None
    started_here = False
    uri = os.environ.get("NEO4J_URI")
    marker = HOME / f"{MARKER}-{preset}"
    if not uri:
        server = _fresh_or_cached(marker)
        started_here = server.process is not None and not keep_running
        uri = server.uri
    graph = Graph.connect(uri, os.environ.get("NEO4J_USER"), os.environ.get("NEO4J_PASSWORD"), "neo4j")
    try:
        await migrate(graph)
        if await graph_is_empty(graph):
            started = time.monotonic()
            print(f"bench: loading the {preset} seed (first run only)…", file=sys.stderr, flush=True)
            await load_preset(graph, preset, progress=_progress())  # type: ignore[arg-type]
            print(f"bench: seed loaded in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
            if server is not None:
                marker.write_text("ok")
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
