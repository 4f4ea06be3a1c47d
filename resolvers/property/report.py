"""`propertyFirmReport`: the firms of a district over a period, worst satisfaction first, and which fall
below the satisfaction threshold (the document's 21 firms removed for low satisfaction).

Counts are public facts (issue 3 §1), as `stats`, so this read needs no token. A firm's figures are its
residents' ratings (the requesters' evaluations, docs/STATS.md) of the property needs counted against it:
raised in [from, to) at a compound it managed on that day. The threshold is a setting
(`MINHU_PROPERTY_SATISFACTION_THRESHOLD`, default `THRESHOLD`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.kernel.errors import BadUserInput, NotFound
from graph.property import firms
from matching.review.scorecards import SATISFACTION_THRESHOLD
from resolvers.kernel.context import Context
from resolvers.kernel.validation import aware, node_id

YEAR = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class FirmFigures:
    """One firm's figures over the period."""

    firm_id: str
    rank: int
    compounds: int
    needs: int
    ratings: int
    satisfied_ratings: int
    satisfaction_rate: float | None
    average_rating: float | None
    below_threshold: bool


@dataclass(frozen=True, slots=True)
class FirmReport:
    district_id: str
    start: datetime
    end: datetime
    threshold: float
    firms: list[FirmFigures]


def threshold(ctx: Context) -> float:
    # A context built outside the server (Open311's, the benchmarks') has no settings.
    return ctx.settings.minhu_property_satisfaction_threshold if ctx.settings is not None else SATISFACTION_THRESHOLD


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(rows: list[dict[str, Any]], bar: float) -> list[FirmFigures]:
    """The rows as figures, worst satisfaction first (unrated firms last, then by id), ranked from 1 (pure)."""
    made = [
        (
            row["firm"],
            row["compounds"],
            row["needs"],
            row["ratings"],
            row["satisfied"],
            _ratio(row["satisfied"], row["ratings"]),
            _ratio(row["ratingSum"], row["ratings"]),
        )
        for row in rows
    ]
    made.sort(key=lambda f: (f[5] is None, f[5] or 0.0, f[6] or 0.0, f[0]))
    return [
        FirmFigures(firm, rank, compounds, needs, ratings, satisfied, rate, average, rate is not None and rate < bar)
        for rank, (firm, compounds, needs, ratings, satisfied, rate, average) in enumerate(made, start=1)
    ]


async def property_firm_report(
    ctx: Context, district_id: str, start: datetime | None, end: datetime | None
) -> FirmReport:
    """The firms registered by the district over [from, to) (default: the year up to now)."""
    district = node_id(district_id, "District", field="districtId")
    stop = aware(end).astimezone(UTC) if end is not None else ctx.now.astimezone(UTC)
    begin = aware(start).astimezone(UTC) if start is not None else stop - YEAR
    if stop <= begin:
        raise BadUserInput("`to` must be after `from`", field="to")
    bar = threshold(ctx)
    rows = await firms.report_rows(ctx.graph, district, begin, stop)
    if rows is None:
        raise NotFound(f"no district with id {district!r}", field="districtId", id=district)
    return FirmReport(district, begin, stop, bar, figures(rows, bar))
