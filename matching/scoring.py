"""Scores with explanations: factor values × named weights, summed, plus one Chinese reason.

A score is exactly the sum of its parts' contributions, so the parts are the explanation. Scoring an
ineligible candidate still works (its ``blockers`` say why); ``rank`` keeps only eligible ones.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from matching import explain, factors, weights
from matching.eligibility import member_blockers, offering_blockers, program_blockers, venue_blockers
from matching.models import (
    Blocker,
    Candidate,
    CandidateKind,
    Factor,
    MemberCandidate,
    NeedProfile,
    OfferingCandidate,
    ProgramCandidate,
    ScoredCandidate,
    ScorePart,
    VenueCandidate,
)
from matching.place import area_tier, place_fit
from matching.time_windows import availability_fit, first_free, to_local, window_seconds
from matching.weights import WEIGHTS


def build_parts(weights: Mapping[Factor, float], values: Mapping[Factor, float]) -> tuple[ScorePart, ...]:
    """One part per weighted factor, in the weights' order; values are clamped to 0–1."""
    parts = []
    for factor, weight in weights.items():
        value = factors.clamp(values[factor])
        parts.append(ScorePart(str(factor), value, weight, value * weight))
    return tuple(parts)


def scored(
    kind: CandidateKind,
    cand_id: str,
    values: Mapping[Factor, float],
    reason: str,
    blockers: tuple[Blocker, ...],
) -> ScoredCandidate:
    parts = build_parts(WEIGHTS[kind], values)
    score = sum(p.contribution for p in parts)
    return ScoredCandidate(kind, cand_id, score, parts, explain.with_blockers(reason, blockers), blockers)


def score_member(need: NeedProfile, cand: MemberCandidate, now: datetime) -> ScoredCandidate:
    """Skill fit, place, free time in the window, load headroom, ratings, completion, fairness."""
    skills = factors.serving_skills(cand.skills, need.category_code)
    fit = place_fit(need.place, cand.place)
    values = {
        Factor.SKILL: factors.specialisation(len(s.serves) for s in skills),
        Factor.PLACE: fit.value,
        Factor.AVAILABILITY: availability_fit(cand.availability, need.window_start, need.window_end),
        Factor.LOAD: factors.headroom_ratio(cand.max_load, cand.open_load),
        Factor.SATISFACTION: factors.satisfaction(cand.rating_sum, cand.rating_count),
        Factor.COMPLETION: factors.completion_rate(cand.completed_count, cand.assigned_count - cand.open_load),
        Factor.FAIRNESS: factors.fairness(cand.last_served_at, cand.assigned_count, now),
    }
    reason = explain.member_reason(
        fit,
        skills,
        first_free(cand.availability, need.window_start, need.window_end),
        cand.open_load,
        cand.max_load,
        cand.rating_sum,
        cand.rating_count,
    )
    return scored(CandidateKind.MEMBER, cand.id, values, reason, member_blockers(need, cand))


def score_offering(need: NeedProfile, cand: OfferingCandidate, now: datetime) -> ScoredCandidate:
    """Category fit, text relevance, area and distance, hours, capacity left, the unit's record."""
    fit = place_fit(need.place, cand.place, at_least=area_tier(need.place, cand.area_ids))
    relevance = factors.text_relevance(cand.text_score)
    serves = need.category_code in cand.serves
    avail = 1.0  # no declared hours: a standing service or goods, available on request
    if cand.availability:
        avail = availability_fit(cand.availability, need.window_start, need.window_end)
    values = {
        Factor.CATEGORY: factors.specialisation([len(cand.serves)] if serves else []),
        Factor.TEXT: relevance,
        Factor.PLACE: fit.value,
        Factor.AVAILABILITY: avail,
        Factor.CAPACITY: factors.headroom_ratio(cand.capacity, cand.open_load),
        Factor.SATISFACTION: factors.satisfaction(cand.rating_sum, cand.rating_count),
        Factor.COMPLETION: factors.completion_rate(cand.completed_count, cand.assigned_count - cand.open_load),
    }
    reason = explain.offering_reason(
        cand.unit_name,
        cand.title,
        need.category_name,
        fit,
        first_free(cand.availability, need.window_start, need.window_end),
        bool(cand.availability),
        factors.headroom(cand.capacity, cand.open_load),
        cand.capacity,
        relevance,
        cand.rating_sum,
        cand.rating_count,
    )
    return scored(CandidateKind.UNIT, cand.id, values, reason, offering_blockers(need, cand))


def score_venue(need: NeedProfile, cand: VenueCandidate, now: datetime) -> ScoredCandidate:
    """Distance, how snugly the room fits the group, fee for the window, equipment."""
    fit = place_fit(need.place, cand.place)
    fee = factors.window_fee(cand.fee_per_hour, window_seconds(need.window_start, need.window_end))
    values = {
        Factor.PLACE: fit.value,
        Factor.CAPACITY: factors.capacity_fit(need.attendees, cand.capacity),
        Factor.FEE: factors.fee_value(fee),
        Factor.FACILITIES: factors.facilities_fit(need.required_facilities, cand.facilities),
    }
    reason = explain.venue_reason(
        cand.name,
        fit,
        cand.capacity,
        need.attendees,
        len(cand.facilities),
        len(need.required_facilities),
        fee,
        need.window_start is not None and need.window_end is not None,
    )
    return scored(CandidateKind.VENUE, cand.id, values, reason, venue_blockers(need, cand))


def score_program(need: NeedProfile, cand: ProgramCandidate, now: datetime) -> ScoredCandidate:
    """Share of the request one grant covers, district scope, budget left, time left in the period."""
    amount = factors.fundable(cand.budget, cand.spent, cand.cap_per_grant, need.requested_amount)
    left = factors.budget_left(cand.budget, cand.spent)
    listed = bool(cand.district_ids) and need.place.district_id in cand.district_ids
    values = {
        Factor.COVERAGE: factors.coverage(amount, need.requested_amount),
        Factor.SCOPE: weights.SCOPE_DISTRICT if listed else weights.SCOPE_CITYWIDE,
        Factor.BUDGET: left / cand.budget if cand.budget > 0 else 0.0,
        Factor.PERIOD: factors.period_value(cand.period_end, to_local(now).date()),
    }
    reason = explain.program_reason(
        cand.name,
        cand.source,
        need.category_name,
        listed,
        left,
        cand.cap_per_grant,
        amount,
        need.requested_amount,
    )
    return scored(CandidateKind.FUNDING, cand.id, values, reason, program_blockers(need, cand, now))


SCORERS: Mapping[CandidateKind, Callable[[NeedProfile, Candidate, datetime], ScoredCandidate]] = {
    CandidateKind.MEMBER: score_member,  # type: ignore[dict-item]
    CandidateKind.UNIT: score_offering,  # type: ignore[dict-item]
    CandidateKind.VENUE: score_venue,  # type: ignore[dict-item]
    CandidateKind.FUNDING: score_program,  # type: ignore[dict-item]
}


def rank(
    kind: CandidateKind,
    need: NeedProfile,
    candidates: Iterable[Candidate],
    first: int,
    now: datetime,
) -> list[ScoredCandidate]:
    """The ``first`` best eligible candidates, best first; ties broken by id for stable pages."""
    scorer = SCORERS[CandidateKind(kind)]
    eligible = (s for s in (scorer(need, c, now) for c in candidates) if not s.blockers)
    return heapq.nsmallest(max(first, 0), eligible, key=lambda s: (-s.score, s.id))
