"""Scoring and ranking on hand-made inputs: order, explanations, exclusions. No Neo4j."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from matching.explain import money
from matching.factors import rating_prior
from matching.models import (
    Blocker,
    CandidateKind,
    MemberCandidate,
    NeedProfile,
    OfferingCandidate,
    Place,
    ProgramCandidate,
    TrackRecord,
    VenueCandidate,
)
from matching.scoring import arcs_for, rank, score_member, score_offering, score_program, score_value, score_venue
from matching.weights import WEIGHTS
from tests.support.candidates import HANDYMAN, PLUMBING, TUTORING, changed, member_candidate

NOW = datetime(2026, 5, 8, 9, 0)  # a Friday
SAT_MORNING = (datetime(2026, 5, 9, 8, 0), datetime(2026, 5, 9, 12, 0))

# 书院门社区 (南院门街道, 碑林区) and a compound in it
HOME = Place(
    "compound:610103001004-1", "community:610103001004", "street:610103001", "district:610103", 34.2536, 108.9476
)
SAME_COMMUNITY = Place(None, "community:610103001004", "street:610103001", "district:610103", 34.2560, 108.9500)
OTHER_STREET = Place(None, "community:610103002001", "street:610103002", "district:610103", 34.2700, 108.9700)
OTHER_DISTRICT = Place(None, "community:610112001001", "street:610112001", "district:610112", 34.3400, 109.0300)


SEWER_NEED = NeedProfile(
    "need:1",
    "SEWER",
    "下水疏通",
    HOME,
    window_start=SAT_MORNING[0],
    window_end=SAT_MORNING[1],
    description="楼下下水道堵塞，污水外溢",
)


def member(member_id: str = "member:1", place: Place = SAME_COMMUNITY, **kw: object) -> MemberCandidate:
    return member_candidate(member_id, place, NOW, **{"name": "王建国", **kw})


def test_weights_of_each_kind_sum_to_one() -> None:
    for kind in CandidateKind:
        assert math.isclose(sum(WEIGHTS[kind].values()), 1.0, abs_tol=1e-12), kind


def test_score_is_exactly_the_sum_of_its_parts() -> None:
    s = score_member(SEWER_NEED, member(), NOW)
    assert s.score == sum(p.contribution for p in s.parts)
    assert 0.0 <= s.score <= 1.0
    for p in s.parts:
        assert 0.0 <= p.value <= 1.0
        assert p.contribution == p.value * p.weight
    assert {p.factor for p in s.parts} == {str(f) for f in WEIGHTS[CandidateKind.MEMBER]}


def test_plumber_in_same_community_ranks_above_farther_one() -> None:
    near = member("member:near", SAME_COMMUNITY)
    street = member("member:street", OTHER_STREET)
    far = member("member:far", OTHER_DISTRICT)
    ranked = rank(CandidateKind.MEMBER, SEWER_NEED, [far, street, near], first=10, now=NOW)
    assert [s.id for s in ranked] == ["member:near", "member:street", "member:far"]


def test_member_reason_names_skill_place_time_load_and_rating() -> None:
    reason = score_member(SEWER_NEED, member(), NOW).reason
    assert reason.startswith("同社区党员")
    for fragment in ("管道疏通", "周六上午有空", "当前任务 1/3", "满意度 4.8"):
        assert fragment in reason


def test_a_reason_names_the_skills_in_one_order_however_the_graph_returned_them() -> None:
    """The graph hands a member's skills back in whatever order its store holds them; the reason lists
    them by code, so the same member is explained the same way on every store."""
    reasons = {score_member(SEWER_NEED, member(skills=skills), NOW).reason for skills in
               ((PLUMBING, HANDYMAN, TUTORING), (TUTORING, HANDYMAN, PLUMBING))}  # fmt: skip
    assert len(reasons) == 1 and "技能：家电维修、管道疏通，" in reasons.pop()


def test_specialist_skill_beats_generalist_other_things_equal() -> None:
    plumber = member("member:p", skills=(PLUMBING,))
    handy = member("member:h", skills=(HANDYMAN,))
    ranked = rank(CandidateKind.MEMBER, SEWER_NEED, [handy, plumber], first=2, now=NOW)
    assert [s.id for s in ranked] == ["member:p", "member:h"]


def test_ineligible_members_never_appear() -> None:
    no_skill = member("member:tutor", skills=(TUTORING,))
    full = member("member:full", open_load=3)
    busy = member("member:busy", availability=("1 08:00-12:00",))
    ok = member("member:ok")
    ranked = rank(CandidateKind.MEMBER, SEWER_NEED, [no_skill, full, busy, ok], first=10, now=NOW)
    assert [s.id for s in ranked] == ["member:ok"]
    assert score_member(SEWER_NEED, no_skill, NOW).blockers == (Blocker.NO_SKILL_FIT,)
    assert score_member(SEWER_NEED, full, NOW).blockers == (Blocker.NO_HEADROOM,)
    busy_scored = score_member(SEWER_NEED, busy, NOW)
    assert busy_scored.blockers == (Blocker.NOT_AVAILABLE,)
    assert busy_scored.reason.startswith("不符合条件（该时段无空）")


def test_anytime_need_accepts_any_declared_hours() -> None:
    anytime = replace(SEWER_NEED, window_start=None, window_end=None)
    s = score_member(anytime, member(availability=("3 19:00-21:00",)), NOW)
    assert s.eligible
    assert "周三晚上有空" in s.reason


def test_recently_busy_member_ranks_a_little_lower() -> None:
    rested = member("member:rested", last_served_at=None, assigned_count=2, completed_count=2)
    busy = member("member:busy", last_served_at=NOW - timedelta(hours=5), assigned_count=60, completed_count=59)
    ranked = rank(CandidateKind.MEMBER, SEWER_NEED, [busy, rested], first=2, now=NOW)
    assert [s.id for s in ranked] == ["member:rested", "member:busy"]


def test_rating_prior_keeps_one_perfect_rating_below_a_steady_record() -> None:
    newcomer = score_member(SEWER_NEED, member(rating_sum=5, rating_count=1), NOW)
    steady = score_member(SEWER_NEED, member(rating_sum=96, rating_count=20), NOW)

    def satisfaction(s):  # type: ignore[no-untyped-def]
        return next(p.value for p in s.parts if p.factor == "satisfaction")

    assert satisfaction(newcomer) < satisfaction(steady)
    assert "满意度 5.0" in newcomer.reason  # people see the plain average


def test_one_honest_low_rating_moves_a_member_a_little_toward_the_community_mean() -> None:
    """Story 9's 2/5 must not bury a good volunteer: ratings are weighed against the community's mean."""
    need = replace(SEWER_NEED, rating_prior=4.4)
    unrated = dict(rating_sum=0, rating_count=0, completed_count=0, assigned_count=0, open_load=0, last_served_at=None)
    newcomer = member("member:newcomer", **unrated)
    # one completed task rated 2/5, a month ago; lives 300 m nearer the need than the newcomer
    nearer = replace(SAME_COMMUNITY, latitude=HOME.latitude, longitude=HOME.longitude + 0.001)
    low = member(
        "member:low",
        place=nearer,
        rating_sum=2,
        rating_count=1,
        completed_count=1,
        assigned_count=1,
        open_load=0,
        last_served_at=NOW - timedelta(days=30),
    )
    scored = {s.id: s for s in rank(CandidateKind.MEMBER, need, [newcomer, low], first=2, now=NOW)}
    part = {s_id: next(p for p in s.parts if p.factor == "satisfaction") for s_id, s in scored.items()}
    # Bayesian average: (2 + 5 × 4.4) / 6 = 4.0 against the unrated 4.4 — a tenth of the scale
    assert part["member:low"].value == pytest.approx((4.0 - 1) / 4)
    assert part["member:newcomer"].value == pytest.approx((4.4 - 1) / 4)
    assert part["member:newcomer"].contribution - part["member:low"].contribution < 0.01
    assert rank(CandidateKind.MEMBER, need, [newcomer, low], first=2, now=NOW)[0].id == "member:low"
    # the part says how the value came about
    assert part["member:low"].note == "1 次评价均分 2.0，加 5 次社区均分 4.4 的先验，计 4.0 分"
    assert part["member:newcomer"].note == "暂无评价，按社区均分 4.4 计"
    # a community with few ratings gives a prior near the city-wide 4.0
    assert rating_prior(10, 2) == pytest.approx((10 + 40) / 12)
    assert rating_prior(0, 0) == 4.0


def test_rank_honours_first_and_breaks_ties_by_id() -> None:
    cands = [member(f"member:{i}") for i in (3, 1, 2)]
    ranked = rank(CandidateKind.MEMBER, SEWER_NEED, cands, first=2, now=NOW)
    assert [s.id for s in ranked] == ["member:1", "member:2"]
    assert rank(CandidateKind.MEMBER, SEWER_NEED, cands, first=0, now=NOW) == []


def test_aware_utc_window_is_read_in_xian_time() -> None:
    utc_need = replace(
        SEWER_NEED,
        window_start=datetime(2026, 5, 9, 0, 0, tzinfo=UTC),  # Saturday 08:00 in Xi'an
        window_end=datetime(2026, 5, 9, 4, 0, tzinfo=UTC),
    )
    assert score_member(utc_need, member(), NOW.replace(tzinfo=UTC)).eligible


# --- offerings -------------------------------------------------------------------------------------


def offering(offering_id: str = "offering:1", **kw: object) -> OfferingCandidate:
    base = OfferingCandidate(
        id=offering_id,
        title="管道维修",
        unit_id="unit:1",
        unit_name="西安某物业公司",
        place=OTHER_STREET,
        serves=frozenset({"SEWER"}),
        capacity=5,
        open_load=2,
        area_ids=frozenset({"district:610103"}),
        text_score=2.0,
        record=TrackRecord(rating_sum=45, rating_count=10),
    )
    return changed(base, **kw)


def test_offering_reason_and_relevance() -> None:
    s = score_offering(SEWER_NEED, offering(), NOW)
    assert s.eligible
    assert s.score == sum(p.contribution for p in s.parts)
    assert "西安某物业公司「管道维修」" in s.reason
    assert "服务下水疏通" in s.reason
    assert "容量余 3/5" in s.reason
    relevant = offering("offering:relevant", text_score=6.0)
    vague = offering("offering:vague", text_score=0.1)
    ranked = rank(CandidateKind.UNIT, SEWER_NEED, [vague, relevant], first=5, now=NOW)
    assert [s.id for s in ranked] == ["offering:relevant", "offering:vague"]


def test_ineligible_offerings_excluded() -> None:
    cases = {
        Blocker.NOT_ACTIVE: offering("offering:w", status="WITHDRAWN"),
        Blocker.NO_CATEGORY_FIT: offering("offering:c", serves=frozenset({"CHILDCARE"})),
        Blocker.OUT_OF_AREA: offering("offering:a", area_ids=frozenset({"district:610112"})),
        Blocker.NO_CAPACITY: offering("offering:f", open_load=5),
        Blocker.NOT_AVAILABLE: offering("offering:t", availability=("1 09:00-17:00",)),
    }
    for blocker, cand in cases.items():
        assert score_offering(SEWER_NEED, cand, NOW).blockers == (blocker,)
    assert rank(CandidateKind.UNIT, SEWER_NEED, cases.values(), first=10, now=NOW) == []


# --- venues ----------------------------------------------------------------------------------------

TUESDAY_CLASS = NeedProfile(
    "need:school",
    "NIGHT_SCHOOL",
    "社区夜校",
    HOME,
    window_start=datetime(2026, 5, 12, 19, 0),  # Tuesday
    window_end=datetime(2026, 5, 12, 21, 0),
    attendees=40,
    required_facilities=frozenset({"PROJECTOR"}),
)


def venue(venue_id: str = "venue:1", **kw: object) -> VenueCandidate:
    base = VenueCandidate(
        id=venue_id,
        name="书院门红色驿站",
        kind="RED_STATION",
        place=SAME_COMMUNITY,
        capacity=50,
        opening_hours=("2 08:00-12:00", "2 14:00-18:00", "2 18:00-22:00"),
        fee_per_hour=0,
        facilities=frozenset({"PROJECTOR", "WIFI"}),
    )
    return replace(base, **kw)


def test_venue_reason_and_scoring() -> None:
    s = score_venue(TUESDAY_CLASS, venue(), NOW)
    assert s.eligible
    assert s.score == sum(p.contribution for p in s.parts)
    for fragment in (
        "书院门红色驿站",
        "同社区",
        "可容纳 50 人（需 40 人）",
        "所需设施齐全",
        "免费",
        "该时段开放且空闲",
    ):
        assert fragment in s.reason
    paid = venue("venue:paid", fee_per_hour=5_000)  # 50 yuan an hour → 100 yuan for the class
    assert "费用 100 元" in score_venue(TUESDAY_CLASS, paid, NOW).reason
    ranked = rank(CandidateKind.VENUE, TUESDAY_CLASS, [paid, venue()], first=5, now=NOW)
    assert [s.id for s in ranked] == ["venue:1", "venue:paid"]


def test_ineligible_venues_excluded() -> None:
    cases = {
        Blocker.CLOSED: venue("venue:closed", opening_hours=("2 08:00-20:00",)),
        Blocker.TOO_SMALL: venue("venue:small", capacity=30),
        Blocker.MISSING_FACILITIES: venue("venue:bare", facilities=frozenset({"WIFI"})),
        Blocker.BOOKED: venue("venue:booked", bookings=((datetime(2026, 5, 12, 20, 0), datetime(2026, 5, 12, 22, 0)),)),
    }
    for blocker, cand in cases.items():
        assert score_venue(TUESDAY_CLASS, cand, NOW).blockers == (blocker,)
    ranked = rank(CandidateKind.VENUE, TUESDAY_CLASS, [*cases.values(), venue()], first=10, now=NOW)
    assert [s.id for s in ranked] == ["venue:1"]


def test_booking_ending_when_window_starts_does_not_clash() -> None:
    before = venue(bookings=((datetime(2026, 5, 12, 17, 0), datetime(2026, 5, 12, 19, 0)),))
    assert score_venue(TUESDAY_CLASS, before, NOW).eligible


# --- funding ---------------------------------------------------------------------------------------

GAOLING = Place(None, "community:610117001001", "street:610117001", "district:610117", 34.53, 109.09)
CANTEEN = NeedProfile("need:canteen", "ELDERLY_CARE", "养老助餐", GAOLING, requested_amount=8_000_000)


def program(program_id: str = "program:1", **kw: object) -> ProgramCandidate:
    base = ProgramCandidate(
        id=program_id,
        name="高幸食堂专项",
        source="社区为民服务专项资金",
        level="DISTRICT",
        budget=50_000_000,
        spent=20_000_000,
        cap_per_grant=5_000_000,
        categories=frozenset({"ELDERLY_CARE"}),
        district_ids=frozenset({"district:610117"}),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    return replace(base, **kw)


def test_program_reason_and_coverage() -> None:
    s = score_program(CANTEEN, program(), NOW)
    assert s.eligible
    assert s.score == sum(p.contribution for p in s.parts)
    coverage = next(p.value for p in s.parts if p.factor == "coverage")
    assert coverage == 5_000_000 / 8_000_000
    for fragment in (
        "高幸食堂专项",
        "覆盖养老助餐",
        "面向本区",
        "余额 300,000 元",
        "单笔上限 50,000 元",
        "可资助 50,000 元",
    ):
        assert fragment in s.reason


def test_ineligible_programs_excluded() -> None:
    cases = {
        Blocker.NO_BUDGET: program("program:empty", spent=50_000_000),
        Blocker.CATEGORY_NOT_COVERED: program("program:cat", categories=frozenset({"SEWER"})),
        Blocker.DISTRICT_NOT_COVERED: program("program:dist", district_ids=frozenset({"district:610103"})),
        Blocker.OUT_OF_PERIOD: program("program:old", period_end=date(2025, 12, 31)),
    }
    for blocker, cand in cases.items():
        assert score_program(CANTEEN, cand, NOW).blockers == (blocker,)
    citywide = program("program:city", level="CITY", district_ids=frozenset())
    ranked = rank(CandidateKind.FUNDING, CANTEEN, [*cases.values(), citywide, program()], first=10, now=NOW)
    assert [s.id for s in ranked] == ["program:1", "program:city"]
    assert "全市适用" in ranked[1].reason


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "0 元"), (5, "0.05 元"), (123_456, "1,234.56 元"), (5_000_000, "50,000 元"), (-150, "-1.50 元")],
)
def test_money_is_exact(fen: int, text: str) -> None:
    assert money(fen) == text


def test_score_value_matches_full_score_and_arcs_for_keeps_top_k_eligible() -> None:
    cands = [
        member("member:near", SAME_COMMUNITY),
        member("member:far", OTHER_DISTRICT),
        member("member:full", open_load=3),
        member("member:street", OTHER_STREET),
    ]
    for c in cands:
        full = score_member(SEWER_NEED, c, NOW)
        value = score_value(CandidateKind.MEMBER, SEWER_NEED, c, NOW)
        assert value == (full.score if full.eligible else None)
    arcs = arcs_for(CandidateKind.MEMBER, SEWER_NEED, cands, NOW, top_k=2)
    assert [(a.need_id, a.resource_id) for a in arcs] == [("need:1", "member:near"), ("need:1", "member:street")]
    assert arcs[0].score == score_member(SEWER_NEED, cands[0], NOW).score
