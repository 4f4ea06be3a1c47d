"""Weekly hours ("D HH:MM-HH:MM") against concrete windows: overlap, opening checks, first free moment.

Member availability, offering hours and venue opening hours share one format: D is the ISO weekday
(1 = Monday … 7 = Sunday), times are Xi'an local (UTC+8, no daylight saving), ``24:00`` ends a day and
an end before the start runs past midnight. Aware datetimes are converted to Xi'an time; naive ones
are taken as Xi'an time already. Everything is computed in seconds from Monday 00:00.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from matching.weights import SERVICE_SECONDS, UNKNOWN_AVAILABILITY_VALUE

XIAN_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
DAY = 86_400
WEEK = 7 * DAY
# Longer windows are scanned only this far: the pattern repeats weekly, and no check needs more.
MAX_WEEKS_SCANNED = 8

_SLOT = re.compile(r"^\s*([1-7])\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class Slot:
    """One parsed weekly slot; ``end`` ≤ ``start`` (minutes) means it runs past midnight."""

    weekday: int
    start: int
    end: int


def parse_slot(text: str) -> Slot:
    """Parses ``"6 08:00-12:00"``; raises ValueError so input validation can report the bad string."""
    m = _SLOT.match(text)
    if not m:
        raise ValueError(f"availability slot must look like 'D HH:MM-HH:MM' (D = 1..7), got {text!r}")
    day, h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"invalid time in availability slot {text!r}")
    return Slot(day, h1 * 60 + m1, h2 * 60 + m2)


@lru_cache(maxsize=65_536)
def weekly_intervals(hours: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Merged, sorted [start, end) second intervals within one week.

    Malformed strings are skipped here (validation happens on write with ``parse_slot``) so one bad
    record cannot break a whole ranking. Cached: many members share the same few patterns.
    """
    raw: list[tuple[int, int]] = []
    for text in hours:
        try:
            slot = parse_slot(text)
        except ValueError:
            continue
        lo = (slot.weekday - 1) * DAY + slot.start * 60
        hi = (slot.weekday - 1) * DAY + slot.end * 60
        if hi <= lo:
            hi += DAY
        if hi > WEEK:  # Sunday night into Monday morning
            raw.append((lo, WEEK))
            raw.append((0, hi - WEEK))
        else:
            raw.append((lo, hi))
    raw.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in raw:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def to_local(moment: datetime) -> datetime:
    """Xi'an wall-clock time, naive."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(XIAN_TZ).replace(tzinfo=None)


def _week_offset(local: datetime) -> int:
    return local.weekday() * DAY + local.hour * 3600 + local.minute * 60 + local.second


def _window(start: datetime, end: datetime) -> tuple[int, int]:
    """The window as [a, b) seconds from the Monday of its start week, capped in length."""
    s, e = to_local(start), to_local(end)
    length = min(int((e - s).total_seconds()), MAX_WEEKS_SCANNED * WEEK)
    a = _week_offset(s)
    return a, a + max(length, 0)


def overlap_seconds(hours: Iterable[str], start: datetime, end: datetime) -> int:
    """Seconds of [start, end) that fall inside the weekly hours (window capped at 8 weeks)."""
    intervals = weekly_intervals(tuple(hours))
    a, b = _window(start, end)
    total = 0
    base = 0
    while base < b:
        for lo, hi in intervals:
            total += max(0, min(hi + base, b) - max(lo + base, a))
        base += WEEK
    return total


def has_overlap(hours: Iterable[str], start: datetime | None, end: datetime | None) -> bool:
    """True if the hours meet the window at all; an open window (None) needs any declared hours."""
    if start is None or end is None:
        return bool(weekly_intervals(tuple(hours)))
    return overlap_seconds(hours, start, end) > 0


def is_open(opening_hours: Iterable[str], start: datetime | None, end: datetime | None) -> bool:
    """True if the venue is open for the whole window (adjacent slots join); None window = has any hours."""
    hours = tuple(opening_hours)
    if start is None or end is None:
        return bool(weekly_intervals(hours))
    a, b = _window(start, end)
    if b <= a:
        return False
    return overlap_seconds(hours, start, end) == b - a


def window_seconds(start: datetime | None, end: datetime | None) -> int | None:
    """Length of a window in seconds, None for an open window."""
    if start is None or end is None:
        return None
    return max(0, int((to_local(end) - to_local(start)).total_seconds()))


def availability_fit(hours: Iterable[str], start: datetime | None, end: datetime | None) -> float:
    """0–1: how much of a typical service (2 h, or the whole window if shorter) fits in the overlap.

    Why not "share of the window covered": a week-long window is served by any two free hours.
    An open window scores 1 for declared hours and 0.5 (unknown) without.
    """
    hours = tuple(hours)
    if start is None or end is None:
        return 1.0 if weekly_intervals(hours) else UNKNOWN_AVAILABILITY_VALUE
    length = window_seconds(start, end) or 0
    needed = min(length, SERVICE_SECONDS)
    if needed <= 0:
        return 0.0
    return min(1.0, overlap_seconds(hours, start, end) / needed)


def first_free(hours: Iterable[str], start: datetime | None, end: datetime | None) -> tuple[int, int] | None:
    """(ISO weekday, second of day) of the first moment the hours meet the window, for reasons.

    With an open window, the first slot of the week. None if they never meet.
    """
    intervals = weekly_intervals(tuple(hours))
    if not intervals:
        return None
    if start is None or end is None:
        first = intervals[0][0]
    else:
        a, b = _window(start, end)
        found: int | None = None
        base = 0
        while base < b and found is None:
            for lo, hi in intervals:
                lo2, hi2 = lo + base, hi + base
                if lo2 < b and hi2 > a:
                    found = max(lo2, a)
                    break
            base += WEEK
        if found is None:
            return None
        first = found % WEEK
    return first // DAY + 1, first % DAY


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """True if two [start, end) intervals intersect (booking clashes)."""
    return to_local(a_start) < to_local(b_end) and to_local(b_start) < to_local(a_end)


def open_seconds(hours: Iterable[str], start: datetime, end: datetime) -> int:
    """Seconds of [start, end) inside the weekly hours, for a period of any length (a quarter, a year)."""
    hours = tuple(hours)
    weekly = sum(hi - lo for lo, hi in weekly_intervals(hours))
    weeks = max(0, int((end - start).total_seconds()) // WEEK)
    rest_start = start + timedelta(seconds=weeks * WEEK)
    return weeks * weekly + (overlap_seconds(hours, rest_start, end) if rest_start < end else 0)
