"""Partners' webhooks against real parts: the graph, a real HTTP receiver on loopback (Starlette under
uvicorn) that answers, fails, hangs past the timeout and recovers, and the `standardwebhooks` package's
own verifier on every delivery. The relay's schedule runs on a clock the tests move by hand (and its
jitter on a pinned draw), so nothing here depends on how fast the machine is: a hanging endpoint is
released by the test, and the timeout only has to pass once."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from graph.kernel import cluster
from graph.kernel.db import Graph
from graph.webhooks import deliveries
from resolvers.accounts import apikeys
from resolvers.kernel import events
from resolvers.webhooks import relay as relays
from resolvers.webhooks import urls
from resolvers.webhooks.relay import CONSUMER, Policy, Relay, backoff
from tests.conftest import pinned
from tests.support import workflow_helpers as w
from tests.support.factories import COMPOUND

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
now = pinned(NOW)

REGISTER = """mutation($input: RegisterWebhookInput!) {
  registerWebhook(input: $input) { secret replayed webhook { id url events apiKeyId } } }"""
REPLAY = """mutation($input: ReplayWebhookDeliveryInput!) {
  replayWebhookDelivery(input: $input) { webhookDelivery { id status attemptCount replays } } }"""
REPLAY_DEAD = """mutation($input: ReplayDeadLettersInput!) {
  replayDeadLetters(input: $input) { webhook { id deadLetters { totalCount } } } }"""
REMOVE = """mutation($input: RemoveWebhookInput!) { removeWebhook(input: $input) { webhook { id removedAt } } }"""
LOG = """query($key: ID) { webhooks(apiKeyId: $key) { id url removedAt
  deliveries(first: 50) { totalCount edges { node { id type needId status attemptCount payload lastError
    attempts { edges { node { attemptNumber outcome statusCode error } } } } } }
  deadLetters { totalCount edges { node { id } } } } }"""


# --- the receiver --------------------------------------------------------------------------------------


@dataclass
class Endpoint:
    """One partner's endpoint: answers from `script` in turn (an int: that status; "hang": no answer until
    `release` is set), then `then`; keeps what it was sent, verified with the partner's secret."""

    secret: str = ""
    script: list[Any] = field(default_factory=list)
    then: Any = 204
    received: list[dict[str, Any]] = field(default_factory=list)  # verified, in arrival order
    calls: int = 0
    hanging: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class Receiver:
    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = defaultdict(Endpoint)
        self.base = ""

    def url(self, name: str) -> str:
        return f"{self.base}/hooks/{name}"

    async def hook(self, request: Request) -> Response:
        endpoint = self.endpoints[request.path_params["name"]]
        body = await request.body()
        # The package's own verifier: signature, id and timestamp, or it raises.
        payload = Webhook(endpoint.secret).verify(body, dict(request.headers))
        endpoint.calls += 1
        answer = endpoint.script.pop(0) if endpoint.script else endpoint.then
        if answer == "hang":
            endpoint.hanging += 1
            endpoint.arrived.set()
            await endpoint.release.wait()
            endpoint.hanging -= 1
            return Response(status_code=500)  # too late: the relay gave up on it already
        if 200 <= answer < 300:
            endpoint.received.append({"id": request.headers["webhook-id"], **payload})
        endpoint.arrived.set()
        return Response(status_code=answer)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    made = Receiver()
    app = Starlette(routes=[Route("/hooks/{name}", made.hook, methods=["POST"])])
    server, task, port = await w.serve(app, lifespan="off")
    made.base = f"http://127.0.0.1:{port}"
    try:
        yield made
    finally:
        for endpoint in made.endpoints.values():
            endpoint.release.set()
        server.should_exit = True
        await task


@dataclass
class Clock:
    at: datetime = NOW

    def __call__(self) -> datetime:
        return self.at


POLICY = Policy(
    timeout_seconds=2.0, attempts=4, backoff_seconds=10, backoff_cap_seconds=60, concurrency=2, allow_private=True
)


@contextlib.asynccontextmanager
async def relaying(graph: Graph, chosen: Policy = POLICY, count: int = 1) -> AsyncIterator[list[Relay]]:
    """Relays driven by the test (their loops not started); every change's events wait for them."""
    clock = Clock()
    made = [Relay(lambda: graph, chosen, clock=clock, rand=lambda: 1.0) for _ in range(count)]
    relays.configure(chosen)
    events.use_consumer(CONSUMER, made[0].wake, relays.wanted)
    try:
        yield made
    finally:
        events.drop_consumer(CONSUMER)
        relays.configure(None)
        for one in made:
            await one.stop()


async def drain(relay: Relay) -> None:
    """Rounds until nothing is due at the relay's present moment."""
    while await relay.run_once():
        await relay.settle()


@dataclass
class Partner:
    key_id: str
    api_key: str  # the secret it files requests with at the Open311 door
    token: str  # its PARTNER token for GraphQL


async def partner(graph: Graph, graphql_client, receiver: Receiver, name: str) -> Partner:
    """A partner's key, a PARTNER token for it, and a webhook to `name` on the receiver (every event)."""
    key_id, secret = await apikeys.issue(graph, f"合作方{name}", None)
    token = w.token("PARTNER", None, key_id)
    body = await graphql_client(
        REGISTER,
        {"input": {"url": receiver.url(name), "events": ["STATUS", "EVALUATION", "MERGE"]}},
        token=token,
    )
    receiver.endpoints[name].secret = body["data"]["registerWebhook"]["secret"]
    return Partner(key_id, secret, token)


async def file(graphql_client, api_key: str, description: str = "3号楼门口下水道堵了，污水漫到路上") -> str:
    """A request filed through the Open311 door with the partner's key: a need of that partner's."""
    response = await graphql_client.http.post(
        "/open311/v2/requests.json",
        data={"service_code": "SEWER", "address_id": COMPOUND, "description": description, "api_key": api_key},
    )
    assert response.status_code == 200, response.text
    return response.json()[0]["service_request_id"]


def statuses(endpoint: Endpoint, need_id: str) -> list[str]:
    return [d["data"]["status"] for d in endpoint.received if d["data"]["service_request_id"] == need_id]


async def walk(graphql_client, need_id: str) -> None:
    """Dispatched, accepted, started, completed: four status changes."""
    await graphql_client(w.DISPATCH, {"input": {"needId": need_id, "handlerId": w.member_id(1)}}, token=w.coordinator())
    for doc in (w.ACCEPT, w.START):
        await graphql_client(doc, {"input": {"needId": need_id}}, token=w.member(1))
    await graphql_client(w.COMPLETE, {"input": {"needId": need_id, "note": "已疏通主管道"}}, token=w.member(1))


# --- what needs no database ----------------------------------------------------------------------------


def test_backoff_doubles_up_to_its_cap_and_jitters_within_half() -> None:
    chosen = Policy(backoff_seconds=10, backoff_cap_seconds=60)
    assert [backoff(n, chosen, lambda: 1.0).total_seconds() for n in range(1, 6)] == [10, 20, 40, 60, 60]
    assert backoff(3, chosen, lambda: 0.0).total_seconds() == 20  # the least jitter: half the wait


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.cn/minhu", "SCHEME"),
        ("javascript:alert(1)", "SCHEME"),
        ("https://", "HOST"),
        ("https://user:pw@hooks.example.cn/", "CREDENTIALS"),
        ("https://hooks.example.cn/#top", "FRAGMENT"),
        ("https://hooks.example.cn:99999/", "MALFORMED"),
        ("https://hooks.example.cn/" + "x" * 2000, "LENGTH"),
    ],
)
def test_a_url_a_webhook_may_not_have_is_refused_with_its_reason(url: str, reason: str) -> None:
    from graph.kernel.errors import BadUserInput

    with pytest.raises(BadUserInput) as refused:
        urls.check(url)
    assert refused.value.details == {"field": "url", "reason": reason}


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/", "http://localhost/", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data/",
     "http://[::1]/", "http://[::ffff:192.168.0.1]/", "http://100.64.0.1/"],
)  # fmt: skip
async def test_loopback_private_and_link_local_hosts_are_refused_in_production(url: str) -> None:
    from graph.kernel.errors import BadUserInput

    with pytest.raises(BadUserInput) as refused:
        await urls.resolve(url, allow_private=False)
    assert refused.value.details["reason"] == "PRIVATE_ADDRESS"
    assert (await urls.resolve(url, allow_private=True)).address


# --- against the graph and the receiver -------------------------------------------------------------


async def test_a_partner_hears_of_its_own_requests_signed_and_in_order(world, graphql_client, receiver) -> None:
    async with relaying(world) as (relay,):
        a = await partner(world, graphql_client, receiver, "a")
        api_key, token = a.api_key, a.token
        need_id = await file(graphql_client, api_key)
        await walk(graphql_client, need_id)
        # With webhooks on, a change writes its events into the outbox in its own transaction.
        assert graphql_client.last_written[-1] == "kernel.cluster.record"
        other = await w.submit(graphql_client)  # a resident's own need: no partner hears of it
        await graphql_client(w.CANCEL, {"input": {"needId": other["id"]}}, token=w.resident())
        await drain(relay)

    endpoint = receiver.endpoints["a"]
    assert statuses(endpoint, need_id) == ["SUBMITTED", "DISPATCHED", "ACCEPTED", "IN_PROGRESS", "COMPLETED"]
    assert {d["data"]["service_request_id"] for d in endpoint.received} == {need_id}
    first = endpoint.received[0]
    assert first["type"] == "need.status_changed" and first["data"]["open311_status"] == "open"
    assert first["data"]["status_notes"] == "已受理，等待社区派单"
    assert "note" not in first["data"] and "actorId" not in orjson.dumps(first).decode()  # no free text, no person
    assert endpoint.received[-1]["data"]["open311_status"] == "closed"
    assert await cluster.waiting(world) == 0, "every entry was taken (no broker waits for them)"

    log = (await graphql_client(LOG, {}, token=token))["data"]["webhooks"]
    [hook] = log
    assert hook["deliveries"]["totalCount"] == 5 and hook["deadLetters"]["totalCount"] == 0
    for edge in hook["deliveries"]["edges"]:
        delivery = edge["node"]
        assert delivery["status"] == "DELIVERED" and delivery["attemptCount"] == 1
        [attempt] = [e["node"] for e in delivery["attempts"]["edges"]]
        assert attempt == {"attemptNumber": 1, "outcome": "DELIVERED", "statusCode": 204, "error": None}
    # The webhook-id of each delivery is its id in the log (what a partner deduplicates on).
    assert sorted(d["id"] for d in endpoint.received) == sorted(e["node"]["id"] for e in hook["deliveries"]["edges"])


async def test_a_change_whose_events_no_partner_is_sent_pays_no_statement_for_webhooks(world, graphql_client) -> None:
    """Webhooks on, no broker: an edit (an UPDATE event, the need's status unchanged) is of no kind a
    partner hears of, so nothing waits in the outbox for it and its request writes no entry."""
    async with relaying(world):
        need = await w.submit(graphql_client)
        assert graphql_client.last_written[-1] == "kernel.cluster.record", "a status change is written"
        assert await cluster.waiting(world) == 1
        await graphql_client(w.UPDATE, {"input": {"needId": need["id"], "title": "下水道堵塞严重"}}, token=w.resident())
        assert "kernel.cluster.record" not in graphql_client.last_written
        assert await cluster.waiting(world) == 1, "only the submission waits for the relay"


async def test_evaluations_and_merges_reach_the_partner_that_wants_them(world, graphql_client, receiver) -> None:
    async with relaying(world) as (relay,):
        api_key = (await partner(world, graphql_client, receiver, "m")).api_key
        first = await file(graphql_client, api_key)
        twin = await file(graphql_client, api_key, "下水道又堵了，污水外溢到路上")
        merge = """mutation($input: MergeNeedsInput!) { mergeNeeds(input: $input) { need { id } } }"""
        await graphql_client(merge, {"input": {"intoId": first, "fromIds": [twin]}}, token=w.coordinator())
        await walk(graphql_client, first)
        handling = """mutation($input: EvaluateInput!) { evaluateHandling(input: $input) { need { id } } }"""
        await graphql_client(handling, {"input": {"needId": first, "rating": 5}}, token=w.coordinator())
        await drain(relay)
    got = [(d["type"], d["data"]["service_request_id"]) for d in receiver.endpoints["m"].received]
    assert ("need.merged", twin) in got and ("need.merged", first) in got
    assert got[-1] == ("need.evaluated", first)
    [merged] = [
        d
        for d in receiver.endpoints["m"].received
        if d["type"] == "need.merged" and d["data"]["service_request_id"] == twin
    ]
    assert merged["data"]["merged_into"] == first and merged["data"]["status"] == "CANCELLED"


async def test_a_failing_then_hanging_endpoint_is_retried_with_backoff_and_keeps_each_request_in_order(
    world, graphql_client, receiver
) -> None:
    async with relaying(world) as (relay,):
        f = await partner(world, graphql_client, receiver, "f")
        api_key, token = f.api_key, f.token
        endpoint = receiver.endpoints["f"]
        endpoint.script = [500, 503, "hang"]
        need_id = await file(graphql_client, api_key)
        await graphql_client(
            w.DISPATCH, {"input": {"needId": need_id, "handlerId": w.member_id(1)}}, token=w.coordinator()
        )
        clock = relay.clock
        waits = []
        for _ in range(3):
            assert await relay.run_once() == 1, "only the first event is due: the second waits behind it"
            await relay.settle()
            [row] = await world.read(
                "MATCH (d:WebhookDelivery {status: 'PENDING'}) WHERE d.attemptCount > 0 "
                "RETURN d.nextAttemptAt AS next, d.attemptCount AS n"
            )
            waits.append(row["next"].to_native() - clock.at)
            assert await relay.run_once() == 0, "nothing is due before its backoff has passed"
            clock.at = row["next"].to_native()
        assert waits == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]
        assert endpoint.received == [] and endpoint.calls == 3
        await drain(relay)  # recovered: both events, in order
        endpoint.release.set()

    assert statuses(endpoint, need_id) == ["SUBMITTED", "DISPATCHED"]
    [hook] = (await graphql_client(LOG, {}, token=token))["data"]["webhooks"]
    by_type = {e["node"]["payload"]: e["node"] for e in hook["deliveries"]["edges"]}
    [submitted] = [d for p, d in by_type.items() if '"SUBMITTED"' in p and '"from_status":null' in p]
    tries = [e["node"] for e in submitted["attempts"]["edges"]]
    assert [(t["outcome"], t["statusCode"]) for t in tries] == [
        ("FAILED", 500), ("FAILED", 503), ("FAILED", None), ("DELIVERED", 204)
    ]  # fmt: skip
    assert tries[2]["error"] == "no answer within 2 s"


async def test_a_dead_delivery_waits_in_the_dead_letters_until_replayed(world, graphql_client, receiver) -> None:
    chosen = Policy(timeout_seconds=2.0, attempts=2, backoff_seconds=10, allow_private=True)
    async with relaying(world, chosen) as (relay,):
        d = await partner(world, graphql_client, receiver, "d")
        api_key, token = d.api_key, d.token
        endpoint = receiver.endpoints["d"]
        endpoint.then = 500
        need_id = await file(graphql_client, api_key)
        await drain(relay)
        relay.clock.at += timedelta(minutes=5)
        await drain(relay)
        [hook] = (await graphql_client(LOG, {}, token=token))["data"]["webhooks"]
        assert hook["deadLetters"]["totalCount"] == 1
        [dead] = [e["node"] for e in hook["deliveries"]["edges"]]
        assert (
            dead["status"] == "DEAD" and dead["attemptCount"] == 2 and dead["lastError"] == "the endpoint answered 500"
        )

        # Another partner may not replay it; a pending one cannot be replayed.
        other = (await partner(world, graphql_client, receiver, "x")).token
        refused = await graphql_client(REPLAY, {"input": {"deliveryId": dead["id"]}}, token=other, expect_errors=True)
        assert w.error_code(refused) == "FORBIDDEN"

        endpoint.then = 200
        body = await graphql_client(REPLAY_DEAD, {"input": {"webhookId": hook["id"]}}, token=token)
        assert body["data"]["replayDeadLetters"]["webhook"]["deadLetters"]["totalCount"] == 0
        again = await graphql_client(REPLAY, {"input": {"deliveryId": dead["id"]}}, token=token, expect_errors=True)
        assert w.error_code(again) == "CONFLICT"
        relay.clock.at = NOW  # the replay is due at the request's "now"
        await drain(relay)

        # Delivered: replayed once more on request (the partner lost it), under the same webhook-id.
        body = await graphql_client(REPLAY, {"input": {"deliveryId": dead["id"]}}, token=w.token("CITY_ADMIN"))
        assert body["data"]["replayWebhookDelivery"]["webhookDelivery"]["replays"] == 2
        await drain(relay)
    assert [d["id"] for d in endpoint.received] == [dead["id"], dead["id"]]
    assert statuses(endpoint, need_id) == ["SUBMITTED", "SUBMITTED"]


async def test_a_hanging_partner_holds_only_its_own_slots(world, graphql_client, receiver) -> None:
    chosen = Policy(timeout_seconds=30.0, attempts=4, concurrency=1, allow_private=True)
    async with relaying(world, chosen) as (relay,):
        slow = await partner(world, graphql_client, receiver, "slow")
        fast = await partner(world, graphql_client, receiver, "fast")
        hanging, answering = receiver.endpoints["slow"], receiver.endpoints["fast"]
        hanging.then = "hang"
        slow_needs = [await file(graphql_client, slow.api_key, f"{i}号楼下水道堵了，污水外溢") for i in range(3)]
        fast_needs = [await file(graphql_client, fast.api_key, f"{i}号楼下水道堵了，污水外溢") for i in range(3)]
        await relay.run_once()
        await asyncio.wait_for(hanging.arrived.wait(), 60)
        # The slow partner holds its one slot; the fast one is served round after round meanwhile.
        for _ in range(10):
            await relay.settle(fast.key_id)
            if len(answering.received) == 3:
                break
            await relay.run_once()
        assert sorted(d["data"]["service_request_id"] for d in answering.received) == sorted(fast_needs)
        assert hanging.hanging == 1 and hanging.calls == 1, "one try in flight for the slow partner, at its limit"
        sending = await world.read("MATCH (a:WebhookAttempt {outcome: 'SENDING'}) RETURN count(a) AS n")
        assert sending == [{"n": 1}]
        hanging.then = 204
        hanging.release.set()  # answers (too late to count: the relay still waits for its timeout, or the answer)
        await relay.settle()
        relay.clock.at += timedelta(minutes=5)
        await drain(relay)
    assert {d["data"]["service_request_id"] for d in hanging.received} == set(slow_needs)


async def test_two_relays_at_once_take_each_entry_once_and_each_try_once(world, graphql_client, receiver) -> None:
    """The hazards of two relays (two API processes): both fanning out one outbox entry (two deliveries,
    two webhook-ids, for one event) and both sending one try. Raced for real against the graph."""
    async with relaying(world, count=2) as (one, two):
        p = await partner(world, graphql_client, receiver, "r")
        needs = [await file(graphql_client, p.api_key, f"{i}号楼下水道堵了，污水外溢") for i in range(4)]
        for need_id in needs:
            await graphql_client(
                w.DISPATCH, {"input": {"needId": need_id, "handlerId": w.member_id(1)}}, token=w.coordinator()
            )
        taken = await asyncio.gather(one.fan_out(), two.fan_out())
        assert sum(taken) == 8, taken
        rows = await world.read("MATCH (d:WebhookDelivery) RETURN d.eventId AS e, d.id AS id, d.attemptCount AS n")
        assert len(rows) == 8 and len({r["e"] for r in rows}) == 8, "one delivery per event, whoever took it"

        # Ten claims of the same try at once: exactly one gets it.
        first = rows[0]
        claims = await asyncio.gather(
            *(deliveries.claim(world, first["id"], 0, NOW.isoformat(), 60_000) for _ in range(10))
        )
        assert [c for c in claims if c is not None] == [{"attemptId": claims_won(claims), "number": 1}]
        await world.write(
            "MATCH (a:WebhookAttempt)-[:OF]->(d:WebhookDelivery {id: $id}) DETACH DELETE a "
            "SET d.attemptCount = 0, d.leaseUntil = null",
            id=first["id"],
        )

        # Both relays read the same due deliveries and try them at once, round after round.
        for _ in range(20):
            started = await asyncio.gather(one.dispatch(), two.dispatch())
            await asyncio.gather(one.settle(), two.settle())
            if not any(started):
                break
    endpoint = receiver.endpoints["r"]
    ids = [d["id"] for d in endpoint.received]
    assert endpoint.calls == 8 and sorted(ids) == sorted(r["id"] for r in rows), "each delivery sent once"
    tries = await world.read(
        "MATCH (a:WebhookAttempt)-[:OF]->(d:WebhookDelivery) RETURN d.id AS d, collect(a.attemptNumber) AS n"
    )
    assert sorted(len(t["n"]) for t in tries) == [1] * 8
    for need_id in needs:
        assert statuses(endpoint, need_id) == ["SUBMITTED", "DISPATCHED"]


def claims_won(claims: list[dict[str, Any] | None]) -> str:
    return next(c["attemptId"] for c in claims if c is not None)


@pytest.mark.parametrize(
    ("who", "extra", "code"),
    [
        ("resident", {}, "FORBIDDEN"),
        ("coordinator", {}, "FORBIDDEN"),
        ("anonymous", {}, "UNAUTHENTICATED"),
        ("other_partner", {"apiKeyId": "KEY"}, "FORBIDDEN"),
        ("city_admin", {}, "BAD_USER_INPUT"),  # whose webhook: apiKeyId
        ("city_admin", {"apiKeyId": "apikey:0000"}, "NOT_FOUND"),
        ("partner", {"url": "ftp://hooks.example.cn/"}, "BAD_USER_INPUT"),
        ("partner", {"events": []}, "BAD_USER_INPUT"),
    ],
)
async def test_registering_is_the_partners_own_or_the_citys(world, graphql_client, who, extra, code) -> None:
    key_id, _ = await apikeys.issue(world, "合作方", None)
    other_id, _ = await apikeys.issue(world, "另一合作方", None)
    tokens = {
        "resident": w.resident(),
        "coordinator": w.coordinator(),
        "anonymous": None,
        "other_partner": w.token("PARTNER", None, other_id),
        "city_admin": w.token("CITY_ADMIN"),
        "partner": w.token("PARTNER", None, key_id),
    }
    data = {"url": "http://127.0.0.1:9/hook", "events": ["STATUS"], **extra}
    if data.get("apiKeyId") == "KEY":
        data["apiKeyId"] = key_id
    async with relaying(world):
        body = await graphql_client(REGISTER, {"input": data}, token=tokens[who], expect_errors=True)
    assert w.error_code(body) == code, body
    assert not await world.read("MATCH (h:Webhook) RETURN h.id AS id")


async def test_a_bad_url_says_why_and_production_refuses_private_hosts(world, graphql_client) -> None:
    key_id, _ = await apikeys.issue(world, "合作方", None)
    token = w.token("PARTNER", None, key_id)

    async def refusal(url: str) -> dict[str, Any]:
        body = await graphql_client(
            REGISTER, {"input": {"url": url, "events": ["STATUS"]}}, token=token, expect_errors=True
        )
        assert w.error_code(body) == "BAD_USER_INPUT", body
        return body["errors"][0]

    async with relaying(world, Policy(allow_private=False)):
        private = await refusal("http://127.0.0.1:8080/hook")
        assert private["extensions"] == {"code": "BAD_USER_INPUT", "field": "url", "reason": "PRIVATE_ADDRESS"}
        assert "127.0.0.1" in private["message"] and "public" in private["message"]
        scheme = await refusal("file:///etc/passwd")
        assert scheme["extensions"]["reason"] == "SCHEME" and "https://" in scheme["message"]
    # Webhooks off: nothing would ever be sent, so nothing is registered.
    off = await graphql_client(
        REGISTER, {"input": {"url": "https://hooks.example.cn/", "events": ["STATUS"]}}, token=token, expect_errors=True
    )
    assert w.error_code(off) == "CONFLICT" and "MINHU_WEBHOOKS" in off["errors"][0]["message"]


async def test_a_partner_sees_only_its_own_webhooks_and_a_revoked_key_ends_everything(
    world, graphql_client, receiver
) -> None:
    async with relaying(world) as (relay,):
        mine = await partner(world, graphql_client, receiver, "own")
        theirs = await partner(world, graphql_client, receiver, "theirs")
        listed = (await graphql_client(LOG, {}, token=mine.token))["data"]["webhooks"]
        assert [h["url"] for h in listed] == [receiver.url("own")]
        peeking = await graphql_client(LOG, {"key": theirs.key_id}, token=mine.token, expect_errors=True)
        assert w.error_code(peeking) == "FORBIDDEN"
        everyone = (await graphql_client(LOG, {}, token=w.token("CITY_ADMIN")))["data"]["webhooks"]
        assert len(everyone) == 2

        need_id = await file(graphql_client, theirs.api_key)
        await apikeys.revoke(world, theirs.key_id)
        await graphql_client(
            w.DISPATCH, {"input": {"needId": need_id, "handlerId": w.member_id(1)}}, token=w.coordinator()
        )
        await drain(relay)
        revoked = await graphql_client(LOG, {}, token=theirs.token, expect_errors=True)
        assert w.error_code(revoked) == "UNAUTHENTICATED"

        # A removed webhook gets nothing more.
        [hook] = (await graphql_client(LOG, {}, token=mine.token))["data"]["webhooks"]
        removed = await graphql_client(REMOVE, {"input": {"webhookId": hook["id"]}}, token=mine.token)
        assert removed["data"]["removeWebhook"]["webhook"]["removedAt"]
        await file(graphql_client, mine.api_key)
        await drain(relay)
        [kept] = (await graphql_client(LOG, {}, token=mine.token))["data"]["webhooks"]
        assert kept["id"] == hook["id"] and kept["deliveries"]["totalCount"] == 0, "its log stays, with nothing new"
    assert receiver.endpoints["theirs"].received == [] and receiver.endpoints["own"].received == []


async def test_the_server_relays_on_its_own_when_webhooks_are_on(world, receiver) -> None:
    """`MINHU_WEBHOOKS=true`: the app's lifespan starts the relay, a commit wakes it, and the partner's
    endpoint gets the request's first event with no test driving anything."""
    import httpx

    from server.settings import get_settings

    settings = get_settings().model_copy(update={"minhu_webhooks": True, "minhu_webhook_allow_private": True})
    key_id, api_key = await apikeys.issue(world, "合作方", None)
    async with w.live_server(world, settings) as address, httpx.AsyncClient(base_url=f"http://{address}") as http:
        answer = await http.post(
            "/graphql",
            json={"query": REGISTER, "variables": {"input": {"url": receiver.url("live"), "events": ["STATUS"]}}},
            headers={"Authorization": f"Bearer {w.token('PARTNER', None, key_id)}"},
        )
        receiver.endpoints["live"].secret = answer.json()["data"]["registerWebhook"]["secret"]
        filed = await http.post(
            "/open311/v2/requests.json",
            data={
                "service_code": "SEWER",
                "address_id": COMPOUND,
                "description": "下水道堵了，污水外溢",
                "api_key": api_key,
            },
        )
        need_id = filed.json()[0]["service_request_id"]
        await asyncio.wait_for(receiver.endpoints["live"].arrived.wait(), 60)
    assert statuses(receiver.endpoints["live"], need_id) == ["SUBMITTED"]
    assert not events.consuming(CONSUMER), "the relay stopped with the app"


async def test_registrations_at_once_never_pass_the_limit(world, graphql_client) -> None:
    """Three registrations at once for a partner one short of its limit: exactly one gets through."""
    key_id, _ = await apikeys.issue(world, "合作方", None)
    token = w.token("PARTNER", None, key_id)
    chosen = Policy(allow_private=True, max_webhooks=2)

    def register(i: int) -> Any:
        variables = {"input": {"url": f"http://127.0.0.1:9/hook/{i}", "events": ["STATUS"]}}
        return graphql_client(REGISTER, variables, token=token, expect_errors=True)

    async with relaying(world, chosen):
        await register(0)
        answers = await asyncio.gather(*(register(i) for i in range(1, 4)))
    assert sorted("errors" in a for a in answers) == [False, True, True]
    assert {w.error_code(a) for a in answers if "errors" in a} == {"CONFLICT"}
    assert len(await world.read("MATCH (h:Webhook) RETURN h.id AS id")) == 2
