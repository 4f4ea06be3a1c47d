"""The quarter review's classes of needs: counts as the needs list counts them, the quarters right on
any date, and the words that recur."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from graph.kernel.db import Graph
from matching.review import recurring_words
from resolvers.review.classes import last_full_quarter, quarter_of, quarter_start
from seeds.loader import load_preset

NOW = datetime(2026, 11, 29, tzinfo=UTC)
CLASSES = """
query($place: ID!, $quarter: String, $minCount: Int = 1) {
  needClasses(placeId: $place, quarter: $quarter, minCount: $minCount, first: 100) {
    community { id } category { code } quarter count previousCount yearAgoCount change yearChange
    escalatedShare reopenedShare medianHoursToComplete words
  }
}
"""
COUNT = "query($f: NeedFilter) { needs(filter: $f, first: 0) { totalCount } }"


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)))
def test_the_last_full_quarter_ends_before_now_on_any_date(now: datetime) -> None:
    year, quarter = last_full_quarter(now)
    start, end = quarter_start(year, quarter), quarter_start(year, quarter + 1)
    assert start < end <= now < quarter_start(year, quarter + 2)
    assert quarter_of(start) == (year, quarter) and quarter_of(end - timedelta(seconds=1)) == (year, quarter)
    assert timedelta(days=89) < end - start < timedelta(days=93)


def test_words_are_what_several_texts_share() -> None:
    texts = ["楼上装修噪音太大，晚上十点还在砸墙", "装修噪音扰民，天天砸墙", "隔壁装修，噪音", "路灯坏了"]
    words = recurring_words(texts)
    assert words[:2] == ["噪音", "装修"] and "砸墙" in words and "路灯" not in words


async def test_classes_count_as_the_needs_list_does(graph: Graph, graphql_client) -> None:
    await load_preset(graph, "demo", now=NOW)
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
        for share in ("escalatedShare", "reopenedShare"):
            assert cls[share] is None or 0 <= cls[share] <= 1


async def test_bad_quarters_are_refused(graph: Graph, graphql_client) -> None:
    body = await graphql_client(CLASSES, {"place": "district:610103", "quarter": "2026-Q5"}, expect_errors=True)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "quarter", "fields": ["quarter"]}
    body = await graphql_client(CLASSES, {"place": "need:x", "quarter": "2026-Q3"}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
