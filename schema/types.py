"""The graph's node types as GraphQL sees them; each reads a `graph.models` record by attribute."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from graph.funding import kinds as funding_kinds
from graph.needs import kinds as needs_kinds
from graph.needs.directory import is_overdue
from graph.partners import kinds as partners_kinds
from graph.places import kinds as places_kinds
from graph.venues import kinds as venues_kinds
from resolvers.kernel import read
from resolvers.kernel.authz import member_phone_for
from resolvers.needs import intake as needs
from schema.common import Connection, Fen, GeoPointType, Node, model_type
from schema.enums import Channel, Level, NeedStatus, OfferingStatus, ProgramLevel, UnitKind, Urgency, VenueKind

if TYPE_CHECKING:
    from schema.workflow import Assignment, NeedEvent, Resident

PAGE = "Page size, at most 100."
# The workflow types live in schema/workflow.py, which imports Need: resolved lazily to avoid a cycle.
_WORKFLOW = "schema.workflow"


@strawberry.type(description="区/县: one of Xi'an's 11 districts and 2 counties.")
@model_type(places_kinds.District)
class District(Node):
    code: str
    name: str
    kind: str
    location: GeoPointType | None

    @strawberry.field(description="Its street offices and towns (街道/镇).")
    async def streets(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Street]:
        return Connection.of(await read.related(info.context, "District.streets", self.id, first, after))


@strawberry.type(description="街道办事处 or 镇.")
@model_type(places_kinds.Street)
class Street(Node):
    code: str
    name: str
    kind: str
    location: GeoPointType | None

    @strawberry.field
    async def district(self, info: Info) -> District | None:
        return await read.by_id(info.context, "District", self.district_id)

    @strawberry.field
    async def communities(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Community]:
        return Connection.of(await read.related(info.context, "Street.communities", self.id, first, after))


@strawberry.type(description="社区 (or 村): where needs are raised and dispatched.")
@model_type(places_kinds.Community)
class Community(Node):
    code: str
    name: str
    official_name: str
    kind: str
    location: GeoPointType | None

    @strawberry.field
    async def street(self, info: Info) -> Street | None:
        return await read.by_id(info.context, "Street", self.street_id)

    @strawberry.field(description="Residential compounds (小区).")
    async def compounds(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Compound]:
        return Connection.of(await read.related(info.context, "Community.compounds", self.id, first, after))

    @strawberry.field(description="Units registered here (双报到).")
    async def units(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Unit]:
        return Connection.of(await read.related(info.context, "Community.units", self.id, first, after))

    @strawberry.field(description="Party members registered here (双报到).")
    async def members(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Member]:
        return Connection.of(await read.related(info.context, "Community.members", self.id, first, after))

    @strawberry.field
    async def venues(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Venue]:
        return Connection.of(await read.related(info.context, "Community.venues", self.id, first, after))

    @strawberry.field(description="Needs not yet closed, newest first.")
    async def open_needs(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Need]:
        return Connection.of(await read.related(info.context, "Community.openNeeds", self.id, first, after))


@strawberry.type(description="小区: a residential compound.")
@model_type(places_kinds.Compound)
class Compound(Node):
    name: str
    households: int | None
    has_service_station: bool = strawberry.field(description="Has a 小区党群服务站.")
    location: GeoPointType | None

    @strawberry.field
    async def community(self, info: Info) -> Community | None:
        return await read.by_id(info.context, "Community", self.community_id)


@strawberry.type(description="A kind of need (下水疏通, 噪音扰民…).")
@model_type(needs_kinds.Category)
class Category(Node):
    code: str
    name: str
    description: str | None


@strawberry.type
@model_type(partners_kinds.Skill)
class Skill(Node):
    code: str
    name: str

    @strawberry.field(description="The categories of need this skill serves.")
    async def categories(self, info: Info) -> list[Category]:
        return await read.by_codes(info.context, "Category", self.category_codes)


@strawberry.type
@model_type(venues_kinds.Facility)
class Facility(Node):
    code: str
    name: str


@strawberry.type(description="驻区单位: an organisation located in the area.")
@model_type(partners_kinds.Unit)
class Unit(Node):
    name: str
    kind: UnitKind
    address: str | None
    phone: str | None
    location: GeoPointType | None
    created_at: datetime | None

    @strawberry.field
    async def members(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Member]:
        return Connection.of(await read.related(info.context, "Unit.members", self.id, first, after))

    @strawberry.field
    async def offerings(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Offering]:
        return Connection.of(await read.related(info.context, "Unit.offerings", self.id, first, after))

    @strawberry.field(description="Venues this unit owns.")
    async def venues(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Venue]:
        return Connection.of(await read.related(info.context, "Unit.venues", self.id, first, after))

    @strawberry.field(description="Communities it is registered with (双报到).")
    async def communities(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Community]:
        return Connection.of(await read.related(info.context, "Unit.communities", self.id, first, after))


@strawberry.type(description="党员: a party-member volunteer with skills and limited weekly time.")
@model_type(partners_kinds.Member)
class Member(Node):
    name: str
    availability: list[str] = strawberry.field(description='Weekly windows, "D HH:MM-HH:MM", D = 1 (Mon)…7 (Sun).')
    max_load: int = strawberry.field(description="Open assignments allowed at once.")
    open_load: int = strawberry.field(description="Open assignments now.")
    completed_count: int
    last_served_at: datetime | None

    @strawberry.field(description="Masked (138****5678) except for the member, their unit's admin and city admins.")
    def phone(self, info: Info) -> str | None:
        return member_phone_for(info.context.viewer, self.id, self.unit_id, self.phone)

    @strawberry.field(description="Average rating (1–5), null before the first rating.")
    def satisfaction(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None

    @strawberry.field
    async def unit(self, info: Info) -> Unit | None:
        return await read.by_id(info.context, "Unit", self.unit_id)

    @strawberry.field
    async def skills(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Skill]:
        return Connection.of(await read.related(info.context, "Member.skills", self.id, first, after))

    @strawberry.field(description="Communities the member is registered with (双报到).")
    async def communities(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Community]:
        return Connection.of(await read.related(info.context, "Member.communities", self.id, first, after))


@strawberry.type(description="What a unit offers: a service, skill, goods or space.")
@model_type(partners_kinds.Offering)
class Offering(Node):
    title: str
    description: str
    capacity: int
    open_load: int
    availability: list[str]
    status: OfferingStatus
    created_at: datetime | None

    @strawberry.field
    async def unit(self, info: Info) -> Unit | None:
        return await read.by_id(info.context, "Unit", self.unit_id)

    @strawberry.field
    async def category(self, info: Info) -> Category | None:
        return await read.by_code(info.context, "Category", self.category_code)

    @strawberry.field(description="Where it serves: communities, streets or districts.")
    async def area(self, info: Info) -> list[Node]:
        found = await asyncio.gather(*(read.node(info.context, area_id) for area_id in self.area_ids))
        return [item for item in found if item is not None]


@strawberry.type(description="阵地: a space for services, classes and meetings.")
@model_type(venues_kinds.Venue)
class Venue(Node):
    name: str
    kind: VenueKind
    capacity: int
    area_sqm: float | None
    opening_hours: list[str] = strawberry.field(description='Weekly opening windows, "D HH:MM-HH:MM".')
    fee_per_hour: Fen = strawberry.field(description="Fee per hour in fen (1/100 yuan); 0 is free.")
    address: str | None
    location: GeoPointType | None

    @strawberry.field
    async def community(self, info: Info) -> Community | None:
        return await read.by_id(info.context, "Community", self.community_id)

    @strawberry.field
    async def owner(self, info: Info) -> Unit | None:
        return await read.by_id(info.context, "Unit", self.owner_id)

    @strawberry.field
    async def facilities(self, info: Info) -> list[Facility]:
        return await read.by_codes(info.context, "Facility", self.facility_codes)


@strawberry.type(description="A funding program; amounts are integer fen (1/100 yuan).")
@model_type(funding_kinds.FundingProgram)
class FundingProgram(Node):
    name: str
    source: str
    level: ProgramLevel
    budget: Fen
    spent: Fen
    cap_per_grant: Fen
    period_start: date | None
    period_end: date | None

    @strawberry.field
    def remaining(self) -> Fen:
        return self.budget - self.spent

    @strawberry.field
    async def categories(self, info: Info) -> list[Category]:
        return await read.by_codes(info.context, "Category", self.category_codes)

    @strawberry.field
    async def districts(self, info: Info) -> list[District]:
        return await read.by_ids(info.context, "District", self.district_ids)


@strawberry.type(description="A resident's need (群众点单).")
@model_type(needs_kinds.Need)
class Need(Node):
    number: str | None
    title: str
    description: str
    status: NeedStatus
    channel: Channel
    urgency: Urgency
    level: Level
    people_needed: int
    window_start: datetime | None
    window_end: datetime | None
    response_deadline: datetime | None
    completion_deadline: datetime | None
    location: GeoPointType | None
    created_at: datetime
    updated_at: datetime | None
    suspended_at: datetime | None = strawberry.field(description="When its clock was paused (SUSPENDED).")
    suspension_reason: str | None
    escalated_at: datetime | None = strawberry.field(description="When it was last handed up a level.")

    @strawberry.field(description="Past its response or completion deadline while its clock runs.")
    def overdue(self) -> bool:
        return is_overdue(self.status, self.response_deadline, self.completion_deadline, datetime.now(UTC))

    @strawberry.field
    async def category(self, info: Info) -> Category | None:
        return await read.by_code(info.context, "Category", self.category_code)

    @strawberry.field
    async def community(self, info: Info) -> Community | None:
        return await read.by_id(info.context, "Community", self.community_id)

    @strawberry.field
    async def compound(self, info: Info) -> Compound | None:
        return await read.by_id(info.context, "Compound", self.compound_id)

    @strawberry.field(description="Every state change, oldest first (signed-in viewers).")
    async def history(self, info: Info) -> list[Annotated[NeedEvent, strawberry.lazy(_WORKFLOW)]]:
        return await needs.history(info.context, self.id)

    @strawberry.field(description="Who raised it; contact details masked unless you may see them; null for guests.")
    async def requester(self, info: Info) -> Annotated[Resident, strawberry.lazy(_WORKFLOW)] | None:
        return await needs.requester(info.context, self.id)

    @strawberry.field(description="Every offer of this need to a handler, oldest first (signed-in viewers).")
    async def assignments(self, info: Info) -> list[Annotated[Assignment, strawberry.lazy(_WORKFLOW)]]:
        return await needs.need_assignments(info.context, self.id)

    @strawberry.field(description="The assignment handling it now, else the newest one awaiting an answer.")
    async def current_assignment(self, info: Info) -> Annotated[Assignment, strawberry.lazy(_WORKFLOW)] | None:
        return await needs.current_assignment(info.context, self.id)


NODE_TYPES = (
    District,
    Street,
    Community,
    Compound,
    Category,
    Skill,
    Facility,
    Unit,
    Member,
    Offering,
    Venue,
    FundingProgram,
    Need,
)
