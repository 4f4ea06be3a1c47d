"""One readable Chinese sentence per candidate, so a coordinator sees at a glance why it ranks there.

Phrases only restate facts already in the score parts (place tier, skills, free time, load, ratings);
nothing here changes a score.
"""

from __future__ import annotations

from collections.abc import Iterable

from matching.factors import mean_rating
from matching.models import (
    Blocker,
    FallbackCandidate,
    MemberCandidate,
    OfferingCandidate,
    ProgramCandidate,
    SkillRef,
    TrackRecord,
    VenueCandidate,
)
from matching.place import PlaceFit, Tier
from matching.weights import RATING_PRIOR_COUNT

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

TIER_PHRASE = {
    Tier.COMPOUND: "同小区",
    Tier.COMMUNITY: "同社区",
    Tier.STREET: "同街道",
    Tier.DISTRICT: "同区",
    Tier.NONE: "跨区",
}

BLOCKER_PHRASE = {
    Blocker.NO_SKILL_FIT: "无对口技能",
    Blocker.NO_CATEGORY_FIT: "服务类别不符",
    Blocker.NO_HEADROOM: "任务已满",
    Blocker.NO_CAPACITY: "容量已满",
    Blocker.NOT_AVAILABLE: "该时段无空",
    Blocker.NOT_ACTIVE: "已下架",
    Blocker.OUT_OF_AREA: "不在服务范围",
    Blocker.TOO_SMALL: "容量不足",
    Blocker.MISSING_FACILITIES: "缺少所需设施",
    Blocker.CLOSED: "该时段不开放",
    Blocker.BOOKED: "该时段已被预订",
    Blocker.NO_BUDGET: "预算已用完",
    Blocker.CATEGORY_NOT_COVERED: "不覆盖该类别",
    Blocker.DISTRICT_NOT_COVERED: "不覆盖该区",
    Blocker.OUT_OF_PERIOD: "不在资助期内",
}


def money(fen: int) -> str:
    """Integer fen as yuan text, exact: 123456 → "1,234.56 元", 50000 → "500 元"."""
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), 100)
    return f"{sign}{yuan:,} 元" if rest == 0 else f"{sign}{yuan:,}.{rest:02d} 元"


def part_of_day(second_of_day: int) -> str:
    hour = second_of_day // 3600
    if hour < 6:
        return "凌晨"
    if hour < 12:
        return "上午"
    if hour < 14:
        return "中午"
    if hour < 18:
        return "下午"
    return "晚上"


def free_phrase(first: tuple[int, int] | None) -> str:
    """ "周六上午有空" from (ISO weekday, second of day)."""
    if first is None:
        return "未登记空闲时间"
    weekday, second = first
    return f"{WEEKDAYS[weekday - 1]}{part_of_day(second)}有空"


def place_phrase(fit: PlaceFit) -> str:
    return TIER_PHRASE[fit.tier]


def distance_phrase(fit: PlaceFit) -> str | None:
    return None if fit.km is None else f"相距 {fit.km:.1f} 公里"


def rating_phrase(record: TrackRecord) -> str:
    avg = mean_rating(record.rating_sum, record.rating_count)
    return "暂无评价" if avg is None else f"满意度 {avg:.1f}"


def rating_note(record: TrackRecord, prior: float, weighted: float) -> str:
    """How a satisfaction value came about: E.g. "1 次评价均分 2.0，加 5 次社区均分 4.3 的先验，计 3.9 分"."""
    if record.rating_count <= 0:
        return f"暂无评价，按社区均分 {prior:.1f} 计"
    avg = record.rating_sum / record.rating_count
    prior_text = f"加 {RATING_PRIOR_COUNT} 次社区均分 {prior:.1f} 的先验"
    return f"{record.rating_count} 次评价均分 {avg:.1f}，{prior_text}，计 {weighted:.1f} 分"


def relevance_phrase(value: float) -> str | None:
    if value >= 0.6:
        return "描述高度相关"
    if value >= 0.3:
        return "描述相关"
    return None


def join(parts: Iterable[str | None]) -> str:
    return "，".join(p for p in parts if p)


def with_blockers(sentence: str, blockers: tuple[Blocker, ...]) -> str:
    """Ineligible candidates say why first; ``rank`` never shows them, diagnostics do."""
    if not blockers:
        return sentence
    return f"不符合条件（{'、'.join(BLOCKER_PHRASE[b] for b in blockers)}）：{sentence}"


def member_reason(
    cand: MemberCandidate, fit: PlaceFit, skills: tuple[SkillRef, ...], first: tuple[int, int] | None
) -> str:
    """E.g. "同社区党员，相距 0.8 公里，技能：管道疏通，周六上午有空，当前任务 1/3，满意度 4.8"."""
    return join(
        [
            f"{place_phrase(fit)}党员",
            distance_phrase(fit),
            f"技能：{'、'.join(s.name for s in skills)}" if skills else "无对口技能",
            free_phrase(first),
            f"当前任务 {cand.open_load}/{cand.max_load}",
            rating_phrase(cand.record),
        ]
    )


def offering_reason(
    cand: OfferingCandidate,
    category_name: str,
    fit: PlaceFit,
    first: tuple[int, int] | None,
    left: int,
    relevance: float,
) -> str:
    """E.g. "某物业公司「管道维修」，服务下水疏通，同街道，相距 1.2 公里，随时可约，容量余 3/5，满意度 4.5"."""
    return join(
        [
            f"{cand.unit_name}「{cand.title}」",
            f"服务{category_name}",
            place_phrase(fit),
            distance_phrase(fit),
            free_phrase(first) if cand.availability else "随时可约",
            f"容量余 {left}/{cand.capacity}",
            relevance_phrase(relevance),
            rating_phrase(cand.record),
        ]
    )


def venue_reason(
    cand: VenueCandidate, fit: PlaceFit, attendees: int, required_count: int, fee_fen: int, has_window: bool
) -> str:
    """E.g. "书院门红色驿站，同社区，相距 0.3 公里，可容纳 50 人（需 40 人），所需设施齐全，免费，该时段开放且空闲"."""
    facilities = f"有 {len(cand.facilities)} 项设施" if cand.facilities else "无登记设施"
    if required_count:
        facilities = "所需设施齐全"
    seats = f"可容纳 {cand.capacity} 人" + (f"（需 {attendees} 人）" if attendees else "")
    return join(
        [
            cand.name,
            place_phrase(fit),
            distance_phrase(fit),
            seats,
            facilities,
            "免费" if fee_fen == 0 else f"费用 {money(fee_fen)}",
            "该时段开放且空闲" if has_window else None,
        ]
    )


def program_reason(
    cand: ProgramCandidate,
    category_name: str,
    district_listed: bool,
    left: int,
    fundable_fen: int,
    requested: int | None,
) -> str:
    """E.g. "高幸食堂专项（社区为民服务专项资金），覆盖养老助餐，面向本区，余额 120,000 元，可资助 50,000 元"."""
    grant = f"可资助 {money(fundable_fen)}"
    if requested:
        grant += f"（申请 {money(requested)}）"
    return join(
        [
            f"{cand.name}（{cand.source}）" if cand.source else cand.name,
            f"覆盖{category_name}",
            "面向本区" if district_listed else "全市适用",
            f"余额 {money(left)}",
            "单笔不设上限" if cand.cap_per_grant is None else f"单笔上限 {money(cand.cap_per_grant)}",
            grant,
        ]
    )


FALLBACK_PHRASE = "无物业小区：国企兜底"


def fallback_reason(cand: FallbackCandidate, since: str | None) -> str:
    """E.g. "无物业小区：国企兜底，西安城投物业承担南院门街道的兜底物业服务（自 2025-03-01），满意度 4.2"."""
    return join(
        [
            FALLBACK_PHRASE,
            f"{cand.name}承担{cand.area_name}的兜底物业服务" + (f"（自 {since}）" if since else ""),
            rating_phrase(cand.record),
        ]
    )
