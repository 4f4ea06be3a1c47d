"""Places: 区/县 → 街道/镇 → 社区/村 → 小区, their lists and filters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from graph.places import kinds
from resolvers.kernel import read
from schema.relay import GeoPointType, Node, connection, lookup, node_type

if TYPE_CHECKING:
    from schema.needs import Need
    from schema.partners import Member, Unit
    from schema.venues import Venue

NeedType = Annotated["Need", strawberry.lazy("schema.needs")]
UnitType = Annotated["Unit", strawberry.lazy("schema.partners")]
MemberType = Annotated["Member", strawberry.lazy("schema.partners")]
VenueType = Annotated["Venue", strawberry.lazy("schema.venues")]


@strawberry.type
class _Area(Node):
    """The fields of an official place (district, street, community); not a GraphQL type of its own."""

    code: str
    name: str
    kind: str
    location: GeoPointType | None


@strawberry.type(description="区/县: one of Xi'an's 11 districts and 2 counties.")
@node_type(kinds.District)
class District(_Area):
    streets = connection("District.streets", "Street", "Its street offices and towns (街道/镇).")


@strawberry.type(description="街道办事处 or 镇.")
@node_type(kinds.Street)
class Street(_Area):
    district = lookup(read.by_id, "District", "district_id", District | None)

    communities = connection("Street.communities", "Community", "Communities (社区) of this street.")


@strawberry.type(description="社区 (or 村): where needs are raised and dispatched.")
@node_type(kinds.Community)
class Community(_Area):
    official_name: str

    street = lookup(read.by_id, "Street", "street_id", Street | None)

    compounds = connection("Community.compounds", "Compound", "Residential compounds (小区).")

    units = connection("Community.units", "UnitType", "Units registered here (双报到).")

    members = connection("Community.members", "MemberType", "Party members registered here (双报到).")

    venues = connection("Community.venues", "VenueType", "Venues located in this community.")

    open_needs = connection("Community.openNeeds", "NeedType", "Needs not yet closed, newest first.")


@strawberry.type(description="小区: a residential compound.")
@node_type(kinds.Compound)
class Compound(Node):
    name: str
    households: int | None
    has_service_station: bool = strawberry.field(description="Has a 小区党群服务站.")
    location: GeoPointType | None

    community = lookup(read.by_id, "Community", "community_id", Community | None)


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
    districts = connection("districts", "District", "Districts (区县) of the city, by id.", "DistrictFilter")

    streets = connection("streets", "Street", "Streets (街道), by id.", "StreetFilter")

    communities = connection("communities", "Community", "Communities (社区), by id.", "CommunityFilter")


TYPES = (District, Street, Community, Compound)
