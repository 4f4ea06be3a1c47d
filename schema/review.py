"""The review: the three rates of the hotline rules (`stats`), what keeps coming back (`recurringNeeds`),
the property firms' figures (`propertyFirmReport`) and the year's ten practical things rolled up
(`practicalMatterReport`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers.kernel import read
from resolvers.property import report
from resolvers.review import classes, stats
from resolvers.tenthings import report as matters
from schema.needs import Category
from schema.places import Community
from schema.relay import in_nodes, lookup, record_type

Stats = record_type(
    stats.Stats,
    "Stats",
    "Figures for a place, unit or member over [from, to); see docs/STATS.md.",
    scope_id=(strawberry.ID, strawberry.field()),
    start=strawberry.field(name="from"),
    end=strawberry.field(name="to"),
)
RecurringNeed = record_type(
    stats.RecurringNeed,
    "RecurringNeed",
    "How often one category came up in one community, now and in the period before.",
    place_id=(strawberry.ID, strawberry.field()),
    change=(float | None, strawberry.field(description="count / previousCount; null when new this period.")),
)

RecurringWord = record_type(
    classes.RecurringWord,
    "RecurringWord",
    "A word a class's needs keep using (a whole word, as the segmenter cuts it), with where it was said.",
    word=strawberry.field(description="The word, e.g. 装修."),
    needs=strawberry.field(description="How many of the class's needs in the quarter use it."),
    example=strawberry.field(description="The clause of the newest of them in which it stands."),
    example_need_id=(strawberry.ID, strawberry.field(description="That need.")),
)


# A view of resolvers/review/classes.NeedClass: the resolver returns the record itself, its fields and
# properties are read by name, and `self` in a field's method is that record.
@strawberry.type(
    description="A class of needs (一类事): one category in one community over a quarter, and how it went."
)
class NeedClass:
    quarter: str = strawberry.field(description="The quarter, e.g. 2026-Q3 (Beijing time).")
    count: int = strawberry.field(description="Needs of the class raised in the quarter.")
    previous_count: int = strawberry.field(description="The same in the quarter before.")
    year_ago_count: int = strawberry.field(description="The same in the same quarter a year before.")
    change: float | None = strawberry.field(
        description="count / previousCount (2.0: doubled); null when there were none before."
    )
    year_change: float | None = strawberry.field(
        description="count / yearAgoCount; null when there were none a year before."
    )
    escalated_share: float | None = strawberry.field(
        description="Share of the quarter's needs that were escalated (0…1)."
    )
    reopened_share: float | None = strawberry.field(
        description="Share of the quarter's needs that were reopened after completion (0…1)."
    )
    median_hours_to_complete: float | None = strawberry.field(
        description="Median hours from raising to completion, of those completed; null if none."
    )
    words: list[str] = strawberry.field(
        description="Words that recur in the class's texts, the most widespread first (recurringWords' words)."
    )
    recurring_words: list[RecurringWord] = strawberry.field(
        description="The words that recur in the class's texts, each with how many needs use it and an example."
    )

    community = lookup(read.by_id, "Community", "community_id", Community | None, "The community.")

    category = lookup(read.by_code, "Category", "category_code", Category | None, "The category.")


# The arguments every quarter-review field takes.
PlaceArgument = Annotated[strawberry.ID, strawberry.argument(description="A district, street or community.")]
QuarterArgument = Annotated[
    str | None, strawberry.argument(description="e.g. 2026-Q3 (default: the last full quarter).")
]
MinCount = Annotated[int, strawberry.argument(description="At least this many needs in the quarter.")]
# The start of a period [from, to): `from` is a Python keyword.
From = Annotated[datetime | None, strawberry.argument(name="from")]


# --- property firms (issue 22 §5): their figures, worst satisfaction first -------------------------


async def _firm(self: Any, info: Info) -> Any:
    return await read.by_id(info.context, "PropertyFirm", self.firm_id)


@strawberry.type(
    name="PropertyFirmFigures",
    description="A property firm's figures over the report's period: the property needs counted against it "
    "(raised at a compound it managed that day) and its residents' satisfaction (the requesters' ratings, "
    "docs/STATS.md).",
)
class FirmFigures:
    firm_id: strawberry.ID
    rank: int = strawberry.field(description="1 for the lowest satisfaction rate; firms without ratings come last.")
    compounds: int = strawberry.field(description="How many compounds it manages now.")
    needs: int = strawberry.field(description="Property needs counted against it, raised in the period.")
    ratings: int
    satisfied_ratings: int
    satisfaction_rate: float | None
    average_rating: float | None
    below_threshold: bool = strawberry.field(
        description="Its satisfaction rate is below the report's threshold (a firm without ratings never is)."
    )

    firm = strawberry.field(resolver=in_nodes(_firm, "PropertyFirm | None"), description="The firm.")


FirmReport = record_type(
    report.FirmReport,
    "PropertyFirmReport",
    "The property firms a district registered, over [from, to), worst satisfaction first.",
    district_id=(strawberry.ID, strawberry.field()),
    start=strawberry.field(name="from"),
    end=strawberry.field(name="to"),
    threshold=strawberry.field(
        description="Firms below this satisfaction rate are flagged (MINHU_PROPERTY_SATISFACTION_THRESHOLD)."
    ),
    firms=(list[FirmFigures], strawberry.field()),
)

MatterFigures = record_type(
    matters.MatterFigures,
    "PracticalMatterFigures",
    "One place's practical matters (实事) of the year: collected, decided, completed, and who took part.",
    place_id=(strawberry.ID | None, strawberry.field(description="The place; null for the report's total.")),
    collected=strawberry.field(description="Candidate matters raised (the document counts 14,000+ city-wide)."),
    decided=strawberry.field(description="Selected at a joint meeting (党建联席会议): at most ten a community."),
    completed=strawberry.field(description="Completed, with evidence."),
    solved_share=strawberry.field(description="completed / collected: the document's share solved (98 %)."),
    completed_share=strawberry.field(description="completed / decided."),
    needs=strawberry.field(description="The residents' needs behind them."),
    residents=strawberry.field(description="The residents who raised those needs."),
    units=strawberry.field(description="Units committed to them (lead or supporting)."),
    communities=strawberry.field(description="Communities with matters."),
    ratings=strawberry.field(description="Residents' ratings of completed matters."),
    satisfaction=strawberry.field(description="The share of those ratings that are 4 or 5."),
)
MatterReport = record_type(
    matters.MatterReport,
    "PracticalMatterReport",
    "The year's ten practical things (一年10件实事) of the city, a district, a street or a community.",
    place_id=(strawberry.ID | None, strawberry.field(description="The place; null for the city.")),
    total=(MatterFigures, strawberry.field(description="The place's figures.")),
    parts=(
        list[MatterFigures],
        strawberry.field(description="One per place one level down with matters (the city's districts, …)."),
    ),
    reference_collected=strawberry.field(description="The document's matters collected city-wide: 14,000."),
    reference_solved_share=strawberry.field(description="The document's share of them solved: 0.98."),
)


@strawberry.type
class ReviewQuery:
    @strawberry.field(
        description="The quarter review: classes of needs (category × community) in a quarter at or below a "
        "place, against the quarter before and a year before, the fastest-growing first."
    )
    async def need_classes(
        self,
        info: Info,
        place_id: PlaceArgument,
        quarter: QuarterArgument = None,
        categories: Annotated[list[str] | None, strawberry.argument(description="Only these category codes.")] = None,
        min_count: MinCount = 2,
        first: Annotated[int, strawberry.argument(description="At most this many classes, 1…100.")] = 20,
    ) -> list[NeedClass]:
        args = {"place_id": str(place_id), "quarter": quarter, "categories": categories}
        return await classes.need_classes(info.context, {**args, "min_count": min_count, "first": first})

    @strawberry.field(
        description="Response, completion and satisfaction rates and more for a community, street, district, "
        "unit or member over [from, to) (both optional); see docs/STATS.md."
    )
    async def stats(self, info: Info, scope_id: strawberry.ID, from_: From = None, to: datetime | None = None) -> Stats:
        return await stats.scope_stats(info.context, str(scope_id), from_, to)

    @strawberry.field(
        description="Which categories keep coming back in which communities of a place, against the period "
        "of equal length before (default: the last 91 days)."
    )
    async def recurring_needs(
        self,
        info: Info,
        scope_id: strawberry.ID,
        from_: From = None,
        to: datetime | None = None,
        min_count: int = 2,
        first: int = 20,
    ) -> list[RecurringNeed]:
        return await stats.recurring_needs(info.context, str(scope_id), from_, to, min_count, first)

    @strawberry.field(
        description="The property firms of a district over [from, to) (default: the year up to now), worst "
        "satisfaction first, those below the satisfaction threshold flagged; the needs behind each figure are "
        "the firm's `needs`."
    )
    async def property_firm_report(
        self,
        info: Info,
        district_id: strawberry.ID,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> FirmReport:
        return await report.property_firm_report(info.context, str(district_id), from_, to)

    @strawberry.field(
        description="The year's ten practical things (一年10件实事) of the city (no placeId), a district, a street "
        "or a community: matters collected, decided, completed, the share solved, the units involved, the "
        "residents' satisfaction; one row per place one level down. Comparable with the document's 14,000 and 98 %."
    )
    async def practical_matter_report(
        self,
        info: Info,
        place_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="A district, street or community; none: the city.")
        ] = None,
        year: Annotated[int | None, strawberry.argument(description="Default: this year (Beijing time).")] = None,
    ) -> MatterReport:
        return await matters.practical_matter_report(info.context, str(place_id) if place_id else None, year)
