"""Several API processes for real: two uvicorn processes (A and B) running what each worker of
`minhu serve --workers N` runs, over the session's Neo4j reached by `neo4j://` routing, and a real
redis-server as the broker between them (docs/SCALING.md). Each has a port of its own, so a test
knows which process a client is on.

- the clients people use (npm graphql-ws on A, Python gql on B), subscribed to needEvents,
  myAssignments and myNeeds while both processes take writes at once, hear every event exactly
  once, in the broker's order, and nothing after the last; each entry is relayed once and read once
  by each process (exact counts);
- the broker killed (SIGKILL) and restarted loses no committed event, and blocks no mutation;
- a write on A is read at once on B with the bookmark the write's response carried;
- rate limits are counted once across both processes;
- the overdue sweep's lease has exactly one winner per interval, raced from two drivers.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from graph.kernel import cluster
from graph.kernel.db import Graph
from resolvers.kernel.broker import STREAM
from resolvers.kernel.events import Published, decode
from server.bookmarks import BOOKMARK_HEADER
from server.broker import LocalRedis, free_port
from tests.support import workflow_helpers as w
from tests.support.factories import NANYUANMEN, SHUYUANMEN
from tests.support.ws_clients import Gql, GraphqlWs, Subscription

NEED_EVENTS = "subscription($s: ID!) { needEvents(scopeId: $s) { type toState need { id } } }"
MY_ASSIGNMENTS = "subscription { myAssignments { type toState need { id } } }"
MY_NEEDS = "subscription { myNeeds { type toState need { id } } }"
SUBJECT_LIMIT = 30
# How long a subscription must stay silent after its last event. Not a speed assumption: a slow
# machine can only make a late duplicate arrive after the window (missed), never fail a right build.
QUIET_SECONDS = 5.0
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


def _wait_ready(api: Api, timeout: float = 600) -> None:
    # A guard against a server that never comes up, not a timed assertion: with `make test`'s two
    # workers on a busy 2-core machine, `minhu serve --workers 2` took longer than 120 s to be ready.
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


async def _post(api: Api, document: str, variables: dict, tok: str, headers: dict | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=api.url, timeout=120) as http:
        return await http.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {tok}", **(headers or {})},
        )


async def _submit(api: Api, resident: str, title: str) -> str:
    body = (await _post(api, w.SUBMIT, {"input": {**w.SEWER_INPUT, "title": title}}, w.resident(resident))).json()
    assert "errors" not in body, body["errors"]
    return body["data"]["submitNeed"]["need"]["id"]


async def _dispatch(api: Api, need_id: str) -> None:
    variables = {"input": {"needId": need_id, "handlerId": w.member_id(1)}}
    body = (await _post(api, w.DISPATCH, variables, w.coordinator())).json()
    assert "errors" not in body, body["errors"]


def _subscriptions() -> list[Subscription]:
    return [
        Subscription("street", w.token("COORDINATOR", NANYUANMEN), NEED_EVENTS, {"s": SHUYUANMEN}),
        Subscription("member", w.member(1), MY_ASSIGNMENTS),
        Subscription("resident", w.resident(), MY_NEEDS),
    ]


# Which events of the stream each subscription hears (the filters of resolvers/needs/subscriptions.py).
HEARS: dict[str, Callable[[Published], bool]] = {
    "street": lambda item: SHUYUANMEN in item.place_ids,
    "member": lambda item: w.member_id(1) in item.audience,
    "resident": lambda item: w.RESIDENT in item.residents,
}


async def _until(condition: Callable[[], Awaitable[bool]], what: Callable[[], str], patience: float = 120.0) -> None:
    """Waits for `condition` (a generous wait: the machine's speed must not fail the test)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {patience:g} s: {what()}")
        await asyncio.sleep(0.1)


def _metrics(text: str) -> dict[str, float]:
    return {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines() if line.startswith("minhu_")}


async def _scrape(api: Api) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=60) as http:
        return _metrics((await http.get(f"{api.url}/metrics")).text)


async def _listening(api: Api, count: int) -> None:
    """Until exactly `count` subscriptions listen on `api`'s bus: from then on they hear every event."""

    async def listening() -> bool:
        return (await _scrape(api))["minhu_event_listeners"] == count

    await _until(listening, lambda: f"{count} subscriptions listening on {api.name}")


async def _settled(apis: tuple[Api, Api], world) -> dict[str, float]:
    """Once the outbox is empty and each process has read every entry relayed (by either): the
    entries relayed in all and those each process delivered, for exact counts of what a test adds."""
    counts: dict[str, float] = {}

    async def settled() -> bool:
        if await cluster.waiting(world):
            return False
        scraped = {api.name: await _scrape(api) for api in apis}
        counts["relayed"] = sum(m["minhu_events_relayed_total"] for m in scraped.values())
        counts.update({f"delivered by {name}": m["minhu_events_delivered_total"] for name, m in scraped.items()})
        return all(counts[f"delivered by {api.name}"] == counts["relayed"] for api in apis)

    await _until(settled, lambda: f"the outbox relayed and every entry delivered by both processes: {counts}")
    return counts


async def _heard_until(client: GraphqlWs | Gql, name: str, last: tuple[str, str]) -> list[tuple[str, str]]:
    """(type, need id) of the events `name` receives, in order, up to and including `last`."""
    heard: list[tuple[str, str]] = []
    while not heard or heard[-1] != last:
        event = await client.data(name, timeout=120)
        heard.append((event["type"], event["need"]["id"]))
    return heard


async def _quiet(client: GraphqlWs | Gql, name: str) -> None:
    """Nothing more arrives within QUIET_SECONDS: a late duplicate (a redelivery) would."""
    try:
        message = await client.next(name, timeout=QUIET_SECONDS)
    except TimeoutError:
        return
    raise AssertionError(f"{client.client} {name} received after the last event: {message}")


async def _stream(broker: LocalRedis, needs: set[str]) -> list[Published]:
    """The broker's stream as readers deliver it (each outbox entry once), the events of `needs`."""
    client = aioredis.from_url(broker.url, decode_responses=True)
    try:
        entries = await client.xrange(STREAM)
    finally:
        await client.aclose()
    seen: set[str] = set()
    events = []
    for _stream_id, fields in entries:
        if fields["id"] in seen:
            continue
        seen.add(fields["id"])
        item = decode(fields["payload"])
        if item.event["needId"] in needs:
            events.append(item)
    return events


async def test_real_clients_on_both_processes_hear_concurrent_writes_in_order_and_once(apis, broker, world) -> None:
    """graphql-ws on A and gql on B, each subscribed to needEvents, myAssignments and myNeeds, while
    both processes take writes at once: every subscription hears exactly what it may, once, in the
    stream's order (the same on both), and nothing after the last event."""
    a, b = apis
    async with (
        GraphqlWs(f"ws://{a.address}/graphql", _subscriptions()) as on_a,
        Gql(f"ws://{b.address}/graphql", _subscriptions()) as on_b,
    ):
        await asyncio.gather(_listening(a, 3), _listening(b, 3))
        before = await _settled(apis, world)

        # Twelve submissions at once from two residents, half through each process...
        def author(i: int) -> str:
            return w.OTHER_RESIDENT if i % 3 == 0 else w.RESIDENT

        first = await asyncio.gather(*(_submit(a if i % 2 else b, author(i), f"并发{i}") for i in range(12)))
        dispatched = [first[1], first[2]]  # the resident's
        # ...then two of them dispatched to member 1, one through each process, while four more come in.
        more = await asyncio.gather(
            *(_submit(a if i % 2 else b, author(i), f"并发{i}") for i in range(12, 16)),
            _dispatch(a, dispatched[0]),
            _dispatch(b, dispatched[1]),
        )
        submitted = [*first, *more[:4]]
        by_resident = [nid for i, nid in enumerate(submitted) if author(i) == w.RESIDENT]

        # The last word: written once everything above is in the broker's stream, so a duplicate of
        # any of it is appended, and delivered, before it.
        await _settled(apis, world)
        last = await _submit(b, w.RESIDENT, "最后一件")
        await _dispatch(a, last)
        dispatched.append(last)

        heard = {
            (client.client, name): await _heard_until(client, name, ("DISPATCH", last))
            for client in (on_a, on_b)
            for name in HEARS
        }
        await asyncio.gather(*(_quiet(client, name) for client in (on_a, on_b) for name in HEARS))

    # Exactly what was caused, each once...
    submits = {("SUBMIT", nid) for nid in [*submitted, last]}
    dispatches = {("DISPATCH", nid) for nid in dispatched}
    caused = {
        "street": submits | dispatches,
        "member": dispatches,
        "resident": {("SUBMIT", nid) for nid in [*by_resident, last]} | dispatches,
    }
    stream = await _stream(broker, {*submitted, last})
    for (client, name), events in heard.items():
        assert len(events) == len(set(events)) and set(events) == caused[name], (client, name, events)
        # ...in the stream's order (the same on both processes), a need's dispatch after its submission.
        assert events == [(i.event["type"], i.event["needId"]) for i in stream if HEARS[name](i)], (client, name)
        for _, nid in dispatches:
            if ("SUBMIT", nid) in events:  # the member hears only dispatches
                assert events.index(("SUBMIT", nid)) < events.index(("DISPATCH", nid)), (client, name, nid)

    # Every event relayed by one process and read by each, exactly once.
    after = await _settled(apis, world)
    written = len(submitted) + 1 + len(dispatched)
    assert {key: after[key] - before[key] for key in after} == {key: written for key in after}


async def test_the_broker_killed_and_restarted_loses_no_committed_event(apis, broker, world) -> None:
    a, b = apis
    street = [_subscriptions()[0]]
    async with (
        GraphqlWs(f"ws://{a.address}/graphql", street) as on_a,
        Gql(f"ws://{b.address}/graphql", street) as on_b,
    ):
        await asyncio.gather(_listening(a, 1), _listening(b, 1))
        before_counts = await _settled(apis, world)
        before = await _submit(b, w.RESIDENT, "停机前")
        for client in (on_a, on_b):
            assert await _heard_until(client, "street", ("SUBMIT", before)) == [("SUBMIT", before)]
        await _settled(apis, world)  # the relay is idle: the broker dies between two relays

        broker.kill()
        # The broker is gone: mutations still commit at once; their events wait in the outbox.
        during = await asyncio.gather(*(_submit(b if i % 2 else a, w.OTHER_RESIDENT, f"停机中{i}") for i in range(4)))
        assert await cluster.waiting(world) == 4
        broker.start()

        after = await _submit(b, w.RESIDENT, "恢复后")
        for client in (on_a, on_b):
            heard = await _heard_until(client, "street", ("SUBMIT", after))
            assert sorted(heard) == sorted(("SUBMIT", nid) for nid in [*during, after]), client.client
            stream = await _stream(broker, {*during, after})
            assert heard == [(i.event["type"], i.event["needId"]) for i in stream], client.client
        await asyncio.gather(_quiet(on_a, "street"), _quiet(on_b, "street"))
    after_counts = await _settled(apis, world)
    assert {key: after_counts[key] - before_counts[key] for key in after_counts} == {key: 6 for key in after_counts}


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
