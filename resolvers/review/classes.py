"""The quarter review's classes of needs (一类事): what keeps coming back where, and how it went."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from graph.kernel.ids import label_of
from graph.review import classes as graph_classes
from matching.time_windows import XIAN_TZ
from matching.words import recurring
from resolvers.kernel.context import Context
from resolvers.kernel.validation import Form, id_of, validate
from resolvers.review.stats import ratio, require_place

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def _valid_quarter(value: str | None) -> str | None:
    if value is not None and not _QUARTER.match(value.strip()):
        raise ValueError(f"{value!r} is not a quarter; write it as 2026-Q3")
    return value.strip() if value else value


QuarterName = Annotated[str | None, AfterValidator(_valid_quarter)]


class ClassesQuery(Form):
    place_id: Annotated[str, id_of("District", "Street", "Community")]
    quarter: QuarterName = None
    categories: list[str] | None = Field(default=None, max_length=30)
    min_count: int = Field(default=2, ge=1)
    first: int = Field(default=20, ge=1, le=100)


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
class Quarter:
    """One calendar quarter in Beijing time: [start, end), and the quarter before from `previous_start`."""

    year: int
    number: int

    @property
    def name(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> datetime:
        return quarter_start(self.year, self.number)

    @property
    def end(self) -> datetime:
        return quarter_start(self.year, self.number + 1)

    @property
    def previous_start(self) -> datetime:
        return quarter_start(self.year, self.number - 1)


def quarter_named(name: str | None, now: datetime) -> Quarter:
    """`2026-Q3` (already validated), or the last full quarter before `now`."""
    if name:
        match = _QUARTER.match(name)
        assert match is not None
        return Quarter(int(match.group(1)), int(match.group(2)))
    return Quarter(*last_full_quarter(now))


class QuarterQuery(Form):
    place_id: Annotated[str, id_of("District", "Street", "Community")]
    quarter: QuarterName = None


async def place_quarter(ctx: Context, args: dict[str, Any]) -> tuple[str, Quarter]:
    """The place and quarter a quarter report is about, checked (the place must exist)."""
    form = validate(QuarterQuery, args)
    await require_place(ctx, label_of(form.place_id), form.place_id, "placeId")
    return form.place_id, quarter_named(form.quarter, ctx.now)


@dataclass(frozen=True)
class RecurringWord:
    word: str
    needs: int  # how many of the class's needs (of the quarter) use it
    example: str  # the clause of the newest need using it in which it stands
    example_need_id: str


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
    recurring_words: list[RecurringWord]

    @property
    def words(self) -> list[str]:
        return [w.word for w in self.recurring_words]

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
    quarter = quarter_named(form.quarter, ctx.now)
    year_ago = Quarter(quarter.year - 1, quarter.number)
    window = {
        "from": quarter.start.isoformat(),
        "to": quarter.end.isoformat(),
        "previousFrom": quarter.previous_start.isoformat(),
        "yearAgoFrom": year_ago.start.isoformat(),
        "yearAgoTo": year_ago.end.isoformat(),
    }
    rows = await graph_classes.classes(
        ctx.graph, label_of(form.place_id), form.place_id, window, form.categories, form.min_count
    )
    found = [_class(row, quarter.name) for row in rows]
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
        recurring_words=_words(row["texts"]),
    )


def _words(texts: list[dict[str, str]]) -> list[RecurringWord]:
    found = recurring([t["text"] for t in texts])
    return [RecurringWord(w.word, w.needs, w.example, texts[w.example_index]["id"]) for w in found]
