"""The quarter review's classes of needs: counts as the needs list counts them, the quarters right on
any date, and the words that recur."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.kernel.db import Graph
from matching.words import recurring
from resolvers.review.classes import last_full_quarter, quarter_of, quarter_start
from tests.support.workflow_helpers import token

NOW = datetime(2026, 11, 29, tzinfo=UTC)
CLASSES = """
query($place: ID!, $quarter: String, $minCount: Int = 1) {
  needClasses(placeId: $place, quarter: $quarter, minCount: $minCount, first: 100) {
    community { id } category { code } quarter count previousCount yearAgoCount change yearChange
    escalatedShare reopenedShare medianHoursToComplete words recurringWords { word needs }
  }
}
"""
COUNT = "query($f: NeedFilter) { needs(filter: $f, first: 0) { totalCount } }"
# A quarter's needs as the needs list gives them, with what the classes' figures are made of: 40 a
# page, so the page with each need's history and assignments stays under the cost limit (40 + 2 × 40 × 100).
NEEDS = """
query($f: NeedFilter, $after: String) {
  needs(filter: $f, first: 40, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { createdAt community { id } category { code } history { type } assignments { completedAt } } }
  }
}
"""


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)))
def test_the_last_full_quarter_ends_before_now_on_any_date(now: datetime) -> None:
    year, quarter = last_full_quarter(now)
    start, end = quarter_start(year, quarter), quarter_start(year, quarter + 1)
    assert start < end <= now < quarter_start(year, quarter + 2)
    assert quarter_of(start) == (year, quarter) and quarter_of(end - timedelta(seconds=1)) == (year, quarter)
    assert timedelta(days=89) < end - start < timedelta(days=93)


def test_words_are_what_several_texts_share() -> None:
    texts = ["楼上装修噪音太大，晚上十点还在砸墙", "装修噪音扰民，天天砸墙", "隔壁装修，噪音", "路灯坏了"]
    found = recurring(texts)
    assert [w.word for w in found] == ["噪音", "装修", "砸墙"] and [w.needs for w in found] == [3, 3, 2]
    # Each with the clause of the first text that says it.
    assert [(w.example, w.example_index) for w in found] == [
        ("楼上装修噪音太大", 0),
        ("楼上装修噪音太大", 0),
        ("晚上十点还在砸墙", 0),
    ]


@pytest.mark.demo(NOW)
async def test_classes_count_as_the_needs_list_does(graph: Graph, graphql_client) -> None:
    quarter = "2026-Q3"
    found = (await graphql_client(CLASSES, {"place": "district:610103", "quarter": quarter}))["data"]["needClasses"]
    assert found, "the demo has needs in 2026-Q3"
    growth = [c["count"] - c["previousCount"] for c in found]
    assert growth == sorted(growth, reverse=True)  # the fastest-growing first
    windows = {
        "count": ("2026-06-30T16:00:00Z", "2026-09-30T16:00:00Z"),  # Q3 in Beijing time
        "previousCount": ("2026-03-31T16:00:00Z", "2026-06-30T16:00:00Z"),
        "yearAgoCount": ("2025-06-30T16:00:00Z", "2025-09-30T16:00:00Z"),
    }
    for cls in found[:3]:
        assert cls["quarter"] == quarter
        for field, (after, before) in windows.items():
            f = {
                "placeId": cls["community"]["id"],
                "category": [cls["category"]["code"]],
                "createdAfter": after,
                "createdBefore": before,
            }
            listed = (await graphql_client(COUNT, {"f": f}))["data"]["needs"]["totalCount"]
            assert cls[field] == listed, (cls, field)


async def _needs(client, place: str, after: str, before: str) -> list[dict]:
    found, cursor = [], None
    while True:
        f = {"placeId": place, "createdAfter": after, "createdBefore": before}
        page = (await client(NEEDS, {"f": f, "after": cursor}, token=token("DISTRICT_ADMIN", place)))["data"]["needs"]
        found += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        cursor = page["pageInfo"]["endCursor"]


def _hours_to_complete(need: dict) -> float | None:
    done = [a["completedAt"] for a in need["assignments"] if a["completedAt"]]
    if not done:
        return None
    return (datetime.fromisoformat(min(done)) - datetime.fromisoformat(need["createdAt"])).total_seconds() / 3600


@pytest.mark.demo(NOW)
async def test_how_each_class_went_is_worked_out_from_its_needs(graph: Graph, graphql_client) -> None:
    """escalatedShare, reopenedShare and medianHoursToComplete of every class, against its needs' trails,
    in the last full quarter and in the current one (where the demo's escalated and reopened needs are)."""
    place = "district:610103"
    quarters = {
        "2026-Q3": ("2026-06-30T16:00:00Z", "2026-09-30T16:00:00Z"),
        "2026-Q4": ("2026-09-30T16:00:00Z", "2026-12-31T16:00:00Z"),
    }
    seen = []
    for quarter, (after, before) in quarters.items():
        found = (await graphql_client(CLASSES, {"place": place, "quarter": quarter}))["data"]["needClasses"]
        by_class: dict[tuple[str, str], list[dict]] = {}
        for need in await _needs(graphql_client, place, after, before):
            by_class.setdefault((need["community"]["id"], need["category"]["code"]), []).append(need)
        assert len(found) == len(by_class), quarter
        for cls in found:
            mine = by_class[(cls["community"]["id"], cls["category"]["code"])]
            trails = [{event["type"] for event in need["history"]} for need in mine]
            hours = [h for h in map(_hours_to_complete, mine) if h is not None]
            assert cls["count"] == len(mine), cls
            assert cls["escalatedShare"] == round(sum("ESCALATE" in t for t in trails) / len(mine), 4), cls
            assert cls["reopenedShare"] == round(sum("REOPEN" in t for t in trails) / len(mine), 4), cls
            assert cls["medianHoursToComplete"] == (round(statistics.median(hours), 2) if hours else None), cls
        seen += found
    # Not a check of zeros: the classes hold escalated, reopened and completed needs.
    assert any(c["escalatedShare"] for c in seen) and any(c["reopenedShare"] for c in seen)
    assert any(c["medianHoursToComplete"] for c in seen)


async def test_bad_quarters_are_refused(graph: Graph, graphql_client) -> None:
    body = await graphql_client(CLASSES, {"place": "district:610103", "quarter": "2026-Q5"}, expect_errors=True)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "quarter", "fields": ["quarter"]}
    body = await graphql_client(CLASSES, {"place": "need:x", "quarter": "2026-Q3"}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
