"""The events outbox against a real Neo4j and a real redis-server: a mutation's events are written in
its own transaction, relayed after commit exactly once (also when a second process relays at the
same time, tests/support/relay_process.py), and a crash between the broker's append and the outbox
delete appends nothing twice."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from graph.kernel import cluster
from graph.kernel.db import Graph
from resolvers.kernel.broker import RedisBroker
from resolvers.kernel.events import Published, decode, encode, use_delivery
from server.broker import LocalRedis
from tests.support import workflow_helpers as w
from tests.support.factories import make_places

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedis]:
    server = LocalRedis(Path(tmp_path_factory.mktemp("outbox-redis"))).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def broker(redis_server: LocalRedis, graph: Graph) -> AsyncIterator[RedisBroker]:
    """The broker as the events' delivery, its relay and reader NOT started: the test drives them."""
    stream = f"test:{datetime.now(UTC).timestamp()}"
    chosen = RedisBroker(redis_server.url, lambda: graph, stream=stream)
    use_delivery(chosen)
    try:
        yield chosen
    finally:
        use_delivery(None)
        await chosen.stop()


def test_an_event_survives_the_trip_through_json() -> None:
    at = datetime(2026, 11, 30, 7, 40, tzinfo=UTC)
    item = Published({"id": "event:1", "at": at, "type": "SUBMIT", "note": None}, frozenset({"a", "b"}), frozenset())
    back = decode(encode(item))
    assert back == item and back.event["at"] == at


async def test_a_mutation_writes_its_event_in_its_own_transaction_and_the_relay_moves_it_once(
    graph: Graph, graphql_client, broker: RedisBroker, redis_server: LocalRedis
) -> None:
    await make_places(graph)
    await w.make_people(graph)
    need = await w.submit(graphql_client)
    assert "cluster.record" in [name.removeprefix("kernel.") for name in graphql_client.last_written]
    assert await cluster.waiting(graph) == 1, "committed with the change, waiting for the relay"
    [entry] = await cluster.pending(graph, 10)
    assert decode(entry["payload"]).event["needId"] == need["id"]

    assert await broker.relay_once() == 1
    assert await cluster.waiting(graph) == 0
    assert await broker.relay_once() == 0

    client = aioredis.from_url(redis_server.url, decode_responses=True)
    try:
        entries = await client.xrange(broker.stream)
        assert [fields["id"] for _, fields in entries] == [entry["id"]]
        # A relay that appended but crashed before deleting from the graph runs again: no second copy.
        again = await broker._append(keys=[broker.stream, f"{broker.stream}:relayed:"], args=[entry["id"], "{}"])
        assert again == 0
        assert len(await client.xrange(broker.stream)) == 1
    finally:
        await client.aclose()


async def test_a_refused_mutation_leaves_no_event(graph: Graph, graphql_client, broker: RedisBroker) -> None:
    await make_places(graph)
    await w.make_people(graph)
    need = await w.submit(graphql_client)
    assert await broker.relay_once() == 1
    # Refused inside the transaction (a need not yet offered cannot be accepted): no outbox entry.
    body = await graphql_client(w.ACCEPT, {"input": {"needId": need["id"]}}, token=w.member(1), expect_errors=True)
    assert w.error_code(body) == "CONFLICT"  # a need only submitted cannot be accepted yet
    assert await cluster.waiting(graph) == 0


async def test_a_reader_delivers_an_entry_appended_twice_once(broker: RedisBroker, redis_server: LocalRedis) -> None:
    """Should a dedupe key have expired (Neo4j down for over an hour between append and delete),
    the second copy in the stream still reaches subscribers once."""
    from resolvers.kernel.events import BUS

    def event(name: str) -> str:
        return encode(Published({"id": f"event:{name}", "type": "SUBMIT"}, frozenset({"p"}), frozenset()))

    await broker.start()
    client = aioredis.from_url(redis_server.url, decode_responses=True)
    try:
        async with BUS.subscribe() as queue:
            for entry, payload in (("outbox:a-0", event("a")), ("outbox:a-0", event("a")), ("outbox:b-0", event("b"))):
                await client.xadd(broker.stream, {"id": entry, "payload": payload})
            got = [(await asyncio.wait_for(queue.get(), 30)).event["id"] for _ in range(2)]
        assert got == ["event:a", "event:b"]
    finally:
        await client.aclose()


async def test_relays_of_two_processes_racing_on_a_backlog_append_each_entry_once_in_commit_order(
    graph: Graph, broker: RedisBroker, redis_server: LocalRedis, neo4j_uri: str
) -> None:
    """Three relay rounds from this process and three from another process at once, over 30
    committed entries: each appended once, in commit order, whichever process holds the lock."""
    for i in range(30):
        item = Published({"id": f"event:{i}", "type": "SUBMIT"}, frozenset({"p"}), frozenset())
        await graph.write_tx(lambda tx, item=item: cluster.record(tx, [encode(item)]))
    other = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.support.relay_process"),
        *(neo4j_uri, graph.database, redis_server.url, broker.stream, "3"),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert other.stdin is not None and other.stdout is not None and other.stderr is not None
    try:
        ready = await asyncio.wait_for(other.stdout.readline(), 120)
        assert ready == b"ready\n", (ready, await other.stderr.read())
        other.stdin.write(b"go\n")
        await other.stdin.drain()
        ours = await asyncio.gather(*(broker.relay_once() for _ in range(3)))
        theirs = json.loads(await asyncio.wait_for(other.stdout.readline(), 120) or b"null")
        assert theirs is not None, await other.stderr.read()
        assert await asyncio.wait_for(other.wait(), 60) == 0, await other.stderr.read()
    finally:
        if other.returncode is None:
            other.kill()
            await other.wait()
    assert sum(n for n in [*ours, *theirs] if n) == 30, (ours, theirs)
    assert await cluster.waiting(graph) == 0
    client = aioredis.from_url(redis_server.url, decode_responses=True)
    try:
        stream = await client.xrange(broker.stream)
    finally:
        await client.aclose()
    assert [decode(fields["payload"]).event["id"] for _, fields in stream] == [f"event:{i}" for i in range(30)]
