"""Scorecards (考核), satisfaction first: periods, the weights of each level's composite, ranking and flags.

Pure: the graph layer counts (graph/scorecards/), this module turns counts into rates, a composite
under the declared weights, a rank within the level and the flags; the resolvers only validate and
authorise. Definitions of the figures: docs/STATS.md, "Scorecards".

The weights are one declaration, `WEIGHTS`: one profile per kind of subject, each summing to 1. The
document's two rules are in it: every level is judged by residents' satisfaction first
(以群众满意度为主), and for an agency stationed with a street (派驻机构) the street's rating weighs 60 %
(提高街道对派驻机构考核评价权重至60%). A deployment overrides entries with a JSON object in
MINHU_SCORECARD_WEIGHTS (`weights_from`), checked the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from matching.time_windows import XIAN_TZ


class Level(StrEnum):
    """What is scored: the places, the handlers, the property firms, the departments."""

    COMMUNITY = "COMMUNITY"
    STREET = "STREET"
    DISTRICT = "DISTRICT"
    UNIT = "UNIT"
    PROPERTY_FIRM = "PROPERTY_FIRM"
    DEPARTMENT = "DEPARTMENT"


class Figure(StrEnum):
    """The figures a composite weighs (each a rate in 0–1)."""

    SATISFACTION = "SATISFACTION"  # 满意率: residents' ratings of 4 or 5 among their ratings
    RESPONSE = "RESPONSE"  # 响应率: answered within the response limit
    COMPLETION = "COMPLETION"  # 办结率: completed, of those not cancelled
    ON_TIME = "ON_TIME"  # 限时办结率: completed within the completion limit, of those due
    WHISTLER_RATING = "WHISTLER_RATING"  # 谁呼谁评: the whistlers' average rating, scaled to 0–1
    STREET_RATING = "STREET_RATING"  # the rating of the street a department is stationed with, scaled


# Whose weights: each level's, and a department stationed with a street (派驻机构) its own.
Profile = StrEnum(
    "Profile", {**{level.name: level.value for level in Level}, "STATIONED_DEPARTMENT": "STATIONED_DEPARTMENT"}
)


class Flag(StrEnum):
    LOWEST_SATISFACTION = "LOWEST_SATISFACTION"  # among the `bottom` lowest satisfaction rates of its level
    BELOW_SATISFACTION_THRESHOLD = "BELOW_SATISFACTION_THRESHOLD"  # satisfaction rate under the threshold
    NO_DATA = "NO_DATA"  # nothing to judge its leading figure on: unranked, never a made-up number


S, R, C, T = Figure.SATISFACTION, Figure.RESPONSE, Figure.COMPLETION, Figure.ON_TIME
# The one declaration of the weights. The first figure of each profile leads: without it there is no
# composite (NO_DATA). Satisfaction weighs most for communities (the document adjusts the secretaries
# of those with the lowest); for a stationed department the street's rating weighs 60 %.
WEIGHTS: dict[Profile, dict[Figure, float]] = {
    Profile.COMMUNITY: {S: 0.50, R: 0.15, C: 0.20, T: 0.15},
    Profile.STREET: {S: 0.40, R: 0.20, C: 0.20, T: 0.20},
    Profile.DISTRICT: {S: 0.40, R: 0.20, C: 0.20, T: 0.20},
    Profile.UNIT: {S: 0.40, R: 0.20, C: 0.20, T: 0.20},
    Profile.PROPERTY_FIRM: {S: 0.60, R: 0.10, C: 0.20, T: 0.10},
    Profile.DEPARTMENT: {Figure.WHISTLER_RATING: 0.30, S: 0.30, R: 0.15, C: 0.15, T: 0.10},
    Profile.STATIONED_DEPARTMENT: {Figure.STREET_RATING: 0.60, S: 0.15, R: 0.10, C: 0.10, T: 0.05},
}
Weights = Mapping[Profile, Mapping[Figure, float]]


def checked(weights: Weights) -> dict[Profile, dict[Figure, float]]:
    """The weights, if every profile's are non-negative and sum to 1; ValueError naming the profile otherwise."""
    out: dict[Profile, dict[Figure, float]] = {}
    for profile, table in weights.items():
        if not table or any(w < 0 for w in table.values()) or abs(sum(table.values()) - 1.0) > 1e-6:
            raise ValueError(f"the weights of {profile.value} must be non-negative and sum to 1; got {dict(table)}")
        out[profile] = dict(table)
    return out


def weights_from(text: str | None) -> dict[Profile, dict[Figure, float]]:
    """`WEIGHTS` with the profiles a JSON object replaces, e.g. {"COMMUNITY": {"SATISFACTION": 0.6, ...}};
    ValueError saying what is wrong."""
    table: dict[Profile, dict[Figure, float]] = {p: dict(t) for p, t in WEIGHTS.items()}
    if text and text.strip():
        try:
            given = json.loads(text)
            for profile, weights in given.items():
                table[Profile(profile)] = {Figure(f): float(w) for f, w in weights.items()}
        except (ValueError, AttributeError, TypeError) as error:
            raise ValueError(
                f"MINHU_SCORECARD_WEIGHTS must be a JSON object of profiles ({', '.join(Profile)}) to figures "
                f"({', '.join(Figure)}) to weights: {error}"
            ) from error
    return checked(table)


# --- periods -------------------------------------------------------------------------------------

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^(\d{4})$")
PERIOD_FORMAT = "a quarter such as 2026-Q3, a month such as 2026-07 or a year such as 2026 (Beijing time)"


def _local(year: int, month: int) -> datetime:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=XIAN_TZ).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Period:
    """A calendar quarter, month or year in Beijing time: [start, end), and the period of the same kind before it."""

    year: int
    month: int  # the first month
    months: int  # 3 for a quarter, 1 for a month, 12 for a year (the yearly target assessment)

    @classmethod
    def parse(cls, text: str) -> Period:
        """ValueError naming the format when `text` is neither a quarter nor a month."""
        value = text.strip()
        if found := _QUARTER.match(value):
            return cls(int(found[1]), 3 * int(found[2]) - 2, 3)
        if found := _MONTH.match(value):
            return cls(int(found[1]), int(found[2]), 1)
        if found := _YEAR.match(value):
            return cls(int(found[1]), 1, 12)
        raise ValueError(f"{text!r} is not a period; write {PERIOD_FORMAT}")

    @classmethod
    def quarter_before(cls, now: datetime) -> Period:
        """The last full quarter before `now` (Beijing time): what an assessment office opens by default."""
        local = now.astimezone(XIAN_TZ)
        current = cls(local.year, 3 * ((local.month - 1) // 3) + 1, 3)
        return current.previous

    @property
    def name(self) -> str:
        if self.months == 12:
            return str(self.year)
        if self.months == 3:
            return f"{self.year}-Q{(self.month + 2) // 3}"
        return f"{self.year}-{self.month:02d}"

    @property
    def start(self) -> datetime:
        return _local(self.year, self.month)

    @property
    def end(self) -> datetime:
        return _local(self.year, self.month + self.months)

    @property
    def previous(self) -> Period:
        start = self.year * 12 + self.month - 1 - self.months
        return Period(start // 12, start % 12 + 1, self.months)


# --- counts → figures → cards ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Count:
    """One figure's count: `met` of `of`, and the items behind it (the needs counted, the needs that met it)."""

    met: int = 0
    of: int = 0
    counted_ids: tuple[str, ...] = ()
    met_ids: tuple[str, ...] = ()
    # For ratings: the sum of the ratings (1–5), `of` being how many; the figure is their average scaled.
    rating_sum: float | None = None

    @property
    def rate(self) -> float | None:
        """met / of, or for a rating its average scaled from 1–5 to 0–1; None (never 0) when nothing was counted."""
        if not self.of:
            return None
        if self.rating_sum is not None:
            return round((self.rating_sum / self.of - 1) / 4, 4)
        return round(self.met / self.of, 4)

    @property
    def average(self) -> float | None:
        """The average rating (1–5), for a rating; None otherwise or when there is none."""
        return round(self.rating_sum / self.of, 2) if self.rating_sum is not None and self.of else None


@dataclass(frozen=True, slots=True)
class Subject:
    """One subject's counts over one period (graph/scorecards/ fills it)."""

    subject_id: str
    container_id: str | None  # whom it is ranked among (a district, a street; None: the city)
    profile: Profile
    received: int
    counts: Mapping[Figure, Count]
    need_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Card:
    subject_id: str
    container_id: str | None
    profile: Profile
    received: int
    counts: Mapping[Figure, Count]
    need_ids: tuple[str, ...]
    weights: Mapping[Figure, float]
    composite: float | None
    rank: int | None
    flags: tuple[Flag, ...] = ()
    previous: Card | None = field(default=None, repr=False)

    def rate(self, figure: Figure) -> float | None:
        count = self.counts.get(figure)
        return count.rate if count is not None else None

    @property
    def composite_change(self) -> float | None:
        if self.composite is None or self.previous is None or self.previous.composite is None:
            return None
        return round(self.composite - self.previous.composite, 4)

    @property
    def rank_change(self) -> int | None:
        """Places climbed since the previous period (positive: better); None when either is unranked."""
        if self.rank is None or self.previous is None or self.previous.rank is None:
            return None
        return self.previous.rank - self.rank


def composite(counts: Mapping[Figure, Count], weights: Mapping[Figure, float]) -> float | None:
    """Σ rate × weight over the figures with data, the weights renormalised over them; None when the
    leading (first) figure has no data: a subject is never scored on what it was not judged on first."""
    lead = next(iter(weights))
    if counts.get(lead, Count()).rate is None:
        return None
    present = {f: w for f, w in weights.items() if counts.get(f, Count()).rate is not None}
    total = sum(present.values())
    if total <= 0:
        return None
    return round(sum((counts[f].rate or 0.0) * w for f, w in present.items()) / total, 4)


def _ranked(subjects: Sequence[Subject], weights: Weights) -> list[Card]:
    """Best first within each container: composite, then satisfaction, then id; those without data last, unranked."""
    cards = [
        Card(
            s.subject_id,
            s.container_id,
            s.profile,
            s.received,
            s.counts,
            s.need_ids,
            weights[s.profile],
            composite(s.counts, weights[s.profile]),
            None,
        )
        for s in subjects
    ]

    def order(card: Card) -> tuple:
        satisfaction = card.rate(Figure.SATISFACTION)
        return (card.container_id or "", card.composite is None, -(card.composite or 0.0), -(satisfaction or 0.0),
                card.subject_id)  # fmt: skip

    cards.sort(key=order)
    out: list[Card] = []
    rank, container = 0, object()
    for card in cards:
        if card.container_id != container:
            rank, container = 0, card.container_id
        if card.composite is None:
            out.append(_with(card, rank=None))
            continue
        rank += 1
        out.append(_with(card, rank=rank))
    return out


def _with(card: Card, **changes: Any) -> Card:
    return replace(card, **changes)


# The defaults of the settings that flag low satisfaction (communities' and property firms' alike: the
# document's bar for both) and how many of a ranking's lowest are flagged.
SATISFACTION_THRESHOLD = 0.8
BOTTOM = 3


@dataclass(frozen=True, slots=True)
class FlagRule:
    """Which levels are flagged for low satisfaction: the `bottom` lowest rates within each container and
    any rate below `threshold`."""

    bottom: int
    threshold: float


def flags_of(cards: Sequence[Card], rule: FlagRule | None) -> dict[str, tuple[Flag, ...]]:
    """Each card's flags: NO_DATA when unranked; under `rule`, the `bottom` lowest satisfaction rates of
    each container (ties at the edge all flagged; none tied with the container's best) and those below
    the threshold."""
    out: dict[str, list[Flag]] = {c.subject_id: ([Flag.NO_DATA] if c.composite is None else []) for c in cards}
    if rule is None:
        return {k: tuple(v) for k, v in out.items()}
    by_container: dict[str | None, list[Card]] = {}
    for card in cards:
        if card.rate(Figure.SATISFACTION) is not None:
            by_container.setdefault(card.container_id, []).append(card)
    for rated in by_container.values():
        ordered = sorted(c.rate(Figure.SATISFACTION) or 0.0 for c in rated)
        edge = ordered[min(rule.bottom, len(ordered)) - 1] if rule.bottom > 0 else None
        best = ordered[-1]
        for card in rated:
            rate = card.rate(Figure.SATISFACTION) or 0.0
            # Tied with the best of its ranking is never "lowest", however few there are.
            if edge is not None and rate <= edge and rate < best:
                out[card.subject_id].append(Flag.LOWEST_SATISFACTION)
            if rate < rule.threshold:
                out[card.subject_id].append(Flag.BELOW_SATISFACTION_THRESHOLD)
    return {k: tuple(v) for k, v in out.items()}


def scorecards(
    current: Sequence[Subject], previous: Iterable[Subject], weights: Weights, rule: FlagRule | None
) -> list[Card]:
    """The period's cards, ranked within their containers, flagged, each holding the previous period's
    card of the same subject (ranked the same way) to compare with."""
    before = {c.subject_id: c for c in _ranked(list(previous), weights)}
    cards = _ranked(current, weights)
    flags = flags_of(cards, rule)
    return [_with(c, flags=flags[c.subject_id], previous=before.get(c.subject_id)) for c in cards]
