"""Raw facts about a candidate turned into factor values in 0–1 (higher is better).

Each function is small and pure so the graph layer, scoring and tests share one definition.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime

from matching import weights
from matching.models import SkillRef
from matching.time_windows import to_local


def clamp(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def serving_skills(skills: Iterable[SkillRef], category_code: str) -> tuple[SkillRef, ...]:
    """The skills that SERVE the category (empty: no skill fit), by code: the graph returns a member's
    skills in its store's order, and a reason must name them the same way on every store."""
    return tuple(sorted((s for s in skills if category_code in s.serves), key=lambda s: s.code))


def specialisation(category_counts: Iterable[int]) -> float:
    """Best fit among skills/offerings serving the category: 1 for a specialist (serves one category),
    down toward GENERALIST_FLOOR for one that serves many; 0 if none serves it."""
    best = 0.0
    floor = weights.GENERALIST_FLOOR
    for n in category_counts:
        best = max(best, floor + (1 - floor) / max(n, 1))
    return best


def headroom(limit: int, open_load: int) -> int:
    """Assignments still allowed: a member's maxLoad − openLoad, an offering's capacity − openLoad."""
    return max(0, limit - open_load)


def headroom_ratio(limit: int, open_load: int) -> float:
    """Share of the limit still free; 0 when no limit is set."""
    if limit <= 0:
        return 0.0
    return headroom(limit, open_load) / limit


def mean_rating(rating_sum: int, rating_count: int) -> float | None:
    """The plain average (1–5) shown to people, None without ratings."""
    return rating_sum / rating_count if rating_count > 0 else None


def rating_prior(rating_sum: int, rating_count: int) -> float:
    """The mean rating (1–5) of a community's members, pulled toward the city-wide prior when it has few."""
    k, m = weights.COMMUNITY_PRIOR_COUNT, weights.RATING_PRIOR_MEAN
    return (rating_sum + k * m) / (max(rating_count, 0) + k)


def bayesian_rating(rating_sum: int, rating_count: int, prior: float | None = None) -> float:
    """The ratings plus RATING_PRIOR_COUNT virtual ratings at `prior` (1–5; the city-wide mean by default)."""
    m = weights.RATING_PRIOR_MEAN if prior is None else prior
    k = weights.RATING_PRIOR_COUNT
    return (rating_sum + k * m) / (max(rating_count, 0) + k)


def satisfaction(rating_sum: int, rating_count: int, prior: float | None = None) -> float:
    """The Bayesian average rating mapped to 0–1: few ratings pull toward the prior."""
    return clamp((bayesian_rating(rating_sum, rating_count, prior) - 1.0) / 4.0)


def completion_rate(completed: int, finished: int) -> float:
    """Completed share of finished assignments (open ones excluded), with a prior for newcomers."""
    k, r = weights.COMPLETION_PRIOR_COUNT, weights.COMPLETION_PRIOR_RATE
    finished = max(finished, completed, 0)
    return clamp((completed + k * r) / (finished + k))


def fairness(last_served_at: datetime | None, assigned_count: int, now: datetime) -> float:
    """1 for someone never or long ago served with few assignments; lower for the busy few."""
    if last_served_at is None:
        recency = 1.0
    else:
        days = (to_local(now) - to_local(last_served_at)).total_seconds() / 86_400
        recency = 1.0 - math.exp(-max(days, 0.0) / weights.FAIRNESS_RECENCY_DAYS)
    volume = 1.0 / (1.0 + max(assigned_count, 0) / weights.FAIRNESS_VOLUME_HALF)
    share = weights.FAIRNESS_RECENCY_SHARE
    return clamp(share * recency + (1 - share) * volume)


def text_relevance(text_score: float) -> float:
    """Unbounded full-text score → 0–1, independent of the other candidates."""
    s = max(text_score, 0.0)
    return s / (s + weights.TEXT_SCORE_HALF)


def capacity_fit(attendees: int, capacity: int) -> float:
    """How well a room fits the group: attendees/capacity (a snug room is best); 1 if no group size."""
    if attendees <= 0:
        return 1.0
    if capacity <= 0:
        return 0.0
    return clamp(attendees / capacity)


def facilities_fit(required: frozenset[str], present: frozenset[str]) -> float:
    """Share of required facilities present; with none required, equipment up to FACILITIES_FULL."""
    if required:
        return len(required & present) / len(required)
    return clamp(len(present) / weights.FACILITIES_FULL)


def window_fee(fee_per_hour: int, seconds: int | None) -> int:
    """Fee in fen for the window (one hour for an open window), rounded up to a fen."""
    hours_seconds = 3600 if seconds is None else seconds
    return -(-fee_per_hour * hours_seconds // 3600)


def fee_value(fee_fen: int) -> float:
    """1 for free, 0.5 at FEE_HALF_FEN."""
    return 1.0 / (1.0 + max(fee_fen, 0) / weights.FEE_HALF_FEN)


def budget_left(budget: int, spent: int) -> int:
    return max(0, budget - spent)


def fundable(budget: int, spent: int, cap_per_grant: int | None, requested: int | None) -> int:
    """Fen one grant can give: budget left, capped per grant and by the request."""
    amount = budget_left(budget, spent)
    if cap_per_grant is not None:
        amount = min(amount, max(cap_per_grant, 0))
    if requested is not None:
        amount = min(amount, max(requested, 0))
    return amount


def coverage(fundable_fen: int, requested: int | None) -> float:
    """Share of the request one grant covers; 1 when nothing specific was requested and money exists."""
    if requested is None or requested <= 0:
        return 1.0 if fundable_fen > 0 else 0.0
    return clamp(fundable_fen / requested)


def period_value(period_end: date | None, today: date) -> float:
    """1 with PERIOD_COMFORT_DAYS or more left (or no end), falling linearly to 0 at the end."""
    if period_end is None:
        return 1.0
    return clamp((period_end - today).days / weights.PERIOD_COMFORT_DAYS)


def in_period(period_start: date | None, period_end: date | None, day: date) -> bool:
    return (period_start is None or period_start <= day) and (period_end is None or day <= period_end)
