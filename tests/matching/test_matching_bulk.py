"""Bulk (numpy) scores for batch dispatch agree with the exact scorer, on hand-made inputs. No Neo4j."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from matching import bulk
from matching.models import CandidateKind, MemberCandidate, NeedProfile, OfferingCandidate, Place
from matching.place import TIER_VALUE, Tier, shared_tier
from matching.scoring import score_value
from matching.time_windows import availability_fit, has_overlap
from tests.support.candidates import HANDYMAN, PLUMBING, TUTORING, changed, member_candidate

NOW = datetime(2026, 5, 8, 1, 0, tzinfo=UTC)  # Friday 09:00 in Xi'an
HOME = Place("compound:1-1", "community:1", "street:1", "district:1", 34.2536, 108.9476)
NO_POINT = Place(None, "community:1", "street:1", "district:1")
SKILLS = {s.code: s.serves for s in (PLUMBING, HANDYMAN, TUTORING)}
CATEGORIES = ["CHILDCARE", "REPAIR", "SEWER"]

SAT = datetime(2026, 5, 9, 0, 0, tzinfo=UTC)  # Saturday 08:00 local
NEEDS = [
    NeedProfile("need:sat", "SEWER", "下水疏通", HOME, SAT, SAT + timedelta(hours=4)),
    NeedProfile("need:open", "SEWER", "下水疏通", HOME),
    NeedProfile(
        "need:short", "REPAIR", "家电维修", HOME, SAT + timedelta(hours=1), SAT + timedelta(hours=1, minutes=30)
    ),
    NeedProfile("need:weeks", "CHILDCARE", "托管", NO_POINT, SAT, SAT + timedelta(days=20)),  # multi-week window
    NeedProfile("need:start-only", "SEWER", "下水疏通", HOME, SAT, None),
    NeedProfile("need:naive", "REPAIR", "家电维修", HOME, datetime(2026, 5, 11, 18, 0), datetime(2026, 5, 11, 21, 0)),
]


NEAR = Place(None, "community:1", "street:1", "district:1", 34.2560, 108.9500)


def member(mid: str, place: Place = NEAR, **kw: object) -> MemberCandidate:
    return member_candidate(mid, place, NOW, **kw)


MEMBERS = [
    member("member:a"),
    member("member:b", skills=(HANDYMAN, TUTORING), availability=("1 18:00-22:00", "6 07:00-09:00")),
    member("member:c", place=Place(None, "community:1", "street:1", "district:1"), last_served_at=None),
    member("member:d", availability=(), rating_count=0, rating_sum=0, completed_count=0, assigned_count=0),
    member("member:e", availability=("garbage",), open_load=3),  # full, and hours that do not parse
    member("member:f", skills=(TUTORING,), availability=("7 22:00-02:00",), max_load=0, open_load=0),
    member("member:g", skills=(HANDYMAN,), last_served_at=NOW - timedelta(hours=3), assigned_count=60),
]


def arrays(members: list[MemberCandidate]) -> bulk.MemberArrays:
    return bulk.member_arrays(
        lat=[m.place.latitude for m in members],
        lon=[m.place.longitude for m in members],
        availability=[m.availability for m in members],
        max_load=[m.max_load for m in members],
        open_load=[m.open_load for m in members],
        rating_sum=[m.record.rating_sum for m in members],
        rating_count=[m.record.rating_count for m in members],
        completed=[m.record.completed_count for m in members],
        assigned=[m.record.assigned_count for m in members],
        last_served=[m.record.last_served_at for m in members],
        skills=[[s.code for s in m.skills] for m in members],
        skill_serves=SKILLS,
        categories=CATEGORIES,
        now=NOW,
    )


def all_pairs(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    return np.repeat(np.arange(n), m), np.tile(np.arange(m), n)


def test_member_scores_and_eligibility_equal_the_exact_scorer() -> None:
    ni, mi = all_pairs(len(NEEDS), len(MEMBERS))
    tiers = np.array([TIER_VALUE[shared_tier(NEEDS[i].place, MEMBERS[j].place)] for i, j in zip(ni, mi, strict=True)])
    scores, eligible = bulk.member_scores(bulk.need_arrays(NEEDS, CATEGORIES), arrays(MEMBERS), ni, mi, tiers)
    checked = 0
    for k, (i, j) in enumerate(zip(ni.tolist(), mi.tolist(), strict=True)):
        exact = score_value(CandidateKind.MEMBER, NEEDS[i], MEMBERS[j], NOW)
        assert eligible[k] == (exact is not None), (NEEDS[i].id, MEMBERS[j].id)
        if exact is not None:
            assert scores[k] == pytest.approx(exact, abs=1e-12), (NEEDS[i].id, MEMBERS[j].id)
            checked += 1
    assert checked >= 10  # a real mix of eligible and ineligible pairs


def test_availability_matches_time_windows() -> None:
    patterns = [m.availability for m in MEMBERS] + [("1 00:00-24:00", "2 00:00-24:00"), ("5 23:00-01:00",)]
    h = bulk.hours(patterns)
    w = bulk.windows([(n.window_start, n.window_end) for n in NEEDS])
    ni, ci = all_pairs(len(NEEDS), len(patterns))
    fit, meets = bulk.availability(h, ci, w, ni)
    for k, (i, j) in enumerate(zip(ni.tolist(), ci.tolist(), strict=True)):
        need = NEEDS[i]
        assert fit[k] == pytest.approx(availability_fit(patterns[j], need.window_start, need.window_end), abs=1e-12)
        assert meets[k] == has_overlap(patterns[j], need.window_start, need.window_end)


def offering(oid: str, **kw: object) -> OfferingCandidate:
    base = OfferingCandidate(
        id=oid,
        title="上门疏通",
        unit_id="unit:1",
        unit_name="某物业",
        place=Place(None, "community:2", "street:1", "district:1", 34.2600, 108.9600),
        serves=frozenset({"SEWER"}),
        capacity=5,
        open_load=2,
        availability=("6 08:00-18:00",),
        area_ids=frozenset({"street:1"}),
    )
    return changed(base, **kw)


def test_offering_scores_equal_the_exact_scorer() -> None:
    offerings = [
        offering("offering:a"),
        offering("offering:b", serves=frozenset({"SEWER", "REPAIR"}), availability=(), area_ids=frozenset()),
        offering("offering:c", place=Place(None, "community:1", "street:1", "district:1"), open_load=0, capacity=1),
        offering("offering:d", availability=("1 08:00-09:00",), rating_sum=9, rating_count=2, completed_count=3),
        offering("offering:e", status="WITHDRAWN", area_ids=frozenset({"compound:1-1"})),
        offering("offering:f", serves=frozenset({"REPAIR"}), open_load=5),
    ]
    needs = [n for n in NEEDS if n.window_end is not None or n.window_start is None]
    pairs = [
        (i, j) for i, n in enumerate(needs) for j, o in enumerate(offerings) if n.category_code in o.serves
    ]  # the caller pairs only offerings serving the need's category and area (all here serve street:1)
    ni, oi = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    tiers = bulk.tier_values(
        bulk.offering_tier(needs[i].place, [offerings[j].place], offerings[j].area_ids) for i, j in pairs
    )
    scores, eligible = bulk.offering_scores(
        bulk.need_arrays(needs, CATEGORIES), bulk.offering_arrays(offerings), ni, oi, tiers
    )
    for k, (i, j) in enumerate(pairs):
        exact = score_value(CandidateKind.UNIT, needs[i], offerings[j], NOW)
        assert eligible[k] == (exact is not None), (needs[i].id, offerings[j].id)
        if exact is not None:
            assert scores[k] == pytest.approx(exact, abs=1e-12), (needs[i].id, offerings[j].id)


def test_offering_tier_takes_the_best_registration_and_served_area() -> None:
    regs = [Place(None, "community:9", "street:9", "district:1"), Place(None, "community:8", "street:1", "district:1")]
    assert bulk.offering_tier(HOME, regs, frozenset()) == Tier.STREET
    assert bulk.offering_tier(HOME, regs, frozenset({"compound:1-1"})) == Tier.COMPOUND
    assert bulk.offering_tier(HOME, [Place(None, "community:1")], frozenset({"district:1"})) == Tier.COMMUNITY
    assert bulk.offering_tier(HOME, [], frozenset()) == Tier.NONE


def test_skill_fit_takes_the_most_specialised_serving_skill() -> None:
    fit = bulk.skill_fit([["PLUMBING", "HANDYMAN"], ["HANDYMAN"], ["TUTORING"], [], ["UNKNOWN"]], SKILLS, CATEGORIES)
    sewer, repair, childcare = CATEGORIES.index("SEWER"), CATEGORIES.index("REPAIR"), CATEGORIES.index("CHILDCARE")
    assert fit[0, sewer] == 1.0 and fit[0, repair] == pytest.approx(0.7 + 0.3 / 4)
    assert fit[1, sewer] == pytest.approx(0.7 + 0.3 / 4) and fit[1, childcare] == 0.0
    assert fit[2, childcare] == 1.0
    assert not fit[3].any() and not fit[4].any()


def test_top_per_group_keeps_the_best_k_of_each_group_with_ties_by_key() -> None:
    group = np.array([0, 0, 0, 1, 1, 2, 0])
    key = np.array([0.5, 0.9, 0.5, 0.1, 0.2, 0.3, 0.7])
    tie = np.array([3, 0, 1, 0, 1, 0, 2])
    kept = bulk.top_per_group(group, key, 2, tie=tie)
    assert kept.tolist() == [1, 6, 4, 3, 5]
    assert bulk.top_per_group(group, key, 3, tie=tie).tolist()[:3] == [1, 6, 2]  # 0.5 tie: tie key 1 before 3
    assert bulk.top_per_group(np.zeros(0, np.int64), np.zeros(0), 3).tolist() == []
