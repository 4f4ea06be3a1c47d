"""The review: the three rates of the hotline rules (`stats`) and what keeps coming back (`recurringNeeds`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.review import stats
from schema.relay import record_type

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


@strawberry.type
class ReviewQuery:
    @strawberry.field(
        description="Response, completion and satisfaction rates and more for a community, street, district, "
        "unit or member over [from, to) (both optional); see docs/STATS.md."
    )
    async def stats(
        self,
        info: Info,
        scope_id: strawberry.ID,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> Stats:
        return await stats.scope_stats(info.context, str(scope_id), from_, to)

    @strawberry.field(
        description="Which categories keep coming back in which communities of a place, against the period "
        "of equal length before (default: the last 91 days)."
    )
    async def recurring_needs(
        self,
        info: Info,
        scope_id: strawberry.ID,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        min_count: int = 2,
        first: int = 20,
    ) -> list[RecurringNeed]:
        return await stats.recurring_needs(info.context, str(scope_id), from_, to, min_count, first)
