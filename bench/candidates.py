"""The API as a client meets it, and `matchCandidates` over HTTP on the city seed (issue 9, part 5).

`api(neo4j_uri, env)` starts the real app (`minhu serve`: uvicorn, JWT, the door, strawberry, the
resolvers) as a subprocess on a free loopback port against that Neo4j, waits until it is ready and
yields an httpx client on one keep-alive connection pool with `base_url` set to it. `env` is passed
through (e.g. `MINHU_COMPILED_READS=false`); rate limits and the sweep are off, logs quiet, so the
bench measures the request path and nothing else.

`run(graph, neo4j_uri, sample)` measures matchCandidates (all kinds and each kind) and
availableVenues over that HTTP client; goal p95 < 50 ms.

`python -m bench.candidates [--samples N] [--before REV]` runs it alone on the bench's city store;
with `--before REV` it serves a `git archive` of REV beside this checkout and sends every request to
both, alternating which goes first, so the two figures share the machine's load (before/after pairs).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.serving import child_env, wait_ready
from graph.kernel.db import Graph
from graph.local.server import free_port
from server.auth import issue_token
from server.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
WARMUP = 10
KINDS = ("MEMBER", "UNIT", "VENUE", "FUNDING")

MATCH = """query($id: ID!, $kinds: [CandidateKind!]) {
  matchCandidates(needId: $id, kinds: $kinds, first: 10) { kind score reason resource { __typename } } }"""
# The same, with the resources' ids and the scores' parts: what `--before` compares between the servers.
MATCH_COMPARED = """query($id: ID!, $kinds: [CandidateKind!]) {
  matchCandidates(needId: $id, kinds: $kinds, first: 10) {
    kind score reason parts { factor value } resource { __typename ... on Node { id } } } }"""
VENUES = """query($w: WindowInput!, $near: NearInput, $r: Float) {
  availableVenues(window: $w, capacity: 20, near: $near, radiusKm: $r, first: 10) { venue { id } score distanceKm } }"""


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# Each client `api` yields, with the `minhu serve` process it talks to (whose CPU a bench may measure).
_SERVERS: weakref.WeakKeyDictionary[httpx.AsyncClient, subprocess.Popen] = weakref.WeakKeyDictionary()


def server_pid(http: httpx.AsyncClient) -> int:
    """The process id of the API `http` (a client `api` yielded) talks to."""
    return _SERVERS[http].pid


@contextlib.asynccontextmanager
async def api(
    neo4j_uri: str, env: dict[str, str] | None = None, source: Path | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """`minhu serve` against `neo4j_uri` in a subprocess; yields a client whose base_url is the server.

    `source`: a folder holding another version of the code (e.g. a `git archive` of an older commit) to
    serve instead of this checkout, for before/after figures."""
    port = free_port()
    # The same server, its credentials kept: only the settings the bench decides are replaced.
    kept = {k: os.environ[k] for k in ("NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE") if k in os.environ}
    served_env = child_env(("NEO4J_", "MINHU_"), NEO4J_URI=neo4j_uri, PORT=str(port), **kept, **(env or {}))
    with tempfile.NamedTemporaryFile("w+", prefix="minhu-bench-api-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
            cwd=source or ROOT,
            env=served_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
            await wait_ready(http, proc, log_path)
            _SERVERS[http] = proc
            yield http
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_path.unlink(missing_ok=True)


async def timed_requests(http: httpx.AsyncClient, token: str, requests: list[tuple[str, dict]]) -> list[float]:
    """Milliseconds per request, one at a time, the first WARMUP not counted."""
    out: list[float] = []
    for i, (query, variables) in enumerate(requests):
        elapsed, _ = await _post(http, token, query, variables)
        if i >= WARMUP:
            out.append(elapsed)
    return out


async def run(graph: Graph, neo4j_uri: str, sample: list[dict[str, Any]]) -> list[tuple[str, float, float, int]]:
    """matchCandidates (all kinds, then each) and availableVenues over HTTP for the sampled open needs."""
    token = issue_token("CITY_ADMIN", None, "user:bench", timedelta(hours=1), get_settings())
    rows = []
    async with api(neo4j_uri) as http:
        # One unmeasured pass over the sample first: right after Neo4j starts, its page cache is cold and
        # the first requests read the store from disk (p95 55 ms against 35-42 ms warm); the figures are
        # for a server that has been running.
        await timed_requests(http, token, [(MATCH, {"id": n["id"], "kinds": list(KINDS)}) for n in sample])
        warm = [(MATCH, {"id": n["id"], "kinds": list(KINDS)}) for n in sample[:WARMUP]]
        ms = await timed_requests(http, token, warm + [(MATCH, {"id": n["id"], "kinds": list(KINDS)}) for n in sample])
        rows.append(("matchCandidates (all kinds)", statistics.median(ms), pct(ms, 0.95), len(ms)))
        for kind in KINDS:
            reqs = warm + [(MATCH, {"id": n["id"], "kinds": [kind]}) for n in sample]
            ms = await timed_requests(http, token, reqs)
            rows.append((f"matchCandidates {kind}", statistics.median(ms), pct(ms, 0.95), len(ms)))
        rng = random.Random(7)
        monday = datetime.now(UTC).date() + timedelta(days=7 - datetime.now(UTC).weekday())
        reqs = []
        for n in sample[:WARMUP] + sample:
            day = monday + timedelta(days=rng.randrange(0, 5), weeks=rng.randrange(0, 4))
            start = datetime(day.year, day.month, day.day, 2 + rng.randrange(0, 8), tzinfo=UTC)  # 10:00–17:00 local
            window = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
            reqs.append((VENUES, {"w": window, "near": {"placeId": n["community"]}, "r": 3}))
        ms = await timed_requests(http, token, reqs)
        rows.append(("availableVenues", statistics.median(ms), pct(ms, 0.95), len(ms)))
    return rows


async def _post(http: httpx.AsyncClient, token: str, query: str, variables: dict) -> tuple[float, Any]:
    """Milliseconds and the answer's data."""
    started = time.perf_counter()
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )
    elapsed = (time.perf_counter() - started) * 1000
    body = response.json()
    if "errors" in body:
        raise RuntimeError(f"bench request failed: {body['errors'][0]}")
    return elapsed, body["data"]


async def interleaved(
    servers: dict[str, httpx.AsyncClient], token: str, requests: list[tuple[str, dict]]
) -> tuple[dict[str, list[float]], int]:
    """Each request sent to every server in turn (the order alternating): ms per server (warm-up
    dropped), and how many requests the servers answered differently."""
    names = list(servers)
    out: dict[str, list[float]] = {name: [] for name in names}
    differ = 0
    for i, (query, variables) in enumerate(requests):
        answers = []
        for name in names if i % 2 == 0 else names[::-1]:
            elapsed, data = await _post(servers[name], token, query, variables)
            answers.append(data)
            if i >= WARMUP:
                out[name].append(elapsed)
        differ += any(_rounded(answer) != _rounded(answers[0]) for answer in answers)
    return out, differ


def _rounded(value: Any) -> Any:
    """Floats to 6 places: `fairness` moves with the clock (about 1e-9 between two servers' answers)."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


async def _main(samples: int, before: str | None) -> None:
    from bench.setup import SERVED, bench_graph

    async with bench_graph() as graph, contextlib.AsyncExitStack() as stack:
        needs = await graph.read(
            "MATCH (n:Need)-[:AT]->(p)-[:IN*0..1]->(c:Community) WHERE n.status IN ['SUBMITTED', 'DECLINED'] "
            "RETURN n.id AS id, c.id AS community ORDER BY n.id"
        )
        sample = random.Random(2026).sample(needs, min(samples, len(needs)))
        token = issue_token("CITY_ADMIN", None, "user:bench", timedelta(hours=1), get_settings())
        servers = {"this checkout": await stack.enter_async_context(api(SERVED["uri"]))}
        if before is not None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="minhu-bench-before-")))
            archive = subprocess.run(["git", "archive", before], cwd=ROOT, check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
            servers = {before: await stack.enter_async_context(api(SERVED["uri"], source=folder)), **servers}
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        print(f"matchCandidates over HTTP, {len(sample)} open needs, first: 10; {started}, load {_load()}")
        print(f"{'request':<24}" + "".join(f"{name[:18] + ' p50/p95':>30}" for name in servers))
        warm = sample[:WARMUP] + sample
        for kinds in (list(KINDS), *([kind] for kind in KINDS)):
            requests = [(MATCH, {"id": n["id"], "kinds": kinds}) for n in warm]
            ms, _ = await interleaved(servers, token, requests)
            label = "all kinds" if len(kinds) > 1 else kinds[0]
            figures = "".join(f"{statistics.median(v):>20.1f} /{pct(v, 0.95):>7.1f}" for v in ms.values())
            print(f"{label:<24}{figures}")
        if before is not None:  # the same answers (ids, scores, parts, reasons) from both, for every need
            _, differ = await interleaved(servers, token, [(MATCH_COMPARED, {"id": n["id"]}) for n in warm])
            print(f"answers compared (all kinds, with ids and parts): {differ} of {len(warm)} differ")
        print(f"load average at the end {_load()}")


if __name__ == "__main__":
    import argparse
    import asyncio

    parser = argparse.ArgumentParser(prog="python -m bench.candidates")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--before", help="a git revision served beside this checkout (interleaved requests)")
    args = parser.parse_args()
    asyncio.run(_main(args.samples, args.before))
