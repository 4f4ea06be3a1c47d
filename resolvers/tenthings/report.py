"""`practicalMatterReport`: the year's ten practical things rolled up for the city, a district, a street or
a community — matters collected, decided (selected at a joint meeting), completed, the share solved, the
units involved, the residents behind them and their satisfaction — with one row per place one level down.

Comparable with the document's campaign: "collected 14,000+ small matters residents worry about … pulled
in resident units to solve over 98 %" (`REFERENCE`): `collected` is the first figure, `solvedShare`
(completed of collected) the second. Counts are public facts, as `stats`: no token needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from graph.kernel.errors import NotFound
from graph.kernel.ids import label_of
from graph.tenthings import matters as mt
from graph.tenthings.kinds import SATISFIED
from matching.time_windows import XIAN_TZ
from resolvers.kernel.context import Context
from resolvers.kernel.validation import Form, id_of, validate

# The document's figures (the city's campaign): matters collected, and the share of them solved.
REFERENCE_COLLECTED = 14_000
REFERENCE_SOLVED_SHARE = 0.98


@dataclass(frozen=True, slots=True)
class MatterFigures:
    """One place's practical matters of the year."""

    place_id: str | None
    collected: int  # candidate matters raised
    decided: int  # selected at a joint meeting
    completed: int
    solved_share: float | None  # completed of collected: the document's 98 %
    completed_share: float | None  # completed of decided
    needs: int  # the residents' needs behind them
    residents: int  # who raised those needs
    units: int  # units committed to them
    communities: int  # communities with matters
    ratings: int
    satisfaction: float | None  # share of ratings of 4 or 5


@dataclass(frozen=True, slots=True)
class MatterReport:
    place_id: str | None
    year: int
    total: MatterFigures
    parts: list[MatterFigures]  # one per place one level down with matters
    reference_collected: int
    reference_solved_share: float


class ReportQuery(Form):
    place_id: Annotated[str, id_of("District", "Street", "Community")] | None = None
    year: int | None = Field(default=None, ge=2000, le=2100)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _figures(row: mt.RollupRow) -> MatterFigures:
    return MatterFigures(
        place_id=row.place_id,
        collected=row.collected,
        decided=row.decided,
        completed=row.completed,
        solved_share=_ratio(row.completed, row.collected),
        completed_share=_ratio(row.completed, row.decided),
        needs=row.needs,
        residents=row.residents,
        units=row.units,
        communities=row.communities,
        ratings=row.ratings,
        satisfaction=_ratio(row.satisfied, row.ratings),
    )


async def practical_matter_report(ctx: Context, place_id: str | None, year: int | None) -> MatterReport:
    """The place's figures (the city's without one) for `year`, by default this year (Beijing time)."""
    form = validate(ReportQuery, {"place_id": place_id, "year": year})
    label = label_of(form.place_id) if form.place_id else None
    year = form.year if form.year is not None else ctx.now.astimezone(XIAN_TZ).year
    rows = await mt.rollup(ctx.graph, label, form.place_id, year, SATISFIED)
    if not rows[0].found:
        raise NotFound(f"no {str(label).lower()} with id {form.place_id!r}", field="placeId", id=form.place_id)
    total, *parts = (_figures(row) for row in rows)
    return MatterReport(form.place_id, year, total, parts, REFERENCE_COLLECTED, REFERENCE_SOLVED_SHARE)
