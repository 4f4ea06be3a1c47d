"""Several API processes for real: two uvicorn processes (A and B) over the session's Neo4j, reached
by `neo4j://` routing, and a real redis-server as the broker between them (docs/SCALING.md).

- a subscriber on A receives, in order and once, the events of mutations sent to B (and to A);
- the broker killed (SIGKILL) and restarted loses no committed event, and blocks no mutation;
- a write on A is read at once on B with the bookmark the write's response carried;
- rate limits are counted once across both processes;
- the overdue sweep's lease has exactly one winner per interval, raced from two drivers.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from graph.kernel import cluster
from graph.kernel.db import Graph
from server.bookmarks import BOOKMARK_HEADER
from server.broker import LocalRedis, free_port
from tests.support import workflow_helpers as w
from tests.support.factories import NANYUANMEN, SHUYUANMEN

NEED_EVENTS = "subscription($s: ID!) { needEvents(scopeId: $s) { type toState need { id } } }"
SUBJECT_LIMIT = 30
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Api:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"


def _start_api(name: str, neo4j: str, broker: str, logs: Path) -> Api:
    port = free_port()
    env = {
        **os.environ,
        "NEO4J_URI": neo4j,
        "MINHU_BROKER_URL": broker,
        "MINHU_SWEEP_INTERVAL_SECONDS": "0",
        "MINHU_RATE_LIMIT_SUBJECT": f"{SUBJECT_LIMIT}/minute",
        "MINHU_RATE_LIMIT_ADDRESS": "",
        "MINHU_REQUEST_DEADLINE_SECONDS": "600",
        "MINHU_LOG_LEVEL": "WARNING",
    }
    log = logs / f"api-{name}.log"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "server.cli:worker_app", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return Api(name, port, process, log)


def _wait_ready(api: Api, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.process.poll() is not None:
            raise AssertionError(f"API {api.name} exited at start:\n{api.log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{api.url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"API {api.name} not ready within {timeout} s:\n{api.log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedis]:
    redis = LocalRedis(tmp_path_factory.mktemp("redis")).start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture(scope="module")
def apis(neo4j_uri: str, broker: LocalRedis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Api]]:
    routed = neo4j_uri.replace("bolt://", "neo4j://", 1)  # routing, as against a cluster
    logs = tmp_path_factory.mktemp("api-logs")
    a = _start_api("A", routed, broker.url, logs)
    b = _start_api("B", routed, broker.url, logs)
    try:
        _wait_ready(a)
        _wait_ready(b)
        yield a, b
    finally:
        for api in (a, b):
            api.process.terminate()
        for api in (a, b):
            try:
                api.process.wait(20)
            except subprocess.TimeoutExpired:
                api.process.kill()


async def _subscribe(api: Api, tok: str, query: str, variables: dict) -> ClientConnection:
    ws = await connect(f"ws://{api.address}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {tok}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}))
    return ws


async def _event(ws: ClientConnection, timeout: float = 60) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        assert message["type"] == "next", message
        return message["payload"]["data"]["needEvents"]


async def _post(api: Api, document: str, variables: dict, tok: str, headers: dict | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=api.url, timeout=60) as http:
        return await http.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {tok}", **(headers or {})},
        )


async def _submit(api: Api, resident: str, title: str) -> str:
    body = (await _post(api, w.SUBMIT, {"input": {**w.SEWER_INPUT, "title": title}}, w.resident(resident))).json()
    assert "errors" not in body, body["errors"]
    return body["data"]["submitNeed"]["need"]["id"]


async def _listening(ws: ClientConnection, api: Api, resident: str) -> set[str]:
    """Submits warm-up needs until the subscriber hears one: from then on it is surely listening.
    Returns the warm-up needs' ids (their events may still arrive and are not part of the test)."""
    warm: set[str] = set()
    for attempt in range(20):
        warm.add(await _submit(api, resident, f"试听 {attempt}"))
        try:
            event = await _event(ws, timeout=3)
        except TimeoutError:
            continue
        assert event["need"]["id"] in warm
        return warm
    raise AssertionError("the subscription never heard an event")


async def _received(ws: ClientConnection, ignore: set[str], until: str) -> list[str]:
    """Need ids of the SUBMIT events received, in order, up to and including `until`."""
    got: list[str] = []
    while True:
        event = await _event(ws)
        if event["need"]["id"] in ignore:
            continue
        assert event["type"] == "SUBMIT" and event["toState"] == "SUBMITTED"
        got.append(event["need"]["id"])
        if event["need"]["id"] == until:
            return got


async def _drained(world, patience: float = 60.0) -> bool:
    """Whether the outbox empties (a generous wait: the machine's speed must not fail the test)."""
    deadline = asyncio.get_running_loop().time() + patience
    while await cluster.waiting(world):
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def test_a_subscriber_on_a_receives_in_order_and_once_the_events_sent_to_b(apis, world) -> None:
    a, b = apis
    ws = await _subscribe(a, w.token("COORDINATOR", NANYUANMEN), NEED_EVENTS, {"s": SHUYUANMEN})
    try:
        warm = await _listening(ws, b, w.RESIDENT)
        sent = [await _submit(b, w.RESIDENT, f"B 的第{i}件") for i in range(5)]
        # Interleaved with writes on A itself: the order is the order of the commits.
        for i in range(3):
            sent.append(await _submit(a, w.OTHER_RESIDENT, f"A 的第{i}件"))
            sent.append(await _submit(b, w.OTHER_RESIDENT, f"B 又一件{i}"))
        # Nothing duplicated or reordered: everything up to the last one, each exactly once.
        assert await _received(ws, warm, until=sent[-1]) == sent
    finally:
        await ws.close()
    # The relay deletes an entry after appending it, so the subscriber may hear it a moment before.
    assert await _drained(world), "every outbox entry was relayed and deleted"
    relayed = delivered = 0.0
    for api in (a, b):
        metrics = _metrics(httpx.get(f"{api.url}/metrics", timeout=10).text)
        relayed += metrics["minhu_events_relayed_total"]
        delivered = metrics["minhu_events_delivered_total"]
        assert delivered >= len(sent), f"process {api.name} read every event from the stream"
    assert relayed >= len(sent), "whichever process held the relay lock appended them"


def _metrics(text: str) -> dict[str, float]:
    return {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines() if line.startswith("minhu_")}


async def test_the_broker_killed_and_restarted_loses_no_committed_event(apis, broker, world) -> None:
    a, b = apis
    ws = await _subscribe(a, w.token("COORDINATOR", NANYUANMEN), NEED_EVENTS, {"s": SHUYUANMEN})
    try:
        warm = await _listening(ws, b, w.RESIDENT)
        before = await _submit(b, w.RESIDENT, "停机前")
        assert await _received(ws, warm, until=before) == [before]

        broker.kill()
        # The broker is gone: mutations still commit at once; their events wait in the outbox.
        during = [await _submit(b if i % 2 else a, w.OTHER_RESIDENT, f"停机中{i}") for i in range(4)]
        assert await cluster.waiting(world) >= 4
        broker.start()

        after = await _submit(b, w.RESIDENT, "恢复后")
        assert await _received(ws, warm, until=after) == [*during, after]
    finally:
        await ws.close()
    assert await _drained(world)


async def test_a_write_on_a_is_read_at_once_on_b_with_the_bookmark(apis, world) -> None:
    a, b = apis
    response = await _post(a, w.SUBMIT, {"input": w.SEWER_INPUT}, w.resident())
    body = response.json()
    assert "errors" not in body, body["errors"]
    bookmark = response.headers[BOOKMARK_HEADER]
    assert bookmark and body["extensions"]["bookmark"] == bookmark
    need_id = body["data"]["submitNeed"]["need"]["id"]

    read = await _post(b, w.HISTORY, {"id": need_id}, w.coordinator(), headers={BOOKMARK_HEADER: bookmark})
    node = read.json()["data"]["node"]
    assert node["status"] == "SUBMITTED" and [h["type"] for h in node["history"]] == ["SUBMIT"]
    assert BOOKMARK_HEADER not in read.headers, "a read leaves no new bookmark"

    # The header really reaches the database: a made-up bookmark is refused, with a way out.
    bad = (await _post(b, w.HISTORY, {"id": need_id}, w.coordinator(), headers={BOOKMARK_HEADER: "FB:nonsense"})).json()
    assert w.error_code(bad) == "BAD_USER_INPUT"
    assert "X-Minhu-Bookmark" in bad["errors"][0]["message"]


async def test_rate_limits_are_counted_once_across_processes(apis, world) -> None:
    a, b = apis
    tok = w.member(3)  # a subject no other test of this module writes as
    accept = w.ACCEPT
    codes: list[str | None] = []
    for i in range(SUBJECT_LIMIT + 1):
        body = (await _post(a if i % 2 else b, accept, {"input": {"needId": "need:nosuch"}}, tok)).json()
        codes.append(body["errors"][0]["extensions"]["code"])
    assert codes[:SUBJECT_LIMIT] == ["NOT_FOUND"] * SUBJECT_LIMIT, "each process alone is under the limit"
    assert codes[SUBJECT_LIMIT] == "RATE_LIMITED", "together they are over it"


async def test_the_sweep_lease_has_one_winner_per_interval_across_processes(neo4j_uri: str, graph: Graph) -> None:
    other = Graph.connect(neo4j_uri.replace("bolt://", "neo4j://", 1), None, None, graph.database)
    try:
        at = 1_800_000_000_000  # pinned: slot 30 000 000 of a 60 s interval
        claims = [
            cluster.claim_slot(g, "sweep", 60, f"process-{i}", at_millis=at + i)
            for i in range(12)
            for g in (graph if i % 2 else other,)
        ]
        won = [slot for slot in await asyncio.gather(*claims) if slot is not None]
        assert won == [30_000_000]
        # The next interval is claimed again, once.
        again = await asyncio.gather(
            *(cluster.claim_slot(g, "sweep", 60, "later", at_millis=at + 60_000) for g in (graph, other, graph))
        )
        assert [slot for slot in again if slot is not None] == [30_000_001]
    finally:
        await other.close()


def test_minhu_serve_with_two_workers_starts_them_and_a_broker_and_stops_them_all(
    neo4j_uri: str, tmp_path: Path
) -> None:
    import psutil

    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MINHU_BROKER")},
        "NEO4J_URI": neo4j_uri,
        "MINHU_DATA_DIR": str(tmp_path),
        "MINHU_SWEEP_INTERVAL_SECONDS": "0",
        "MINHU_LOG_LEVEL": "WARNING",
        "PORT": str(port),
    }
    log = tmp_path / "serve.log"
    parent = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    api = Api("serve", port, parent, log)
    try:
        _wait_ready(api)
        children = psutil.Process(parent.pid).children(recursive=True)
        names = [" ".join(child.cmdline()) for child in children]
        assert sum("redis-server" in name for name in names) == 1, names
        workers = [name for name in names if "spawn_main" in name]
        assert len(workers) == 2, names
        assert "started the local broker" in log.read_text()
    finally:
        parent.send_signal(2)  # Ctrl-C
        parent.wait(60)
    assert parent.returncode == 0, log.read_text()[-2000:]
    # The workers, the broker and multiprocessing's resource tracker all end with it.
    _gone, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, [" ".join(p.cmdline()) for p in alive]
