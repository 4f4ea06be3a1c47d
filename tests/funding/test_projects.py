"""Projects opened from a class of needs (issue 10 §2): open, fund with grants, close, and what changed."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tests.conftest import pinned
from tests.funding.test_grants import APPROVE, REJECT, request
from tests.support.factories import NANYUANMEN, SHUYUANMEN
from tests.support.factories_matching import NOW, TOKENS, error_code, make_need, make_world

OPEN = """mutation($input: OpenProjectInput!) { openProject(input: $input) { replayed project {
  id title status start end category { code } places { id } lead { id } grants { id amount }
  outcome { windowDays before after served change granted pending } } } }"""
FUND = "mutation($input: FundProjectInput!) { fundProject(input: $input) { project { id grants { id } } } }"
CLOSE = "mutation($input: CloseProjectInput!) { closeProject(input: $input) { project { id status closedAt } } }"
LIST = """query($f: ProjectFilter) { projects(filter: $f) { totalCount edges { node { id title } } } }"""

now = pinned(NOW)


def project_input(now: datetime, **extra: object) -> dict:
    start = now - timedelta(days=10)
    return {
        "title": "书院门下水管网改造", "categoryCode": "SEWER", "placeIds": [SHUYUANMEN], "leadId": NANYUANMEN,
        "start": start.isoformat(), "end": (start + timedelta(days=90)).isoformat(), **extra,
    }  # fmt: skip


async def open_project(client, now: datetime, tok: str | None = None, **extra: object) -> dict:
    body = await client(OPEN, {"input": project_input(now, **extra)}, token=tok or TOKENS["DISTRICT_ADMIN"]())
    return body["data"]["openProject"]["project"]


async def test_a_project_funded_and_what_it_changed(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    # The class's needs: three in the ten days before the start, two after (one completed).
    for i, (days, status) in enumerate([(15, "COMPLETED"), (14, "SUBMITTED"), (12, "SUBMITTED"),
                                        (5, "COMPLETED"), (2, "SUBMITTED")]):  # fmt: skip
        await make_need(graph, f"need:p{i}", status=status, created=now - timedelta(days=days))
    await make_need(graph, "need:old", created=now - timedelta(days=40))  # before both windows
    await make_need(graph, "need:care", category="ELDERLY_CARE", created=now - timedelta(days=3))  # another class
    project = await open_project(graphql_client, now)
    assert project["status"] == "OPEN" and project["category"] == {"code": "SEWER"}
    assert project["places"] == [{"id": SHUYUANMEN}] and project["lead"] == {"id": NANYUANMEN}

    grant = (await request(graphql_client, 150_000, need="need:p3"))["data"]["requestGrant"]["grant"]
    await graphql_client(APPROVE, {"input": {"grantId": grant["id"]}}, token=TOKENS["DISTRICT_ADMIN"]())
    pending = (await request(graphql_client, 20_000, need="need:p4"))["data"]["requestGrant"]["grant"]
    for g in (grant, pending):
        funded = await graphql_client(FUND, {"input": {"projectId": project["id"], "grantId": g["id"]}},
                                      token=TOKENS["DISTRICT_ADMIN"]())  # fmt: skip
    assert {g["id"] for g in funded["data"]["fundProject"]["project"]["grants"]} == {grant["id"], pending["id"]}

    body = await graphql_client(
        "query($id: ID!) { node(id: $id) { ... on Project { outcome { windowDays before after served change "
        "granted pending } } } }",
        {"id": project["id"]},
    )
    outcome = body["data"]["node"]["outcome"]
    assert 9.9 < outcome["windowDays"] <= 10.01
    assert (outcome["before"], outcome["after"], outcome["served"]) == (3, 2, 1)
    assert outcome["change"] == round(2 / 3, 4) and (outcome["granted"], outcome["pending"]) == (150_000, 20_000)

    listed = await graphql_client(LIST, {"f": {"placeId": "district:610103", "category": ["SEWER"]}})
    assert listed["data"]["projects"]["totalCount"] == 1
    closed = await graphql_client(CLOSE, {"input": {"projectId": project["id"], "note": "管网已改造"}},
                                  token=TOKENS["CITY_ADMIN"]())  # fmt: skip
    assert closed["data"]["closeProject"]["project"]["status"] == "CLOSED"
    late = await graphql_client(FUND, {"input": {"projectId": project["id"], "grantId": grant["id"]}},
                                token=TOKENS["CITY_ADMIN"](), expect_errors=True)  # fmt: skip
    assert error_code(late) == "CONFLICT"


async def test_who_may_open_a_project_and_what_it_needs(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    cases = [
        (None, {}, "UNAUTHENTICATED"),
        (TOKENS["COORDINATOR"](), {}, "FORBIDDEN"),
        (TOKENS["OTHER_DISTRICT_ADMIN"](), {}, "FORBIDDEN"),
        (TOKENS["DISTRICT_ADMIN"](), {"end": (now - timedelta(days=20)).isoformat()}, "BAD_USER_INPUT"),
        (TOKENS["DISTRICT_ADMIN"](), {"categoryCode": "NO_SUCH"}, "NOT_FOUND"),
        (TOKENS["DISTRICT_ADMIN"](), {"placeIds": ["community:999999999999"]}, "NOT_FOUND"),
        (TOKENS["DISTRICT_ADMIN"](), {"placeIds": []}, "BAD_USER_INPUT"),
        (TOKENS["DISTRICT_ADMIN"](), {"leadId": "need:m1"}, "BAD_USER_INPUT"),
    ]
    for tok, extra, code in cases:
        body = await graphql_client(OPEN, {"input": project_input(now, **extra)}, token=tok, expect_errors=True)
        assert error_code(body) == code, (extra, body)
    assert await graph.read("MATCH (p:Project) RETURN p.id AS id") == []


async def test_a_grant_funds_one_project_however_many_ask_at_once(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    projects = [(await open_project(graphql_client, now, title=f"项目{i}"))["id"] for i in range(20)]
    grant = (await request(graphql_client, 50_000))["data"]["requestGrant"]["grant"]["id"]
    answers = await asyncio.gather(*(
        graphql_client(FUND, {"input": {"projectId": p, "grantId": grant}}, token=TOKENS["CITY_ADMIN"](),
                       expect_errors=True)
        for p in projects
    ))  # fmt: skip
    won = [a for a in answers if "errors" not in a]
    assert len(won) == 1 and {error_code(a) for a in answers if "errors" in a} == {"CONFLICT"}
    rows = await graph.read("MATCH (:Grant {id: $id})-[f:FUNDS]->() RETURN count(f) AS n", id=grant)
    assert rows[0]["n"] == 1
    rejected = (await request(graphql_client, 10_000))["data"]["requestGrant"]["grant"]["id"]
    await graphql_client(REJECT, {"input": {"grantId": rejected, "reason": "不符合"}}, token=TOKENS["CITY_ADMIN"]())
    body = await graphql_client(FUND, {"input": {"projectId": projects[0], "grantId": rejected}},
                                token=TOKENS["CITY_ADMIN"](), expect_errors=True)  # fmt: skip
    assert error_code(body) == "BAD_USER_INPUT"


async def test_a_project_closes_once_however_many_close_it(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    project = (await open_project(graphql_client, now))["id"]
    answers = await asyncio.gather(*(
        graphql_client(CLOSE, {"input": {"projectId": project}}, token=TOKENS["DISTRICT_ADMIN"](), expect_errors=True)
        for _ in range(20)
    ))  # fmt: skip
    assert sum("errors" not in a for a in answers) == 1
    assert {error_code(a) for a in answers if "errors" in a} == {"CONFLICT"}
