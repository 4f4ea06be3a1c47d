"""What the coordinators' review computes from rows the graph gives (pure, no I/O): coverage gaps and venue use;
the scorecards (考核) are `matching/review/scorecards.py`.
The words that recur in a class of needs are matching/words.py's `recurring`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from matching.time_windows import open_seconds


@dataclass(frozen=True)
class CommunityCoverage:
    community_id: str
    open_needs: int  # open needs of the category raised in the community
    recent_needs: int  # needs of the category raised in the period
    members: int  # members within reach with a serving skill and load to spare
    member_slots: int  # the assignments those members can still take
    offerings: int  # active offerings with capacity left, for the community's area
    venues: int
    programs: int  # funding programs with budget left for the category and district

    @property
    def handlers(self) -> int:
        """Who could take a need now: members and offerings (venues and money do not handle needs)."""
        return self.members + self.offerings

    @property
    def gap(self) -> bool:
        """Demand and nobody within reach to meet it."""
        return self.open_needs + self.recent_needs > 0 and self.handlers == 0

    @property
    def shortfall(self) -> int:
        """Open needs beyond what the handlers within reach can take at once (0 when covered)."""
        return max(0, self.open_needs - self.member_slots - self.offerings)


def rank(rows: list[CommunityCoverage]) -> list[CommunityCoverage]:
    """Gaps first, most demand first; then the rest by shortfall and demand; ties by id, so stable."""
    return sorted(
        rows,
        key=lambda r: (not r.gap, -r.shortfall, -r.open_needs, -r.recent_needs, r.community_id),
    )


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
