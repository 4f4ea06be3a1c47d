"""Departments' scorecards from the whistles they answered (issue 22 §2–§4), on the demo's collapsed drain
(seeds/whistle.py): 城管 reported in ten minutes, 水务 a day late, 住建 refused and was re-routed to 市政;
the street rated each handling. And a department's staff see their own department's card, no other."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from seeds.whistle import DRAIN_NEED, department_id
from tests.conftest import GraphQLClient
from tests.support.workflow_helpers import token

NOW = datetime(2026, 11, 29, tzinfo=UTC)
pytestmark = pytest.mark.demo(NOW)  # read only: the shared demo
BEILIN = "district:610103"
MONTH = "2026-11"  # the drain was whistled on the 20th, done on the 22nd; the gas call two hours before NOW
CARDS = """query($period: String!) { scorecards(level: DEPARTMENT, period: $period, within: "district:610103") {
  cards { subjectId profile rank composite flags received needIds
    response { rate met of } completion { rate met of } onTime { rate met of } satisfaction { rate of }
    whistlerRating { rate met of } streetRating { rate } } } }"""
OWN = """query($id: ID!, $period: String!) { node(id: $id) { ... on Department {
  scorecard(period: $period) { subjectId rank composite } } } }"""


async def test_departments_are_judged_on_the_whistles_they_answered(graphql_client: GraphQLClient) -> None:
    body = await graphql_client(CARDS, {"period": MONTH}, token=token("DISTRICT_ADMIN", BEILIN))
    assert "errors" not in body, body
    assert graphql_client.last_statements == 1
    cards = {c["subjectId"]: c for c in body["data"]["scorecards"]["cards"]}
    water, chengguan, municipal = (
        cards[department_id("water")],
        cards[department_id("chengguan")],
        cards[department_id("municipal")],
    )
    # 水务 reported a day late: its response counts against it, its repair was on time, the street's 2/5/4.
    assert water["response"] == {"rate": 0.0, "met": 0, "of": 1}
    assert water["completion"] == {"rate": 1.0, "met": 1, "of": 1}
    assert water["onTime"] == {"rate": 1.0, "met": 1, "of": 1}
    assert water["satisfaction"] == {"rate": 1.0, "of": 1}  # the resident's 5
    assert water["whistlerRating"]["of"] == 1
    assert water["whistlerRating"]["rate"] == pytest.approx((11 / 3 - 1) / 4, abs=1e-4)  # 2, 5, 4 on 1–5
    assert chengguan["response"]["rate"] == 1.0 and chengguan["whistlerRating"]["rate"] == 1.0
    # 住建 refused: against its response, nothing of the repair counted to it, nobody rated it.
    housing = cards[department_id("housing")]
    assert housing["response"] == {"rate": 0.0, "met": 0, "of": 1}
    assert housing["completion"]["of"] == 0 and housing["onTime"]["of"] == 0
    assert housing["satisfaction"] == {"rate": None, "of": 0}  # the resident's 5 was for the repair it refused
    assert housing["rank"] is None and housing["flags"] == ["NO_DATA"]
    # 市政 took the re-routed call and did it: the need counts for the department it ended with.
    assert municipal["needIds"] == [DRAIN_NEED] and water["needIds"] == [DRAIN_NEED]
    assert municipal["response"]["rate"] == 1.0 and municipal["completion"]["rate"] == 1.0
    ranked = [c["subjectId"] for c in body["data"]["scorecards"]["cards"] if c["rank"] is not None]
    assert ranked == [department_id("chengguan"), department_id("municipal"), department_id("water")]
    # The gas office has not reported (two hours old): due by the month's end, not met.
    gas = cards[department_id("gas")]
    assert gas["response"] == {"rate": 0.0, "met": 0, "of": 1} and gas["completion"] == {"rate": 0.0, "met": 0, "of": 1}
    # Stationed with 南院门街道, whistled nothing this month: no figures, never a made-up one.
    police = cards[department_id("police")]
    assert police["profile"] == "STATIONED_DEPARTMENT" and police["flags"] == ["NO_DATA"] and police["received"] == 0
    # The month before holds none of it.
    before = await graphql_client(CARDS, {"period": "2026-10"}, token=token("DISTRICT_ADMIN", BEILIN))
    assert all(c["received"] == 0 for c in before["data"]["scorecards"]["cards"])


async def test_a_departments_staff_see_their_own_card_only(graphql_client: GraphQLClient) -> None:
    staff = token("DEPARTMENT_STAFF", department_id("water"), "user:staff-demo-water")
    own = await graphql_client(OWN, {"id": department_id("water"), "period": MONTH}, token=staff)
    assert "errors" not in own, own
    assert own["data"]["node"]["scorecard"]["subjectId"] == department_id("water")
    other = await graphql_client(
        OWN, {"id": department_id("chengguan"), "period": MONTH}, token=staff, expect_errors=True
    )
    assert other["data"]["node"]["scorecard"] is None
    assert [e["extensions"]["code"] for e in other["errors"]] == ["FORBIDDEN"]
    board = await graphql_client(CARDS, {"period": MONTH}, token=staff, expect_errors=True)
    assert [e["extensions"]["code"] for e in board["errors"]] == ["FORBIDDEN"]
