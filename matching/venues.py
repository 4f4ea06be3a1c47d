"""Choosing a venue for a window (availableVenues): the candidates found are ranked as for a need, and
each carries how far it is and what the whole window costs. Pure: the graph side finds the candidates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from matching.factors import window_fee
from matching.models import CandidateKind, NeedProfile, Place, ScoredCandidate, VenueCandidate
from matching.place import distance_km
from matching.scoring import rank
from matching.time_windows import window_seconds


@dataclass(frozen=True, slots=True)
class VenueChoice:
    scored: ScoredCandidate
    distance_km: float | None
    fee_for_window: int  # fen


def rank_venues(
    near: Place,
    start: datetime,
    end: datetime,
    attendees: int,
    facilities: frozenset[str],
    found: Sequence[VenueCandidate],
    first: int,
    now: datetime,
) -> list[VenueChoice]:
    """The best `first` venues free for [start, end), best first; opening hours and clashes are checked
    again here by the hard checks (`venue_blockers`), whatever the search let through."""
    search = NeedProfile(
        id="venue-search",
        category_code="",
        category_name="",
        place=near,
        window_start=start,
        window_end=end,
        attendees=attendees,
        required_facilities=facilities,
    )
    by_id = {venue.id: venue for venue in found}
    seconds = window_seconds(start, end)
    choices = []
    for scored in rank(CandidateKind.VENUE, search, found, first, now):
        venue = by_id[scored.id]
        km = distance_km(near, venue.place)
        choices.append(
            VenueChoice(scored, None if km is None else round(km, 3), window_fee(venue.fee_per_hour, seconds))
        )
    return choices
