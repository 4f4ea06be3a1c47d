"""Places: 区/县 → 街道/镇 → 社区/村 → 小区, their lists and filters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from graph.places import kinds
from resolvers.kernel import read
from schema.relay import Connection, GeoPointType, Node, node_type, related, root_list

if TYPE_CHECKING:
    from schema.needs import Need
    from schema.partners import Member, Unit
    from schema.venues import Venue

NeedType = Annotated["Need", strawberry.lazy("schema.needs")]
UnitType = Annotated["Unit", strawberry.lazy("schema.partners")]
MemberType = Annotated["Member", strawberry.lazy("schema.partners")]
VenueType = Annotated["Venue", strawberry.lazy("schema.venues")]


@strawberry.type(description="区/县: one of Xi'an's 11 districts and 2 counties.")
@node_type(kinds.District)
class District(Node):
    code: str
    name: str
    kind: str
    location: GeoPointType | None

    @strawberry.field(description="Its street offices and towns (街道/镇).")
    async def streets(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Street]:
        return await related(info, "District.streets", self.id, first, after)


@strawberry.type(description="街道办事处 or 镇.")
@node_type(kinds.Street)
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
        return await related(info, "Street.communities", self.id, first, after)


@strawberry.type(description="社区 (or 村): where needs are raised and dispatched.")
@node_type(kinds.Community)
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
        return await related(info, "Community.compounds", self.id, first, after)

    @strawberry.field(description="Units registered here (双报到).")
    async def units(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[UnitType]:
        return await related(info, "Community.units", self.id, first, after)

    @strawberry.field(description="Party members registered here (双报到).")
    async def members(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[MemberType]:
        return await related(info, "Community.members", self.id, first, after)

    @strawberry.field
    async def venues(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[VenueType]:
        return await related(info, "Community.venues", self.id, first, after)

    @strawberry.field(description="Needs not yet closed, newest first.")
    async def open_needs(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[NeedType]:
        return await related(info, "Community.openNeeds", self.id, first, after)


@strawberry.type(description="小区: a residential compound.")
@node_type(kinds.Compound)
class Compound(Node):
    name: str
    households: int | None
    has_service_station: bool = strawberry.field(description="Has a 小区党群服务站.")
    location: GeoPointType | None

    @strawberry.field
    async def community(self, info: Info) -> Community | None:
        return await read.by_id(info.context, "Community", self.community_id)


@strawberry.input
class DistrictFilter:
    name: str | None = None


@strawberry.input
class StreetFilter:
    district_id: strawberry.ID | None = None
    name: str | None = None
    kind: str | None = strawberry.field(default=None, description="街道 or 镇.")


@strawberry.input
class CommunityFilter:
    place_id: strawberry.ID | None = strawberry.field(default=None, description="A district or street.")
    name: str | None = None
    kind: str | None = strawberry.field(default=None, description="社区 or 村.")


@strawberry.type
class PlacesQuery:
    @strawberry.field
    async def districts(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: DistrictFilter | None = None
    ) -> Connection[District]:
        return await root_list(info, "districts", first, after, filter)

    @strawberry.field
    async def streets(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: StreetFilter | None = None
    ) -> Connection[Street]:
        return await root_list(info, "streets", first, after, filter)

    @strawberry.field
    async def communities(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: CommunityFilter | None = None
    ) -> Connection[Community]:
        return await root_list(info, "communities", first, after, filter)


TYPES = (District, Street, Community, Compound)
