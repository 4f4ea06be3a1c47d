"""Story 21 over HTTP on the demo: the district's assessment office opens the quarter — every stationed
department ranked by a composite where its street's rating weighs 60 %, every community ranked by
residents' satisfaction first, the property firms with the worst satisfaction flagged, the needs behind
each number one click away — in one statement per level; the same figures a month later; and who may
see what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matching.review.scorecards import Period
from seeds import assessment
from seeds.property_firms import WORST
from seeds.whistle import department_id
from tests.conftest import GraphQLClient, _client
from tests.support.department_model import department_cards, whistle_records
from tests.support.workflow_helpers import token

NOW = datetime(2026, 11, 29, tzinfo=UTC)
pytestmark = pytest.mark.demo(NOW)  # read only: the shared demo
BEILIN = "district:610103"
NANYUANMEN = "street:610103001"
FIGURE = "rate met of needIds metNeedIds weight previousRate change"
CARDS = f"""query($level: ScorecardLevel!, $period: String!, $within: ID) {{
  scorecards(level: $level, period: $period, within: $within) {{
    level period previousPeriod from to within weights {{ profile figure weight }}
    cards {{ subjectId containerId profile rank previousRank rankChange composite previousComposite compositeChange
      flags received needIds
      satisfaction {{ {FIGURE} }} response {{ {FIGURE} }} completion {{ {FIGURE} }} onTime {{ {FIGURE} }}
      figures {{ figure weight }} whistlerRating {{ rate }} streetRating {{ rate }} }} }} }}"""
ONE_CLICK = """query($level: ScorecardLevel!, $period: String!, $within: ID) {
  scorecards(level: $level, period: $period, within: $within) { cards { subjectId
    subject { id ... on Community { name } ... on PropertyFirm { name } }
    satisfaction { needIds needs(first: 100) { id } unhappy: needs(first: 100, met: false) { id } } } } }"""
NODE = """query($id: ID!, $period: String!) { node(id: $id) { ... on Community { name
  scorecard(period: $period) { subjectId containerId rank composite satisfaction { rate } } } } }"""


def district_admin() -> str:
    return token("DISTRICT_ADMIN", BEILIN)


async def cards(client: GraphQLClient, level: str, period: str, within: str | None, tok: str) -> dict:
    body = await client(CARDS, {"level": level, "period": period, "within": within}, token=tok)
    assert "errors" not in body, body
    return body["data"]["scorecards"]


async def test_the_assessment_office_ranks_communities_by_satisfaction_first(graphql_client: GraphQLClient) -> None:
    client = graphql_client
    board = await cards(client, "COMMUNITY", "2026-Q3", None, district_admin())
    assert client.last_statements == 1  # the whole district's communities, both quarters, one statement
    assert (board["within"], board["period"], board["previousPeriod"]) == (BEILIN, "2026-Q3", "2026-Q2")
    assert board["from"] == "2026-06-30T16:00:00+00:00" and board["to"] == "2026-09-30T16:00:00+00:00"
    weights = {w["figure"]: w["weight"] for w in board["weights"]}
    assert max(weights, key=weights.__getitem__) == "SATISFACTION"
    ranked = [c for c in board["cards"] if c["rank"] is not None]
    assert len(ranked) >= 10 and [c["rank"] for c in ranked] == list(range(1, len(ranked) + 1))
    assert all(c["containerId"] == BEILIN and c["profile"] == "COMMUNITY" for c in board["cards"])
    composites = [c["composite"] for c in ranked]
    assert composites == sorted(composites, reverse=True) and composites[0] > composites[-1]
    unranked = board["cards"][len(ranked) :]
    assert all(c["composite"] is None and c["flags"] == ["NO_DATA"] for c in unranked)
    # Satisfaction first: every composite is the weighted figures, satisfaction the heaviest part.
    for card in ranked:
        parts = {f: card[k]["rate"] for f, k in (("SATISFACTION", "satisfaction"), ("RESPONSE", "response"),
                                                  ("COMPLETION", "completion"), ("ON_TIME", "onTime"))}  # fmt: skip
        present = {f: weights[f] for f, r in parts.items() if r is not None}
        expected = sum(parts[f] * w for f, w in present.items()) / sum(present.values())
        assert card["composite"] == pytest.approx(expected, abs=1e-3)
        assert [f["figure"] for f in card["figures"]] == list(weights)
        assert card["whistlerRating"] is None and card["streetRating"] is None
        for key in ("response", "completion", "onTime"):
            figure = card[key]
            assert len(figure["needIds"]) == figure["of"] and len(figure["metNeedIds"]) == figure["met"]
            assert set(figure["metNeedIds"]) <= set(figure["needIds"]) <= set(card["needIds"])
        assert len(card["needIds"]) == card["received"]
    # The communities whose residents are least satisfied are flagged (the document adjusts their secretaries).
    rated = [c for c in board["cards"] if c["satisfaction"]["rate"] is not None]
    lowest = min(c["satisfaction"]["rate"] for c in rated)
    flagged = [c for c in rated if "LOWEST_SATISFACTION" in c["flags"]]
    assert flagged and all(c["satisfaction"]["rate"] == lowest or c["satisfaction"]["rate"] < 1 for c in flagged)
    assert all("LOWEST_SATISFACTION" in c["flags"] for c in rated if c["satisfaction"]["rate"] == lowest)
    assert all(c["satisfaction"]["rate"] >= max(f["satisfaction"]["rate"] for f in flagged)
               for c in rated if c not in flagged)  # fmt: skip
    changed = [c for c in ranked if c["previousComposite"] is not None]
    assert changed and all(
        c["compositeChange"] == pytest.approx(c["composite"] - c["previousComposite"], abs=1e-3) for c in changed
    )


async def test_the_worst_property_firms_are_flagged_and_their_needs_are_one_click_away(
    graphql_client: GraphQLClient,
) -> None:
    client = graphql_client
    board = await cards(client, "PROPERTY_FIRM", "2026", BEILIN, district_admin())
    assert client.last_statements == 1
    firms = board["cards"]
    assert len(firms) == 4
    ranked = [f for f in firms if f["rank"] is not None]
    assert ranked[-1]["subjectId"] == WORST
    worst = ranked[-1]
    assert {"LOWEST_SATISFACTION", "BELOW_SATISFACTION_THRESHOLD"} <= set(worst["flags"])
    assert worst["satisfaction"]["rate"] < min(f["satisfaction"]["rate"] for f in ranked[:-1])
    flagged = [f["subjectId"] for f in firms if "LOWEST_SATISFACTION" in f["flags"]]
    assert WORST in flagged and len(flagged) <= 3
    # One click: the needs behind the satisfaction rate, as nodes: one more statement for all the cards.
    body = await client(
        ONE_CLICK, {"level": "PROPERTY_FIRM", "period": "2026", "within": BEILIN}, token=district_admin()
    )
    assert "errors" not in body, body
    assert client.last_statements == 3  # the cards; their subjects, one batch; their needs, one batch
    (card,) = [c for c in body["data"]["scorecards"]["cards"] if c["subjectId"] == WORST]
    assert card["subject"]["name"] == "长安速达物业管理有限公司"
    figure = card["satisfaction"]
    assert [n["id"] for n in figure["needs"]] == figure["needIds"][:100] and figure["unhappy"]


async def test_a_street_coordinator_sees_its_communities_and_not_the_district(graphql_client: GraphQLClient) -> None:
    client = graphql_client
    coordinator = token("COORDINATOR", NANYUANMEN)
    board = await cards(client, "COMMUNITY", "2026-Q3", None, coordinator)
    assert board["within"] == NANYUANMEN and all(c["containerId"] == NANYUANMEN for c in board["cards"])
    assert client.last_statements == 1
    community = board["cards"][0]["subjectId"]
    own = await client(NODE, {"id": community, "period": "2026-Q3"}, token=coordinator)
    assert own["data"]["node"]["scorecard"]["containerId"] == BEILIN  # its own card ranks it in its district
    refusals = [
        ({"level": "COMMUNITY", "period": "2026-Q3", "within": BEILIN}, coordinator, "FORBIDDEN"),
        ({"level": "STREET", "period": "2026-Q3", "within": None}, coordinator, "FORBIDDEN"),
        ({"level": "COMMUNITY", "period": "2026-Q3", "within": None}, token("CITY_ADMIN"), None),
        ({"level": "DISTRICT", "period": "2026-Q3", "within": None}, district_admin(), "FORBIDDEN"),
        ({"level": "COMMUNITY", "period": "2026-Q3", "within": None}, token("RESIDENT", subject="resident:demo-wang"),
         "FORBIDDEN"),
        ({"level": "COMMUNITY", "period": "2026-Q3", "within": None}, None, "UNAUTHENTICATED"),
        ({"level": "COMMUNITY", "period": "Q3 2026", "within": None}, district_admin(), "BAD_USER_INPUT"),
        ({"level": "STREET", "period": "2026-Q3", "within": NANYUANMEN}, district_admin(), "BAD_USER_INPUT"),
        ({"level": "COMMUNITY", "period": "2026-Q3", "within": "district:610199"}, token("CITY_ADMIN"), "NOT_FOUND"),
    ]  # fmt: skip
    for variables, tok, code in refusals:
        body = await client(CARDS, variables, token=tok, expect_errors=True)
        if code is None:
            assert "errors" not in body
            continue
        assert body["errors"][0]["extensions"]["code"] == code, (variables, body)
        if code == "BAD_USER_INPUT" and variables["period"] == "Q3 2026":
            assert "2026-Q3" in body["errors"][0]["message"] and "2026-07" in body["errors"][0]["message"]
    unknown = await client(
        CARDS, {"level": "PROVINCE", "period": "2026-Q3"}, token=district_admin(), expect_errors=True
    )
    assert unknown["errors"][0]["extensions"]["code"] in ("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED")
    assert "PROVINCE" in unknown["errors"][0]["message"]
    other = await client(NODE, {"id": community, "period": "2026-Q3"}, token=token("COORDINATOR", "street:610103002"),
                         expect_errors=True)  # fmt: skip
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN" and other["data"]["node"]["scorecard"] is None
    resident = token("RESIDENT", subject="resident:demo-wang")
    refused = await client(NODE, {"id": community, "period": "2026-Q3"}, token=resident, expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN" and refused["data"]["node"]["name"]
    assert client.last_statements == 1  # the node alone: nothing is counted for whom may not see it


LISTED = """query($place: ID!) { communities(first: 30, filter: {placeId: $place}) { edges { node { id
  scorecard(period: "2026-Q3") { subjectId containerId rank composite } } } } }"""


async def test_a_page_of_communities_with_their_scorecards_costs_a_fixed_number_of_statements(
    graphql_client: GraphQLClient,
) -> None:
    client = graphql_client
    board = await cards(client, "COMMUNITY", "2026-Q3", BEILIN, token("CITY_ADMIN"))
    expected = {c["subjectId"]: (c["rank"], c["composite"]) for c in board["cards"]}
    for place, tok, statements in ((NANYUANMEN, token("CITY_ADMIN"), 2), (BEILIN, district_admin(), 3),
                                   (NANYUANMEN, district_admin(), 3)):  # fmt: skip
        body = await client(LISTED, {"place": place}, token=tok)
        assert "errors" not in body, body
        listed = [edge["node"] for edge in body["data"]["communities"]["edges"]]
        assert len(listed) > 3
        # The page, the scorecards of every community on it (ranked in their district), and for a
        # district admin one scope check for them all.
        assert client.last_statements == statements, client.last_statement_names
        for node in listed:
            card = node["scorecard"]
            assert card["containerId"] == BEILIN and (card["rank"], card["composite"]) == expected[node["id"]]


# --- the stationed agencies (派驻机构): the street's rating weighs 60 % -----------------------------------
DEPARTMENTS = f"""query($period: String) {{ scorecards(level: DEPARTMENT, period: $period) {{
  period previousPeriod within weights {{ profile figure weight }}
  cards {{ subjectId profile rank composite previousComposite compositeChange flags received needIds
    satisfaction {{ {FIGURE} }} response {{ {FIGURE} }} completion {{ {FIGURE} }} onTime {{ {FIGURE} }}
    whistlerRating {{ {FIGURE} average }} streetRating {{ {FIGURE} average }}
    subject {{ id ... on Department {{ name }} }} }} }} }}"""
LATE = """{ scorecards(level: DEPARTMENT) { cards { subjectId
  response { late: needs(first: 10, met: false) { id title status } } } } }"""
PARTS = (("STREET_RATING", "streetRating"), ("SATISFACTION", "satisfaction"), ("RESPONSE", "response"),
         ("COMPLETION", "completion"), ("ON_TIME", "onTime"))  # fmt: skip


async def test_the_stationed_agencies_are_ranked_with_the_streets_rating_at_sixty_percent(graph) -> None:
    """The assessment office opens the last full quarter (the default period, by the request's clock) of
    碑林区's departments: the agencies stationed with 南院门街道 and 柏树林街道 ranked by a composite where
    their street's rating weighs 60 %, each composite checked by hand, the needs behind each number; and
    asked again a month later, the same figures."""
    async with _client(graph, compiled_reads=True, now=NOW) as client:
        body = await client(DEPARTMENTS, {"period": None}, token=district_admin())
        assert client.last_statements == 2  # the cards (both quarters); their subjects, one batch
        late = await client(LATE, token=district_admin())
        assert client.last_statements == 2  # the cards; the needs behind them, one batch
    board = body["data"]["scorecards"]
    assert (board["period"], board["previousPeriod"], board["within"]) == ("2026-Q3", "2026-Q2", BEILIN)
    weights = {w["figure"]: w["weight"] for w in board["weights"] if w["profile"] == "STATIONED_DEPARTMENT"}
    assert weights["STREET_RATING"] == 0.6 and sum(weights.values()) == pytest.approx(1.0)
    stationed = [c for c in board["cards"] if c["profile"] == "STATIONED_DEPARTMENT" and c["rank"] is not None]
    assert len(stationed) == 6
    assert [c["rank"] for c in stationed] == sorted(c["rank"] for c in stationed)
    for card in stationed:  # by hand: Σ rate × weight over the figures with data, over the weights present
        present = {f: weights[f] for f, key in PARTS if card[key]["rate"] is not None}
        expected = sum(card[key]["rate"] * weights[f] for f, key in PARTS if f in present) / sum(present.values())
        assert card["composite"] == pytest.approx(expected, abs=1e-3), card["subjectId"]
        assert card["streetRating"]["weight"] == 0.6 and card["whistlerRating"]["weight"] == 0.0
        for key in ("response", "completion", "onTime", "streetRating"):
            figure = card[key]
            assert set(figure["metNeedIds"]) <= set(figure["needIds"]) <= set(card["needIds"])
        assert len(card["needIds"]) == card["received"] == len(card["response"]["needIds"])
    best, worst = stationed[0], stationed[-1]
    assert (best["subjectId"], worst["subjectId"]) == (assessment.BEST, assessment.WORST)
    assert best["subject"]["name"] == "西安市公安局碑林分局南院门派出所"
    # 南院门派出所: its street rated three whistles 5/5/5, 5/5/5, 5/4/5; the district's 4/4/4 is shown among the
    # whistlers' ratings but weighs nothing; every other figure is 1.
    street = (44 / 9 - 1) / 4
    assert best["streetRating"]["of"] == 3 and best["whistlerRating"]["of"] == 4
    assert best["streetRating"]["rate"] == pytest.approx(street, abs=1e-4)
    assert best["composite"] == pytest.approx(0.6 * street + 0.15 + 0.10 + 0.10 + 0.05, abs=1e-4)
    # 柏树林街道执法中队, last: its street rated it 2–3, it reported after the limit three times in four, and
    # no resident was satisfied; worse than the quarter before.
    assert worst["streetRating"]["average"] == pytest.approx(32 / 12, abs=0.01)
    assert worst["response"] == {**worst["response"], "rate": 0.25, "met": 1, "of": 4}
    assert worst["satisfaction"]["rate"] == 0.0 and worst["compositeChange"] < 0
    assert worst["composite"] < min(c["composite"] for c in stationed[:-1])
    assert [c["subjectId"] for c in board["cards"] if c["rank"] is not None][-1] == assessment.WORST
    assert {c["subjectId"] for c in stationed if c["compositeChange"] and c["compositeChange"] > 0}
    # The market office refused a shop's loudspeaker (re-routed to the squad): against its response, and
    # none of the residents' ratings of a repair it refused.
    market = next(c for c in stationed if c["subjectId"] == department_id("nanyuanmen-market"))
    assert (market["response"]["met"], market["response"]["of"], market["satisfaction"]["of"]) == (2, 3, 2)
    # One click: the late reports behind the worst's response rate.
    (cards_late,) = [c for c in late["data"]["scorecards"]["cards"] if c["subjectId"] == assessment.WORST]
    behind = cards_late["response"]["late"]
    assert len(behind) == 3 and set(n["id"] for n in behind) == set(worst["response"]["needIds"]) - set(
        worst["response"]["metNeedIds"]
    )
    # The Cypher agrees with the model the date sweep checks on 366 days (tests/support/department_model.py).
    modelled = {c.subject_id: c for c in department_cards(whistle_records(NOW), Period.parse("2026-Q3"))}
    for card in board["cards"]:
        model = modelled[card["subjectId"]]
        assert (card["rank"], card["received"]) == (model.rank, model.received), card["subjectId"]
        assert card["composite"] == model.composite and card["previousComposite"] == (
            model.previous.composite if model.previous else None
        )
    # Asked again next month (the clock a month later: the default period is still 2026-Q3): the same.
    async with _client(graph, compiled_reads=True, now=NOW + timedelta(days=30)) as later:
        again = await later(DEPARTMENTS, {"period": None}, token=district_admin())
    assert again["data"]["scorecards"] == board
