"""Exploring the graph (coordinators' half of the mission): what lies around a node, how two nodes link; and a
place's quarter report, which gathers the review, the projects and venue use in one answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers.explore import coverage, walks
from resolvers.explore import venues as venue_use
from resolvers.kernel import read
from resolvers.review import classes, stats
from resolvers.review.classes import Quarter
from schema.funding import Project
from schema.needs import Category
from schema.places import Community
from schema.relay import After, Before, Connection, First, Last, Node, lookup
from schema.review import MinCount, NeedClass, PlaceArgument, QuarterArgument, RecurringNeed, Stats
from schema.venues import Venue

NodeKindType = strawberry.enum(walks.NodeKind, name="NodeKind", description="A kind of node that can be explored.")


@strawberry.type(description="A directed, typed relationship of the graph (e.g. a need IN a community).")
class Relationship:
    type: str = strawberry.field(description="The relationship's type in the graph, e.g. IN, OF, OFFERED_TO.")
    from_id: strawberry.ID = strawberry.field(description="The node it starts from.")
    to_id: strawberry.ID = strawberry.field(description="The node it points to.")


@strawberry.type(description="Nodes around one node, nearest first, and the relationships among them.")
class Neighbourhood:
    centre: Node = strawberry.field(description="The node explored from.")
    nodes: list[Node] = strawberry.field(description="Every node found, the centre first, then hop by hop.")
    relationships: list[Relationship] = strawberry.field(description="The relationships among those nodes.")
    truncated: bool = strawberry.field(description="True when more nodes lie within reach than `first` allowed.")


@strawberry.type(description="One shortest path: its nodes in order from the start, and its relationships.")
class GraphPath:
    nodes: list[Node] = strawberry.field(description="From `fromId` to `toId`.")
    relationships: list[Relationship] = strawberry.field(description="One between each two nodes, in order.")
    length: int = strawberry.field(description="How many relationships the path has.")


# The coverage and venue-use types below are views of resolvers/explore's records: a resolver returns the
# record itself, its fields are read by name, and `self` in a field's method is that record.


@strawberry.type(description="One community's demand and supply for the category.")
class CommunityCoverage:
    open_needs: int = strawberry.field(
        description="Open needs of the category raised in the community (or a compound in it)."
    )
    recent_needs: int = strawberry.field(description="Needs of the category raised in the period.")
    members: int = strawberry.field(
        description="Members with a skill serving the category and load to spare, registered with the community "
        "or living near it."
    )
    member_slots: int = strawberry.field(description="The assignments those members can still take.")
    offerings: int = strawberry.field(
        description="Active offerings with capacity left of units registered with the community."
    )
    venues: int = strawberry.field(description="Venues in the community.")
    programs: int = strawberry.field(
        description="Funding programs for the category with budget left, for its district."
    )
    gap: bool = strawberry.field(description="Demand and no member or offering within reach.")
    shortfall: int = strawberry.field(description="Open needs beyond what the handlers within reach can take at once.")

    community = lookup(read.by_id, "Community", "community_id", Community | None, "The community.")


@strawberry.type(description="Demand beside supply for one category, community by community, gaps first.")
class Coverage:
    start: datetime = strawberry.field(name="from", description="Start of the period for recent needs (UTC).")
    end: datetime = strawberry.field(name="to", description="End of the period (UTC).")
    communities: list[CommunityCoverage] = strawberry.field(
        description="Communities ranked: gaps first (most demand first), then by shortfall."
    )
    gaps: int = strawberry.field(description="How many communities at or below the place have a gap.")

    category = lookup(read.by_id, "Category", "category_id", Category | None, "The category.")

    @strawberry.field(description="How many communities lie at or below the place.")
    def total_count(self) -> int:
        return self.total


@strawberry.type(description="How much of its opening hours a venue was booked in the period.")
class VenueUse:
    use: strawberry.Private[Any]
    nearby: strawberry.Private[list[Any]]

    @strawberry.field(description="The venue.")
    async def venue(self, info: Info) -> Venue | None:
        return await read.by_id(info.context, "Venue", self.use.venue_id)

    @strawberry.field(description="Opening hours within the period.")
    def open_hours(self) -> float:
        return round(self.use.open_hours, 2)

    @strawberry.field(description="Hours its confirmed bookings hold within the period.")
    def booked_hours(self) -> float:
        return round(self.use.booked_hours, 2)

    @strawberry.field(description="booked / open hours, 0…1; null when it was never open in the period.")
    def utilisation(self) -> float | None:
        return self.use.utilisation

    @strawberry.field(
        description="Needs that keep coming back in the venue's community (at least twice in the period): "
        "what an idle space could be turned to."
    )
    def recurring_nearby(self) -> list[RecurringNeed]:
        return self.nearby


@strawberry.type(description="Venue use in one community.")
class CommunityVenueUse:
    venues: int = strawberry.field(description="Venues in the community.")
    utilisation: float | None = strawberry.field(description="booked / open hours, 0…1; null when none was open.")

    community = lookup(read.by_id, "Community", "community_id", Community | None, "The community.")

    @strawberry.field(description="Their opening hours within the period, together.")
    def open_hours(self) -> float:
        return round(self.open_hours, 2)

    @strawberry.field(description="Hours booked within the period, together.")
    def booked_hours(self) -> float:
        return round(self.booked_hours, 2)


@strawberry.type(description="Venue use at or below a place over a period: idle venues first.")
class VenueReport:
    start: datetime = strawberry.field(name="from", description="Start of the period (UTC).")
    end: datetime = strawberry.field(name="to", description="End of the period (UTC).")
    utilisation: float | None = strawberry.field(
        description="booked / open hours of every venue at or below the place."
    )
    communities: list[CommunityVenueUse] = strawberry.field(description="Communities, the least used first.")

    @strawberry.field(description="Venues, the least used first.")
    def venues(self) -> list[VenueUse]:
        return [VenueUse(use=u, nearby=self.recurring.get(u.community_id, [])) for u in self.venues]


def _relationships(found: walks.Explored) -> list[Relationship]:
    return [Relationship(type=r["type"], from_id=r["fromId"], to_id=r["toId"]) for r in found.relationships]


Kinds = Annotated[
    list[NodeKindType] | None,
    strawberry.argument(description="Walk only through these kinds (default: all but the catalogues)."),
]


@strawberry.type
class ExploreQuery:
    @strawberry.field(
        description="The nodes and relationships within `hops` of a node, as `node(id:)` would show them to you."
    )
    async def neighbourhood(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The node to explore from.")],
        hops: Annotated[int, strawberry.argument(description="How far to walk, 1…3.")] = 1,
        kinds: Kinds = None,
        first: Annotated[int, strawberry.argument(description="At most this many nodes, 1…200.")] = 50,
    ) -> Neighbourhood:
        args = {"id": str(id), "hops": hops, "kinds": kinds, "first": first}
        found = await walks.neighbourhood(info.context, args)
        return Neighbourhood(
            centre=found.nodes[0], nodes=found.nodes, relationships=_relationships(found), truncated=found.truncated
        )

    @strawberry.field(
        description="For one category, demand (open and recent needs) beside supply (members, offerings, venues, "
        "programs) in each community at or below a place, and the gaps (coordinators and admins in scope)."
    )
    async def coverage(
        self,
        info: Info,
        place_id: PlaceArgument,
        category_id: Annotated[strawberry.ID, strawberry.argument(description="A category id.")],
        start: Annotated[
            datetime | None, strawberry.argument(name="from", description="Recent needs from (default: 90 days ago).")
        ] = None,
        end: Annotated[datetime | None, strawberry.argument(name="to", description="Until (default: now).")] = None,
        first: Annotated[int, strawberry.argument(description="At most this many communities, 1…500.")] = 50,
    ) -> Coverage:
        args = {"place_id": str(place_id), "category_id": str(category_id), "start": start, "end": end, "first": first}
        return await coverage.coverage(info.context, args)

    @strawberry.field(
        description="Venue use at or below a place over a period: hours open, hours booked, utilisation per venue "
        "and community, idle venues first with the recurring needs beside them (coordinators and admins in scope)."
    )
    async def venue_use(
        self,
        info: Info,
        place_id: PlaceArgument,
        start: Annotated[datetime, strawberry.argument(name="from", description="Start of the period.")],
        end: Annotated[datetime, strawberry.argument(name="to", description="End of the period (at most a year on).")],
        first: Annotated[int, strawberry.argument(description="At most this many venues, 1…500.")] = 50,
    ) -> VenueReport:
        args = {"place_id": str(place_id), "start": start, "end": end, "first": first}
        return await venue_use.venue_report(info.context, args)

    @strawberry.field(description="Shortest paths between two nodes through what you may see (who links them?).")
    async def paths(
        self,
        info: Info,
        from_id: Annotated[strawberry.ID, strawberry.argument(description="Where the paths start.")],
        to_id: Annotated[strawberry.ID, strawberry.argument(description="Where the paths end.")],
        max_hops: Annotated[int, strawberry.argument(description="The longest path looked for, 1…6.")] = 4,
        kinds: Kinds = None,
        first: Annotated[int, strawberry.argument(description="At most this many paths, 1…20.")] = 5,
    ) -> list[GraphPath]:
        args = {"from_id": str(from_id), "to_id": str(to_id), "max_hops": max_hops, "kinds": kinds, "first": first}
        found = await walks.paths(info.context, args)
        return [
            GraphPath(nodes=path.nodes, relationships=_relationships(path), length=len(path.relationships))
            for path in found
        ]


# --- a place's quarter report in one answer ---------------------------------------------------------


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
