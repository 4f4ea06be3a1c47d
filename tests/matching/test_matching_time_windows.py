"""Weekly hours against concrete windows, and place tiers. Pure: no Neo4j."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.models import Place
from matching.place import Tier, distance_km, place_fit, shared_tier
from matching.time_windows import (
    availability_fit,
    first_free,
    has_overlap,
    is_open,
    overlap_seconds,
    parse_slot,
    weekly_intervals,
)

TUE_19 = datetime(2026, 5, 12, 19, 0)  # Tuesday
TUE_21 = datetime(2026, 5, 12, 21, 0)


@pytest.mark.parametrize("bad", ["8 08:00-12:00", "6 8-12", "6 25:00-26:00", "6 08:60-09:00", "6 24:30-01:00", ""])
def test_parse_slot_rejects_bad_strings(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_slot(bad)


def test_is_open_for_whole_window_only() -> None:
    assert is_open(["2 18:00-22:00"], TUE_19, TUE_21)
    assert not is_open(["2 18:00-20:00"], TUE_19, TUE_21)
    assert is_open(["2 18:00-20:00", "2 20:00-22:00"], TUE_19, TUE_21)  # adjacent slots join
    assert not is_open(["3 18:00-22:00"], TUE_19, TUE_21)
    assert not is_open([], TUE_19, TUE_21)
    assert is_open(["1 00:00-24:00", "2 00:00-24:00"], datetime(2026, 5, 11, 22), datetime(2026, 5, 12, 2))


def test_slots_past_midnight_and_week_end() -> None:
    fri_night = ["5 22:00-02:00"]
    assert is_open(fri_night, datetime(2026, 5, 9, 1, 0), datetime(2026, 5, 9, 1, 30))  # Saturday 01:00
    sun_night = ["7 23:00-01:00"]
    assert is_open(sun_night, datetime(2026, 5, 10, 23, 30), datetime(2026, 5, 11, 0, 30))  # Sunday → Monday
    assert weekly_intervals(("7 23:00-01:00",)) == ((0, 3600), (6 * 86_400 + 23 * 3600, 7 * 86_400))


def test_aware_datetimes_are_converted_to_xian_time() -> None:
    start = datetime(2026, 5, 12, 11, 0, tzinfo=UTC)  # Tuesday 19:00 in Xi'an
    assert is_open(["2 18:00-22:00"], start, start + timedelta(hours=2))


def test_availability_fit_needs_a_service_length_not_the_whole_window() -> None:
    week = (datetime(2026, 5, 11), datetime(2026, 5, 18))
    assert availability_fit(["6 08:00-10:00"], *week) == 1.0
    assert availability_fit(["6 08:00-09:00"], *week) == 0.5
    assert availability_fit(["6 08:00-12:00"], datetime(2026, 5, 9, 11), datetime(2026, 5, 9, 13)) == 0.5
    assert availability_fit([], None, None) == 0.5  # anytime need, hours unknown
    assert availability_fit(["1 08:00-09:00"], None, None) == 1.0


def test_first_free_moment() -> None:
    assert first_free(["6 08:00-12:00"], datetime(2026, 5, 9, 9), datetime(2026, 5, 9, 18)) == (6, 9 * 3600)
    assert first_free(["3 19:00-21:00", "1 07:00-08:00"], None, None) == (1, 7 * 3600)
    assert first_free(["3 19:00-21:00"], TUE_19, TUE_21) is None


hours_strategy = st.lists(
    st.builds(
        lambda d, s, length: (
            f"{d} {s // 60:02d}:{s % 60:02d}-{((s + length) % 1440) // 60:02d}:{(s + length) % 60:02d}"
        ),
        st.integers(1, 7),
        st.integers(0, 1439),
        st.integers(1, 600),
    ),
    max_size=6,
)


@given(
    hours=hours_strategy,
    start_minute=st.integers(0, 14 * 1440),
    length_minutes=st.integers(1, 10 * 1440),
)
def test_overlap_is_bounded_and_consistent_with_is_open(
    hours: list[str], start_minute: int, length_minutes: int
) -> None:
    start = datetime(2026, 5, 11) + timedelta(minutes=start_minute)
    end = start + timedelta(minutes=length_minutes)
    overlap = overlap_seconds(hours, start, end)
    assert 0 <= overlap <= length_minutes * 60
    assert is_open(hours, start, end) == (overlap == length_minutes * 60)
    assert has_overlap(hours, start, end) == (overlap > 0)
    assert (first_free(hours, start, end) is None) == (overlap == 0)


def test_place_tiers_and_distance() -> None:
    a = Place("compound:1", "community:1", "street:1", "district:1", 34.25, 108.94)
    assert shared_tier(a, a) == Tier.COMPOUND
    assert shared_tier(a, Place(None, "community:1", "street:1", "district:1")) == Tier.COMMUNITY
    assert shared_tier(a, Place(None, "community:2", "street:1", "district:1")) == Tier.STREET
    assert shared_tier(a, Place(None, None, None, "district:1")) == Tier.DISTRICT
    assert shared_tier(a, Place()) == Tier.NONE
    assert shared_tier(Place(), Place()) == Tier.NONE  # unknown ids never match
    km = distance_km(a, Place(latitude=34.25, longitude=108.95))
    assert km is not None and 0.9 < km < 0.95
    near = place_fit(a, Place(None, "community:1", "street:1", "district:1", 34.251, 108.941))
    far = place_fit(a, Place(None, "community:1", "street:1", "district:1", 34.30, 109.00))
    assert (
        near.value > far.value > place_fit(a, Place(None, "community:9", "street:1", "district:1", 34.30, 109.0)).value
    )


from datetime import timedelta as _weeks  # noqa: E402

from hypothesis import given as _given  # noqa: E402
from hypothesis import strategies as _st  # noqa: E402

from matching.time_windows import open_seconds  # noqa: E402


@_given(
    start=_st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=_st.just(UTC)),
    weeks=_st.integers(0, 60),
    extra_hours=_st.integers(0, 167),
)
def test_open_seconds_counts_every_week_of_any_period(start: datetime, weeks: int, extra_hours: int) -> None:
    hours = ["2 18:00-21:00", "6 09:00-12:00"]  # 6 h a week
    whole = open_seconds(hours, start, start + _weeks(weeks=weeks))
    assert whole == weeks * 6 * 3600
    longer = open_seconds(hours, start, start + _weeks(weeks=weeks, hours=extra_hours))
    assert whole <= longer <= whole + 6 * 3600
