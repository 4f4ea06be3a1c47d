"""The four levels of place: 区/县 → 街道/镇 → 社区/村 → 小区, joined by `IN` from the bottom up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from graph.kernel.kinds import Kind, cypher_strings, many, one
from graph.kernel.records import GeoPoint
from graph.needs.kinds import OPEN_STATES


@dataclass(slots=True)
class District:
    id: str
    code: str
    name: str
    kind: str
    location: GeoPoint | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Street:
    id: str
    code: str
    name: str
    kind: str
    district_id: str = ""
    location: GeoPoint | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Community:
    id: str
    code: str
    name: str
    kind: str
    official_name: str = ""
    street_id: str = ""
    location: GeoPoint | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Compound:
    id: str
    name: str
    community_id: str = ""
    households: int | None = None
    has_service_station: bool = False
    location: GeoPoint | None = None
    created_at: datetime | None = None


DISTRICT = Kind(
    "District",
    "district",
    District,
    graphql="District",
    reader="public",
    links={"streets": many("(x)<-[:IN]-(y:Street)", "Street")},
    lockable=True,  # its need counter (graph/needs/write.py) is taken under its lock
    indexes=("code",),
    point=True,
)
STREET = Kind(
    "Street",
    "street",
    Street,
    graphql="Street",
    reader="public",
    links={
        "district": one("(x)-[:IN]->(y:District)", "District", attr="districtId"),
        "communities": many("(x)<-[:IN]-(y:Community)", "Community"),
    },
    indexes=("code",),
    point=True,
)
COMMUNITY = Kind(
    "Community",
    "community",
    Community,
    graphql="Community",
    reader="public",
    links={
        "street": one("(x)-[:IN]->(y:Street)", "Street", attr="streetId"),
        "compounds": many("(x)<-[:IN]-(y:Compound)", "Compound"),
        "units": many("(x)<-[:REGISTERED_WITH]-(y:Unit)", "Unit"),
        "members": many("(x)<-[:REGISTERED_WITH]-(y:Member)", "Member"),
        "venues": many("(x)<-[:AT]-(y:Venue)", "Venue"),
        # Needs raised at the community itself or at one of its compounds.
        "openNeeds": many(
            "(x)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(y:Need)",
            "Need",
            newest_first=True,
            where=f"y.status IN {cypher_strings(OPEN_STATES)}",
        ),
    },
    indexes=("code",),
    point=True,
)
COMPOUND = Kind(
    "Compound",
    "compound",
    Compound,
    graphql="Compound",
    reader="public",
    links={"community": one("(x)-[:IN]->(y:Community)", "Community", attr="communityId")},
    point=True,
)

# From the top down; a place's depth is its index.
PLACE_LABELS = ("District", "Street", "Community", "Compound")
KINDS = (DISTRICT, STREET, COMMUNITY, COMPOUND)
