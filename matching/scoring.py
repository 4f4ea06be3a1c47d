"""Scores with explanations: factor values × named weights, summed, plus one Chinese reason.

A score is exactly the sum of its parts' contributions, so the parts are the explanation. Scoring an
ineligible candidate still works (its ``blockers`` say why); ``rank`` keeps only eligible ones.

Each kind has three pieces: ``*_values`` (factor values), a reason builder, and ``score_*`` joining
them. ``score_value`` skips parts and reasons (about 3× faster) for bulk work such as building
dispatch arcs; it returns exactly the same float as ``score_*(...).score``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from matching import explain, factors, weights
from matching.eligibility import member_blockers, offering_blockers, program_blockers, venue_blockers
from matching.models import (
    Blocker,
    Candidate,
    CandidateKind,
    Factor,
    FallbackCandidate,
    MemberCandidate,
    NeedProfile,
    OfferingCandidate,
    PlanArc,
    ProgramCandidate,
    ScoredCandidate,
    ScorePart,
    VenueCandidate,
)
from matching.place import PlaceFit, area_tier, place_fit
from matching.time_windows import availability_fit, first_free, to_local, window_seconds
from matching.weights import WEIGHTS


def build_parts(
    weights: Mapping[Factor, float], values: Mapping[Factor, float], notes: Mapping[Factor, str] | None = None
) -> tuple[ScorePart, ...]:
    """One part per weighted factor, in the weights' order; values are clamped to 0–1."""
    parts = []
    for factor, weight in weights.items():
        value = factors.clamp(values[factor])
        parts.append(ScorePart(str(factor), value, weight, value * weight, (notes or {}).get(factor)))
    return tuple(parts)


def weighted_sum(weights: Mapping[Factor, float], values: Mapping[Factor, float]) -> float:
    """The same float as summing ``build_parts`` contributions (same order, same operations)."""
    return sum(factors.clamp(values[factor]) * weight for factor, weight in weights.items())


def scored(
    kind: CandidateKind,
    cand_id: str,
    values: Mapping[Factor, float],
    reason: str,
    blockers: tuple[Blocker, ...],
    notes: Mapping[Factor, str] | None = None,
) -> ScoredCandidate:
    parts = build_parts(WEIGHTS[kind], values, notes)
    score = sum(p.contribution for p in parts)
    return ScoredCandidate(kind, cand_id, score, parts, explain.with_blockers(reason, blockers), blockers)


# --- members ---------------------------------------------------------------------------------------


def member_values(need: NeedProfile, cand: MemberCandidate, now: datetime) -> dict[Factor, float]:
    """Skill fit, place, free time in the window, load headroom, ratings, completion, fairness."""
    skills = factors.serving_skills(cand.skills, need.category_code)
    record = cand.record
    return {
        Factor.SKILL: factors.specialisation(len(s.serves) for s in skills),
        Factor.PLACE: place_fit(need.place, cand.place).value,
        Factor.AVAILABILITY: availability_fit(cand.availability, need.window_start, need.window_end),
        Factor.LOAD: factors.headroom_ratio(cand.max_load, cand.open_load),
        Factor.SATISFACTION: factors.satisfaction(record.rating_sum, record.rating_count, need.rating_prior),
        Factor.COMPLETION: factors.completion_rate(record.completed_count, record.assigned_count - cand.open_load),
        Factor.FAIRNESS: factors.fairness(record.last_served_at, record.assigned_count, now),
    }


def member_notes(need: NeedProfile, cand: MemberCandidate) -> dict[Factor, str]:
    prior = weights.RATING_PRIOR_MEAN if need.rating_prior is None else need.rating_prior
    record = cand.record
    weighted = factors.bayesian_rating(record.rating_sum, record.rating_count, prior)
    return {Factor.SATISFACTION: explain.rating_note(record, prior, weighted)}


def member_reason(need: NeedProfile, cand: MemberCandidate) -> str:
    return explain.member_reason(
        cand,
        place_fit(need.place, cand.place),
        factors.serving_skills(cand.skills, need.category_code),
        first_free(cand.availability, need.window_start, need.window_end),
    )


def score_member(need: NeedProfile, cand: MemberCandidate, now: datetime) -> ScoredCandidate:
    values = member_values(need, cand, now)
    return scored(
        CandidateKind.MEMBER,
        cand.id,
        values,
        member_reason(need, cand),
        member_blockers(need, cand),
        member_notes(need, cand),
    )


# --- offerings -------------------------------------------------------------------------------------


def _offering_fit(need: NeedProfile, cand: OfferingCandidate) -> PlaceFit:
    return place_fit(need.place, cand.place, at_least=area_tier(need.place, cand.area_ids))


def offering_values(need: NeedProfile, cand: OfferingCandidate, now: datetime) -> dict[Factor, float]:
    """Category fit, text relevance, area and distance, hours, capacity left, the unit's record."""
    serves = need.category_code in cand.serves
    avail = 1.0  # no declared hours: a standing service or goods, available on request
    if cand.availability:
        avail = availability_fit(cand.availability, need.window_start, need.window_end)
    return {
        Factor.CATEGORY: factors.specialisation([len(cand.serves)] if serves else []),
        Factor.TEXT: factors.text_relevance(cand.text_score),
        Factor.PLACE: _offering_fit(need, cand).value,
        Factor.AVAILABILITY: avail,
        Factor.CAPACITY: factors.headroom_ratio(cand.capacity, cand.open_load),
        Factor.SATISFACTION: factors.satisfaction(cand.record.rating_sum, cand.record.rating_count),
        Factor.COMPLETION: factors.completion_rate(
            cand.record.completed_count, cand.record.assigned_count - cand.open_load
        ),
    }


def offering_reason(need: NeedProfile, cand: OfferingCandidate) -> str:
    return explain.offering_reason(
        cand,
        need.category_name,
        _offering_fit(need, cand),
        first_free(cand.availability, need.window_start, need.window_end),
        factors.headroom(cand.capacity, cand.open_load),
        factors.text_relevance(cand.text_score),
    )


def score_offering(need: NeedProfile, cand: OfferingCandidate, now: datetime) -> ScoredCandidate:
    values = offering_values(need, cand, now)
    return scored(CandidateKind.UNIT, cand.id, values, offering_reason(need, cand), offering_blockers(need, cand))


# --- venues ----------------------------------------------------------------------------------------


def _venue_fee(need: NeedProfile, cand: VenueCandidate) -> int:
    return factors.window_fee(cand.fee_per_hour, window_seconds(need.window_start, need.window_end))


def venue_values(need: NeedProfile, cand: VenueCandidate, now: datetime) -> dict[Factor, float]:
    """Distance, how snugly the room fits the group, fee for the window, equipment."""
    return {
        Factor.PLACE: place_fit(need.place, cand.place).value,
        Factor.CAPACITY: factors.capacity_fit(need.attendees, cand.capacity),
        Factor.FEE: factors.fee_value(_venue_fee(need, cand)),
        Factor.FACILITIES: factors.facilities_fit(need.required_facilities, cand.facilities),
    }


def venue_reason(need: NeedProfile, cand: VenueCandidate) -> str:
    return explain.venue_reason(
        cand,
        place_fit(need.place, cand.place),
        need.attendees,
        len(need.required_facilities),
        _venue_fee(need, cand),
        need.window_start is not None and need.window_end is not None,
    )


def score_venue(need: NeedProfile, cand: VenueCandidate, now: datetime) -> ScoredCandidate:
    values = venue_values(need, cand, now)
    return scored(CandidateKind.VENUE, cand.id, values, venue_reason(need, cand), venue_blockers(need, cand))


# --- funding programs ------------------------------------------------------------------------------


def _listed(need: NeedProfile, cand: ProgramCandidate) -> bool:
    return bool(cand.district_ids) and need.place.district_id in cand.district_ids


def program_values(need: NeedProfile, cand: ProgramCandidate, now: datetime) -> dict[Factor, float]:
    """Share of the request one grant covers, district scope, budget left, time left in the period."""
    amount = factors.fundable(cand.budget, cand.spent, cand.cap_per_grant, need.requested_amount)
    left = factors.budget_left(cand.budget, cand.spent)
    return {
        Factor.COVERAGE: factors.coverage(amount, need.requested_amount),
        Factor.SCOPE: weights.SCOPE_DISTRICT if _listed(need, cand) else weights.SCOPE_CITYWIDE,
        Factor.BUDGET: left / cand.budget if cand.budget > 0 else 0.0,
        Factor.PERIOD: factors.period_value(cand.period_end, to_local(now).date()),
    }


def program_reason(need: NeedProfile, cand: ProgramCandidate) -> str:
    return explain.program_reason(
        cand,
        need.category_name,
        _listed(need, cand),
        factors.budget_left(cand.budget, cand.spent),
        factors.fundable(cand.budget, cand.spent, cand.cap_per_grant, need.requested_amount),
        need.requested_amount,
    )


def score_program(need: NeedProfile, cand: ProgramCandidate, now: datetime) -> ScoredCandidate:
    values = program_values(need, cand, now)
    blockers = program_blockers(need, cand, now)
    return scored(CandidateKind.FUNDING, cand.id, values, program_reason(need, cand), blockers)


# --- fallback service (兜底) ------------------------------------------------------------------------


def fallback_values(need: NeedProfile, cand: FallbackCandidate, now: datetime) -> dict[Factor, float]:
    """How closely the fallback covers the need's place (its street, or its whole district), the unit's ratings.
    The graph offers it only for property needs of compounds no firm manages, so nothing blocks it."""
    street = cand.area_level == "Street"
    return {
        Factor.SCOPE: weights.FALLBACK_SCOPE_STREET if street else weights.FALLBACK_SCOPE_DISTRICT,
        Factor.SATISFACTION: factors.satisfaction(cand.record.rating_sum, cand.record.rating_count),
    }


def score_fallback(need: NeedProfile, cand: FallbackCandidate, now: datetime) -> ScoredCandidate:
    since = to_local(cand.since).date().isoformat() if cand.since is not None else None
    values = fallback_values(need, cand, now)
    return scored(CandidateKind.FALLBACK, cand.id, values, explain.fallback_reason(cand, since), ())


# --- by kind ---------------------------------------------------------------------------------------

_Fn = Callable[..., Any]
SCORERS: Mapping[CandidateKind, _Fn] = {
    CandidateKind.MEMBER: score_member,
    CandidateKind.UNIT: score_offering,
    CandidateKind.VENUE: score_venue,
    CandidateKind.FUNDING: score_program,
    CandidateKind.FALLBACK: score_fallback,
}
_VALUES: Mapping[CandidateKind, _Fn] = {
    CandidateKind.MEMBER: member_values,
    CandidateKind.UNIT: offering_values,
    CandidateKind.VENUE: venue_values,
    CandidateKind.FUNDING: program_values,
    CandidateKind.FALLBACK: fallback_values,
}
_BLOCKERS: Mapping[CandidateKind, _Fn] = {
    CandidateKind.MEMBER: lambda need, cand, now: member_blockers(need, cand),
    CandidateKind.UNIT: lambda need, cand, now: offering_blockers(need, cand),
    CandidateKind.VENUE: lambda need, cand, now: venue_blockers(need, cand),
    CandidateKind.FUNDING: program_blockers,
    CandidateKind.FALLBACK: lambda need, cand, now: (),
}


def score(kind: CandidateKind, need: NeedProfile, cand: Candidate, now: datetime) -> ScoredCandidate:
    """``score_member``/``score_offering``/``score_venue``/``score_program`` chosen by kind."""
    return SCORERS[CandidateKind(kind)](need, cand, now)


def score_value(kind: CandidateKind, need: NeedProfile, cand: Candidate, now: datetime) -> float | None:
    """The score alone, None if ineligible: for bulk work (dispatch arcs). Equals ``score(...).score``."""
    kind = CandidateKind(kind)
    if _BLOCKERS[kind](need, cand, now):
        return None
    return weighted_sum(WEIGHTS[kind], _VALUES[kind](need, cand, now))


def rank(
    kind: CandidateKind,
    need: NeedProfile,
    candidates: Iterable[Candidate],
    first: int,
    now: datetime,
) -> list[ScoredCandidate]:
    """The ``first`` best eligible candidates, best first, ties broken by id for stable pages.

    Scores everyone cheaply, then builds parts and reasons only for the ones returned.
    """
    kind = CandidateKind(kind)
    keyed = ((score_value(kind, need, c, now), c) for c in candidates)
    top = heapq.nsmallest(max(first, 0), ((-v, c.id, c) for v, c in keyed if v is not None), key=lambda t: t[:2])
    return [score(kind, need, c, now) for _, _, c in top]


def arcs_for(
    kind: CandidateKind,
    need: NeedProfile,
    candidates: Iterable[Candidate],
    now: datetime,
    top_k: int = 25,
) -> list[PlanArc]:
    """Dispatch arcs for one need: its ``top_k`` eligible candidates with their scores."""
    kind = CandidateKind(kind)
    keyed = ((score_value(kind, need, c, now), c.id) for c in candidates)
    top = heapq.nsmallest(max(top_k, 0), ((-v, cid) for v, cid in keyed if v is not None))
    return [PlanArc(need.id, cid, -neg) for neg, cid in top]
