"""How close two places are: the finest shared administrative level, the distance, and a 0–1 value.

The levels come first because responsibility follows them (a community serves its own compounds,
双报到 members serve where they registered); distance then separates candidates of the same tier.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from matching import weights
from matching.models import Place

EARTH_RADIUS_KM = 6371.0088


class Tier(IntEnum):
    """The finest level two places share; higher is closer."""

    NONE = 0
    DISTRICT = 1
    STREET = 2
    COMMUNITY = 3
    COMPOUND = 4


TIER_VALUE = {
    Tier.COMPOUND: weights.TIER_VALUE_COMPOUND,
    Tier.COMMUNITY: weights.TIER_VALUE_COMMUNITY,
    Tier.STREET: weights.TIER_VALUE_STREET,
    Tier.DISTRICT: weights.TIER_VALUE_DISTRICT,
    Tier.NONE: weights.TIER_VALUE_NONE,
}


@dataclass(frozen=True, slots=True)
class PlaceFit:
    """Tier, distance (None when a point is missing) and the combined 0–1 value."""

    tier: Tier
    km: float | None
    value: float


def shared_tier(a: Place, b: Place) -> Tier:
    """The finest level whose id both places have and share."""
    if a.compound_id and a.compound_id == b.compound_id:
        return Tier.COMPOUND
    if a.community_id and a.community_id == b.community_id:
        return Tier.COMMUNITY
    if a.street_id and a.street_id == b.street_id:
        return Tier.STREET
    if a.district_id and a.district_id == b.district_id:
        return Tier.DISTRICT
    return Tier.NONE


def area_tier(need: Place, area_ids: Iterable[str]) -> Tier:
    """The finest level of the need's place listed in a served area (Offering IN_AREA ids)."""
    ids = set(area_ids)
    if need.compound_id and need.compound_id in ids:
        return Tier.COMPOUND
    if need.community_id and need.community_id in ids:
        return Tier.COMMUNITY
    if need.street_id and need.street_id in ids:
        return Tier.STREET
    if need.district_id and need.district_id in ids:
        return Tier.DISTRICT
    return Tier.NONE


def distance_km(a: Place, b: Place) -> float | None:
    """Great-circle distance; None when either point is unknown."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_decay(km: float) -> float:
    """1 at the door, 0.5 at DISTANCE_HALF_KM, slowly toward 0: far is worse, never impossible."""
    return 1.0 / (1.0 + max(km, 0.0) / weights.DISTANCE_HALF_KM)


def place_fit(need: Place, cand: Place, at_least: Tier = Tier.NONE) -> PlaceFit:
    """Tier value blended with distance decay; ``at_least`` lifts the tier (e.g. an area served)."""
    tier = max(shared_tier(need, cand), at_least)
    km = distance_km(need, cand)
    tier_value = TIER_VALUE[tier]
    if km is None:
        return PlaceFit(tier, None, tier_value)
    share = weights.PLACE_TIER_SHARE
    return PlaceFit(tier, km, share * tier_value + (1 - share) * distance_decay(km))
