"""How much of their open hours venues are booked, and which lie idle (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from matching.time_windows import open_seconds


@dataclass(frozen=True)
class VenueUse:
    venue_id: str
    community_id: str
    open_hours: float  # opening hours within the period
    booked_hours: float  # hours confirmed bookings hold within the period

    @property
    def utilisation(self) -> float | None:
        """booked / open, 0…1 (a booking outside opening hours still counts as booked); null when never open."""
        return round(min(1.0, self.booked_hours / self.open_hours), 4) if self.open_hours else None


def venue_use(
    venue_id: str, community_id: str, opening_hours: list[str], booked_seconds: int, start: datetime, end: datetime
) -> VenueUse:
    return VenueUse(venue_id, community_id, open_seconds(opening_hours, start, end) / 3600, booked_seconds / 3600)


def idle_first(uses: list[VenueUse]) -> list[VenueUse]:
    """The least used first (of those open at all), the most hours standing empty first among equals;
    venues never open last."""
    return sorted(
        uses,
        key=lambda u: (
            u.utilisation is None,
            u.utilisation or 0.0,
            -(u.open_hours - u.booked_hours),
            u.venue_id,
        ),
    )


def total_utilisation(uses: list[VenueUse]) -> float | None:
    opened = sum(u.open_hours for u in uses)
    return round(min(1.0, sum(u.booked_hours for u in uses) / opened), 4) if opened else None
