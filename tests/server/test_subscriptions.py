"""Live events over a real WebSocket (graphql-transport-ws) against uvicorn on a loopback port:
subscribe with the token in connection_init, trigger a mutation over HTTP, receive the event.
Frames written by hand, to reach every case; every message the server sends must be a TEXT frame.
tests/server/test_subscription_clients.py subscribes with the real clients (graphql-ws, gql)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from resolvers.kernel.events import BUS
from tests.support import workflow_helpers as w
from tests.support.factories import NANYUANMEN, SHUYUANMEN

NEED_EVENTS = "subscription($s: ID!) { needEvents(scopeId: $s) { type fromState toState actorId need { id } } }"
MY_ASSIGNMENTS = "subscription { myAssignments { type toState need { id status } } }"


async def _subscribe(address: str, tok: str, query: str, variables: dict | None = None) -> ClientConnection:
    ws = await connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {tok}"}}))
    assert (await _next(ws))["type"] == "connection_ack"
    await ws.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
    )
    return ws


async def _next(ws: ClientConnection, timeout: float = 60) -> dict[str, Any]:
    """The next message but the server's pings (answered: a test slower than the ping interval is not
    a client gone)."""
    while True:
        message = await asyncio.wait_for(ws.recv(), timeout)
        # The protocol's messages are TEXT frames; `websockets` hands a BINARY frame over as bytes.
        assert isinstance(message, str), f"a BINARY frame: {message!r}"
        parsed = json.loads(message)
        if parsed["type"] != "ping":
            return parsed
        await ws.send(json.dumps({"type": "pong"}))


async def _until_listening(count: int) -> None:
    for _ in range(500):
        if BUS.subscribers >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscription never started listening")


async def _post(http: httpx.AsyncClient, document: str, variables: dict, tok: str) -> dict:
    body = (
        await http.post(
            "/graphql", json={"query": document, "variables": variables}, headers={"Authorization": f"Bearer {tok}"}
        )
    ).json()
    assert "errors" not in body, body["errors"]
    return body["data"]


@pytest.mark.smoke
async def test_coordinator_and_member_receive_events(world) -> None:
    async with w.live_server(world) as address, httpx.AsyncClient(base_url=f"http://{address}", timeout=120) as http:
        before = BUS.subscribers
        street_ws = await _subscribe(address, w.token("COORDINATOR", NANYUANMEN), NEED_EVENTS, {"s": SHUYUANMEN})
        member_ws = await _subscribe(address, w.member(1), MY_ASSIGNMENTS)
        other_ws = await _subscribe(address, w.member(2), MY_ASSIGNMENTS)
        await _until_listening(before + 3)

        data = await _post(http, w.SUBMIT, {"input": w.SEWER_INPUT}, w.resident())
        nid = data["submitNeed"]["need"]["id"]
        got = await _next(street_ws)
        assert got["type"] == "next" and got["id"] == "1"
        assert got["payload"]["data"]["needEvents"] == {
            "type": "SUBMIT",
            "fromState": None,
            "toState": "SUBMITTED",
            "actorId": w.RESIDENT,
            "need": {"id": nid},
        }

        await _post(http, w.DISPATCH, {"input": {"needId": nid, "handlerId": w.member_id(1)}}, w.coordinator())
        mine = await _next(member_ws)
        assert mine["payload"]["data"]["myAssignments"] == {
            "type": "DISPATCH",
            "toState": "DISPATCHED",
            "need": {"id": nid, "status": "DISPATCHED"},
        }
        assert (await _next(street_ws))["payload"]["data"]["needEvents"]["type"] == "DISPATCH"

        await _post(http, w.ACCEPT, {"input": {"needId": nid}}, w.member(1))
        assert (await _next(member_ws))["payload"]["data"]["myAssignments"]["type"] == "ACCEPT"
        # Member 2 was never offered this need: nothing arrives for them.
        with pytest.raises(TimeoutError):
            await _next(other_ws, timeout=0.5)
        for ws in (street_ws, member_ws, other_ws):
            await ws.close()


def _code(message: dict[str, Any]) -> str:
    assert message["type"] == "next" and message["payload"]["data"] is None, message
    return message["payload"]["errors"][0]["extensions"]["code"]


async def test_subscriptions_check_role_and_scope(world) -> None:
    async with w.live_server(world) as address:
        member_ws = await _subscribe(address, w.member(1), NEED_EVENTS, {"s": SHUYUANMEN})
        assert _code(await _next(member_ws)) == "FORBIDDEN"
        elsewhere = await _subscribe(address, w.coordinator(SHUYUANMEN), NEED_EVENTS, {"s": NANYUANMEN})
        assert _code(await _next(elsewhere)) == "FORBIDDEN"  # the street is above the coordinator's community
        coordinator_ws = await _subscribe(address, w.coordinator(), MY_ASSIGNMENTS)
        assert _code(await _next(coordinator_ws)) == "FORBIDDEN"
        anon_ws = await connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        await anon_ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await _next(anon_ws))["type"] == "connection_ack"
        await anon_ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": MY_ASSIGNMENTS}}))
        assert _code(await _next(anon_ws)) == "UNAUTHENTICATED"
        for ws in (member_ws, elsewhere, coordinator_ws, anon_ws):
            await ws.close()


MY_NEEDS = "subscription { myNeeds { type toState need { id status } } }"
MERGE = "mutation($input: MergeNeedsInput!) { mergeNeeds(input: $input) { need { id } } }"


async def test_residents_hear_their_needs_and_those_theirs_were_merged_into(world) -> None:
    """Two residents report the same sewer; once the coordinator merges the second into the first,
    both hear the surviving need's events (and see it in `me.needs`), and a third resident hears nothing."""
    twin = {**w.SEWER_INPUT, "description": "同一处下水道堵了，污水流到楼道"}
    async with w.live_server(world) as address, httpx.AsyncClient(base_url=f"http://{address}", timeout=120) as http:
        first = (await _post(http, w.SUBMIT, {"input": w.SEWER_INPUT}, w.resident()))["submitNeed"]["need"]["id"]
        second = (await _post(http, w.SUBMIT, {"input": twin}, w.resident(w.OTHER_RESIDENT)))["submitNeed"]["need"][
            "id"
        ]
        before = BUS.subscribers
        raiser_ws = await _subscribe(address, w.resident(), MY_NEEDS)
        follower_ws = await _subscribe(address, w.resident(w.OTHER_RESIDENT), MY_NEEDS)
        stranger_ws = await _subscribe(address, w.resident("resident:w3"), MY_NEEDS)
        await _until_listening(before + 3)

        await _post(http, MERGE, {"input": {"intoId": first, "fromIds": [second]}}, w.coordinator())
        # The follower hears its own need closed into the first, and the first's trail recording it.
        heard = [(await _next(follower_ws))["payload"]["data"]["myNeeds"] for _ in range(2)]
        assert {(e["need"]["id"], e["type"]) for e in heard} == {(first, "MERGE"), (second, "MERGE")}
        assert (await _next(raiser_ws))["payload"]["data"]["myNeeds"]["need"]["id"] == first

        await _post(http, w.DISPATCH, {"input": {"needId": first, "handlerId": w.member_id(1)}}, w.coordinator())
        for ws in (raiser_ws, follower_ws):
            assert (await _next(ws))["payload"]["data"]["myNeeds"] == {
                "type": "DISPATCH",
                "toState": "DISPATCHED",
                "need": {"id": first, "status": "DISPATCHED"},
            }
        with pytest.raises(TimeoutError):
            await _next(stranger_ws, timeout=0.5)

        mine = await _post(http, "{ me { needs { id } } }", {}, w.resident(w.OTHER_RESIDENT))
        assert {n["id"] for n in mine["me"]["needs"]} == {first, second}
        coordinator_ws = await _subscribe(address, w.coordinator(), MY_NEEDS)
        assert _code(await _next(coordinator_ws)) == "FORBIDDEN"
        for ws in (raiser_ws, follower_ws, stranger_ws, coordinator_ws):
            await ws.close()


async def test_messages_are_text_frames_as_browsers_read_them(world) -> None:
    """graphql-transport-ws messages are stringified JSON: a binary frame reaches a browser's graphql-ws
    as a Blob it cannot parse (GraphiQL's subscriptions broke so), though Python clients read both."""
    async with w.live_server(world) as address, httpx.AsyncClient(base_url=f"http://{address}", timeout=60) as http:
        before = BUS.subscribers
        ws = await connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {w.coordinator()}"}})
        )
        ack = await asyncio.wait_for(ws.recv(), 10)
        await ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": NEED_EVENTS, "variables": {"s": SHUYUANMEN}}}
            )
        )
        await _until_listening(before + 1)
        await _post(http, w.SUBMIT, {"input": w.SEWER_INPUT}, w.resident())
        event = await asyncio.wait_for(ws.recv(), 10)
        await ws.close()
    assert isinstance(ack, str) and json.loads(ack) == {"type": "connection_ack"}
    assert isinstance(event, str) and json.loads(event)["payload"]["data"]["needEvents"]["type"] == "SUBMIT"
