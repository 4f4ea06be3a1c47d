"""The pure half of the scorecards (matching/review/scorecards.py): periods, weights, composite, ranking, flags."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from matching.review.scorecards import (
    WEIGHTS,
    Count,
    Figure,
    Flag,
    FlagRule,
    Period,
    Profile,
    Subject,
    composite,
    scorecards,
    weights_from,
)


def test_periods_are_beijing_quarters_months_and_years_with_the_one_before() -> None:
    q3 = Period.parse("2026-Q3")
    assert (q3.start, q3.end) == (datetime(2026, 6, 30, 16, tzinfo=UTC), datetime(2026, 9, 30, 16, tzinfo=UTC))
    assert q3.previous.name == "2026-Q2" and Period.parse("2026-Q1").previous.name == "2025-Q4"
    assert Period.parse("2026-01").previous.name == "2025-12" and Period.parse("2026-12").end.year == 2026
    assert Period.parse("2026").previous.name == "2025" and Period.parse(" 2026-07 ").name == "2026-07"
    for bad in ("2026-Q5", "2026-13", "Q3-2026", "", "2026-7"):
        with pytest.raises(ValueError, match="2026-Q3"):
            Period.parse(bad)


def test_the_declared_weights_put_satisfaction_first_and_the_street_at_sixty_percent() -> None:
    for profile, table in WEIGHTS.items():
        assert abs(sum(table.values()) - 1) < 1e-9, profile
    assert max(WEIGHTS[Profile.COMMUNITY], key=WEIGHTS[Profile.COMMUNITY].get) is Figure.SATISFACTION
    assert WEIGHTS[Profile.STATIONED_DEPARTMENT][Figure.STREET_RATING] == 0.6
    changed = weights_from('{"COMMUNITY": {"SATISFACTION": 0.7, "COMPLETION": 0.3}}')
    assert changed[Profile.COMMUNITY] == {Figure.SATISFACTION: 0.7, Figure.COMPLETION: 0.3}
    for bad in ('{"COMMUNITY": {"SATISFACTION": 0.7}}', '{"NOBODY": {}}', "[1]", "{"):
        with pytest.raises(ValueError):
            weights_from(bad)


def _subject(name: str, satisfied: int, rated: int, completed: int = 1, container: str | None = "d") -> Subject:
    counts = {Figure.SATISFACTION: Count(satisfied, rated), Figure.COMPLETION: Count(completed, 1)}
    return Subject(name, container, Profile.COMMUNITY, 1, counts)


def test_the_composite_needs_its_leading_figure_and_renormalises_over_the_rest() -> None:
    weights = WEIGHTS[Profile.COMMUNITY]
    assert composite({Figure.COMPLETION: Count(1, 1)}, weights) is None
    only = {Figure.SATISFACTION: Count(1, 2), Figure.COMPLETION: Count(1, 1)}
    assert composite(only, weights) == round((0.5 * 0.5 + 1.0 * 0.2) / 0.7, 4)
    assert Count(0, 2, rating_sum=10.0).rate == 1.0 and Count(0, 2, rating_sum=2.0).rate == 0.0


def test_ranking_flags_and_change_against_the_period_before() -> None:
    now = [_subject("a", 9, 10), _subject("b", 5, 10), _subject("c", 10, 10), _subject("d", 0, 0),
           _subject("e", 7, 10, container="other")]  # fmt: skip
    before = [_subject("a", 10, 10), _subject("b", 9, 10), _subject("c", 1, 10)]
    cards = {c.subject_id: c for c in scorecards(now, before, WEIGHTS, FlagRule(bottom=2, threshold=0.8))}
    assert [cards[k].rank for k in "cbade"] == [1, 3, 2, None, 1]
    assert cards["d"].flags == (Flag.NO_DATA,)
    assert cards["b"].flags == (Flag.LOWEST_SATISFACTION, Flag.BELOW_SATISFACTION_THRESHOLD)
    assert cards["a"].flags == (Flag.LOWEST_SATISFACTION,) and cards["c"].flags == ()
    # Alone in its ranking, "e" is tied with the best: never "lowest", though below the threshold.
    assert cards["e"].flags == (Flag.BELOW_SATISFACTION_THRESHOLD,)
    assert cards["c"].rank_change == 2 and cards["a"].rank_change == -1 and cards["e"].rank_change is None
    assert cards["c"].composite_change is not None and cards["c"].composite_change > 0


def test_the_default_period_is_the_last_full_quarter_in_beijing_time() -> None:
    assert Period.quarter_before(datetime(2026, 11, 29, tzinfo=UTC)).name == "2026-Q3"
    # 1 October 00:30 in Beijing is still 30 September in UTC: Q3 is over already.
    assert Period.quarter_before(datetime(2026, 9, 30, 16, 30, tzinfo=UTC)).name == "2026-Q3"
    assert Period.quarter_before(datetime(2026, 2, 1, tzinfo=UTC)).name == "2025-Q4"
