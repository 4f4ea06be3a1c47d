"""Money straight to projects (issue 23 §3): a grant requested for a project itself, from a program
that declares it funds projects; the same approval, and the same guarantee against overspending, raced."""

from __future__ import annotations

import asyncio

import pytest

from graph.funding.grants import ledger
from tests.conftest import pinned
from tests.funding.test_grants import APPROVE, request
from tests.funding.test_projects import CLOSE, open_project
from tests.support.factories_matching import (
    CITY_PROGRAM,
    NEED,
    NOW,
    PROGRAM,
    TOKENS,
    error_code,
    make_need,
    make_world,
)
from tests.support.roles import role_matrix

REQUEST_FOR_PROJECT = """
mutation($input: RequestProjectGrantInput!) {
  requestProjectGrant(input: $input) {
    replayed grant { id amount status purpose need { id } project { id title } program { id funds remaining } }
  }
}
"""
PROJECT = """query($id: ID!) { node(id: $id) { ... on Project { status grants { id amount status project { id } }
  outcome { granted pending } } } }"""
PROGRAMS = "query($f: FundingProgramFilter) { fundingPrograms(filter: $f) { edges { node { id funds } } } }"
ELIGIBLE = "query($need: ID!) { eligiblePrograms(needId: $need) { resource { ... on FundingProgram { id } } } }"

now = pinned(NOW)


async def ask(client, project: str, amount: int, *, program: str = PROGRAM, tok: str | None = "", **extra):
    """requestProjectGrant as the district's admin unless `tok` names another caller (None: no token)."""
    variables = {"input": {"projectId": project, "programId": program, "amount": amount, **extra}}
    token = TOKENS["DISTRICT_ADMIN"]() if tok == "" else tok
    return await client(REQUEST_FOR_PROJECT, variables, token=token, expect_errors=True)


async def set_funds(graph, program: str, funds: str) -> None:
    await graph.write("MATCH (p:FundingProgram {id: $id}) SET p.funds = $funds", id=program, funds=funds)


@pytest.mark.smoke
async def test_a_grant_for_the_project_itself(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    project = await open_project(graphql_client, now)
    body = await ask(graphql_client, project["id"], 300_000, purpose="书院门片区下水主管更换")
    assert "errors" not in body, body["errors"]
    grant = body["data"]["requestProjectGrant"]["grant"]
    assert grant["status"] == "REQUESTED" and grant["need"] is None
    assert grant["project"] == {"id": project["id"], "title": "书院门下水管网改造"}
    assert grant["program"] == {"id": PROGRAM, "funds": "BOTH", "remaining": 10_000_000}
    seen = (await graphql_client(PROJECT, {"id": project["id"]}, token=TOKENS["CITY_ADMIN"]()))["data"]["node"]
    assert seen["grants"] == [{"id": grant["id"], "amount": 300_000, "status": "REQUESTED",
                               "project": {"id": project["id"]}}]  # fmt: skip
    assert seen["outcome"] == {"granted": 0, "pending": 300_000}

    approved = await graphql_client(APPROVE, {"input": {"grantId": grant["id"]}}, token=TOKENS["DISTRICT_ADMIN"]())
    assert approved["data"]["approveGrant"]["grant"]["program"] == {"spent": 300_000, "remaining": 9_700_000}
    seen = (await graphql_client(PROJECT, {"id": project["id"]}))["data"]["node"]
    assert seen["outcome"] == {"granted": 300_000, "pending": 0}
    assert await ledger(graph, PROGRAM) == {"spent": 300_000, "budget": 10_000_000, "approved": 300_000}
    # No need is touched: a project's money writes nothing into any need's trail.
    events = await graph.read("MATCH (e:Event) WHERE e.type STARTS WITH 'GRANT' RETURN count(e) AS n")
    assert events == [{"n": 0}]


async def test_what_a_program_funds_is_what_it_declares(graph, graphql_client, now) -> None:
    """NEEDS: requests for needs only; PROJECTS: for projects only, and never offered for a need; BOTH: both."""
    await make_world(graph, now)
    await make_need(graph, category="ELDERLY_CARE")
    project = await open_project(graphql_client, now, categoryCode="ELDERLY_CARE")
    city = await ask(graphql_client, project["id"], 1000, program=CITY_PROGRAM, tok=TOKENS["CITY_ADMIN"]())
    assert error_code(city) == "BAD_USER_INPUT" and "funds needs only" in city["errors"][0]["message"]
    assert city["errors"][0]["extensions"]["field"] == "programId"

    await set_funds(graph, PROGRAM, "PROJECTS")
    for_need = await request(graphql_client, 1000)
    assert error_code(for_need) == "BAD_USER_INPUT" and "requestProjectGrant" in for_need["errors"][0]["message"]
    offered = await graphql_client(ELIGIBLE, {"need": NEED}, token=TOKENS["COORDINATOR"]())
    assert [p["resource"]["id"] for p in offered["data"]["eligiblePrograms"]] == [CITY_PROGRAM]
    assert "errors" not in await ask(graphql_client, project["id"], 1000)

    await set_funds(graph, PROGRAM, "BOTH")
    offered = await graphql_client(ELIGIBLE, {"need": NEED}, token=TOKENS["COORDINATOR"]())
    assert {p["resource"]["id"] for p in offered["data"]["eligiblePrograms"]} == {PROGRAM, CITY_PROGRAM}
    assert "errors" not in await request(graphql_client, 1000)

    listed = await graphql_client(PROGRAMS, {"f": {"funds": ["PROJECTS", "BOTH"]}})
    assert [e["node"] for e in listed["data"]["fundingPrograms"]["edges"]] == [{"id": PROGRAM, "funds": "BOTH"}]
    assert graphql_client.last_statement_names == ["compiled.fundingPrograms"]  # the filter is compiled too
    # A grant's project is read with the grant, in the compiled statement of its root field.
    grant = "query($id: ID!) { node(id: $id) { ... on Grant { project { id title } need { id } } } }"
    project_grant = (await ask(graphql_client, project["id"], 500))["data"]["requestProjectGrant"]["grant"]["id"]
    body = await graphql_client(grant, {"id": project_grant}, token=TOKENS["CITY_ADMIN"]())
    assert body["data"]["node"] == {"project": {"id": project["id"], "title": "书院门下水管网改造"}, "need": None}
    assert graphql_client.last_statement_names == ["compiled.node"]


async def test_a_project_grant_is_checked_like_any_other(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    project = await open_project(graphql_client, now)
    cases = [
        ({"amount": 500_001}, "BAD_USER_INPUT", "cap per grant"),
        ({"amount": 0}, "BAD_USER_INPUT", None),
        ({"projectId": "project:none"}, "NOT_FOUND", "no project"),
        ({"projectId": NEED}, "BAD_USER_INPUT", None),
        ({"programId": "program:none"}, "NOT_FOUND", "no funding program"),
    ]
    for extra, code, words in cases:
        body = await ask(graphql_client, **{"project": project["id"], "amount": 1000, **extra})
        assert error_code(body) == code, (extra, body)
        assert words is None or words in body["errors"][0]["message"], body["errors"]
    other = await open_project(graphql_client, now, categoryCode="NOISE", title="书院门噪音治理")
    body = await ask(graphql_client, other["id"], 1000)
    assert error_code(body) == "BAD_USER_INPUT" and "does not cover" in body["errors"][0]["message"]
    await graph.write("MATCH (p:FundingProgram {id: $id}) SET p.spent = p.budget - 5000", id=PROGRAM)
    short = await ask(graphql_client, project["id"], 6000)
    assert error_code(short) == "CONFLICT" and short["errors"][0]["extensions"]["remaining"] == 5000
    await graphql_client(CLOSE, {"input": {"projectId": project["id"]}}, token=TOKENS["CITY_ADMIN"]())
    closed = await ask(graphql_client, project["id"], 1000)
    assert error_code(closed) == "CONFLICT" and "closed project" in closed["errors"][0]["message"]


@pytest.mark.parametrize(
    ("role", "code"),
    role_matrix(("DISTRICT_ADMIN", "CITY_ADMIN"), ("OTHER_DISTRICT_ADMIN", "COORDINATOR", "UNIT_ADMIN", "RESIDENT")),
)
async def test_who_may_ask_money_for_a_project(graph, graphql_client, role, code, now) -> None:
    await make_world(graph, now)
    project = await open_project(graphql_client, now)
    body = await ask(graphql_client, project["id"], 1000, tok=TOKENS[role]() if role else None)
    if code is None:
        assert body["data"]["requestProjectGrant"]["grant"]["status"] == "REQUESTED"
    else:
        assert error_code(body) == code, body


async def test_an_idempotent_project_request(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    project = await open_project(graphql_client, now)
    first = await ask(graphql_client, project["id"], 1000, idempotencyKey="pg-1")
    again = await ask(graphql_client, project["id"], 1000, idempotencyKey="pg-1")
    assert again["data"]["requestProjectGrant"]["replayed"] is True
    assert again["data"]["requestProjectGrant"]["grant"]["id"] == first["data"]["requestProjectGrant"]["grant"]["id"]
    assert await graph.read("MATCH (g:Grant) RETURN count(g) AS n") == [{"n": 1}]


async def test_race_100_requests_then_100_approvals_never_overspend(graph, graphql_client, now) -> None:
    """One program, 30,000 yuan: 100 requests at once, half for a project, half for a need, are all taken
    (a request reserves nothing); their 100 approvals at once let exactly the 30 the budget admits through,
    whichever they are for, and the program's books equal its approved grants."""
    await make_world(graph, now)
    await make_need(graph)
    project = await open_project(graphql_client, now)
    await graph.write("MATCH (p:FundingProgram {id: $id}) SET p.budget = 3000000", id=PROGRAM)
    city = TOKENS["CITY_ADMIN"]()  # the city asks for the project, the community's coordinator for the need
    asked = await asyncio.gather(
        *(
            ask(graphql_client, project["id"], 100_000, tok=city) if i % 2 else request(graphql_client, 100_000)
            for i in range(100)
        )
    )
    assert all("errors" not in body for body in asked), [b["errors"] for b in asked if "errors" in b][:3]
    grants = [next(iter(body["data"].values()))["grant"]["id"] for body in asked]
    assert len(set(grants)) == 100
    tok = TOKENS["DISTRICT_ADMIN"]()
    bodies = await asyncio.gather(
        *(graphql_client(APPROVE, {"input": {"grantId": g}}, token=tok, expect_errors=True) for g in grants)
    )
    approved = [b for b in bodies if "errors" not in b]
    assert len(approved) == 30 and {error_code(b) for b in bodies if "errors" in b} == {"CONFLICT"}
    books = await ledger(graph, PROGRAM)
    assert books["approved"] == books["spent"] == 3_000_000 == books["budget"]
    assert await graph.read("MATCH (g:Grant {status: 'APPROVED'}) RETURN count(g) AS n") == [{"n": 30}]
