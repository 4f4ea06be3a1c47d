"""Batch dispatch (story 12) on hand-made data: propose, read, commit, skip what changed, roles, input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import pinned
from tests.support.factories_matching import NOW, SHUYUANMEN, TOKENS, error_code, make_need, make_world

PLAN_FIELDS = """
  id scopeId status objective greedyObjective improvement needsConsidered needsServed greedyNeedsServed
  membersUsed resourcesUsed dispatchedCount
  pairs { kind score reason need { id } resource { __typename ... on Member { id } ... on Offering { id } } }
  skipped { needId resourceId why }
"""
PROPOSE = f"""
mutation($input: ProposeDispatchPlanInput!) {{
  proposeDispatchPlan(input: $input) {{ replayed plan {{ {PLAN_FIELDS} }} }}
}}
"""
COMMIT = f"""
mutation($input: CommitDispatchPlanInput!) {{ commitDispatchPlan(input: $input) {{ plan {{ {PLAN_FIELDS} }} }} }}
"""
READ = f"query($id: ID!) {{ dispatchPlan(id: $id) {{ {PLAN_FIELDS} }} }}"

now = pinned(NOW)


async def make_needs(graph, count: int) -> list[str]:
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    return [
        await make_need(graph, f"need:p{i}", created=start + timedelta(minutes=i), window=None) for i in range(count)
    ]


async def test_propose_then_commit(graph, graphql_client, now) -> None:
    # 3 plumbers (2 in the community, 1 next door) with room for 1 task each, an offering for 2, 6 needs
    await make_world(graph, now, members=3, max_load=1)
    needs = await make_needs(graph, 6)
    tok = TOKENS["COORDINATOR"]()
    body = await graphql_client(PROPOSE, {"input": {"scopeId": SHUYUANMEN}}, token=tok)
    plan = body["data"]["proposeDispatchPlan"]["plan"]
    assert plan["status"] == "PROPOSED" and plan["scopeId"] == SHUYUANMEN
    assert plan["needsConsidered"] == 6
    # capacity: 2 community members × 1 (the third member is registered elsewhere) + the offering × 2
    assert plan["needsServed"] == 4
    assert plan["objective"] >= plan["greedyObjective"]
    assert plan["membersUsed"] == 2 and plan["resourcesUsed"] == 3
    for pair in plan["pairs"]:
        assert pair["reason"] and 0 < pair["score"] <= 1
        assert pair["resource"]["__typename"] in ("Member", "Offering")
    read = await graphql_client(READ, {"id": plan["id"]}, token=tok)
    assert read["data"]["dispatchPlan"]["pairs"] == plan["pairs"]

    # meanwhile one planned need is cancelled and one planned member fills up elsewhere
    gone = plan["pairs"][0]["need"]["id"]
    member = next(p["resource"]["id"] for p in plan["pairs"] if p["kind"] == "MEMBER" and p["need"]["id"] != gone)
    await graph.write("MATCH (n:Need {id: $id}) SET n.status = 'CANCELLED'", id=gone)
    await graph.write("MATCH (m:Member {id: $id}) SET m.openLoad = m.maxLoad", id=member)

    committed = (await graphql_client(COMMIT, {"input": {"planId": plan["id"]}}, token=tok))["data"]
    # Three statements whatever the plan's size: the plan, its needs and handlers, every write at once.
    assert graphql_client.last_written == ["plans.pools.locked_plan", "plans.pools.lock_pairs", "plans.pools.commit"]
    result = committed["commitDispatchPlan"]["plan"]
    assert result["status"] == "COMMITTED"
    skipped = {(s["needId"], s["resourceId"]): s["why"] for s in result["skipped"]}
    assert any(nid == gone and "CANCELLED" in why for (nid, _), why in skipped.items())
    assert any(rid == member and "headroom" in why for (_, rid), why in skipped.items())
    assert result["dispatchedCount"] == len(plan["pairs"]) - len(skipped) == 2

    rows = await graph.read(
        """
        MATCH (a:Assignment {planId: $plan})-[:OF]->(n:Need), (a)-[:TO]->(t), (a)-[:BY]->(u:User)
        RETURN n.id AS need, n.status AS status, a.status AS assignment, t.id AS target, u.id AS by,
               n.responseDeadline IS NOT NULL AND n.completionDeadline IS NOT NULL AS deadlines,
               [(n)<-[:ABOUT]-(e:Event {type: 'DISPATCH'}) | e.toState] AS events
        """,
        plan=plan["id"],
    )
    assert len(rows) == 2
    for row in rows:
        assert row["status"] == "DISPATCHED" and row["assignment"] == "INVITED" and row["deadlines"]
        assert row["by"] == "user:coord-shuyuanmen" and row["events"] == ["DISPATCHED"]
        assert row["need"] in needs and row["need"] != gone

    again = await graphql_client(COMMIT, {"input": {"planId": plan["id"]}}, token=tok, expect_errors=True)
    assert error_code(again) == "CONFLICT"


async def test_optimal_beats_greedy_where_supply_is_scarce(graph, graphql_client, now) -> None:
    """Two needs, two members: greedy gives the first need its favourite, who was the only fit for the
    second; the flow serves both."""
    await make_world(graph, now, members=3, max_load=1)  # m1, m2 in the community, m3 next door
    await graph.write("MATCH (o:Offering) SET o.status = 'WITHDRAWN'")
    saturday = datetime(2026, 11, 7, 1, 0, tzinfo=UTC)
    tuesday = datetime(2026, 11, 3, 11, 0, tzinfo=UTC)
    # member:m2 has the better record and is free Saturday and Tuesday; member:m1 only on Saturday
    await graph.write(
        "MATCH (m:Member {id: 'member:m1'}) SET m.availability = ['6 08:00-12:00'], "
        "m.location = point({latitude: 34.27, longitude: 108.96}), m.ratingSum = 3, m.ratingCount = 1"
    )
    await make_need(graph, "need:a", window=(saturday, saturday + timedelta(hours=2)), urgency="URGENT")
    await make_need(graph, "need:b", window=(tuesday, tuesday + timedelta(hours=2)))
    body = await graphql_client(PROPOSE, {"input": {"scopeId": SHUYUANMEN}}, token=TOKENS["COORDINATOR"]())
    plan = body["data"]["proposeDispatchPlan"]["plan"]
    assert plan["needsServed"] == 2 and plan["greedyNeedsServed"] == 1
    assert plan["objective"] > plan["greedyObjective"]
    chosen = {p["need"]["id"]: p["resource"]["id"] for p in plan["pairs"]}
    assert chosen == {"need:a": "member:m1", "need:b": "member:m2"}


@pytest.mark.parametrize(
    ("role", "scope", "code"),
    [
        ("COORDINATOR", SHUYUANMEN, None),
        ("STREET_COORDINATOR", "street:610103001", None),
        ("DISTRICT_ADMIN", "district:610103", None),
        ("CITY_ADMIN", "city", None),
        ("DISTRICT_ADMIN", "city", "FORBIDDEN"),
        ("OTHER_COORDINATOR", SHUYUANMEN, "FORBIDDEN"),
        ("OTHER_DISTRICT_ADMIN", "district:610103", "FORBIDDEN"),
        ("UNIT_ADMIN", SHUYUANMEN, "FORBIDDEN"),
        ("MEMBER", SHUYUANMEN, "FORBIDDEN"),
        ("RESIDENT", SHUYUANMEN, "FORBIDDEN"),
        (None, SHUYUANMEN, "UNAUTHENTICATED"),
    ],
)
async def test_roles(graph, graphql_client, role, scope, code, now) -> None:
    await make_world(graph, now)
    await make_needs(graph, 2)
    tok = TOKENS[role]() if role else None
    body = await graphql_client(PROPOSE, {"input": {"scopeId": scope}}, token=tok, expect_errors=True)
    if code is None:
        plan = body["data"]["proposeDispatchPlan"]["plan"]
        assert plan["needsServed"] == 2
        committed = await graphql_client(COMMIT, {"input": {"planId": plan["id"]}}, token=tok)
        assert committed["data"]["commitDispatchPlan"]["plan"]["dispatchedCount"] == 2
    else:
        assert error_code(body) == code


async def test_idempotent_propose_and_commit(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    await make_needs(graph, 2)
    tok = TOKENS["COORDINATOR"]()
    variables = {"input": {"scopeId": SHUYUANMEN, "idempotencyKey": "plan-1"}}
    first = (await graphql_client(PROPOSE, variables, token=tok))["data"]["proposeDispatchPlan"]
    second = (await graphql_client(PROPOSE, variables, token=tok))["data"]["proposeDispatchPlan"]
    assert second["replayed"] is True and second["plan"]["id"] == first["plan"]["id"]
    commit = {"input": {"planId": first["plan"]["id"], "idempotencyKey": "commit-1"}}
    await graphql_client(COMMIT, commit, token=tok)
    replay = await graphql_client(COMMIT, commit, token=tok)
    assert replay["data"]["commitDispatchPlan"]["plan"]["status"] == "COMMITTED"
    assert await graph.read("MATCH (a:Assignment) RETURN count(a) AS n") == [{"n": 2}]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"scopeId": "need:p0"}, "BAD_USER_INPUT"),
        ({"scopeId": "compound:610103001009-1"}, "BAD_USER_INPUT"),
        ({"scopeId": SHUYUANMEN, "needIds": []}, "BAD_USER_INPUT"),
        ({"scopeId": SHUYUANMEN, "needIds": ["member:m1"]}, "BAD_USER_INPUT"),
        ({"scopeId": SHUYUANMEN, "needIds": ["need:unknown"]}, "BAD_USER_INPUT"),
        ({"scopeId": SHUYUANMEN, "idempotencyKey": ""}, "BAD_USER_INPUT"),
    ],
)
async def test_bad_input(graph, graphql_client, variables, code, now) -> None:
    await make_world(graph, now)
    await make_needs(graph, 1)
    body = await graphql_client(PROPOSE, {"input": variables}, token=TOKENS["CITY_ADMIN"](), expect_errors=True)
    assert error_code(body) == code


async def test_unknown_plan(graph, graphql_client) -> None:
    body = await graphql_client(
        COMMIT, {"input": {"planId": "plan:nope"}}, token=TOKENS["CITY_ADMIN"](), expect_errors=True
    )
    assert error_code(body) == "NOT_FOUND"
