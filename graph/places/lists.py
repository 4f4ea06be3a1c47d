"""The places' root lists (districts, streets, communities), and the Cypher that walks from any place
down to its communities, which the other domains' lists reuse."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from graph.kernel.ids import label_of
from graph.kernel.kinds import ListFilter, RootList, Source, Where, label_scan
from graph.places.kinds import PLACE_LABELS

# From a place down to the communities at or below it (`c`); a compound stands for its community.
TO_COMMUNITIES = {
    "District": "MATCH (:District {id: $placeId})<-[:IN]-(:Street)<-[:IN]-(c:Community) ",
    "Street": "MATCH (:Street {id: $placeId})<-[:IN]-(c:Community) ",
    "Community": "MATCH (c:Community {id: $placeId}) ",
    "Compound": "MATCH (:Compound {id: $placeId})-[:IN]->(c:Community) ",
}


def place_label(place_id: str, expected: tuple[str, ...] = PLACE_LABELS, field: str = "filter.placeId") -> str:
    return label_of(place_id, expected=expected, field=field)


def registered_source(label: str, relation: str, f: dict[str, Any]) -> Source:
    """`label` nodes linked by `relation` to a community at or below `placeId`; all of them without one."""
    if not f.get("placeId"):
        return label_scan(label)
    return TO_COMMUNITIES[place_label(f["placeId"])] + f"MATCH (c)<-[:{relation}]-(x:{label}) ", {}, True


Name = Annotated[str | None, Field(min_length=1, max_length=50), Where("x.name CONTAINS $name")]


def _district_id(value: str | None) -> str | None:
    if value is not None and not value.startswith("district:"):
        raise ValueError(f"{value!r} is not a district id; district ids look like district:610103")
    return value


# What a district registered, `(x)-[:OF]->(:District)` (departments, property firms); the filter
# describes it in its own words.
OfDistrict = Annotated[
    str | None, AfterValidator(_district_id), Where("EXISTS { MATCH (x)-[:OF]->(:District {id: $districtId}) }")
]
Kind = Annotated[str | None, Field(max_length=10), Where("x.kind = $kind")]


class DistrictFilter(ListFilter):
    name: Name = None


class StreetFilter(ListFilter):
    district_id: str | None = Field(default=None, max_length=80)  # the source: `_streets`
    name: Name = None
    kind: Kind = None


class CommunityFilter(ListFilter):
    place_id: str | None = Field(default=None, max_length=80)  # the source: `_communities`
    name: Name = None
    kind: Kind = None


def _streets(f: dict[str, Any]) -> Source:
    if f.get("districtId"):
        place_label(f["districtId"], ("District",), "filter.districtId")
        return "MATCH (:District {id: $districtId})<-[:IN]-(x:Street) ", {}, False
    return label_scan("Street")


def _communities(f: dict[str, Any]) -> Source:
    if f.get("placeId"):
        return TO_COMMUNITIES[place_label(f["placeId"], ("District", "Street"))] + "WITH c AS x ", {}, False
    return label_scan("Community")


DISTRICTS = RootList("districts", "District", filter=DistrictFilter)
STREETS = RootList("streets", "Street", _streets, StreetFilter)
COMMUNITIES = RootList("communities", "Community", _communities, CommunityFilter)

LISTS = (DISTRICTS, STREETS, COMMUNITIES)
