"""stats and recurringNeeds over a hand-made history whose figures are worked out by hand (docs/STATS.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from resolvers.kernel.context import Context
from resolvers.review.stats import ratio, recurring_needs, scope_stats
from tests.support import workflow_helpers as w
from tests.support.factories import BEILIN, COMPOUND, NANYUANMEN, NANYUANMEN_COMMUNITY, SHUYUANMEN, make_places
from tests.support.factories_workflow import T0, NeedSpec, make_workflow_needs

H = timedelta(hours=1)
D = timedelta(days=1)
NOW = T0 + 40 * D
PERIOD = (T0, T0 + 30 * D)


async def _rate(graph, assignment_id: str, rating: int, by_role: str = "REQUESTER") -> None:
    await graph.write(
        "MATCH (a:Assignment {id: $a}) CREATE (:Evaluation {id: 'evaluation:' + $a + $role, rating: $r, "
        "byRole: $role, createdAt: datetime()})-[:OF]->(a)",
        a=assignment_id,
        r=rating,
        role=by_role,
    )


@pytest.fixture
async def history(graph):
    await make_places(graph)
    await w.make_people(graph)
    await make_workflow_needs(
        graph,
        [
            # On time throughout, rated 5.
            NeedSpec(id="need:s1", status="EVALUATED", handler=w.member_id(1), assignment_status="COMPLETED",
                     dispatched_at=T0 + H, accepted_at=T0 + 2 * H, completed_at=T0 + D,
                     response_deadline=T0 + D, completion_deadline=T0 + 3 * D),
            # Late to accept and late to finish, rated 2.
            NeedSpec(id="need:s2", status="EVALUATED", handler=w.member_id(2), assignment_status="COMPLETED",
                     dispatched_at=T0, accepted_at=T0 + 30 * H, completed_at=T0 + 5 * D,
                     response_deadline=T0 + D, completion_deadline=T0 + 3 * D),
            # Accepted in time by the unit, never finished: overdue now.
            NeedSpec(id="need:s3", status="IN_PROGRESS", handler=w.UNIT, accepted_at=T0 + H,
                     response_deadline=T0 + D, completion_deadline=T0 + 3 * D),
            # Never dispatched.
            NeedSpec(id="need:s4"),
            # Dispatched, its response time not yet up: not counted against anyone.
            NeedSpec(id="need:s5", status="DISPATCHED", handler=w.member_id(3), assignment_status="INVITED",
                     created_at=T0 + 29 * D, response_deadline=NOW + D),
            # Before the period.
            NeedSpec(id="need:s6", created_at=T0 - D),
            # Another community of the same street; member 3's offer lapsed (someone else took it first).
            NeedSpec(id="need:s7", at=NANYUANMEN_COMMUNITY, status="DISPATCHED", handler=w.member_id(3),
                     assignment_status="LAPSED"),
        ],
    )  # fmt: skip
    await _rate(graph, "assignment:s1", 5)
    await _rate(graph, "assignment:s2", 2)
    await _rate(graph, "assignment:s2", 4, by_role="COORDINATOR")
    return graph


async def _stats(graph, scope: str):
    return await scope_stats(Context(graph=graph), scope, *PERIOD, now=NOW)


async def test_community_figures(history):
    s = await _stats(history, SHUYUANMEN)
    assert (s.received, s.dispatched) == (5, 4)
    assert (s.responded_on_time, s.response_due, s.response_rate) == (2, 3, ratio(2, 3))
    assert (s.completed_on_time, s.completion_due, s.completion_rate) == (1, 3, ratio(1, 3))
    assert (s.satisfied_ratings, s.ratings, s.satisfaction_rate, s.average_rating) == (1, 2, 0.5, 3.5)
    assert (s.handling_ratings, s.average_handling_rating) == (1, 4.0)
    assert s.average_hours_to_accept == round((1 + 30 + 1) / 3, 2)
    assert s.average_hours_to_complete == round((23 + 120) / 2, 2)
    assert s.overdue_count == 1


@pytest.mark.parametrize("scope", [NANYUANMEN, BEILIN])
async def test_street_and_district_add_up_their_communities(history, scope):
    s = await _stats(history, scope)
    assert (s.received, s.dispatched, s.response_due, s.completion_due, s.overdue_count) == (6, 5, 3, 3, 1)


async def test_handler_figures(history):
    m1 = await _stats(history, w.member_id(1))
    assert (m1.received, m1.response_rate, m1.completion_rate, m1.satisfaction_rate) == (1, 1.0, 1.0, 1.0)
    # The unit answers for itself and its members (双报到: service counts for both): s1, s2, s3 and s5.
    unit = await _stats(history, w.UNIT)
    assert (unit.received, unit.response_rate, unit.completion_rate, unit.overdue_count) == (
        4,
        ratio(2, 3),
        ratio(1, 3),
        1,
    )
    # Member 3: one invitation still open, one lapsed offer that does not count.
    m3 = await _stats(history, w.member_id(3))
    assert (m3.received, m3.response_due, m3.response_rate, m3.satisfaction_rate) == (1, 0, None, None)


async def test_stats_over_http_is_public_and_one_statement(history, graphql_client):
    query = """query($s: ID!, $from: DateTime, $to: DateTime) { stats(scopeId: $s, from: $from, to: $to) {
      scopeId from to received dispatched responseRate completionRate satisfactionRate averageHoursToAccept
      averageHoursToComplete overdueCount } }"""
    body = await graphql_client(query, {"s": SHUYUANMEN, "from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat()})
    assert graphql_client.last_statements == 1
    figures = body["data"]["stats"]
    assert (figures["received"], figures["satisfactionRate"]) == (5, 0.5)
    # With no period every need ever raised there counts.
    body = await graphql_client(query, {"s": SHUYUANMEN})
    assert body["data"]["stats"]["received"] == 6


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"s": "need:s1"}, "BAD_USER_INPUT"),
        ({"s": "not-an-id"}, "BAD_USER_INPUT"),
        ({"s": SHUYUANMEN, "from": "2026-03-02T00:00:00+00:00", "to": "2026-03-01T00:00:00+00:00"}, "BAD_USER_INPUT"),
        ({"s": "community:610103999999"}, "NOT_FOUND"),
        ({"s": "member:nobody"}, "NOT_FOUND"),
    ],
)
async def test_bad_scopes_and_periods(history, graphql_client, variables, code):
    query = "query($s: ID!, $from: DateTime, $to: DateTime) { stats(scopeId: $s, from: $from, to: $to) { received } }"
    body = await graphql_client(query, variables, expect_errors=True)
    assert w.error_code(body) == code


async def test_recurring_needs_against_the_previous_period(graph):
    await make_places(graph)
    quarter = (T0, T0 + 91 * D)

    def noise(i: int, at: str, when) -> NeedSpec:
        return NeedSpec(id=f"need:r{i}", category="NOISE", at=at, created_at=when)

    specs = [noise(i, COMPOUND, T0 + i * D) for i in range(4)]  # 书院门: 4 this quarter
    specs += [noise(10 + i, SHUYUANMEN, T0 - (i + 1) * 10 * D) for i in range(2)]  # … 2 the quarter before
    specs += [noise(20 + i, NANYUANMEN_COMMUNITY, T0 + i * D) for i in range(3)]  # 南院门: 3, new
    specs += [NeedSpec(id="need:r30", category="SEWER", created_at=T0 + D)]  # once: below minCount
    specs += [noise(40, COMPOUND, T0 - 200 * D)]  # long ago: in neither period
    await make_workflow_needs(graph, specs)

    rows = await recurring_needs(Context(graph=graph), NANYUANMEN, *quarter)
    assert [(r.place_id, r.category_code, r.count, r.previous_count, r.change) for r in rows] == [
        (SHUYUANMEN, "NOISE", 4, 2, 2.0),
        (NANYUANMEN_COMMUNITY, "NOISE", 3, 0, None),
    ]
    assert rows[0].category_name == "噪音扰民"
