"""A place's quarter report in one answer: what the review, the projects and venue use say of it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.explore import venues as venue_use
from resolvers.kernel import read
from resolvers.review import classes, stats
from resolvers.review.classes import Quarter
from schema.explore import VenueReport
from schema.funding import Project
from schema.relay import After, Before, Connection, First, Last, Node
from schema.review import MinCount, NeedClass, PlaceArgument, QuarterArgument, Stats


@strawberry.type(
    description="A district's (street's, community's) quarter in one answer: its rates against the quarter "
    "before, its classes of needs (一类事), the projects at work there and what they changed, its venues' use."
)
class QuarterReport:
    place_id: strawberry.ID = strawberry.field(description="The place reported on.")
    period: strawberry.Private[Quarter]

    @strawberry.field(description="The quarter, e.g. 2026-Q3 (Beijing time).")
    def quarter(self) -> str:
        return self.period.name

    @strawberry.field(name="from", description="The quarter's first moment (UTC).")
    def start(self) -> datetime:
        return self.period.start

    @strawberry.field(name="to", description="The next quarter's first moment (UTC).")
    def end(self) -> datetime:
        return self.period.end

    @strawberry.field(description="The place itself.")
    async def place(self, info: Info) -> Node | None:
        return await read.node(info.context, str(self.place_id))

    @strawberry.field(description="The place's figures over the quarter (docs/STATS.md).")
    async def stats(self, info: Info) -> Stats:
        return await stats.scope_stats(info.context, str(self.place_id), self.period.start, self.period.end)

    @strawberry.field(description="The same figures over the quarter before, to compare with.")
    async def previous_stats(self, info: Info) -> Stats:
        return await stats.scope_stats(info.context, str(self.place_id), self.period.previous_start, self.period.start)

    @strawberry.field(description="The quarter's classes of needs, the fastest-growing first (as `needClasses`).")
    async def classes(
        self,
        info: Info,
        min_count: MinCount = 2,
        first: Annotated[int, strawberry.argument(description="At most this many classes, 1…100.")] = 20,
    ) -> list[NeedClass]:
        args = {"place_id": str(self.place_id), "quarter": self.period.name, "min_count": min_count, "first": first}
        return await classes.need_classes(info.context, args)

    @strawberry.field(description="Projects at or below the place, newest first, each with its outcome.")
    async def projects(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Project]:
        slice_ = {"first": first, "after": after, "last": last, "before": before}
        return Connection.of(await read.list_page(info.context, "projects", slice_, {"placeId": str(self.place_id)}))

    @strawberry.field(description="Venue use over the quarter, idle venues first (staff whose scope holds the place).")
    async def venue_use(
        self, info: Info, first: Annotated[int, strawberry.argument(description="At most this many venues.")] = 50
    ) -> VenueReport | None:
        # Nullable: a viewer out of scope gets an error on this field and the rest of the report.
        args = {"place_id": str(self.place_id), "start": self.period.start, "end": self.period.end, "first": first}
        return await venue_use.venue_report(info.context, args)


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description="A place's quarter report in one query: figures against the quarter before, classes of "
        "needs, projects and their outcomes, venue use (the last only for staff in scope)."
    )
    async def quarter_report(
        self,
        info: Info,
        place_id: PlaceArgument,
        quarter: QuarterArgument = None,
    ) -> QuarterReport:
        place, period = await classes.place_quarter(info.context, {"place_id": str(place_id), "quarter": quarter})
        return QuarterReport(place_id=strawberry.ID(place), period=period)
