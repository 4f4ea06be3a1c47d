"""`python -m bench.load` (part of `make bench`): locust, headless, against 1 and then 2 worker processes.

`minhu serve --workers N` runs on the demo seed (its own store in `.minhu/bench-load`, seeded once,
Neo4j kept running between the two runs); with 2 workers it starts its local Redis broker. The
users' mix is in bench/locustfile.py (residents submitting, coordinators listing their queue and
asking for candidates, members claiming needs through to completion); beside it this script holds
WebSocket subscribers open on the coordinator's `needEvents` and counts what they receive.
Each run is preceded by a 10 s warm-up with the same mix, not measured. Printed per worker count:
requests/s, p50/p95 (ms), failures (by operation and cause), and what the subscribers received.

Everything runs on this machine (loopback only), bounded by USERS and SECONDS; on two shared cores
locust, the workers and Neo4j compete for the same CPUs, so the figures are a floor, not a ceiling.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.serving import child_env, stop
from graph.kernel.db import Graph
from graph.local import server as local_neo4j
from server.auth import issue_token
from server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("MINHU_BENCH_LOAD_DIR", ROOT / ".minhu" / "bench-load"))
COMMUNITY = "community:610103001009"  # 书院门社区 of the demo seed
USERS = int(os.environ.get("MINHU_LOAD_USERS", "16"))
SECONDS = int(os.environ.get("MINHU_LOAD_SECONDS", "30"))
WARMUP_SECONDS = 10
SUBSCRIBERS = 8
EVENTS = "subscription($s: ID!) { needEvents(scopeId: $s) { type need { id } } }"


def _env(**extra: str) -> dict[str, str]:
    return child_env(MINHU_DATA_DIR=str(DATA), MINHU_NEO4J_HEAP="1g", MINHU_NEO4J_PAGECACHE="256m", **extra)


def _minhu(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=_env(), check=True)


def _token(role: str, scope: str | None = None, subject: str | None = None) -> str:
    return issue_token(role, scope, subject, timedelta(hours=2), Settings())


async def _world(uri: str) -> dict[str, Any]:
    graph = Graph.connect(uri, None, None, "neo4j")
    try:
        compounds = await graph.read(
            "MATCH (p:Compound)-[:IN]->(:Community {id: $c}) RETURN p.id AS id ORDER BY id", c=COMMUNITY
        )
        residents = await graph.read(
            "MATCH (r:Resident)-[:LIVES_IN]->(:Compound)-[:IN]->(:Community {id: $c}) "
            "RETURN r.id AS id ORDER BY id LIMIT 50",
            c=COMMUNITY,
        )
        members = await graph.read(
            "MATCH (m:Member)-[:REGISTERED_WITH]->(:Community {id: $c}) RETURN m.id AS id ORDER BY id", c=COMMUNITY
        )
    finally:
        await graph.close()
    if not (compounds and residents and members):
        raise SystemExit(f"bench.load: the demo seed in {DATA} lacks compounds, residents or members of {COMMUNITY}")
    return {
        "community": COMMUNITY,
        "compounds": [row["id"] for row in compounds],
        "residents": [{"id": r["id"], "token": _token("RESIDENT", None, r["id"])} for r in residents],
        "members": [{"id": m["id"], "token": _token("MEMBER", None, m["id"])} for m in members],
        "coordinator": _token("COORDINATOR", COMMUNITY, "user:load-coordinator"),
    }


@contextlib.contextmanager
def _served(workers: int, port: int) -> Any:
    log = DATA / f"serve-{workers}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--workers", str(workers), "--port", str(port)],
            cwd=ROOT,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"minhu serve exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                    break
            time.sleep(0.25)
        else:
            raise SystemExit("minhu serve never became ready:\n" + log.read_text()[-3000:])
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


async def _listen(address: str, token: str, counts: list[int], stop: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    index = len(counts)
    counts.append(0)
    async with connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        await ws.recv()
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS, "variables": {"s": COMMUNITY}}})
        )
        while not stop.is_set():
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            except TimeoutError:
                continue
            if message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif message["type"] == "next":
                counts[index] += 1


def _locust(base: str, world: dict[str, Any], prefix: Path, seconds: int = SECONDS) -> None:
    subprocess.run(
        [
            *(sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless"),
            *("-u", str(USERS), "-r", str(USERS), "-t", f"{seconds}s", "--host", base),
            *("--csv", str(prefix), "--only-summary", "--loglevel", "ERROR", "--stop-timeout", "10"),
        ],
        cwd=ROOT,
        env={**os.environ, "MINHU_LOAD_WORLD": json.dumps(world)},
        check=False,  # locust exits 1 when any request failed; the failures are reported below
        stdout=subprocess.DEVNULL,
        stderr=open(f"{prefix}.log", "w"),  # noqa: SIM115 (closed with the process)
    )


def _rows(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="") as f:
        return list(csv.DictReader(f))


async def run(workers: int, world: dict[str, Any], scratch: Path) -> dict[str, Any]:
    port = local_neo4j.free_port()
    with _served(workers, port) as base:
        # Not measured: every process's first requests compile queries and warm Neo4j's caches.
        await asyncio.to_thread(_locust, base, world, scratch / f"warmup{workers}", WARMUP_SECONDS)
        stop = asyncio.Event()
        counts: list[int] = []
        listeners = [
            asyncio.create_task(_listen(base.removeprefix("http://"), world["coordinator"], counts, stop))
            for _ in range(SUBSCRIBERS)
        ]
        await asyncio.sleep(1)
        prefix = scratch / f"w{workers}"
        await asyncio.to_thread(_locust, base, world, prefix)
        await asyncio.sleep(2)  # the last events reach the subscribers
        stop.set()
        await asyncio.gather(*listeners, return_exceptions=True)
    return {"workers": workers, "rows": _rows(prefix), "failures": _failures(prefix), "events": counts}


def _failures(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_failures.csv", newline="") as f:
        return list(csv.DictReader(f))


def _print(result: dict[str, Any]) -> None:
    rows = result["rows"]
    total = next(r for r in rows if r["Name"] == "Aggregated")
    events = result["events"]
    print(
        f"\n{result['workers']} worker(s): {float(total['Requests/s']):.1f} requests/s, "
        f"p50 {total['50%']} ms, p95 {total['95%']} ms, "
        f"{total['Failure Count']} failed of {total['Request Count']}; "
        f"{SUBSCRIBERS} subscribers received {min(events) if events else 0}–{max(events) if events else 0} events each"
    )
    print(f"  {'operation':<20} {'requests':>9} {'failed':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}")
    for r in rows:
        if r["Name"] != "Aggregated":
            print(
                f"  {r['Name']:<20} {r['Request Count']:>9} {r['Failure Count']:>7} "
                f"{float(r['Requests/s']):>7.1f} {r['50%']:>7} {r['95%']:>7}"
            )
    for failure in result["failures"]:
        print(f"  failed {failure['Occurrences']}×: {failure['Name']}: {failure['Error'][:150]}")


async def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    print(f"bench.load: {USERS} locust users for {SECONDS} s per run, {SUBSCRIBERS} subscribers; data in {DATA}")
    _minhu("seed", "--preset", "demo", "--if-empty")
    _minhu("neo4j", "start")  # kept running for both runs (`minhu serve` uses a running one)
    try:
        running = local_neo4j.running(DATA / "neo4j")
        assert running is not None
        world = await _world(running.uri)
        with tempfile.TemporaryDirectory(prefix="minhu-load-") as scratch:
            for workers in (1, 2):
                _print(await run(workers, world, Path(scratch)))
    finally:
        _minhu("neo4j", "stop")


if __name__ == "__main__":
    asyncio.run(main())
