"""Races of the whistle, run for real against Neo4j: two departments reporting at once (both win: two calls),
two whistles of one need at once (one wins), a department's report racing its own refusal (one wins), one
report raced twenty ways (one wins), two revisions of one duty list at once (both land, one after the other,
no version lost). The first three run within one API process and split between two (a second app with its
own driver, as tests/needs/test_race_accept.py does): within one process a call's copies wait their turn
(graph/kernel/db.py `Turns`), across two only the locks in Neo4j decide."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from graph.kernel.db import Graph
from tests.conftest import GraphQLClient
from tests.support.factories import BEILIN, COMPOUND
from tests.support.workflow_helpers import error_code, resident
from tests.whistle.support import (
    CHENGGUAN,
    HOUSING,
    REVISE,
    WATER,
    district,
    make_departments,
    publish_lists,
    staff,
    street,
)
from tests.whistle.test_stories import CALLS, REFUSE, REPORT, SUBMIT, WHISTLE, calls_by_department


@asynccontextmanager
async def second_api(uri: str, database: str) -> AsyncIterator[GraphQLClient]:
    """Another API over the same Neo4j, with its own driver (and so its own turns): a second process."""
    import httpx

    from server.app import create_app
    from server.settings import get_settings

    other = Graph.connect(uri, os.environ.get("NEO4J_USER"), os.environ.get("NEO4J_PASSWORD"), database)
    settings = get_settings().model_copy(update={"minhu_expose_statements": True})
    app = create_app(graph=other, settings=settings, run_migrations=False)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://minhu.test") as http:
            yield GraphQLClient(http, other)
    finally:
        await other.close()


pytestmark = pytest.mark.slow  # races, each against the real Neo4j


@pytest.fixture(params=["one process", "two processes"])
async def elsewhere(request, graph, graphql_client, neo4j_uri) -> AsyncIterator[GraphQLClient]:
    """Where the other side of a race is sent: the same API, or a second API process over the same Neo4j."""
    if request.param == "one process":
        yield graphql_client
        return
    async with second_api(neo4j_uri, graph.database) as other:
        yield other


HISTORY = "query($id: ID!) { node(id: $id) { ... on Need { status history { type } } } }"


async def drain_need(client) -> str:
    body = await client(SUBMIT, {"input": {"title": "路面下水道塌陷", "categoryCode": "MUNICIPAL_DRAINAGE",
                                           "placeId": COMPOUND}}, token=resident())  # fmt: skip
    return body["data"]["submitNeed"]["need"]["id"]


def asked(need_id: str) -> dict:
    return {"needId": need_id, "leadDepartmentId": WATER, "assistingDepartmentIds": [CHENGGUAN], "note": "请抢修"}


async def test_two_whistles_of_one_need_at_once_have_one_winner(graph, graphql_client, elsewhere) -> None:
    await make_departments(graph)
    await publish_lists(graphql_client)
    need_id = await drain_need(graphql_client)
    second = {**asked(need_id), "leadDepartmentId": HOUSING, "assistingDepartmentIds": []}
    bodies = await asyncio.gather(
        graphql_client(WHISTLE, {"input": asked(need_id)}, token=street(), expect_errors=True),
        elsewhere(WHISTLE, {"input": second}, token=street(), expect_errors=True),
    )
    won = [body for body in bodies if "errors" not in body]
    assert len(won) == 1 and [error_code(b) for b in bodies if "errors" in b] == ["CONFLICT"]
    calls = await graphql_client(CALLS, {"f": {"needId": need_id}}, token=street())
    departments = {e["node"]["department"]["code"] for e in calls["data"]["whistleCalls"]["edges"]}
    assert departments in ({"BEILIN_WATER", "BEILIN_CHENGGUAN"}, {"BEILIN_HOUSING"})
    history = (await graphql_client(HISTORY, {"id": need_id}, token=street()))["data"]["node"]["history"]
    assert [event["type"] for event in history] == ["SUBMIT", "WHISTLE"]


async def test_two_departments_report_at_once(graph, graphql_client, elsewhere) -> None:
    await make_departments(graph)
    await publish_lists(graphql_client)
    need_id = await drain_need(graphql_client)
    await graphql_client(WHISTLE, {"input": asked(need_id)}, token=street())
    calls = calls_by_department(await graphql_client(CALLS, {"f": {"needId": need_id}}, token=street()))
    water, chengguan = calls["BEILIN_WATER"]["id"], calls["BEILIN_CHENGGUAN"]["id"]

    # Two departments at once: two calls, both report; the need starts once (by its lead).
    both = await asyncio.gather(
        graphql_client(REPORT, {"input": {"callId": water, "handler": "李工"}}, token=staff(WATER)),
        elsewhere(REPORT, {"input": {"callId": chengguan, "handler": "王队长"}}, token=staff(CHENGGUAN)),
    )
    assert [b["data"]["reportToWhistle"]["whistleCall"]["status"] for b in both] == ["REPORTED", "REPORTED"]
    history = (await graphql_client(HISTORY, {"id": need_id}, token=street()))["data"]["node"]
    assert history["status"] == "IN_PROGRESS" and [e["type"] for e in history["history"]].count("REPORT") == 2


async def test_one_report_raced_twenty_ways_across_two_processes_has_one_winner(
    graph, graphql_client, neo4j_uri
) -> None:
    await make_departments(graph)
    await publish_lists(graphql_client)
    # One report raced twenty ways (a need, its lead's call): one winner, nineteen CONFLICTs. Half the
    # copies go through a second API with its own driver, as another process would: within one process they
    # would wait their turn (graph/kernel/db.py `Turns`), across two only the locks in Neo4j decide.
    other = await drain_need(graphql_client)
    await graphql_client(WHISTLE, {"input": asked(other)}, token=street())
    call = calls_by_department(await graphql_client(CALLS, {"f": {"needId": other}}, token=street()))["BEILIN_WATER"]
    async with second_api(neo4j_uri, graph.database) as elsewhere:
        bodies = await asyncio.gather(
            *(
                (graphql_client if i % 2 else elsewhere)(
                    REPORT,
                    {"input": {"callId": call["id"], "handler": f"李工{i}"}},
                    token=staff(WATER),
                    expect_errors=True,
                )
                for i in range(20)
            )
        )
    won = [b for b in bodies if "errors" not in b]
    assert len(won) == 1, [b.get("errors") for b in bodies]
    assert {error_code(b) for b in bodies if "errors" in b} == {"CONFLICT"}
    history = (await graphql_client(HISTORY, {"id": other}, token=street()))["data"]["node"]
    assert history["status"] == "IN_PROGRESS" and [e["type"] for e in history["history"]].count("REPORT") == 1
    rows = await graph.read("MATCH (c:WhistleCall {id: $id}) RETURN c.handler AS handler", id=call["id"])
    assert rows[0]["handler"] == won[0]["data"]["reportToWhistle"]["whistleCall"]["handler"]


async def test_a_report_racing_a_refusal_has_one_winner(graph, graphql_client, elsewhere) -> None:
    """The lead department's staff report (报到) and refuse the same call at once, three times over: one
    wins, the other meets CONFLICT, and the need moves once, the winner's way."""
    await make_departments(graph)
    await publish_lists(graphql_client)
    for _ in range(3):  # which side wins is the scheduler's; that exactly one does is the point
        need_id = await drain_need(graphql_client)
        await graphql_client(WHISTLE, {"input": asked(need_id)}, token=street())
        calls = calls_by_department(await graphql_client(CALLS, {"f": {"needId": need_id}}, token=street()))
        call = calls["BEILIN_WATER"]["id"]
        report, refusal = await asyncio.gather(
            graphql_client(REPORT, {"input": {"callId": call, "handler": "李工"}}, token=staff(WATER),
                           expect_errors=True),
            elsewhere(REFUSE, {"input": {"callId": call, "reason": "不属于水务职责"}}, token=staff(WATER),
                      expect_errors=True),
        )  # fmt: skip
        won = [(name, b) for name, b in (("REPORTED", report), ("REFUSED", refusal)) if "errors" not in b]
        assert len(won) == 1, (report, refusal)
        [(status, body)] = won
        loser = refusal if status == "REPORTED" else report
        assert error_code(loser) == "CONFLICT"
        assert next(iter(body["data"].values()))["whistleCall"]["status"] == status
        history = (await graphql_client(HISTORY, {"id": need_id}, token=street()))["data"]["node"]
        types = [event["type"] for event in history["history"]]
        assert types == ["SUBMIT", "WHISTLE", "REPORT" if status == "REPORTED" else "REFUSE"]
        assert history["status"] == ("IN_PROGRESS" if status == "REPORTED" else "DECLINED")
        rows = await graph.read("MATCH (c:WhistleCall {id: $id}) RETURN c.status AS s", id=call)
        assert rows == [{"s": status}]


async def test_two_revisions_of_one_list_at_once_both_land(graph, graphql_client) -> None:
    await make_departments(graph)
    await publish_lists(graphql_client)
    lines = [
        {"categoryCode": "SEWER", "duty": "ASSISTED", "leadDepartmentId": WATER},
        {"categoryCode": "ELDERLY_CARE", "duty": "SELF_GOVERNED"},
    ]
    bodies = await asyncio.gather(
        *(
            graphql_client(
                REVISE,
                {"input": {"districtId": BEILIN, "level": "STREET", "setItems": [line], "reason": f"第{i}次调整"}},
                token=district(),
            )
            for i, line in enumerate(lines)
        )
    )
    versions = sorted(b["data"]["reviseDutyList"]["dutyList"]["version"] for b in bodies)
    assert versions == [2, 3]
    rows = await graph.read(
        "MATCH (l:DutyList {level: 'STREET', current: true})<-[:IN]-(i:DutyItem)-[:OF]->(k:Category) "
        "RETURN l.version AS version, collect(k.code) AS codes"
    )
    assert rows[0]["version"] == 3 and {"SEWER", "ELDERLY_CARE", "MUNICIPAL_DRAINAGE"} <= set(rows[0]["codes"])
    current = await graph.read("MATCH (l:DutyList {level: 'STREET'}) RETURN l.version AS v, l.current AS c ORDER BY v")
    assert [(row["v"], row["c"]) for row in current] == [(1, False), (2, False), (3, True)]
