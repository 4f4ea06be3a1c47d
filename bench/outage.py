"""Neo4j killed under load: `minhu serve` (with its own local Neo4j and watchdog) keeps answering.

The scenario (`run_outage`), shared by `tests/server/test_outage.py` (which asserts counts: what was
answered, what the breaker refused without touching Neo4j, what the graph holds afterwards) and by
`python -m bench.outage` (which prints the latencies, against the raw driver in the same run):

1. `minhu serve` starts in a fresh data folder; a community is written so units can register.
2. Workers send writes (`registerUnit`, each with its own idempotency key) and reads at once.
3. The launcher JVM is killed with SIGKILL; the watchdog restarts Neo4j on the same port and
   store; load goes on until writes succeed again.
4. Every write answered UNAVAILABLE is retried with its key; then the graph is read back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

from bench.serving import child_env, stop, wait_ready
from graph.local import server as local_neo4j
from server.auth import issue_token
from server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = "outage-test-secret-0123456789abcdef"
COMMUNITY = "community:610103001009"
REGISTER = "mutation($input: RegisterUnitInput!) { registerUnit(input: $input) { unit { id name } replayed } }"
READ = "{ units(first: 1) { totalCount } }"


@dataclass
class Answer:
    kind: str  # "write" or "read"
    code: str  # "ok" or the first error's extensions.code
    seconds: float
    phase: str  # "before", "outage" (after the kill, before the first success), "after"
    key: str | None = None
    name: str | None = None


@dataclass
class Report:
    answers: list[Answer] = field(default_factory=list)
    retried: list[Answer] = field(default_factory=list)
    metrics_before: dict[str, float] = field(default_factory=dict)
    metrics_after: dict[str, float] = field(default_factory=dict)
    units_by_name: dict[str, int] = field(default_factory=dict)
    restarts_logged: int = 0
    log: str = ""
    raw_driver_seconds: float | None = None

    def of(self, phase: str, code: str | None = None) -> list[Answer]:
        return [a for a in self.answers if a.phase == phase and (code is None or a.code == code)]


def _metrics(text: str) -> dict[str, float]:
    values = {}
    for line in text.splitlines():
        if line.startswith("minhu_neo4j_") or line.startswith("minhu_open"):
            name, _, value = line.partition(" ")
            values[name] = float(value)
    return values


@contextlib.asynccontextmanager
async def served_minhu(data_dir: Path, deadline: float = 10) -> AsyncIterator[tuple[str, subprocess.Popen, Path]]:
    port = local_neo4j.free_port()
    log_path = data_dir / "serve.log"
    env = child_env(
        MINHU_DATA_DIR=str(data_dir),
        MINHU_NEO4J_HEAP="512m",
        MINHU_NEO4J_PAGECACHE="64m",
        MINHU_NEO4J_WATCH_SECONDS="0.5",
        MINHU_REQUEST_DEADLINE_SECONDS=str(deadline),
        JWT_SECRET=SECRET,
        PORT=str(port),
    )
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            await wait_ready(http, proc, log_path)
        yield base, proc, log_path
    finally:
        stop(proc, timeout=120)


def _token() -> str:
    return issue_token("CITY_ADMIN", None, "user:outage", timedelta(hours=2), Settings(jwt_secret=SECRET))


async def _one(
    http: httpx.AsyncClient, kind: str, key: str | None = None, name: str | None = None
) -> tuple[str, float]:
    started = time.perf_counter()
    if kind == "write":
        body = {
            "query": REGISTER,
            "variables": {
                "input": {"name": name, "kind": "COMPANY", "communityIds": [COMMUNITY], "idempotencyKey": key}
            },
        }
    else:
        body = {"query": READ}
    try:
        response = await http.post("/graphql", json=body)
        payload = response.json()
    except (httpx.HTTPError, json.JSONDecodeError) as exc:
        return f"HTTP:{type(exc).__name__}", time.perf_counter() - started
    seconds = time.perf_counter() - started
    errors = payload.get("errors")
    if errors:
        return str((errors[0].get("extensions") or {}).get("code")), seconds
    return "ok", seconds


async def run_outage(
    workers: int = 6, max_seconds: float = 240, measure_raw: bool = False, deadline: float = 10
) -> Report:
    """The whole scenario in a temporary data folder; returns what happened.

    `deadline` is the server's MINHU_REQUEST_DEADLINE_SECONDS: the bench keeps the production 10 s;
    the test raises it, since what it checks (the breaker) must not depend on the machine's speed.
    """
    report = Report()
    with tempfile.TemporaryDirectory(prefix="minhu-outage-") as folder:
        data_dir = Path(folder)
        async with served_minhu(data_dir, deadline) as (base, _proc, log_path):
            neo4j = local_neo4j.running(data_dir / "neo4j")
            assert neo4j is not None, "minhu serve started no local Neo4j"
            from neo4j import GraphDatabase

            with GraphDatabase.driver(neo4j.uri) as driver:
                driver.execute_query(
                    "MERGE (c:Community {id: $id}) SET c.name = '书院门社区', c.code = '610103001009'",
                    id=COMMUNITY,
                    database_="neo4j",
                )
            headers = {"Authorization": f"Bearer {_token()}"}
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
                # Warm up a cold JVM (query planning) before the measured load; not counted.
                for i in range(5):
                    await _one(http, "write", f"warm-{i}", f"单位-warm-{i}")
                    await _one(http, "read")
                state: dict = {"phase": "before", "stop": False, "seen_unavailable": False}
                counter = {"n": 0}
                deadline = time.monotonic() + max_seconds

                async def worker(index: int) -> None:
                    while not state["stop"] and time.monotonic() < deadline:
                        counter["n"] += 1
                        n = counter["n"]
                        kind = "write" if n % 3 else "read"
                        key = f"w{index}-{n}" if kind == "write" else None
                        started_in = state["phase"]
                        code, seconds = await _one(http, kind, key, f"单位-{key}")
                        # The phase when the answer came: a request in flight at the kill is the outage's.
                        phase = state["phase"]
                        report.answers.append(Answer(kind, code, seconds, phase, key, f"单位-{key}"))
                        if phase == "outage" and code == "UNAVAILABLE":
                            state["seen_unavailable"] = True
                        # Recovered: a write sent after the outage was seen has succeeded (one that was
                        # answered just before the JVM died does not count).
                        if (
                            phase == "outage"
                            and started_in == "outage"
                            and state.get("seen_unavailable")
                            and code == "ok"
                            and kind == "write"
                        ):
                            state["phase"] = "after"
                        if state["phase"] == "after" and len(report.of("after")) >= 30:
                            state["stop"] = True
                        if code != "ok":
                            await asyncio.sleep(0.02)  # a client's pause before its next try

                async def killer() -> None:
                    while len(report.of("before", "ok")) < 40 and time.monotonic() < deadline:
                        await asyncio.sleep(0.05)
                    report.metrics_before = _metrics((await http.get("/metrics")).text)
                    state["phase"] = "outage"
                    os.kill(local_neo4j.running(data_dir / "neo4j").pid, signal.SIGKILL)  # type: ignore[union-attr]

                await asyncio.gather(killer(), *(worker(i) for i in range(workers)))
                report.metrics_after = _metrics((await http.get("/metrics")).text)

                # Every write that got UNAVAILABLE is retried with its key, as a client would (a few
                # times: the restarted JVM is cold): it must land exactly once.
                for answer in [a for a in report.answers if a.kind == "write" and a.code != "ok"]:
                    for _ in range(5):
                        code, seconds = await _one(http, "write", answer.key, answer.name)
                        if code == "ok":
                            break
                        await asyncio.sleep(1)
                    report.retried.append(Answer("write", code, seconds, "retry", answer.key, answer.name))
                rows = (
                    await http.post(
                        "/graphql",
                        json={"query": "{ units(first: 1) { totalCount } }"},
                    )
                ).json()
                assert "errors" not in rows, rows

            neo4j = local_neo4j.running(data_dir / "neo4j")
            assert neo4j is not None
            with GraphDatabase.driver(neo4j.uri) as driver:
                records = driver.execute_query(
                    "MATCH (u:Unit) RETURN u.name AS name, count(*) AS n", database_="neo4j"
                ).records
                report.units_by_name = {r["name"]: r["n"] for r in records}
            report.log = log_path.read_text()
            report.restarts_logged = report.log.count("the local Neo4j is back")
            if measure_raw:
                report.raw_driver_seconds = await _raw_driver_failure()
    return report


async def _raw_driver_failure() -> float:
    """How long the driver, left to its defaults, takes to give up on a dead server (for the ratio)."""
    import logging

    from neo4j import AsyncGraphDatabase

    logging.getLogger("neo4j").setLevel(logging.ERROR)  # its retry warnings are what we measure
    dead = local_neo4j.free_port()
    started = time.perf_counter()
    async with (
        AsyncGraphDatabase.driver(f"bolt://127.0.0.1:{dead}") as driver,
        driver.session(database="neo4j") as session,
    ):
        with contextlib.suppress(Exception):
            await session.execute_write(lambda tx: tx.run("RETURN 1"))
    return time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def main() -> None:
    print("\nMinhu outage bench — minhu serve under load, its Neo4j killed with SIGKILL and restarted\n", flush=True)
    report = await run_outage(measure_raw=True)
    outage = report.of("outage")
    unavailable = [a.seconds for a in outage if a.code == "UNAVAILABLE"]
    ok_before = [a.seconds for a in report.of("before", "ok")]
    ok_after = [a.seconds for a in report.of("after", "ok")]
    raw = report.raw_driver_seconds or float("nan")
    print(f"{'answers':<44}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for label, values in (
        ("ok before the kill", ok_before),
        ("UNAVAILABLE during the outage", unavailable),
        ("every answer during the outage", [a.seconds for a in outage]),
        ("ok after recovery", ok_after),
    ):
        if values:
            print(
                f"{label:<44}{len(values):>6}{pct(values, 0.5) * 1000:>10.1f}{pct(values, 0.95) * 1000:>10.1f}"
                f"{max(values) * 1000:>10.1f}"
            )
    codes = sorted({a.code for a in outage})
    refused = report.metrics_after.get("minhu_neo4j_refused_total", 0) - report.metrics_before.get(
        "minhu_neo4j_refused_total", 0
    )
    print(f"\ncodes during the outage: {codes}; refused by the open breaker without contacting Neo4j: {refused:.0f}")
    print(f"raw driver (defaults) giving up on a dead server: {raw * 1000:.0f} ms")
    if unavailable:
        print(f"ratio p95 UNAVAILABLE / raw driver: {pct(unavailable, 0.95) / raw:.4f}")
        print(f"target p95 < 2 s: {'ok' if pct(unavailable, 0.95) < 2 else 'MISSED'}")
    doubled = {name: n for name, n in report.units_by_name.items() if n != 1}
    acknowledged = {a.name for a in report.answers + report.retried if a.kind == "write" and a.code == "ok"}
    lost = acknowledged - set(report.units_by_name)
    print(f"writes acknowledged: {len(acknowledged)}; lost: {len(lost)}; doubled: {len(doubled)}")
    print(f"watchdog restarts: {report.restarts_logged}")


if __name__ == "__main__":
    asyncio.run(main())
