"""matchCandidates and eligiblePrograms through HTTP: ranking, explanations, eligibility, roles, input."""

from __future__ import annotations

import pytest

from tests.conftest import pinned
from tests.support.factories_matching import (
    NEED,
    NOW,
    OFFERING,
    PROGRAM,
    TOKENS,
    VENUE,
    error_code,
    make_need,
    make_world,
)
from tests.support.roles import SCOPE_STAFF, role_matrix

MATCH = """
query($needId: ID!, $kinds: [CandidateKind!], $first: Int) {
  matchCandidates(needId: $needId, kinds: $kinds, first: $first) {
    kind score reason
    parts { factor value weight contribution }
    resource {
      __typename
      ... on Member { id name }
      ... on Offering { id title unit { id name } }
      ... on Venue { id name }
      ... on FundingProgram { id name remaining }
    }
  }
}
"""
PROGRAMS = """
query($needId: ID!) { eligiblePrograms(needId: $needId) { score reason resource { ... on FundingProgram { id } } } }
"""

now = pinned(NOW)

NEIGHBOUR_NEXT_DOOR = (
    "MATCH (m:Member {id: 'member:m4'}) SET m.location = point({latitude: 34.2563, longitude: 108.9452})"
)


@pytest.mark.smoke
async def test_members_ranked_with_parts_and_reason(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    # member:m4 is registered with the next community but lives 20 m away: in the pool (point index)
    await graph.write(NEIGHBOUR_NEXT_DOOR)
    body = await graphql_client(MATCH, {"needId": NEED, "kinds": ["MEMBER"]}, token=TOKENS["COORDINATOR"]())
    found = body["data"]["matchCandidates"]
    ids = [c["resource"]["id"] for c in found]
    # plumbers only (the elderly-care helper has no fitting skill); one registered in the need's own
    # community outranks the neighbour from the next community living as close
    assert "member:care" not in ids
    assert set(ids) == {"member:m1", "member:m2", "member:m3", "member:m4"}
    assert ids.index("member:m1") < ids.index("member:m4")
    scores = [c["score"] for c in found]
    assert scores == sorted(scores, reverse=True)
    for c in found:
        assert c["kind"] == "MEMBER" and c["resource"]["__typename"] == "Member"
        assert abs(sum(p["contribution"] for p in c["parts"]) - c["score"]) < 1e-9
        assert {p["factor"] for p in c["parts"]} >= {"skill", "place", "availability", "load", "fairness"}
        assert "管道疏通" in c["reason"]
    # one statement for the need, one for the members, one batch load of the records
    assert graphql_client.last_statements == 3


async def test_every_kind_in_one_request(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    body = await graphql_client(MATCH, {"needId": NEED, "first": 2}, token=TOKENS["COORDINATOR"]())
    kinds = [c["kind"] for c in body["data"]["matchCandidates"]]
    assert kinds == sorted(kinds, key=["MEMBER", "UNIT", "VENUE", "FUNDING"].index)
    by_kind = {c["kind"]: c for c in body["data"]["matchCandidates"]}
    assert by_kind["UNIT"]["resource"]["id"] == OFFERING
    assert by_kind["UNIT"]["resource"]["unit"]["name"] == "市政养护公司"
    assert any(p["factor"] == "text" and p["value"] > 0 for p in by_kind["UNIT"]["parts"])  # cjk full-text hit
    assert by_kind["VENUE"]["resource"]["id"] in (VENUE, "venue:m2")
    assert by_kind["FUNDING"]["resource"]["id"] == PROGRAM  # the city program does not cover SEWER
    assert kinds.count("MEMBER") == 2


async def test_ineligible_never_listed(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    await graph.write(NEIGHBOUR_NEXT_DOOR)
    # full members and a withdrawn offering drop out; a program without budget too
    await graph.write("MATCH (m:Member) WHERE m.id IN ['member:m1', 'member:m2'] SET m.openLoad = m.maxLoad")
    await graph.write("MATCH (o:Offering) SET o.status = 'WITHDRAWN'")
    await graph.write("MATCH (p:FundingProgram {id: $id}) SET p.spent = p.budget", id=PROGRAM)
    body = await graphql_client(
        MATCH, {"needId": NEED, "kinds": ["MEMBER", "UNIT", "FUNDING"]}, token=TOKENS["COORDINATOR"]()
    )
    ids = [c["resource"]["id"] for c in body["data"]["matchCandidates"]]
    # m3, registered with the need's community, before m4, who lives nearer but is registered next door
    assert ids == ["member:m3", "member:m4"]


async def test_equal_scores_are_ranked_by_id(graph, graphql_client, now) -> None:
    """Two members alike to member:m3 in every fact score the same; the three come in id order.

    The twins are made after m3, member:m0 then member:m9, so the pool's own order (Cypher sorts them
    as equals; a community's members come newest first) is m9, m0, m3, or m3, m0, m9 oldest first:
    neither is the id order, so only the tie-break by id passes. With one twin, m0, the pool's newest
    first already was the id order, and ranking without a tie-break passed."""
    await make_world(graph, now)
    await make_need(graph)
    for twin in ("member:m0", "member:m9"):
        await graph.write(
            """
            MATCH (m:Member {id: 'member:m3'})-[:REGISTERED_WITH]->(c:Community), (m)-[:HAS_SKILL]->(s:Skill)
            CREATE (twin:Member) SET twin = m {.*, id: $twin}
            CREATE (twin)-[:REGISTERED_WITH]->(c), (twin)-[:HAS_SKILL]->(s)
            """,
            twin=twin,
        )
    body = await graphql_client(MATCH, {"needId": NEED, "kinds": ["MEMBER"]}, token=TOKENS["COORDINATOR"]())
    found = [(c["resource"]["id"], c["score"]) for c in body["data"]["matchCandidates"]]
    ids = [i for i, _ in found]
    assert ids == ["member:m1", "member:m2", "member:m0", "member:m3", "member:m9"], found
    assert found[1][1] > found[2][1] == found[3][1] == found[4][1]


async def test_member_not_free_in_window_is_dropped(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    from datetime import UTC, datetime, timedelta

    wednesday = datetime(2026, 11, 4, 2, 0, tzinfo=UTC)  # 10:00 Xi'an, nobody declared Wednesday
    await make_need(graph, window=(wednesday, wednesday + timedelta(hours=2)))
    body = await graphql_client(MATCH, {"needId": NEED, "kinds": ["MEMBER"]}, token=TOKENS["COORDINATOR"]())
    assert body["data"]["matchCandidates"] == []


async def test_eligible_programs(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    await make_need(graph, "need:care", category="ELDERLY_CARE")
    body = await graphql_client(PROGRAMS, {"needId": "need:care"}, token=TOKENS["COORDINATOR"]())
    ids = [c["resource"]["id"] for c in body["data"]["eligiblePrograms"]]
    assert ids == [PROGRAM, "program:m2"]  # the district program fits its own district better


@pytest.mark.parametrize(
    ("role", "code"),
    role_matrix(SCOPE_STAFF, ("OTHER_COORDINATOR", "OTHER_DISTRICT_ADMIN", "MEMBER", "RESIDENT", "UNIT_ADMIN")),
)
async def test_roles(graph, graphql_client, role, code, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    tok = TOKENS[role]() if role else None
    body = await graphql_client(MATCH, {"needId": NEED, "kinds": ["MEMBER"]}, token=tok, expect_errors=True)
    if code is None:
        assert "errors" not in body and body["data"]["matchCandidates"]
    else:
        assert error_code(body) == code


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"needId": NEED, "first": 101}, "BAD_USER_INPUT"),
        ({"needId": NEED, "first": 0}, "BAD_USER_INPUT"),
        ({"needId": NEED, "kinds": []}, "BAD_USER_INPUT"),
        ({"needId": NEED, "kinds": ["ROBOT"]}, "BAD_USER_INPUT"),
        ({"needId": "venue:m1"}, "BAD_USER_INPUT"),
        ({"needId": "need:nope"}, "NOT_FOUND"),
    ],
)
async def test_bad_input(graph, graphql_client, variables, code, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    body = await graphql_client(MATCH, variables, token=TOKENS["CITY_ADMIN"](), expect_errors=True)
    assert error_code(body) == code
