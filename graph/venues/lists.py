"""The venues' root list: by kind, place, capacity, fee and facilities."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from graph.kernel.kinds import ListFilter, RootList, Where
from graph.places.lists import registered_source
from graph.venues.kinds import VenueKind


class VenueFilter(ListFilter):
    kind: Annotated[list[VenueKind] | None, Where("x.kind IN $kind")] = None
    min_capacity: Annotated[int | None, Field(ge=1, le=100_000), Where("x.capacity >= $minCapacity")] = None
    max_fee: Annotated[int | None, Field(ge=0), Where("x.feePerHour <= $maxFee")] = None
    facilities: Annotated[
        list[str] | None,
        Where("all(code IN $facilities WHERE EXISTS { MATCH (x)-[:HAS]->(f:Facility) WHERE f.code = code })"),
    ] = None
    place_id: str | None = Field(default=None, max_length=80)  # the source: `registered_source`


VENUES = RootList("venues", "Venue", lambda f: registered_source("Venue", "AT", f), VenueFilter)

LISTS = (VENUES,)
