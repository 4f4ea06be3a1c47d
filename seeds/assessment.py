"""Two quarters of whistles to 碑林区's stationed agencies (派驻机构), so that story 21's department ranking
means something on any date: the last full quarter before `now` (Beijing time, what the scorecards open by
default) and the quarter before it.

Five agencies stationed with two streets (南院门街道, 柏树林街道) — their 派出所, 执法中队 and 市场监管所 — are
whistled by their own street (whose ratings weigh 60 % of their score), now and then by the district's
leadership (区级吹哨: rated too, shown as the whistlers' rating but not the street's). In the last quarter
南院门派出所 answers every whistle within the hour and its street rates it 5: it comes first; 柏树林街道执法中队
reports after the limit three times in four (escalated each time), finishes one late, and its street rates
it 2–3 with the reasons written down: it comes last. 南院门市场监管所 refuses a shop's loudspeaker as not its
duty and the street re-routes it to its 执法中队; the quarter before, 柏树林派出所 refuses a building site's
noise the same way. Every case is laid out in days from its quarter's start, so the figures are the same
whatever the date; tests/seeds/test_demo_any_date.py checks the ranking and the change for every day of a
year, and tests/scorecards/test_story21.py asks the API.

Ids stay the same on every load (seeds/README.md): `need:demo-assess-<case>` and the like.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from graph.needs.write import need_number
from matching.review.scorecards import Period
from seeds import whistle
from seeds.generator import BEIJING, Generator, Node, Record, Rel
from seeds.reference import communities, streets
from seeds.whistle import BAISHULIN, DEPARTMENTS, DISTRICT, DISTRICT_ADMIN, STREET, _call, _need, _Trail, department_id

RESPOND = timedelta(hours=24)  # the needs' policy for a NORMAL need (resolvers/needs/deadlines.py)
COMPLETE = timedelta(days=7)
# Who whistles: a street's coordinator (within the street's duty list) or the district's leadership.
WHISTLERS = {"nanyuanmen": STREET, "baishulin": BAISHULIN, "district": None}


@dataclass(frozen=True, slots=True)
class Case:
    """One whistled need: `quarter` 0 is the last full quarter before now, 1 the one before; `day` the days
    into it (10:00 Beijing); the department that answered (after `refused_by` refused, when it did), in
    hours to report (报到, the limit is 24) and days from the report to the feedback (反馈; 7 from the
    whistle); the whistler's marks (response, result, attitude) with its comment; the resident's rating."""

    key: str
    quarter: int
    day: int
    department: str
    whistler: str
    community: str
    category: str
    title: str
    report_hours: float
    done_days: float
    marks: tuple[int, int, int]
    comment: str | None
    resident: int
    refused_by: str | None = None
    refusal: str | None = None


NOISE, HEALTH = "NOISE", "HEALTH"
CASES = (
    # The last full quarter: 南院门派出所 first, 柏树林街道执法中队 last.
    Case("q-police-1", 0, 6, "police", "nanyuanmen", "610103001002", NOISE, "深夜酒吧音响扰民，整栋楼睡不着",
         0.5, 1, (5, 5, 5), None, 5),
    Case("q-police-2", 0, 25, "police", "nanyuanmen", "610103001005", NOISE, "楼下棋牌室通宵喧哗",
         1, 2, (5, 5, 5), None, 5),
    Case("q-police-3", 0, 47, "police", "nanyuanmen", "610103001006", NOISE, "广场舞音响声音过大，晚上十点还不停",
         2, 1, (5, 4, 5), None, 5),
    Case("q-police-4", 0, 70, "police", "district", "610103001007", NOISE, "钟楼附近商铺夜间外放音乐",
         3, 2, (4, 4, 4), None, 4),
    Case("q-squad-1", 0, 12, "squad", "nanyuanmen", "610103001002", NOISE, "夜间装修施工噪音",
         6, 3, (4, 4, 4), None, 4),
    Case("q-squad-2", 0, 38, "squad", "nanyuanmen", "610103001007", NOISE, "商铺门口大喇叭循环叫卖",
         4, 2, (4, 4, 4), None, 4, "nanyuanmen-market", "商铺外放噪音属城管执法，不属市场监管职责"),
    Case("q-squad-3", 0, 60, "squad", "nanyuanmen", "610103001005", NOISE, "工地夜间违规施工",
         10, 8, (3, 4, 4), "整改超过时限", 3),
    Case("q-nmarket-1", 0, 18, "nanyuanmen-market", "nanyuanmen", "610103001006", HEALTH,
         "有人在小区向老人推销高价保健品", 3, 4, (5, 4, 5), None, 5),
    Case("q-nmarket-2", 0, 52, "nanyuanmen-market", "nanyuanmen", "610103001008", HEALTH,
         "养生馆虚假宣传，骗老人办卡", 5, 6, (4, 4, 4), None, 4),
    Case("q-bpolice-1", 0, 9, "baishulin-police", "baishulin", "610103002001", NOISE, "楼上深夜聚会吵闹",
         1, 1, (4, 5, 4), None, 4),
    Case("q-bpolice-2", 0, 33, "baishulin-police", "baishulin", "610103002003", NOISE, "邻居家的狗整夜叫",
         2, 3, (4, 4, 5), None, 5),
    Case("q-bpolice-3", 0, 58, "baishulin-police", "district", "610103002005", NOISE, "夜市摊贩喇叭扰民",
         2, 2, (3, 3, 3), "处置后又反弹", 3),
    Case("q-bsquad-1", 0, 4, "baishulin-squad", "baishulin", "610103002001", NOISE, "夜间渣土车施工噪音",
         30, 5, (2, 3, 3), "逾期报到，催办后才到场", 3),
    Case("q-bsquad-2", 0, 27, "baishulin-squad", "baishulin", "610103002003", NOISE, "商铺空调外机噪音",
         40, 6.5, (2, 2, 2), "两次催办才报到，整改拖延", 2),
    Case("q-bsquad-3", 0, 55, "baishulin-squad", "baishulin", "610103002005", NOISE, "早市摊贩凌晨卸货吵闹",
         5, 3, (3, 3, 4), None, 3),
    Case("q-bsquad-4", 0, 72, "baishulin-squad", "baishulin", "610103002006", NOISE, "夜间广场舞音响",
         28, 2, (2, 3, 3), "报到超时", 2),
    Case("q-bmarket-1", 0, 20, "baishulin-market", "baishulin", "610103002007", HEALTH, "小区门口摆摊推销理疗仪",
         4, 3, (4, 4, 3), None, 4),
    # The quarter before: 南院门派出所 slower, 柏树林街道执法中队 better than it became.
    Case("p-police-1", 1, 10, "police", "nanyuanmen", "610103001002", NOISE, "KTV深夜噪音",
         26, 3, (3, 4, 4), "报到慢了", 4),
    Case("p-police-2", 1, 40, "police", "nanyuanmen", "610103001005", NOISE, "楼道里有人深夜喧哗",
         2, 2, (4, 4, 4), None, 4),
    Case("p-squad-1", 1, 15, "squad", "nanyuanmen", "610103001006", NOISE, "沿街商铺音响扰民",
         3, 2, (4, 5, 4), None, 5),
    Case("p-squad-2", 1, 50, "squad", "nanyuanmen", "610103001007", NOISE, "夜间切割石材噪音",
         5, 3, (4, 4, 4), None, 4),
    Case("p-nmarket-1", 1, 30, "nanyuanmen-market", "nanyuanmen", "610103001008", HEALTH,
         "推销“保健床垫”的讲座骗老人", 2, 3, (5, 5, 5), None, 5),
    Case("p-bsquad-1", 1, 20, "baishulin-squad", "baishulin", "610103002001", NOISE, "建筑工地夜间打桩",
         6, 3, (3, 3, 3), None, 3, "baishulin-police", "施工噪音由城管执法查处，不属派出所职责"),
    Case("p-bpolice-1", 1, 45, "baishulin-police", "baishulin", "610103002003", NOISE, "出租屋深夜吵闹",
         1, 2, (4, 4, 4), None, 4),
    Case("p-bsquad-2", 1, 60, "baishulin-squad", "baishulin", "610103002005", NOISE, "夜间餐馆排风扇噪音",
         20, 4, (3, 3, 4), None, 3),
)  # fmt: skip
BEST, WORST = department_id("police"), department_id("baishulin-squad")
HANDLERS = {"police": "值班民警 张警官", "squad": "执法队员 刘队长", "market": "监管员 陈科长"}


@cache
def _names() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Community and street names by code, department names by key."""
    return (
        {c.code: c.name for c in communities() if c.code.startswith(DISTRICT)},
        {s.code: s.name for s in streets() if s.code.startswith(DISTRICT)},
        {key: name for key, _, name, _, _ in DEPARTMENTS},
    )


def quarters(now: datetime) -> tuple[Period, Period]:
    """The last full quarter before `now` (Beijing time) and the one before it."""
    last = Period.quarter_before(now)
    return last, last.previous


def _staff(key: str) -> str:
    return f"user:staff-demo-{key}"


def _whistler(case: Case) -> tuple[str, str, str, str]:
    """(user, role, whistle level, scope id) of the case's whistler."""
    street = WHISTLERS[case.whistler]
    if street is None:
        return DISTRICT_ADMIN, "DISTRICT_ADMIN", "DISTRICT", f"district:{DISTRICT}"
    return f"user:coord-{street}", "COORDINATOR", "STREET", f"street:{street}"


def records(now: datetime, first_seq: int) -> Iterator[Record]:
    """Every case's need, whistle, calls, assignments, ratings, evaluation and audit trail; `first_seq`: the
    number of 碑林区's first need they take."""
    community_names, _, department_names = _names()
    periods = quarters(now)
    seen: set[str] = set()
    for seq, case in enumerate(CASES, start=first_seq):
        if case.community not in seen:
            seen.add(case.community)
            yield from _resident(case.community, periods[1].start - timedelta(days=200))
        yield from _case(case, periods[case.quarter].start, seq, community_names, department_names)


def _resident(community: str, at: datetime) -> Iterator[Record]:
    community_names, street_names, _ = _names()
    resident = f"resident:demo-assess-{community}"
    address = f"碑林区{street_names[community[:9]]}{community_names[community]} 1号楼2单元{int(community[-3:]) + 100}室"
    yield Node("Resident", {"id": resident, "name": f"{community_names[community].removesuffix('社区')}居民",
                            "phone": f"1370918{community[-4:]}", "address": address, "createdAt": at})  # fmt: skip
    yield Rel("Resident", "LIVES_IN", "Compound", resident, f"compound:{community}-1")


def _case(case: Case, start: datetime, seq: int, community_names: dict, department_names: dict) -> Iterator[Record]:
    need_id = f"need:demo-assess-{case.key}"
    resident = f"resident:demo-assess-{case.community}"
    by, role, level, scope = _whistler(case)
    blown = start + timedelta(days=case.day, hours=10)
    created = blown - timedelta(hours=3)
    answering = case.department
    name = department_names[answering]
    category = "噪音扰民" if case.category == NOISE else "健康养生"
    item = f"dutyitem:demo-street-{case.category}" if level == "STREET" else None
    reason = f"{'协助清单' if item else '区级吹哨'}：{category} → {department_names[case.refused_by or answering]}"
    note = f"{case.title}，请派驻机构到场处置"

    community = community_names[case.community]
    routed = (f"协助清单：{category} → {community}（{department_names['chengguan']}牵头）" if case.category == NOISE
              else f"不在社区清单（v1）：{category} → {community}")  # fmt: skip
    # The call that answered: from the whistle, or from the re-route of the refused one.
    call_start = blown
    trail = _Trail(need_id)
    steps = [
        (created, "SUBMIT", resident, "RESIDENT", None, "SUBMITTED", "channel HOTLINE_12345"),
        (created + timedelta(minutes=1), "ROUTE", "system:routing", "SYSTEM", "SUBMITTED", "SUBMITTED", routed),
        (blown, "WHISTLE", by, role, "SUBMITTED", "DISPATCHED", f"{reason}；{note}"),
    ]  # fmt: skip
    yield Node("Whistle", {"id": f"whistle:demo-assess-{case.key}", "level": level, "byId": by, "reason": reason,
                           "note": note, "scopeId": scope, "createdAt": blown})  # fmt: skip
    yield Rel("Whistle", "ABOUT", "Need", f"whistle:demo-assess-{case.key}", need_id)
    if item:
        yield Rel("Whistle", "UNDER", "DutyItem", f"whistle:demo-assess-{case.key}", item)
    if case.refused_by:
        refused_call = f"whistlecall:demo-assess-{case.key}-refused"
        refuser = department_names[case.refused_by]
        refused_at = blown + timedelta(hours=1, minutes=30)
        call_start = refused_at + timedelta(minutes=30)
        yield from _call(refused_call, f"whistle:demo-assess-{case.key}", case.refused_by, "LEAD", status="REFUSED",
                         createdAt=blown, refusalReason=case.refusal, refusedAt=refused_at, reroutedAt=call_start,
                         respondBy=blown + RESPOND, completeBy=blown + COMPLETE)  # fmt: skip
        yield Rel("WhistleCall", "REROUTED_TO", "WhistleCall", refused_call, f"whistlecall:demo-assess-{case.key}")
        declined = f"assignment:demo-assess-{case.key}-refused"
        yield Node("Assignment", {"id": declined, "status": "DECLINED", "createdAt": blown, "note": case.refusal})
        yield Rel("Assignment", "OF", "Need", declined, need_id)
        yield Rel("Assignment", "TO", "Department", declined, department_id(case.refused_by))
        yield Rel("Assignment", "BY", "User", declined, by)
        rating = f"whistlerating:demo-assess-{case.key}-refused"
        yield Node("WhistleRating", {"id": rating, "withinDuty": False, "informationEnough": True,
                                     "comment": case.refusal, "byId": _staff(case.refused_by),
                                     "createdAt": refused_at + timedelta(minutes=5)})  # fmt: skip
        yield Rel("WhistleRating", "OF", "WhistleCall", rating, refused_call)
        steps += [
            (refused_at, "REFUSE", _staff(case.refused_by), "DEPARTMENT_STAFF", "DISPATCHED", "DECLINED",
             f"{refuser}：拒绝：{case.refusal}"),
            (refused_at + timedelta(minutes=5), "RATE_WHISTLE", _staff(case.refused_by), "DEPARTMENT_STAFF",
             "DECLINED", "DECLINED", f"{refuser}：评价吹哨：属于职责 否，信息充分 是：{case.refusal}"),
            (call_start, "REROUTE", by, role, "DECLINED", "DISPATCHED", f"{refuser}：改派 {name}"),
        ]  # fmt: skip
    respond_by, complete_by = call_start + RESPOND, call_start + COMPLETE
    reported = call_start + timedelta(hours=case.report_hours)
    done = reported + timedelta(days=case.done_days)
    late_response, late_completion = reported > respond_by, done > complete_by
    escalated = [*(["RESPONSE"] if late_response else []), *(["COMPLETION"] if late_completion else [])]
    call_id = f"whistlecall:demo-assess-{case.key}"
    overdue = {"escalations": len(escalated), "escalatedFor": escalated} if escalated else {}
    if escalated:
        overdue["escalatedAt"] = (complete_by if late_completion else respond_by) + timedelta(minutes=5)
    yield from _call(call_id, f"whistle:demo-assess-{case.key}", answering, "LEAD", status="DONE",
                     createdAt=call_start, handler=HANDLERS[answering.rsplit("-", 1)[-1]],
                     reportedAt=reported, respondedLate=late_response, feedback=f"已到场处置：{case.title}",
                     doneAt=done, completedLate=late_completion, respondBy=respond_by, completeBy=complete_by,
                     **overdue)  # fmt: skip
    if late_response:
        steps.append((respond_by + timedelta(minutes=5), "CALL_OVERDUE", "system:sweep", "SYSTEM", "DISPATCHED",
                      "DISPATCHED", f"{name}：逾期未报到，已上报碑林区领导"))  # fmt: skip
    steps.append((reported, "REPORT", _staff(answering), "DEPARTMENT_STAFF", "DISPATCHED", "IN_PROGRESS",
                  f"{name}：报到{'（逾期）' if late_response else ''}"))  # fmt: skip
    if late_completion:
        steps.append((complete_by + timedelta(minutes=5), "CALL_OVERDUE", "system:sweep", "SYSTEM", "IN_PROGRESS",
                      "IN_PROGRESS", f"{name}：逾期未反馈，已上报碑林区领导"))  # fmt: skip
    response, result, attitude = case.marks
    rated, evaluated = done + timedelta(hours=3), done + timedelta(hours=6)
    marks = f"响应 {response}/5，结果 {result}/5，态度 {attitude}/5" + (f"：{case.comment}" if case.comment else "")
    steps += [
        (done, "FEEDBACK", _staff(answering), "DEPARTMENT_STAFF", "IN_PROGRESS", "COMPLETED",
         f"{name}：反馈{'（逾期）' if late_completion else ''}：已到场处置"),
        (rated, "RATE_DEPARTMENT", by, role, "COMPLETED", "COMPLETED", f"{name}：评价部门：{marks}"),
        (evaluated, "EVALUATE", resident, "RESIDENT", "COMPLETED", "EVALUATED", f"{case.resident}/5"),
    ]  # fmt: skip

    number = need_number((created + BEIJING).year, DISTRICT, seq)
    yield from _need(need_id, number, f"compound:{case.community}-1", case.category, case.title, "EVALUATED", created,
                     resident, level="STREET", responseDeadline=respond_by, completionDeadline=complete_by)  # fmt: skip
    assignment = f"assignment:demo-assess-{case.key}"
    yield Node("Assignment", {"id": assignment, "status": "COMPLETED", "createdAt": call_start, "acceptedAt": reported,
                              "completedAt": done, "note": note})  # fmt: skip
    yield Rel("Assignment", "OF", "Need", assignment, need_id)
    yield Rel("Assignment", "TO", "Department", assignment, department_id(answering))
    yield Rel("Assignment", "BY", "User", assignment, by)
    rating = f"departmentrating:demo-assess-{case.key}"
    yield Node("DepartmentRating", {"id": rating, "response": response, "result": result, "attitude": attitude,
                                    "comment": case.comment, "byId": by, "createdAt": rated})  # fmt: skip
    yield Rel("DepartmentRating", "OF", "WhistleCall", rating, call_id)
    evaluation = f"evaluation:demo-assess-{case.key}"
    yield Node("Evaluation", {"id": evaluation, "rating": case.resident, "comment": None, "byRole": "REQUESTER",
                              "byId": resident, "forCompletionAt": done, "createdAt": evaluated})  # fmt: skip
    yield Rel("Evaluation", "OF", "Assignment", evaluation, assignment)
    for step in sorted(steps, key=lambda s: s[0]):
        yield from trail(*step)


def with_whistle(gen: Generator, stream: Iterable[Record]) -> Iterator[Record]:
    """The stream (the generator's, with what is laid over it), then, for the demo, the whistle's records: its
    two needs numbered after 碑林区's last, at the first compound of 书院门社区 (seeds/whistle.py), then the two
    quarters of whistles to the stationed agencies (above) numbered after them. What the loaders load."""
    last = 0
    for record in stream:
        if isinstance(record, Node) and record.label == "Need":
            number = str(record.props.get("number", ""))
            if number.split("-")[2:3] == [DISTRICT]:
                last = max(last, int(number.rsplit("-", 1)[1]))
        yield record
    if gen.preset.demo_fixtures:
        community = gen.comm_index[whistle.COMMUNITY]
        yield from whistle.records(gen.now, gen.compounds[gen.compounds_by_comm[community][0]].id, last + 1)
        yield from records(gen.now, last + 3)
