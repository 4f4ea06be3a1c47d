"""Subscriptions with the clients front-end teams use, against the real server under uvicorn: npm
`graphql-ws` (the reference graphql-transport-ws client, in Node) and Python `gql` subscribe to
`needEvents`, `myAssignments` and `myNeeds`, answer the server's pings, and receive exactly the
events the mutations cause, in order; a refused subscription reaches them with its code."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from resolvers.kernel.events import BUS
from server.settings import Settings
from tests.support import workflow_helpers as w
from tests.support.factories import NANYUANMEN, SHUYUANMEN
from tests.support.ws_clients import Gql, GraphqlWs, Subscription

NEED_EVENTS = "subscription($s: ID!) { needEvents(scopeId: $s) { type fromState toState actorId need { id } } }"
MY_ASSIGNMENTS = "subscription { myAssignments { type toState need { id } } }"
MY_NEEDS = "subscription { myNeeds { type toState need { id } } }"


def subscriptions() -> list[Subscription]:
    return [
        Subscription("street", w.token("COORDINATOR", NANYUANMEN), NEED_EVENTS, {"s": SHUYUANMEN}),
        Subscription("member", w.member(1), MY_ASSIGNMENTS),
        Subscription("resident", w.resident(), MY_NEEDS),
        # A member may not follow a whole community: refused, with the code a client can act on.
        Subscription("refused", w.member(2), NEED_EVENTS, {"s": SHUYUANMEN}),
    ]


async def _until_listening(count: int) -> None:
    for _ in range(6000):  # a minute: the clients start in their own time
        if BUS.subscribers >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} subscriptions never listened (now {BUS.subscribers})")


async def _post(http: httpx.AsyncClient, document: str, variables: dict, tok: str) -> dict:
    response = await http.post(
        "/graphql", json={"query": document, "variables": variables}, headers={"Authorization": f"Bearer {tok}"}
    )
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


@pytest.mark.parametrize("client_class", [GraphqlWs, Gql], ids=["graphql-ws", "gql"])
async def test_a_real_client_receives_exactly_the_events_of_each_subscription(world, client_class) -> None:
    # Server pings every 3 s, and lets a connection go after two unanswered: the clients answer them.
    settings = Settings(minhu_ws_keepalive_seconds=3)
    async with (
        w.live_server(world, settings) as address,
        httpx.AsyncClient(base_url=f"http://{address}", timeout=120) as http,
    ):
        before = BUS.subscribers
        async with client_class(f"ws://{address}/graphql", subscriptions()) as client:
            refused = await client.next("refused")
            assert refused["data"] is None
            assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
            await _until_listening(before + 3)
            for name in ("street", "member", "resident"):
                await client.pinged(name)
            # What the scale-out test waits on in other processes: the same count, through /metrics.
            assert f"minhu_event_listeners {float(BUS.subscribers)}\n" in (await http.get("/metrics")).text

            nid = (await _post(http, w.SUBMIT, {"input": w.SEWER_INPUT}, w.resident()))["submitNeed"]["need"]["id"]
            await _post(http, w.DISPATCH, {"input": {"needId": nid, "handlerId": w.member_id(1)}}, w.coordinator())
            await _post(http, w.ACCEPT, {"input": {"needId": nid}}, w.member(1))
            await _post(http, w.START, {"input": {"needId": nid}}, w.member(1))

            # Each in order, each once: START is the last change, and the fourth thing each receives.
            street = [await client.data("street") for _ in range(4)]
            member = [await client.data("member") for _ in range(3)]
            resident = [await client.data("resident") for _ in range(4)]

    need = {"id": nid}
    coordinator = "user:cli-coordinator"  # the subject `w.coordinator()`'s token carries
    assert street == [
        {"type": "SUBMIT", "fromState": None, "toState": "SUBMITTED", "actorId": w.RESIDENT, "need": need},
        {"type": "DISPATCH", "fromState": "SUBMITTED", "toState": "DISPATCHED", "actorId": coordinator, "need": need},
        {"type": "ACCEPT", "fromState": "DISPATCHED", "toState": "ACCEPTED", "actorId": w.member_id(1), "need": need},
        {"type": "START", "fromState": "ACCEPTED", "toState": "IN_PROGRESS", "actorId": w.member_id(1), "need": need},
    ]
    assert [(e["type"], e["toState"], e["need"]["id"]) for e in member] == [
        ("DISPATCH", "DISPATCHED", nid),
        ("ACCEPT", "ACCEPTED", nid),
        ("START", "IN_PROGRESS", nid),
    ]
    assert [(e["type"], e["toState"], e["need"]["id"]) for e in resident] == [
        ("SUBMIT", "SUBMITTED", nid),
        ("DISPATCH", "DISPATCHED", nid),
        ("ACCEPT", "ACCEPTED", nid),
        ("START", "IN_PROGRESS", nid),
    ]
