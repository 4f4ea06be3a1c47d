"""Scores for many (need, candidate) pairs at once, with numpy: batch dispatch's scorer.

The factor values and weights are those of ``matching.scoring`` (same formulas, same weights, summed
in the same order), computed over arrays instead of one dataclass at a time: about 1 µs a pair
instead of ~20 µs, so a city plan (15,000 needs × a community's fitting members) scores in well
under a second. A test checks every value against the exact scorer on hand-made inputs.

What the caller supplies per pair, already resolved (the graph layer knows it without scoring):
- the place tier's value (``place.TIER_VALUE``) and both points; a member of the need's own
  community pool is always at community tier, an offering's tier is the best of its unit's
  registrations and its served areas (``offering_tier``);
- text relevance is not used in plans (no full-text query per need), so offerings' TEXT is 0,
  exactly as the exact scorer gives for ``text_score = 0``.
Explanations (parts, reasons) are not produced here: the plan's chosen pairs are explained by the
exact scorer (``scoring.score``), whose score agrees with this one to floating-point rounding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from matching import weights
from matching.models import CandidateKind, Factor, NeedProfile, OfferingCandidate, Place
from matching.place import EARTH_RADIUS_KM, TIER_VALUE, Tier
from matching.time_windows import WEEK, _window, weekly_intervals, window_seconds
from matching.weights import WEIGHTS

FloatArray = np.ndarray


# --- weekly hours against windows ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hours:
    """Weekly hours of many candidates as padded interval arrays (seconds from Monday 00:00).

    ``lo``/``hi`` have one row per candidate; padding intervals are empty (lo == hi == 0).
    ``declared``: the hours parse to at least one interval. ``listed``: any string was given at all
    (an offering with strings, even malformed ones, is checked against the window).
    """

    lo: np.ndarray
    hi: np.ndarray
    declared: np.ndarray
    listed: np.ndarray


def hours(patterns: Sequence[tuple[str, ...]]) -> Hours:
    """Parses each distinct pattern once (``weekly_intervals``) and pads them into arrays."""
    index: dict[tuple[str, ...], int] = {}
    codes = np.fromiter((index.setdefault(p, len(index)) for p in patterns), dtype=np.int64, count=len(patterns))
    parsed = [weekly_intervals(p) for p in index]
    width = max((len(iv) for iv in parsed), default=0) or 1
    lo = np.zeros((len(parsed), width), dtype=np.int64)
    hi = np.zeros((len(parsed), width), dtype=np.int64)
    for row, intervals in enumerate(parsed):
        for j, (a, b) in enumerate(intervals):
            lo[row, j], hi[row, j] = a, b
    declared = np.array([bool(iv) for iv in parsed], dtype=bool)
    listed = np.array([bool(p) for p in index], dtype=bool)
    return Hours(lo[codes], hi[codes], declared[codes], listed[codes])


@dataclass(frozen=True, slots=True)
class Windows:
    """Needs' time windows as arrays: ``closed`` (both ends known), ``starts`` (a start is known),
    ``a``/``b`` the window in seconds from the Monday of its start week (capped like
    ``time_windows``), ``needed`` the seconds of service that count as a full fit."""

    closed: np.ndarray
    starts: np.ndarray
    a: np.ndarray
    b: np.ndarray
    needed: np.ndarray


def windows(spans: Sequence[tuple[datetime | None, datetime | None]]) -> Windows:
    n = len(spans)
    closed = np.zeros(n, dtype=bool)
    starts = np.zeros(n, dtype=bool)
    a = np.zeros(n, dtype=np.int64)
    b = np.zeros(n, dtype=np.int64)
    needed = np.zeros(n, dtype=np.int64)
    for i, (start, end) in enumerate(spans):
        starts[i] = start is not None
        if start is None or end is None:
            continue
        closed[i] = True
        a[i], b[i] = _window(start, end)
        needed[i] = min(window_seconds(start, end) or 0, weights.SERVICE_SECONDS)
    return Windows(closed, starts, a, b, needed)


def availability(h: Hours, cand: np.ndarray, w: Windows, need: np.ndarray) -> tuple[FloatArray, np.ndarray]:
    """Per pair: ``availability_fit`` and ``has_overlap`` (whether the hours meet the window at all)."""
    declared = h.declared[cand]
    closed = w.closed[need]
    value = np.where(declared, 1.0, weights.UNKNOWN_AVAILABILITY_VALUE)
    meets = declared.copy()
    rows = np.nonzero(closed)[0]
    if len(rows):
        c, n = cand[rows], need[rows]
        lo, hi = h.lo[c], h.hi[c]
        a, b = w.a[n][:, None], w.b[n][:, None]
        overlap = np.zeros(len(rows), dtype=np.int64)
        base = 0
        top = int(b.max()) if len(b) else 0
        while base < top:  # weekly repeats, as time_windows.overlap_seconds (later weeks add 0 past b)
            overlap += np.clip(np.minimum(hi + base, b) - np.maximum(lo + base, a), 0, None).sum(axis=1)
            base += WEEK
        needed = w.needed[n]
        fit = np.where(needed > 0, np.minimum(1.0, overlap / np.maximum(needed, 1)), 0.0)
        value[rows] = fit
        meets[rows] = overlap > 0
    return value, meets


# --- place -----------------------------------------------------------------------------------------


def distance_km(lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray) -> FloatArray:
    """``place.distance_km`` over arrays; NaN where a point is unknown."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def place_value(tier_value: FloatArray | float, km: FloatArray) -> FloatArray:
    """``place.place_fit(...).value``: tier only without a distance, else the blend with distance decay."""
    share = weights.PLACE_TIER_SHARE
    decay = 1.0 / (1.0 + np.maximum(km, 0.0) / weights.DISTANCE_HALF_KM)
    return np.where(np.isnan(km), tier_value, share * tier_value + (1 - share) * decay)


def offering_tier(need: Place, reg_places: Iterable[Place], area_ids: frozenset[str]) -> Tier:
    """The tier ``scoring`` gives an offering: its unit's best registration (``best_registration``)
    shared with the need, lifted by the finest of the need's places the offering serves."""
    tier = Tier.NONE
    for reg in reg_places:
        if need.community_id and reg.community_id == need.community_id:
            tier = max(tier, Tier.COMMUNITY)
        elif need.street_id and reg.street_id == need.street_id:
            tier = max(tier, Tier.STREET)
        elif need.district_id and reg.district_id == need.district_id:
            tier = max(tier, Tier.DISTRICT)
    for level, pid in (
        (Tier.COMPOUND, need.compound_id),
        (Tier.COMMUNITY, need.community_id),
        (Tier.STREET, need.street_id),
        (Tier.DISTRICT, need.district_id),
    ):
        if pid and pid in area_ids:
            return max(tier, level)
    return tier


def tier_values(tiers: Iterable[Tier]) -> FloatArray:
    return np.array([TIER_VALUE[t] for t in tiers], dtype=float)


# --- per-candidate factors -------------------------------------------------------------------------


def headroom_ratio(limit: np.ndarray, open_load: np.ndarray) -> FloatArray:
    room = np.maximum(0, limit - open_load)
    return np.where(limit > 0, room / np.maximum(limit, 1), 0.0)


def satisfaction(
    rating_sum: np.ndarray, rating_count: np.ndarray, prior: FloatArray | float = weights.RATING_PRIOR_MEAN
) -> FloatArray:
    """``factors.satisfaction`` over arrays; ``prior`` per element or one for all."""
    k = weights.RATING_PRIOR_COUNT
    avg = (rating_sum + k * prior) / (np.maximum(rating_count, 0) + k)
    return np.clip((avg - 1.0) / 4.0, 0.0, 1.0)


def completion_rate(completed: np.ndarray, finished: np.ndarray) -> FloatArray:
    k, r = weights.COMPLETION_PRIOR_COUNT, weights.COMPLETION_PRIOR_RATE
    finished = np.maximum(np.maximum(finished, completed), 0)
    return np.clip((completed + k * r) / (finished + k), 0.0, 1.0)


def fairness(last_served: FloatArray, assigned: np.ndarray, now: float) -> FloatArray:
    """``factors.fairness``; ``last_served`` and ``now`` in epoch seconds (NaN: never served)."""
    days = np.maximum((now - last_served) / 86_400, 0.0)
    recency = np.where(np.isnan(last_served), 1.0, 1.0 - np.exp(-np.nan_to_num(days) / weights.FAIRNESS_RECENCY_DAYS))
    volume = 1.0 / (1.0 + np.maximum(assigned, 0) / weights.FAIRNESS_VOLUME_HALF)
    share = weights.FAIRNESS_RECENCY_SHARE
    return np.clip(share * recency + (1 - share) * volume, 0.0, 1.0)


def specialisation(serves_count: np.ndarray) -> FloatArray:
    """Value of one skill or offering serving ``serves_count`` categories (0 where the count is 0)."""
    floor = weights.GENERALIST_FLOOR
    return np.where(serves_count > 0, floor + (1 - floor) / np.maximum(serves_count, 1), 0.0)


def skill_fit(
    member_skills: Sequence[Iterable[str]], skill_serves: Mapping[str, frozenset[str]], categories: Sequence[str]
) -> FloatArray:
    """(members × categories) ``factors.specialisation`` of each member's best skill serving each category."""
    cat_index = {c: j for j, c in enumerate(categories)}
    codes = sorted(skill_serves)
    code_index = {c: i for i, c in enumerate(codes)}
    per_skill = np.zeros((len(codes), len(categories)))
    for i, code in enumerate(codes):
        serves = skill_serves[code]
        for cat in serves:
            if cat in cat_index:
                per_skill[i, cat_index[cat]] = specialisation(np.array(len(serves)))
    rows: list[int] = []
    skill_rows: list[int] = []
    for m, skills in enumerate(member_skills):
        for code in skills:
            i = code_index.get(code)
            if i is not None:
                rows.append(m)
                skill_rows.append(i)
    out = np.zeros((len(member_skills), len(categories)))
    np.maximum.at(out, np.array(rows, dtype=np.int64), per_skill[np.array(skill_rows, dtype=np.int64)])
    return out


# --- sums and selection ----------------------------------------------------------------------------


def weighted(kind: CandidateKind, values: Mapping[Factor, FloatArray | float]) -> FloatArray:
    """``scoring.weighted_sum`` over arrays: clamped values × the kind's weights, added in the same order."""
    total: FloatArray | float = 0
    for factor, weight in WEIGHTS[CandidateKind(kind)].items():
        total = total + np.clip(values[factor], 0.0, 1.0) * weight
    return np.asarray(total, dtype=float)


def top_per_group(group: np.ndarray, key: FloatArray, k: int, tie: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` largest ``key`` within each group (ties: smaller ``tie`` first), grouped and
    best first; e.g. a need's best arcs, or its nearest candidates with ``key = -distance``."""
    if len(group) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    tie = np.zeros(len(group), dtype=np.int64) if tie is None else tie
    order = np.lexsort((tie, -key, group))
    g = group[order]
    starts = np.r_[0, np.nonzero(g[1:] != g[:-1])[0] + 1]
    rank = np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    return order[rank < k]


# --- whole scores ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NeedArrays:
    """Needs as arrays: category column (into the ``categories`` of the fit tables), point, window."""

    cat: np.ndarray
    lat: FloatArray
    lon: FloatArray
    windows: Windows
    rating_prior: FloatArray


def floats(values: Sequence[float | None]) -> FloatArray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def need_arrays(needs: Sequence[NeedProfile], categories: Sequence[str]) -> NeedArrays:
    cat_index = {c: j for j, c in enumerate(categories)}
    return NeedArrays(
        cat=np.array([cat_index[n.category_code] for n in needs], dtype=np.int64),
        lat=floats([n.place.latitude for n in needs]),
        lon=floats([n.place.longitude for n in needs]),
        windows=windows([(n.window_start, n.window_end) for n in needs]),
        rating_prior=floats([weights.RATING_PRIOR_MEAN if n.rating_prior is None else n.rating_prior for n in needs]),
    )


@dataclass(frozen=True, slots=True)
class MemberArrays:
    """Members as arrays; ``fit`` is (members × categories) skill specialisation (0: no skill fits)."""

    lat: FloatArray
    lon: FloatArray
    hours: Hours
    max_load: np.ndarray
    open_load: np.ndarray
    load: FloatArray
    rating_sum: np.ndarray
    rating_count: np.ndarray
    completion: FloatArray
    fairness: FloatArray
    fit: FloatArray


def member_arrays(
    *,
    lat: Sequence[float | None],
    lon: Sequence[float | None],
    availability: Sequence[tuple[str, ...]],
    max_load: Sequence[int],
    open_load: Sequence[int],
    rating_sum: Sequence[int],
    rating_count: Sequence[int],
    completed: Sequence[int],
    assigned: Sequence[int],
    last_served: Sequence[datetime | None],
    skills: Sequence[Iterable[str]],
    skill_serves: Mapping[str, frozenset[str]],
    categories: Sequence[str],
    now: datetime,
) -> MemberArrays:
    """The per-member factors (load, satisfaction, completion, fairness) once, and the skill fit table."""
    limit, load = np.array(max_load, dtype=np.int64), np.array(open_load, dtype=np.int64)
    done, given = np.array(completed, dtype=np.int64), np.array(assigned, dtype=np.int64)
    last = np.array([np.nan if t is None else t.timestamp() for t in last_served], dtype=float)
    return MemberArrays(
        lat=floats(lat),
        lon=floats(lon),
        hours=hours(availability),
        max_load=limit,
        open_load=load,
        load=headroom_ratio(limit, load),
        rating_sum=np.array(rating_sum, dtype=np.int64),
        rating_count=np.array(rating_count, dtype=np.int64),
        completion=completion_rate(done, given - load),
        fairness=fairness(last, given, now.timestamp()),
        fit=skill_fit(skills, skill_serves, categories),
    )


def member_scores(
    needs: NeedArrays, members: MemberArrays, ni: np.ndarray, mi: np.ndarray, tier_value: FloatArray | float
) -> tuple[FloatArray, np.ndarray]:
    """(score, eligible) of each pair (needs ``ni``, members ``mi``): ``scoring.score_value`` over arrays.
    ``tier_value``: the place tier's value per pair (a need's community pool: community tier)."""
    km = distance_km(needs.lat[ni], needs.lon[ni], members.lat[mi], members.lon[mi])
    avail, meets = availability(members.hours, mi, needs.windows, ni)
    skill = members.fit[mi, needs.cat[ni]]
    values = {
        Factor.SKILL: skill,
        Factor.PLACE: place_value(tier_value, km),
        Factor.AVAILABILITY: avail,
        Factor.LOAD: members.load[mi],
        Factor.SATISFACTION: satisfaction(members.rating_sum[mi], members.rating_count[mi], needs.rating_prior[ni]),
        Factor.COMPLETION: members.completion[mi],
        Factor.FAIRNESS: members.fairness[mi],
    }
    eligible = (skill > 0) & (members.max_load[mi] > members.open_load[mi]) & ~(needs.windows.starts[ni] & ~meets)
    return weighted(CandidateKind.MEMBER, values), eligible


@dataclass(frozen=True, slots=True)
class OfferingArrays:
    lat: FloatArray
    lon: FloatArray
    hours: Hours
    capacity: np.ndarray
    open_load: np.ndarray
    active: np.ndarray
    category: FloatArray  # specialisation by the number of categories served
    load: FloatArray
    satisfaction: FloatArray
    completion: FloatArray


def offering_arrays(offerings: Sequence[OfferingCandidate]) -> OfferingArrays:
    """Per-offering factors; the place is read from each candidate's point (its registration, which
    depends on the need, enters only through the tier the caller passes to ``offering_scores``)."""
    cap = np.array([o.capacity for o in offerings], dtype=np.int64)
    load = np.array([o.open_load for o in offerings], dtype=np.int64)
    return OfferingArrays(
        lat=floats([o.place.latitude for o in offerings]),
        lon=floats([o.place.longitude for o in offerings]),
        hours=hours([o.availability for o in offerings]),
        capacity=cap,
        open_load=load,
        active=np.array([o.status == "ACTIVE" for o in offerings], dtype=bool),
        category=specialisation(np.array([len(o.serves) for o in offerings], dtype=np.int64)),
        load=headroom_ratio(cap, load),
        satisfaction=satisfaction(
            np.array([o.record.rating_sum for o in offerings], dtype=np.int64),
            np.array([o.record.rating_count for o in offerings], dtype=np.int64),
        ),
        completion=completion_rate(
            np.array([o.record.completed_count for o in offerings], dtype=np.int64),
            np.array([o.record.assigned_count for o in offerings], dtype=np.int64) - load,
        ),
    )


def offering_scores(
    needs: NeedArrays, offerings: OfferingArrays, ni: np.ndarray, oi: np.ndarray, tier_value: FloatArray
) -> tuple[FloatArray, np.ndarray]:
    """(score, eligible) per pair, for offerings that serve the need's category and area (the caller
    pairs only those) with no full-text score; ``tier_value`` from ``offering_tier`` per pair."""
    km = distance_km(needs.lat[ni], needs.lon[ni], offerings.lat[oi], offerings.lon[oi])
    avail, meets = availability(offerings.hours, oi, needs.windows, ni)
    listed = offerings.hours.listed[oi]
    values = {
        Factor.CATEGORY: offerings.category[oi],
        Factor.TEXT: 0.0,
        Factor.PLACE: place_value(tier_value, km),
        Factor.AVAILABILITY: np.where(listed, avail, 1.0),
        Factor.CAPACITY: offerings.load[oi],
        Factor.SATISFACTION: offerings.satisfaction[oi],
        Factor.COMPLETION: offerings.completion[oi],
    }
    eligible = (
        offerings.active[oi]
        & (offerings.capacity[oi] > offerings.open_load[oi])
        & ~(listed & needs.windows.starts[ni] & ~meets)
    )
    return weighted(CandidateKind.UNIT, values), eligible
