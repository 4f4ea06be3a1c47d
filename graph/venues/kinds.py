"""Venues (阵地) and their bookings: `(:Venue)-[:AT]->(:Community)`, `-[:HAS]->(:Facility)`,
`-[:OWNED_BY]->(:Unit)`; `(:Booking)-[:OF]->(:Venue)`, `-[:FOR]->(:Need)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from graph.kernel.kinds import declare, listed, one
from graph.kernel.records import CatalogEntry, Fen, GeoPoint, NodeRecord


class VenueKind(StrEnum):
    """Kinds of venues (阵地)."""

    STATE_IDLE_SITE = "STATE_IDLE_SITE"
    CENTRAL_COMMUNITY = "CENTRAL_COMMUNITY"
    RED_STATION = "RED_STATION"
    COMPOUND_STATION = "COMPOUND_STATION"
    COMMUNITY_CENTER = "COMMUNITY_CENTER"
    SERVICE_AREA = "SERVICE_AREA"


class BookingStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


@dataclass(slots=True)
class Facility(CatalogEntry):
    pass


@dataclass(slots=True)
class Venue(NodeRecord):
    name: str
    kind: VenueKind
    capacity: int = 0
    area_sqm: float | None = None
    opening_hours: list[str] = field(default_factory=list)
    fee_per_hour: Fen = 0  # type: ignore[assignment]
    address: str | None = None
    community_id: str | None = None
    owner_id: str | None = None
    facility_codes: list[str] = field(default_factory=list)
    location: GeoPoint | None = None
    registry_code: str | None = None  # its code in a register of assets, where it has one (国有资产)


@dataclass(slots=True)
class Booking(NodeRecord):
    start: datetime
    end: datetime
    status: str
    venue_id: str
    purpose: str | None = None
    series_id: str | None = None
    booked_by: str | None = None
    cancel_reason: str | None = None
    need_id: str | None = None
    updated_at: datetime | None = None


def venue_key(name: str, community_id: str, owner_id: str | None, registry_code: str | None) -> str:
    """A venue's natural key (stored as `rosterKey`, unique): its registry code where it has one, else who
    owns it, where it is and what it is called — so a roster imported twice names the same venues."""
    if registry_code:
        return f"registry:{registry_code}"
    return f"{owner_id or ''}|{community_id}|{name}"


FACILITY = declare(Facility, "facility", reader="public", catalog=True, indexes=("code",))
VENUE = declare(Venue, "venue", reader="public", lockable=True, indexes=("kind", "capacity"), point=True).linking(
    community=one("(x)-[:AT]->(y:Community)", "Community", attr="communityId"),
    owner=one("(x)-[:OWNED_BY]->(y:Unit)", "Unit", attr="ownerId"),
    facilities=listed("(x)-[:HAS]->(y:Facility)", "Facility", attr="facilityCodes", key="code"),
)
BOOKING = declare(Booking, "booking", reader="signed-in", indexes=("start", "end", "status")).linking(
    venue=one("(x)-[:OF]->(y:Venue)", "Venue", attr="venueId"),
    need=one("(x)-[:FOR]->(y:Need)", "Need", attr="needId"),
)

KINDS = (FACILITY, VENUE, BOOKING)
