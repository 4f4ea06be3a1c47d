"""抢单 under a real race: 100 members with 100 tokens accept the same need at once; exactly one wins.

The promise (and `make bench`) is a hundred claimants. Once through the ASGI app (100 concurrent httpx
requests on one event loop), once through a real uvicorn server on a loopback port (100 TCP
connections), and once split between two API processes' worth of app, driver and line of turns
(graph/kernel/db.py `Turns`), where only Neo4j's locks stand between them; all against the real Neo4j.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

import httpx
import pytest

from graph.kernel.db import Graph
from tests.server.test_server_door import app_client
from tests.support import workflow_helpers as w
from tests.support.factories import make_places

RACERS = 100


@pytest.fixture
async def world(graph):
    await make_places(graph)
    await w.make_people(graph, members=RACERS)
    return graph


async def _open_need(graphql_client) -> str:
    nid = (await w.submit(graphql_client, title="周六上午为独居老人送餐", categoryCode="ELDERLY_CARE"))["id"]
    opened = await graphql_client(w.OPEN_CLAIM, {"input": {"needId": nid}}, token=w.coordinator())
    assert opened["data"]["openNeedForClaim"]["need"]["status"] == "DISPATCHED"
    return nid


async def _race(http: httpx.AsyncClient, nid: str, members: range = range(1, RACERS + 1)) -> list[dict]:
    tokens = [w.member(i) for i in members]

    async def accept(tok: str) -> dict:
        response = await http.post(
            "/graphql",
            json={"query": w.ACCEPT, "variables": {"input": {"needId": nid}}},
            headers={"Authorization": f"Bearer {tok}"},
        )
        return response.json()

    return await asyncio.gather(*(accept(tok) for tok in tokens))


async def _check_one_winner(graph, nid: str, bodies: list[dict]) -> None:
    winners = [b for b in bodies if "errors" not in b]
    losers = [b for b in bodies if "errors" in b]
    assert len(winners) == 1, Counter(b["errors"][0]["message"] if "errors" in b else "won" for b in bodies)
    assert {w.error_code(b) for b in losers} == {"CONFLICT"}
    # Every loser is told the need is taken, naming its state.
    assert all("is ACCEPTED; acceptNeed needs DISPATCHED" in b["errors"][0]["message"] for b in losers)

    rows = await graph.read(
        """
        MATCH (n:Need {id: $id})
        RETURN n.status AS status,
          [(n)<-[:OF]-(a:Assignment) | a.status] AS statuses,
          [(n)<-[:ABOUT]-(e:Event {type: 'ACCEPT'}) | e.id] AS accepts,
          COLLECT { MATCH (m:Member) WHERE m.openLoad > 0 RETURN m.id } AS loaded
        """,
        id=nid,
    )
    row = rows[0]
    assert row["status"] == "ACCEPTED"
    assert Counter(row["statuses"]) == {"ACTIVE": 1, "LAPSED": RACERS - 1}
    assert len(row["accepts"]) == 1
    winner = winners[0]["data"]["acceptNeed"]["assignment"]["handler"]["id"]
    assert row["loaded"] == [winner]


async def test_a_hundred_concurrent_accepts_through_asgi(world, graphql_client) -> None:
    nid = await _open_need(graphql_client)
    bodies = await _race(graphql_client.http, nid)
    await _check_one_winner(world, nid, bodies)


async def test_a_hundred_concurrent_accepts_through_uvicorn(world, graphql_client) -> None:
    nid = await _open_need(graphql_client)
    async with w.live_server(world) as address:
        limits = httpx.Limits(max_connections=RACERS)
        async with httpx.AsyncClient(base_url=f"http://{address}", limits=limits, timeout=60) as http:
            bodies = await _race(http, nid)
    await _check_one_winner(world, nid, bodies)


async def test_a_hundred_accepts_split_between_two_api_processes(world, graphql_client, neo4j_uri) -> None:
    """Each process lets its own claimants take turns; the two lines race each other in Neo4j."""
    nid = await _open_need(graphql_client)
    other = Graph.connect(neo4j_uri, os.environ.get("NEO4J_USER"), os.environ.get("NEO4J_PASSWORD"), world.database)
    try:
        async with app_client(other) as second:
            half = RACERS // 2
            here, there = await asyncio.gather(
                _race(graphql_client.http, nid, range(1, half + 1)), _race(second, nid, range(half + 1, RACERS + 1))
            )
    finally:
        await other.close()
    await _check_one_winner(world, nid, here + there)
