"""The four levels of place: 区/县 → 街道/镇 → 社区/村 → 小区, joined by `IN` from the bottom up."""

from __future__ import annotations

from dataclasses import dataclass

from graph.kernel.kinds import declare, many, one
from graph.kernel.records import GeoPoint, NodeRecord


@dataclass(slots=True)
class Area(NodeRecord):
    """An official place (district, street, community): its 12-digit code, its name, its kind."""

    code: str
    name: str
    kind: str
    location: GeoPoint | None = None


@dataclass(slots=True)
class District(Area):
    pass


@dataclass(slots=True)
class Street(Area):
    district_id: str = ""


@dataclass(slots=True)
class Community(Area):
    official_name: str = ""
    street_id: str = ""


@dataclass(slots=True)
class Compound(NodeRecord):
    name: str
    community_id: str = ""
    households: int | None = None
    has_service_station: bool = False
    location: GeoPoint | None = None


# Its need counter (graph/needs/write.py) is taken under its lock.
DISTRICT = declare(District, "district", reader="public", lockable=True, indexes=("code",), point=True).linking(
    streets=many("(x)<-[:IN]-(y:Street)", "Street"),
)
STREET = declare(Street, "street", reader="public", indexes=("code",), point=True).linking(
    district=one("(x)-[:IN]->(y:District)", "District", attr="districtId"),
    communities=many("(x)<-[:IN]-(y:Community)", "Community"),
)
COMMUNITY = declare(Community, "community", reader="public", indexes=("code",), point=True).linking(
    street=one("(x)-[:IN]->(y:Street)", "Street", attr="streetId"),
    compounds=many("(x)<-[:IN]-(y:Compound)", "Compound"),
    units=many("(x)<-[:REGISTERED_WITH]-(y:Unit)", "Unit"),
    members=many("(x)<-[:REGISTERED_WITH]-(y:Member)", "Member"),
    venues=many("(x)<-[:AT]-(y:Venue)", "Venue"),
    # openNeeds: lent by the needs (graph/needs/kinds.py), which know what an open need is.
)
COMPOUND = declare(Compound, "compound", reader="public", point=True).linking(
    community=one("(x)-[:IN]->(y:Community)", "Community", attr="communityId"),
)

# From the top down; a place's depth is its index.
PLACE_LABELS = ("District", "Street", "Community", "Compound")
KINDS = (DISTRICT, STREET, COMMUNITY, COMPOUND)
