"""Exploring the graph: neighbourhoods and shortest paths, under the rules of `node(id:)`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from graph.kernel.db import Graph
from graph.needs.kinds import OPEN_STATES
from tests.support.workflow_helpers import token

NOW = datetime(2026, 11, 29, tzinfo=UTC)
pytestmark = pytest.mark.demo(NOW)  # every test reads the demo (loaded once while none writes: tests/conftest.py)
AROUND = """
query($id: ID!, $hops: Int = 1, $kinds: [NodeKind!], $first: Int = 50) {
  neighbourhood(id: $id, hops: $hops, kinds: $kinds, first: $first) {
    centre { id } nodes { __typename id } relationships { type fromId toId } truncated
  }
}
"""
PATHS = """
query($from: ID!, $to: ID!, $maxHops: Int = 4) {
  paths(fromId: $from, toId: $to, maxHops: $maxHops) {
    length nodes { id ... on Member { name phone } } relationships { type fromId toId }
  }
}
"""


@pytest.mark.smoke
async def test_a_need_and_what_lies_around_it(graphql_client) -> None:
    body = await graphql_client(AROUND, {"id": "need:demo-sewer"})
    found = body["data"]["neighbourhood"]
    ids = [n["id"] for n in found["nodes"]]
    assert found["centre"]["id"] == ids[0] == "need:demo-sewer"
    assert len(ids) == len(set(ids)) > 1 and not found["truncated"]
    assert any(i.startswith(("compound:", "community:")) for i in ids[1:])  # where it was raised
    # One hop: every relationship touches the centre, and both its ends are among the nodes.
    for rel in found["relationships"]:
        assert {rel["fromId"], rel["toId"]} <= set(ids) and "need:demo-sewer" in (rel["fromId"], rel["toId"])
    assert {n["id"] for n in found["nodes"][1:]} == {
        r["toId"] if r["fromId"] == "need:demo-sewer" else r["fromId"] for r in found["relationships"]
    }
    # Never a resident, an account or a catalogue entry unless asked for.
    assert not [i for i in ids if i.split(":")[0] in {"resident", "user", "category", "skill"}]
    names = graphql_client.last_statement_names
    assert names.count("explore.neighbourhood") == 1
    assert len(names) <= 1 + len({i.split(":")[0] for i in ids})  # one batch per kind shown


async def test_signed_in_viewers_see_more_and_kinds_narrow_the_walk(graphql_client) -> None:
    anonymous = (await graphql_client(AROUND, {"id": "need:demo-sewer", "hops": 2}))["data"]["neighbourhood"]
    coordinator = token("COORDINATOR", "community:610103001009")
    staff = (await graphql_client(AROUND, {"id": "need:demo-sewer", "hops": 2}, token=coordinator))["data"]
    kinds_of = lambda found: {n["__typename"] for n in found["nodes"]}  # noqa: E731
    assert "community:610103001009" in [n["id"] for n in anonymous["nodes"]]
    assert "NeedEvent" not in kinds_of(anonymous) and "NeedEvent" in kinds_of(staff["neighbourhood"])
    narrowed = await graphql_client(AROUND, {"id": "need:demo-sewer", "hops": 2, "kinds": ["COMPOUND", "COMMUNITY"]})
    assert kinds_of(narrowed["data"]["neighbourhood"]) == {"Need", "Compound", "Community"}


async def test_a_big_neighbourhood_is_cut_and_says_so(graphql_client) -> None:
    found = (await graphql_client(AROUND, {"id": "community:610103001009", "hops": 2, "first": 5}))["data"]
    assert len(found["neighbourhood"]["nodes"]) == 5 and found["neighbourhood"]["truncated"]


async def test_who_links_a_member_to_a_community(graphql_client) -> None:
    body = await graphql_client(PATHS, {"from": "member:demo-plumber", "to": "district:610103"})
    paths = body["data"]["paths"]
    assert paths and len({p["length"] for p in paths}) == 1  # all shortest, so all as long
    for path in paths:
        ids = [n["id"] for n in path["nodes"]]
        assert ids[0] == "member:demo-plumber" and ids[-1] == "district:610103"
        assert len(path["relationships"]) == path["length"] == len(ids) - 1
        for (a, b), rel in zip(pairwise(ids), path["relationships"], strict=True):
            assert {rel["fromId"], rel["toId"]} == {a, b}
        assert "****" in path["nodes"][0]["phone"]  # masked for an anonymous viewer
    none = await graphql_client(PATHS, {"from": "member:demo-plumber", "to": "district:610103", "maxHops": 1})
    assert none["data"]["paths"] == []


@pytest.mark.parametrize(
    ("query", "variables", "code", "field"),
    [
        (AROUND, {"id": "need:demo-sewer", "hops": 4}, "BAD_USER_INPUT", "hops"),
        (AROUND, {"id": "need:demo-sewer", "first": 0}, "BAD_USER_INPUT", "first"),
        (AROUND, {"id": "resident:demo-wang"}, "BAD_USER_INPUT", "id"),
        (AROUND, {"id": "need:nothing-here"}, "NOT_FOUND", "id"),
        (PATHS, {"from": "need:nothing-here", "to": "district:610103"}, "NOT_FOUND", "fromId"),
        (PATHS, {"from": "member:demo-plumber", "to": "district:610103", "maxHops": 7}, "BAD_USER_INPUT", "maxHops"),
    ],
)
async def test_bad_requests_are_refused_clearly(graphql_client, query, variables, code, field) -> None:
    body = await graphql_client(query, variables, expect_errors=True)
    error = body["errors"][0]
    assert error["extensions"]["code"] == code and error["extensions"].get("field") == field, error


COVERAGE = """
query($place: ID!, $category: ID!, $first: Int = 50) {
  coverage(placeId: $place, categoryId: $category, from: "2026-09-01T00:00:00Z", to: "2026-11-29T00:00:00Z",
           first: $first) {
    category { code } from to gaps totalCount
    communities { community { id } openNeeds recentNeeds members memberSlots offerings venues programs gap shortfall }
  }
}
"""
COUNT_NEEDS = """query($f: NeedFilter) { needs(filter: $f, first: 0) { totalCount } }"""


async def test_coverage_sets_demand_beside_supply_with_gaps_first(graphql_client) -> None:
    sewer = await graphql_client('{ node(id: "need:demo-sewer") { ... on Need { category { id code } } } }')
    category = sewer["data"]["node"]["category"]
    admin = token("CITY_ADMIN")
    body = await graphql_client(COVERAGE, {"place": "district:610103", "category": category["id"], "first": 500}, admin)
    found = body["data"]["coverage"]
    rows = found["communities"]
    in_district = await graphql_client('{ communities(filter: {placeId: "district:610103"}, first: 0) { totalCount } }')
    assert found["totalCount"] == len(rows) == in_district["data"]["communities"]["totalCount"]
    assert found["category"]["code"] == category["code"]
    gaps = [r for r in rows if r["gap"]]
    assert found["gaps"] == len(gaps) and rows[: len(gaps)] == gaps  # gaps first
    for row in rows:
        assert row["gap"] == (row["openNeeds"] + row["recentNeeds"] > 0 and row["members"] + row["offerings"] == 0)
        assert row["shortfall"] == max(0, row["openNeeds"] - row["memberSlots"] - row["offerings"])
    home = next(r for r in rows if r["community"]["id"] == "community:610103001009")
    assert home["members"] >= 1 and home["openNeeds"] >= 1  # the plumber, and the sewer need
    # Demand as the needs list counts it (its statuses are the open ones).
    status = sorted(OPEN_STATES)
    listed = await graphql_client(
        COUNT_NEEDS, {"f": {"placeId": "community:610103001009", "category": [category["code"]], "status": status}}
    )
    assert home["openNeeds"] == listed["data"]["needs"]["totalCount"]


async def test_coverage_is_for_coordinators_in_scope(graphql_client) -> None:
    variables = {"place": "district:610103", "category": "category:SEWER"}
    anonymous = await graphql_client(COVERAGE, variables, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    coordinator = token("COORDINATOR", "community:610103001009")
    outside = await graphql_client(COVERAGE, variables, coordinator, expect_errors=True)
    assert outside["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unknown = await graphql_client(
        COVERAGE, {"place": "community:610103001009", "category": "category:NO_SUCH"}, coordinator, expect_errors=True
    )
    assert unknown["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "categoryId"}
    wrong = await graphql_client(
        COVERAGE, {"place": "need:demo-sewer", "category": "category:SEWER"}, coordinator, expect_errors=True
    )
    assert wrong["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


VENUE_USE = """
query($place: ID!, $from: DateTime!, $to: DateTime!) {
  venueUse(placeId: $place, from: $from, to: $to, first: 500) {
    utilisation
    venues { venue { id } openHours bookedHours utilisation recurringNearby { categoryCode count } }
    communities { community { id } venues openHours bookedHours utilisation }
  }
}
"""


async def test_venue_use_puts_idle_venues_first(graph: Graph, graphql_client) -> None:
    start, end = NOW, NOW + timedelta(weeks=10)
    variables = {"place": "district:610103", "from": start.isoformat(), "to": end.isoformat()}
    report = (await graphql_client(VENUE_USE, variables, token("CITY_ADMIN")))["data"]["venueUse"]
    venues = report["venues"]
    rates = [v["utilisation"] for v in venues]
    opened = [r for r in rates if r is not None]
    assert opened == sorted(opened) and rates[: len(opened)] == opened  # least used first, never-open last
    classroom = next(v for v in venues if v["venue"]["id"] == "venue:demo-classroom")
    rows = await graph.read(
        "MATCH (b:Booking {status: 'CONFIRMED'})-[:OF]->(:Venue {id: 'venue:demo-classroom'}) "
        "WHERE b.start < datetime($to) AND b.end > datetime($from) RETURN b.start AS start, b.end AS end",
        **{"from": start.isoformat(), "to": end.isoformat()},
    )
    booked = sum((min(r["end"].to_native(), end) - max(r["start"].to_native(), start)).total_seconds() for r in rows)
    assert rows and classroom["bookedHours"] == round(booked / 3600, 2)
    assert classroom["utilisation"] == round(classroom["bookedHours"] / classroom["openHours"], 4)
    communities = report["communities"]
    assert sum(c["venues"] for c in communities) == len(venues)
    assert round(sum(c["openHours"] for c in communities), 1) == round(sum(v["openHours"] for v in venues), 1)


async def test_venue_use_is_checked(graphql_client) -> None:
    variables = {"place": "district:610103", "from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}
    anonymous = await graphql_client(VENUE_USE, variables, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    backwards = await graphql_client(VENUE_USE, variables, token("CITY_ADMIN"), expect_errors=True)
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    too_long = {**variables, "to": "2028-12-01T00:00:00Z"}
    body = await graphql_client(VENUE_USE, too_long, token("CITY_ADMIN"), expect_errors=True)
    assert "at most a year" in body["errors"][0]["message"]
