"""The quarter review's classes of needs (一类事): what keeps coming back where, and how it went."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field, field_validator

from graph.kernel.ids import label_of
from graph.review import classes as graph_classes
from matching.review import recurring_words
from matching.time_windows import XIAN_TZ
from resolvers.kernel.context import Context
from resolvers.kernel.validation import Form, id_of, validate
from resolvers.review.stats import ratio

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


class ClassesQuery(Form):
    place_id: Annotated[str, id_of("District", "Street", "Community")]
    quarter: str | None = None
    categories: list[str] | None = Field(default=None, max_length=30)
    min_count: int = Field(default=2, ge=1)
    first: int = Field(default=20, ge=1, le=100)

    @field_validator("quarter")
    @classmethod
    def _quarter(cls, value: str | None) -> str | None:
        if value is not None and not _QUARTER.match(value.strip()):
            raise ValueError(f"{value!r} is not a quarter; write it as 2026-Q3")
        return value.strip() if value else value


def quarter_start(year: int, quarter: int) -> datetime:
    """The quarter's first moment, Beijing time (the city's quarters), as a UTC instant."""
    year, quarter = year + (quarter - 1) // 4, (quarter - 1) % 4 + 1
    return datetime(year, 3 * quarter - 2, 1, tzinfo=XIAN_TZ).astimezone(UTC)


def quarter_of(moment: datetime) -> tuple[int, int]:
    local = moment.astimezone(XIAN_TZ)
    return local.year, (local.month - 1) // 3 + 1


def last_full_quarter(now: datetime) -> tuple[int, int]:
    year, quarter = quarter_of(now)
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


@dataclass(frozen=True)
class NeedClass:
    community_id: str
    category_code: str
    quarter: str
    count: int
    previous_count: int  # the quarter before
    year_ago_count: int  # the same quarter a year before
    escalated_share: float | None
    reopened_share: float | None
    median_hours_to_complete: float | None
    words: list[str]

    @property
    def change(self) -> float | None:
        return round(self.count / self.previous_count, 4) if self.previous_count else None

    @property
    def year_change(self) -> float | None:
        return round(self.count / self.year_ago_count, 4) if self.year_ago_count else None

    @property
    def growth(self) -> int:
        return self.count - self.previous_count


async def need_classes(ctx: Context, args: dict[str, Any]) -> list[NeedClass]:
    form = validate(ClassesQuery, args)
    if form.quarter:
        match = _QUARTER.match(form.quarter)
        assert match is not None
        year, quarter = int(match.group(1)), int(match.group(2))
    else:
        year, quarter = last_full_quarter(ctx.now)
    window = {
        "from": quarter_start(year, quarter).isoformat(),
        "to": quarter_start(year, quarter + 1).isoformat(),
        "previousFrom": quarter_start(year, quarter - 1).isoformat(),
        "yearAgoFrom": quarter_start(year - 1, quarter).isoformat(),
        "yearAgoTo": quarter_start(year - 1, quarter + 1).isoformat(),
    }
    rows = await graph_classes.classes(
        ctx.graph, label_of(form.place_id), form.place_id, window, form.categories, form.min_count
    )
    found = [_class(row, f"{year}-Q{quarter}") for row in rows]
    found.sort(key=lambda c: (-c.growth, -c.count, c.community_id, c.category_code))
    return found[: form.first]


def _class(row: dict[str, Any], quarter: str) -> NeedClass:
    seconds = [s for s in row["secondsToComplete"] if s is not None]
    return NeedClass(
        community_id=row["communityId"],
        category_code=row["categoryCode"],
        quarter=quarter,
        count=row["count"],
        previous_count=row["previousCount"],
        year_ago_count=row["yearAgoCount"],
        escalated_share=ratio(row["escalated"], row["count"]),
        reopened_share=ratio(row["reopened"], row["count"]),
        median_hours_to_complete=round(statistics.median(seconds) / 3600, 2) if seconds else None,
        words=recurring_words(row["texts"]),
    )
