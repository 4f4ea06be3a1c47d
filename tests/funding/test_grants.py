"""Grants (story 7): request, approve within cap and budget, reject, roles, input, and the race."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from graph.funding.grants import ledger
from tests.conftest import pinned
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
from tests.support.races import released_together
from tests.support.roles import SCOPE_STAFF, role_matrix

REQUEST = """
mutation($input: RequestGrantInput!) {
  requestGrant(input: $input) { replayed grant { id amount status program { id remaining } need { id } } }
}
"""
APPROVE = """
mutation($input: GrantDecisionInput!) {
  approveGrant(input: $input) { replayed grant { id status amount decidedAt program { spent remaining } } }
}
"""
REJECT = "mutation($input: GrantDecisionInput!) { rejectGrant(input: $input) { grant { id status reason } } }"

now = pinned(NOW)


async def request(client, amount: int, *, program: str = PROGRAM, need: str = NEED, tok: str | None = None, **extra):
    variables = {"input": {"needId": need, "programId": program, "amount": amount, **extra}}
    return await client(REQUEST, variables, token=tok or TOKENS["COORDINATOR"](), expect_errors=True)


@pytest.mark.smoke
async def test_request_approve_reject(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    body = await request(graphql_client, 150_000, purpose="更换破损管道")
    grant = body["data"]["requestGrant"]["grant"]
    assert grant["status"] == "REQUESTED" and grant["amount"] == 150_000
    assert grant["program"]["remaining"] == 10_000_000  # a request reserves nothing

    approved = await graphql_client(APPROVE, {"input": {"grantId": grant["id"]}}, token=TOKENS["DISTRICT_ADMIN"]())
    result = approved["data"]["approveGrant"]["grant"]
    assert result["status"] == "APPROVED" and result["decidedAt"]
    assert result["program"] == {"spent": 150_000, "remaining": 9_850_000}
    again = await graphql_client(
        APPROVE, {"input": {"grantId": grant["id"]}}, token=TOKENS["CITY_ADMIN"](), expect_errors=True
    )
    assert error_code(again) == "CONFLICT"

    second = (await request(graphql_client, 50_000))["data"]["requestGrant"]["grant"]
    rejected = await graphql_client(
        REJECT, {"input": {"grantId": second["id"], "reason": "已有其他资金"}}, token=TOKENS["DISTRICT_ADMIN"]()
    )
    expected = {"id": second["id"], "status": "REJECTED", "reason": "已有其他资金"}
    assert rejected["data"]["rejectGrant"]["grant"] == expected
    assert await ledger(graph, PROGRAM) == {"spent": 150_000, "budget": 10_000_000, "approved": 150_000}
    history = await graph.read(
        "MATCH (:Need {id: $id})<-[:ABOUT]-(e:Event) RETURN e.type AS type ORDER BY e.at", id=NEED
    )
    assert [row["type"] for row in history] == [
        "GRANT_REQUESTED",
        "GRANT_APPROVED",
        "GRANT_REQUESTED",
        "GRANT_REJECTED",
    ]


async def test_cap_coverage_and_budget_checks(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    above_cap = await request(graphql_client, 500_001)
    assert error_code(above_cap) == "BAD_USER_INPUT" and "cap" in above_cap["errors"][0]["message"]
    wrong_category = await request(graphql_client, 1000, program=CITY_PROGRAM)  # covers elderly care only
    assert error_code(wrong_category) == "BAD_USER_INPUT"
    # budget nearly spent: approval refuses what would overspend, naming what is left
    grant = (await request(graphql_client, 400_000))["data"]["requestGrant"]["grant"]
    await graph.write("MATCH (p:FundingProgram {id: $id}) SET p.spent = p.budget - 300000", id=PROGRAM)
    refused = await graphql_client(
        APPROVE, {"input": {"grantId": grant["id"]}}, token=TOKENS["CITY_ADMIN"](), expect_errors=True
    )
    assert error_code(refused) == "CONFLICT"
    assert refused["errors"][0]["extensions"]["remaining"] == 300_000
    assert "3,000 元" in refused["errors"][0]["message"]


async def test_race_100_approvals_never_overspend(graph, graphql_client, now) -> None:
    """100 concurrent approvals of 1,000-yuan grants against a 30,000-yuan budget: exactly 30 pass."""
    await make_world(graph, now)
    await make_need(graph)
    await graph.write("MATCH (p:FundingProgram {id: $id}) SET p.budget = 3000000", id=PROGRAM)
    grant_ids = [f"grant:race{i}" for i in range(100)]
    await graph.write(
        """
        MATCH (p:FundingProgram {id: $program}), (n:Need {id: $need})
        UNWIND $ids AS gid
        CREATE (g:Grant {id: gid, amount: 100000, status: 'REQUESTED', createdAt: datetime()})
        CREATE (g)-[:FROM]->(p), (g)-[:FOR]->(n)
        """,
        program=PROGRAM,
        need=NEED,
        ids=grant_ids,
    )
    tok = TOKENS["DISTRICT_ADMIN"]()
    bodies = await asyncio.gather(
        *(graphql_client(APPROVE, {"input": {"grantId": gid}}, token=tok, expect_errors=True) for gid in grant_ids)
    )
    approved = [b for b in bodies if "errors" not in b]
    codes = {error_code(b) for b in bodies if "errors" in b}
    assert len(approved) == 30 and codes == {"CONFLICT"}
    books = await ledger(graph, PROGRAM)
    assert books["approved"] == books["spent"] == 3_000_000 <= books["budget"]


async def test_the_period_is_the_programs_on_the_requests_day(graph, graphql_client, now) -> None:
    """requestGrant checks the program's period against the request's clock (pinned here, whatever the
    machine's says), on the day in Xi'an."""
    await make_world(graph, now)
    await make_need(graph)
    today = (now + timedelta(hours=8)).date()
    day = timedelta(days=1)
    cases = [
        ((today, today), None),
        ((today - 30 * day, today - day), "BAD_USER_INPUT"),
        ((today + day, today + 30 * day), "BAD_USER_INPUT"),
    ]
    for (start, end), code in cases:
        await graph.write("MATCH (p:FundingProgram {id: $id}) SET p.periodStart = $s, p.periodEnd = $e",
                          id=PROGRAM, s=start, e=end)  # fmt: skip
        body = await request(graphql_client, 1000)
        if code is None:
            assert "errors" not in body, (start, end, body["errors"])
            assert body["data"]["requestGrant"]["grant"]["status"] == "REQUESTED"
        else:
            assert error_code(body) == code, (start, end, body)
            assert "outside its funding period" in body["errors"][0]["message"]


async def test_twenty_decisions_on_one_grant_at_once_one_holds(graph, graphql_client, now) -> None:
    """One REQUESTED grant, twenty approvals and rejections from both deciders at once: exactly one
    decision holds; the others are told the grant is already decided; the program is charged once if
    it was approved, not at all if rejected; one decision Event."""
    await make_world(graph, now)
    await make_need(graph)
    gid = (await request(graphql_client, 120_000))["data"]["requestGrant"]["grant"]["id"]
    deciders = [TOKENS["DISTRICT_ADMIN"](), TOKENS["CITY_ADMIN"]()]
    calls = [
        graphql_client(APPROVE, {"input": {"grantId": gid}}, token=deciders[i % 2], expect_errors=True)
        if i % 4
        else graphql_client(REJECT, {"input": {"grantId": gid, "reason": "重复申请"}}, token=deciders[i % 2],
                            expect_errors=True)
        for i in range(20)
    ]  # fmt: skip
    # All twenty meet at the program (held until each waits in Neo4j), so the race is run every time.
    bodies = await released_together(graph, ("FundingProgram", PROGRAM), calls)
    held = [b["data"] for b in bodies if "errors" not in b]
    assert len(held) == 1, [b.get("errors") for b in bodies][:3]
    [(mutation, payload)] = held[0].items()
    status = {"approveGrant": "APPROVED", "rejectGrant": "REJECTED"}[mutation]
    assert payload["grant"]["status"] == status
    refused = [b for b in bodies if "errors" in b]
    assert {error_code(b) for b in refused} == {"CONFLICT"}
    assert all(f"is already {status}" in b["errors"][0]["message"] for b in refused)
    spent = 120_000 if status == "APPROVED" else 0
    assert await ledger(graph, PROGRAM) == {"spent": spent, "budget": 10_000_000, "approved": spent}
    rows = await graph.read(
        "MATCH (g:Grant {id: $id}) RETURN g.status AS status, "
        "COUNT { (:Need {id: $need})<-[:ABOUT]-(e:Event) WHERE e.type IN ['GRANT_APPROVED', 'GRANT_REJECTED'] }"
        " AS decisions",
        id=gid,
        need=NEED,
    )
    assert rows == [{"status": status, "decisions": 1}]


@pytest.mark.parametrize(
    ("role", "code"), role_matrix(SCOPE_STAFF, ("OTHER_COORDINATOR", "UNIT_ADMIN", "MEMBER", "RESIDENT"))
)
async def test_request_roles(graph, graphql_client, role, code, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    body = await graphql_client(
        REQUEST,
        {"input": {"needId": NEED, "programId": PROGRAM, "amount": 1000}},
        token=TOKENS[role]() if role else None,
        expect_errors=True,
    )
    if code is None:
        assert body["data"]["requestGrant"]["grant"]["status"] == "REQUESTED"
    else:
        assert error_code(body) == code


@pytest.mark.parametrize(
    ("role", "program", "code"),
    [
        # the district program: its district's admin and the city decide; the city program: only the city
        *(
            (role, PROGRAM, code)
            for role, code in role_matrix(
                ("DISTRICT_ADMIN", "CITY_ADMIN"), ("OTHER_DISTRICT_ADMIN", "COORDINATOR", "UNIT_ADMIN", "MEMBER")
            )
        ),
        ("CITY_ADMIN", CITY_PROGRAM, None),
        ("DISTRICT_ADMIN", CITY_PROGRAM, "FORBIDDEN"),  # city money is decided by the city
    ],
)
async def test_decision_roles(graph, graphql_client, role, program, code, now) -> None:
    await make_world(graph, now)
    await make_need(graph, category="ELDERLY_CARE")
    grant = (await request(graphql_client, 1000, program=program))["data"]["requestGrant"]["grant"]
    body = await graphql_client(
        APPROVE, {"input": {"grantId": grant["id"]}}, token=TOKENS[role]() if role else None, expect_errors=True
    )
    if code is None:
        assert body["data"]["approveGrant"]["grant"]["status"] == "APPROVED"
    else:
        assert error_code(body) == code


async def test_idempotent_request_and_approval(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    first = await request(graphql_client, 1000, idempotencyKey="g-1")
    second = await request(graphql_client, 1000, idempotencyKey="g-1")
    assert second["data"]["requestGrant"]["replayed"] is True
    gid = first["data"]["requestGrant"]["grant"]["id"]
    assert second["data"]["requestGrant"]["grant"]["id"] == gid
    tok = TOKENS["CITY_ADMIN"]()
    await graphql_client(APPROVE, {"input": {"grantId": gid, "idempotencyKey": "a-1"}}, token=tok)
    replay = await graphql_client(APPROVE, {"input": {"grantId": gid, "idempotencyKey": "a-1"}}, token=tok)
    assert replay["data"]["approveGrant"]["replayed"] is True
    assert await ledger(graph, PROGRAM) == {"spent": 1000, "budget": 10_000_000, "approved": 1000}


@pytest.mark.parametrize(
    ("amount", "extra", "code"),
    [
        (0, {}, "BAD_USER_INPUT"),
        (-5, {}, "BAD_USER_INPUT"),
        (1000, {"programId": "need:m1"}, "BAD_USER_INPUT"),
        (1.5, {}, "BAD_USER_INPUT"),
        ("100", {}, "BAD_USER_INPUT"),
        (1000, {"needId": "need:none"}, "NOT_FOUND"),
        (1000, {"programId": "program:none"}, "NOT_FOUND"),
    ],
)
async def test_request_bad_input(graph, graphql_client, amount, extra, code, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    variables = {"input": {"needId": NEED, "programId": PROGRAM, "amount": amount, **extra}}
    body = await graphql_client(REQUEST, variables, token=TOKENS["CITY_ADMIN"](), expect_errors=True)
    assert error_code(body) == code


async def test_reject_needs_a_reason(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    gid = (await request(graphql_client, 1000))["data"]["requestGrant"]["grant"]["id"]
    body = await graphql_client(REJECT, {"input": {"grantId": gid}}, token=TOKENS["CITY_ADMIN"](), expect_errors=True)
    assert error_code(body) == "BAD_USER_INPUT"
