"""The venues' root list: by kind, place, capacity, fee and facilities."""

from __future__ import annotations

from pydantic import Field

from graph.kernel.lists import ListFilter, RootList
from graph.places.lists import registered_source
from graph.venues.kinds import VenueKind


class VenueFilter(ListFilter):
    kind: list[VenueKind] | None = None
    place_id: str | None = Field(default=None, alias="placeId", max_length=80)
    min_capacity: int | None = Field(default=None, alias="minCapacity", ge=1, le=100_000)
    max_fee: int | None = Field(default=None, alias="maxFee", ge=0)
    facilities: list[str] | None = None

    model_config = ListFilter.model_config | {"use_enum_values": True}


VENUES = RootList(
    "venues",
    "Venue",
    lambda f: registered_source("Venue", "AT", f),
    VenueFilter,
    {
        "kind": "x.kind IN $kind",
        "minCapacity": "x.capacity >= $minCapacity",
        "maxFee": "x.feePerHour <= $maxFee",
        "facilities": "all(code IN $facilities WHERE EXISTS { MATCH (x)-[:HAS]->(f:Facility) WHERE f.code = code })",
    },
)

LISTS = (VENUES,)
