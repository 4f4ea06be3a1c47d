"""Hard checks: what makes a candidate impossible, whatever its score.

Each ``*_blockers`` returns the reasons a candidate is ineligible (empty tuple = eligible). The graph
layer filters the same way in Cypher where it can; these are the reference definitions.
"""

from __future__ import annotations

from datetime import datetime

from matching.factors import fundable, headroom, in_period, serving_skills
from matching.models import (
    Blocker,
    MemberCandidate,
    NeedProfile,
    OfferingCandidate,
    ProgramCandidate,
    VenueCandidate,
)
from matching.place import Tier, area_tier
from matching.time_windows import has_overlap, is_open, overlaps, to_local


def member_blockers(need: NeedProfile, cand: MemberCandidate) -> tuple[Blocker, ...]:
    out: list[Blocker] = []
    if not serving_skills(cand.skills, need.category_code):
        out.append(Blocker.NO_SKILL_FIT)
    if headroom(cand.max_load, cand.open_load) <= 0:
        out.append(Blocker.NO_HEADROOM)
    if need.window_start is not None and not has_overlap(cand.availability, need.window_start, need.window_end):
        out.append(Blocker.NOT_AVAILABLE)
    return tuple(out)


def serves_area(need: NeedProfile, area_ids: frozenset[str]) -> bool:
    """An offering with no IN_AREA serves anywhere; otherwise the need must lie in one of its areas."""
    return not area_ids or area_tier(need.place, area_ids) != Tier.NONE


def offering_blockers(need: NeedProfile, cand: OfferingCandidate) -> tuple[Blocker, ...]:
    out: list[Blocker] = []
    if cand.status != "ACTIVE":
        out.append(Blocker.NOT_ACTIVE)
    if need.category_code not in cand.serves:
        out.append(Blocker.NO_CATEGORY_FIT)
    if not serves_area(need, cand.area_ids):
        out.append(Blocker.OUT_OF_AREA)
    if headroom(cand.capacity, cand.open_load) <= 0:
        out.append(Blocker.NO_CAPACITY)
    # Offerings without declared hours are taken as available on request (goods, standing services).
    if (
        cand.availability
        and need.window_start is not None
        and not has_overlap(cand.availability, need.window_start, need.window_end)
    ):
        out.append(Blocker.NOT_AVAILABLE)
    return tuple(out)


def is_booked(bookings: tuple[tuple[datetime, datetime], ...], start: datetime | None, end: datetime | None) -> bool:
    """True if a confirmed booking clashes with the window (an open window clashes with nothing)."""
    if start is None or end is None:
        return False
    return any(overlaps(b_start, b_end, start, end) for b_start, b_end in bookings)


def venue_blockers(need: NeedProfile, cand: VenueCandidate) -> tuple[Blocker, ...]:
    out: list[Blocker] = []
    if need.attendees > cand.capacity:
        out.append(Blocker.TOO_SMALL)
    if not need.required_facilities <= cand.facilities:
        out.append(Blocker.MISSING_FACILITIES)
    if not is_open(cand.opening_hours, need.window_start, need.window_end):
        out.append(Blocker.CLOSED)
    if is_booked(cand.bookings, need.window_start, need.window_end):
        out.append(Blocker.BOOKED)
    return tuple(out)


def program_day(need: NeedProfile, now: datetime) -> datetime:
    """The moment a grant would be spent: the window's start if later than now, else now."""
    if need.window_start is not None and to_local(need.window_start) > to_local(now):
        return need.window_start
    return now


def program_blockers(need: NeedProfile, cand: ProgramCandidate, now: datetime) -> tuple[Blocker, ...]:
    out: list[Blocker] = []
    if fundable(cand.budget, cand.spent, cand.cap_per_grant, None) <= 0:
        out.append(Blocker.NO_BUDGET)
    if need.category_code not in cand.categories:
        out.append(Blocker.CATEGORY_NOT_COVERED)
    if cand.district_ids and need.place.district_id not in cand.district_ids:
        out.append(Blocker.DISTRICT_NOT_COVERED)
    # The grant is spent when the service happens; a day inside the period also means not yet ended.
    spend_day = to_local(program_day(need, now)).date()
    if not in_period(cand.period_start, cand.period_end, spend_day):
        out.append(Blocker.OUT_OF_PERIOD)
    return tuple(out)
