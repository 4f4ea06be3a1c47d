"""`stats` and `recurringNeeds`: the three rates of the hotline rules and the quarterly review.

Counts are public facts (issue 3 §1), so these reads need no token. Definitions: docs/STATS.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.kernel.errors import BadUserInput, NotFound
from graph.kernel.ids import label_of
from graph.kernel.records import from_row
from graph.review import stats
from resolvers.kernel.context import Context
from resolvers.kernel.validation import aware

QUARTER = timedelta(days=91)
MAX_RECURRING = 100


@dataclass(frozen=True, slots=True)
class Stats:
    scope_id: str
    start: datetime | None
    end: datetime | None
    received: int
    dispatched: int
    response_due: int
    responded_on_time: int
    response_rate: float | None
    completion_due: int
    completed_on_time: int
    completion_rate: float | None
    ratings: int
    satisfied_ratings: int
    satisfaction_rate: float | None
    average_rating: float | None
    handling_ratings: int
    average_handling_rating: float | None
    average_hours_to_accept: float | None
    average_hours_to_complete: float | None
    overdue_count: int


@dataclass(frozen=True, slots=True)
class RecurringNeed:
    place_id: str
    place_name: str
    category_code: str
    category_name: str
    count: int
    previous_count: int

    @property
    def change(self) -> float | None:
        """count / previousCount: 2.0 means it doubled; null when it did not occur before."""
        return round(self.count / self.previous_count, 3) if self.previous_count else None


def ratio(part: float, whole: float) -> float | None:
    """part / whole rounded to 4 places; None (not 0) when there is nothing to measure."""
    return round(part / whole, 4) if whole else None


def _utc(value: datetime | None) -> datetime | None:
    return aware(value).astimezone(UTC) if value is not None else None


def _period(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    start, end = _utc(start), _utc(end)
    if start and end and end <= start:
        raise BadUserInput("`to` must be after `from`", field="to")
    return start, end


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def figures_to_stats(scope_id: str, start: datetime | None, end: datetime | None, row: dict[str, Any]) -> Stats:
    """Turns the statement's sums into rates and averages (pure)."""
    return Stats(
        scope_id=scope_id,
        start=start,
        end=end,
        received=row["received"],
        dispatched=row["dispatched"],
        response_due=row["responseDue"],
        responded_on_time=row["respondedOnTime"],
        response_rate=ratio(row["respondedOnTime"], row["responseDue"]),
        completion_due=row["completionDue"],
        completed_on_time=row["completedOnTime"],
        completion_rate=ratio(row["completedOnTime"], row["completionDue"]),
        ratings=row["ratings"],
        satisfied_ratings=row["satisfiedRatings"],
        satisfaction_rate=ratio(row["satisfiedRatings"], row["ratings"]),
        average_rating=ratio(row["ratingSum"], row["ratings"]),
        handling_ratings=row["handlingRatings"],
        average_handling_rating=ratio(row["handlingRatingSum"], row["handlingRatings"]),
        average_hours_to_accept=_hours(row["acceptHours"], row["acceptCount"]),
        average_hours_to_complete=_hours(row["completeHours"], row["completeCount"]),
        overdue_count=row["overdueCount"],
    )


def _hours(total: float, count: int) -> float | None:
    return round(total / count, 2) if count else None


def no_place(label: str, place_id: str, field: str) -> NotFound:
    return NotFound(f"no {label.lower()} with id {place_id!r}", field=field)


async def require_place(ctx: Context, label: str, place_id: str, field: str) -> None:
    """NOT_FOUND naming the place when no `label` has that id (one statement)."""
    if not await stats.place_exists(ctx.graph, label, place_id):
        raise no_place(label, place_id, field)


async def scope_stats(
    ctx: Context, scope_id: str, start: datetime | None, end: datetime | None, now: datetime | None = None
) -> Stats:
    """The figures for one community, street, district, unit or member over [from, to)."""
    label = label_of(scope_id, expected=stats.SCOPE_LABELS, field="scopeId")
    start, end = _period(start, end)
    clock = (now or ctx.now).astimezone(UTC)
    row = await stats.scope_figures(ctx.graph, label, scope_id, _iso(start), _iso(end), clock.isoformat())
    if row is None:
        raise no_place(label, scope_id, "scopeId")
    return figures_to_stats(scope_id, start, end, row)


async def recurring_needs(
    ctx: Context,
    scope_id: str,
    start: datetime | None,
    end: datetime | None,
    min_count: int = 2,
    first: int = 20,
) -> list[RecurringNeed]:
    """Which categories keep coming back in which communities, against the period just before.

    Defaults to the last 91 days (a quarter) before `to` (now when left out).
    """
    label = label_of(scope_id, expected=("District", "Street", "Community"), field="scopeId")
    if not 1 <= first <= MAX_RECURRING:
        raise BadUserInput(f"first must be from 1 to {MAX_RECURRING}", field="first")
    if min_count < 1:
        raise BadUserInput("minCount must be at least 1", field="minCount")
    start, end = _period(start, end)
    end = end or ctx.now  # the request's clock, so a pinned `now` holds here too
    start = start or end - QUARTER
    if end <= start:
        raise BadUserInput("`to` must be after `from`", field="to")
    previous = start - (end - start)
    await require_place(ctx, label, scope_id, "scopeId")
    rows = await stats.recurring(
        ctx.graph, label, scope_id, start.isoformat(), end.isoformat(), previous.isoformat(), min_count, first
    )
    return [from_row(RecurringNeed, row) for row in rows]
