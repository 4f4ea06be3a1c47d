"""The demo's whistle (stories 19 and 20, issue 22 §1–§3): 碑林区's functional departments (named on the
district pattern of DOMAIN.md), the agencies stationed with 南院门街道 and 柏树林街道 (派驻), the district's
duty lists for its communities (with a negative list) and its streets, a gas smell the negative list sent
straight to the gas office, and a collapsed drain the street whistled: 城管 reported in ten minutes, 水务
reported late (escalated and counted), 住建 refused and was re-routed to 市政; then ratings both ways and the
resident's evaluation. Two quarters of whistles to the stationed agencies: seeds/assessment.py.

Ids stay the same on every load (seeds/README.md); times are laid out against `now`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from graph.needs.write import need_number
from seeds.generator import BEIJING, Node, Record, Rel

DISTRICT = "610103"
STREET = "610103001"  # 南院门街道
BAISHULIN = "610103002"  # 柏树林街道
COMMUNITY = "610103001009"  # 书院门社区

# (key, code, name, categories, the street it is stationed with (派驻), if any)
DEPARTMENTS = (
    ("chengguan", "BEILIN_CHENGGUAN", "碑林区城市管理和综合执法局", ("NOISE", "PARKING_CHARGING"), None),
    ("housing", "BEILIN_HOUSING", "碑林区住房和城乡建设局", ("PROPERTY", "SEWER_RENOVATION"), None),
    ("water", "BEILIN_WATER", "碑林区水务局", ("MUNICIPAL_DRAINAGE", "SEWER"), None),
    ("market", "BEILIN_MARKET", "碑林区市场监督管理局", (), None),
    ("civil", "BEILIN_CIVIL", "碑林区民政局", ("ELDERLY_CARE", "CONDOLENCE"), None),
    ("health", "BEILIN_HEALTH", "碑林区卫生健康局", ("HEALTH",), None),
    ("eco", "BEILIN_ECO", "西安市生态环境局碑林分局", (), None),
    ("gas", "BEILIN_GAS", "碑林区燃气安全办公室", ("GAS_SAFETY",), None),
    ("municipal", "BEILIN_MUNICIPAL", "碑林区市政设施管理中心", ("MUNICIPAL_DRAINAGE",), None),
    ("police", "BEILIN_NANYUANMEN_POLICE", "西安市公安局碑林分局南院门派出所", ("DISPUTE_MEDIATION", "NOISE"), STREET),
    ("squad", "BEILIN_NANYUANMEN_SQUAD", "碑林区城管执法局南院门街道执法中队", ("NOISE",), STREET),
    ("nanyuanmen-market", "BEILIN_NANYUANMEN_MARKET", "碑林区市场监督管理局南院门市场监管所", ("HEALTH",), STREET),
    ("baishulin-police", "BEILIN_BAISHULIN_POLICE", "西安市公安局碑林分局柏树林派出所", ("DISPUTE_MEDIATION", "NOISE"),
     BAISHULIN),
    ("baishulin-squad", "BEILIN_BAISHULIN_SQUAD", "碑林区城管执法局柏树林街道执法中队", ("NOISE",), BAISHULIN),
    ("baishulin-market", "BEILIN_BAISHULIN_MARKET", "碑林区市场监督管理局柏树林市场监管所", ("HEALTH",), BAISHULIN),
)  # fmt: skip
HOURS = {"gas": "24小时值守（燃气抢险热线）", "police": "24小时值班", "water": "工作日 08:30–17:30；汛期24小时值守"}


def department_id(key: str) -> str:
    return f"department:demo-{key}"


# (category, duty, lead, assisting)
COMMUNITY_LIST = (
    ("DISPUTE_MEDIATION", "SELF_GOVERNED", None, ()),
    ("ELDERLY_CARE", "SELF_GOVERNED", None, ()),
    ("NOISE", "ASSISTED", "chengguan", ()),
    ("SEWER", "ASSISTED", "water", ()),
    ("PROPERTY", "ASSISTED", "housing", ()),
    ("GAS_SAFETY", "NEGATIVE", "gas", ()),
    ("MUNICIPAL_DRAINAGE", "NEGATIVE", "water", ("municipal",)),
)
STREET_LIST = (
    ("DISPUTE_MEDIATION", "SELF_GOVERNED", None, ()),
    ("NOISE", "ASSISTED", "squad", ("police",)),
    ("SEWER", "ASSISTED", "water", ()),
    ("SEWER_RENOVATION", "ASSISTED", "housing", ("water",)),
    ("PROPERTY", "ASSISTED", "housing", ()),
    ("GAS_SAFETY", "NEGATIVE", "gas", ()),
    ("MUNICIPAL_DRAINAGE", "ASSISTED", "water", ("chengguan",)),
    ("HEALTH", "ASSISTED", "nanyuanmen-market", ()),  # 保健品虚假宣传: the stationed market office
)
LIST_WORDS = {"SELF_GOVERNED": "自治清单", "ASSISTED": "协助清单", "NEGATIVE": "负面清单"}

GAS_NEED = "need:demo-gas"
DRAIN_NEED = "need:demo-drain"
DRAIN_WHISTLE = "whistle:demo-drain"
STREET_COORDINATOR = f"user:coord-{STREET}"
DISTRICT_ADMIN = f"user:district-admin-{DISTRICT}"


def _duty_list(key: str, level: str, lines: tuple, reason: str, at: datetime) -> Iterator[Record]:
    list_id = f"dutylist:demo-{key}"
    changes = "; ".join(f"+{code} {LIST_WORDS[duty]}" for code, duty, _, _ in lines)
    yield Node(
        "DutyList",
        {"id": list_id, "key": f"district:{DISTRICT}:{level}:1", "level": level, "version": 1, "current": True,
         "reason": reason, "changes": changes, "changedBy": DISTRICT_ADMIN, "createdAt": at},
    )  # fmt: skip
    yield Rel("DutyList", "FOR", "District", list_id, f"district:{DISTRICT}")
    for code, duty, lead, assisting in lines:
        item = f"dutyitem:demo-{key}-{code}"
        yield Node("DutyItem", {"id": item, "duty": duty, "createdAt": at})
        yield Rel("DutyItem", "IN", "DutyList", item, list_id)
        yield Rel("DutyItem", "OF", "Category", item, f"category:{code}")
        if lead:
            yield Rel("DutyItem", "LED_BY", "Department", item, department_id(lead))
        for other in assisting:
            yield Rel("DutyItem", "ASSISTED_BY", "Department", item, department_id(other))


class _Trail:
    """The audit Events of one need, in order."""

    def __init__(self, need_id: str) -> None:
        self.need_id, self.n = need_id, 0

    def __call__(self, at: datetime, type_: str, actor: str, role: str, from_: str | None, to: str | None, note: str):
        self.n += 1
        event = f"event:{self.need_id.split(':')[1]}-{self.n:02d}"
        props = {"id": event, "at": at, "createdAt": at, "type": type_, "actorId": actor, "role": role,
                 "fromState": from_, "toState": to, "note": note}  # fmt: skip
        return [Node("Event", props), Rel("Event", "ABOUT", "Need", event, self.need_id)]


def _need(need_id: str, number: str, compound: str, category: str, title: str, status: str, at: datetime,
          resident: str = "resident:demo-whistle", **more: Any) -> list[Record]:  # fmt: skip
    props = {"id": need_id, "number": number, "title": title, "description": title, "status": status,
             "channel": "HOTLINE_12345", "urgency": more.pop("urgency", "NORMAL"), "peopleNeeded": 1,
             "createdAt": at, "updatedAt": at, **more}  # fmt: skip
    return [
        Node("Need", props),
        Rel("Need", "AT", "Compound", need_id, compound),
        Rel("Need", "OF", "Category", need_id, f"category:{category}"),
        Rel("Need", "RAISED_BY", "Resident", need_id, resident),
    ]


def _call(call_id: str, whistle: str, key: str, role: str, **props: Any) -> list[Record]:
    return [
        Node("WhistleCall", {"id": call_id, "role": role, "escalations": 0, **props}),
        Rel("WhistleCall", "PART_OF", "Whistle", call_id, whistle),
        Rel("WhistleCall", "TO", "Department", call_id, department_id(key)),
    ]


def records(now: datetime, compound: str, next_seq: int) -> Iterator[Record]:
    """Everything above, for the demo; `compound`: a compound of 书院门社区; `next_seq`: 碑林区's next need number."""
    t0 = now - timedelta(days=60)
    for key, code, name, categories, stationed in DEPARTMENTS:
        props = {"id": department_id(key), "code": code, "name": name, "level": "DISTRICT", "createdAt": t0}
        yield Node("Department", {**props, **({"hours": HOURS[key]} if key in HOURS else {})})
        yield Rel("Department", "OF", "District", department_id(key), f"district:{DISTRICT}")
        for category in categories:
            yield Rel("Department", "OWNS", "Category", department_id(key), f"category:{category}")
        if stationed:
            yield Rel("Department", "STATIONED_WITH", "Street", department_id(key), f"street:{stationed}")
    yield from _duty_list("community", "COMMUNITY", COMMUNITY_LIST, "社区减负增效：健全自治、协助、负面事项清单", t0)
    yield from _duty_list("street", "STREET", STREET_LIST, "街道履职事项清单（准入制度、动态调整）", t0)
    yield Node("Resident", {"id": "resident:demo-whistle", "name": "李建国", "phone": "13709181234",
                            "address": "碑林区书院门社区 书院小区 2号楼1单元302室", "createdAt": t0})  # fmt: skip

    def number(at: datetime, seq: int) -> str:
        return need_number((at + BEIJING).year, DISTRICT, seq)

    # Story 19, first: a gas smell, sent past the community by the negative list two hours ago.
    gas_at = now - timedelta(hours=2)
    gas_trail = _Trail(GAS_NEED)
    yield from _need(GAS_NEED, number(gas_at, next_seq), compound, "GAS_SAFETY", "楼道里有很重的燃气味", "DISPATCHED",
                     gas_at, urgency="URGENT", level="STREET", responseDeadline=gas_at + timedelta(hours=2),
                     completionDeadline=gas_at + timedelta(hours=24))  # fmt: skip
    routed = "负面清单：燃气安全 → 碑林区燃气安全办公室"
    yield Node("RoutingDecision", {"id": "routing:demo-gas", "outcome": "DEPARTMENT", "explanation": routed,
                                   "createdAt": gas_at})  # fmt: skip
    yield Rel("RoutingDecision", "ROUTES", "Need", "routing:demo-gas", GAS_NEED)
    yield Rel("RoutingDecision", "UNDER", "DutyItem", "routing:demo-gas", "dutyitem:demo-community-GAS_SAFETY")
    yield Node("Whistle", {"id": "whistle:demo-gas", "level": "ROUTING", "byId": "system:routing", "reason": routed,
                           "note": "负面清单事项，不进入社区派单，直接交由责任部门处置", "scopeId": f"street:{STREET}",
                           "createdAt": gas_at})  # fmt: skip
    yield Rel("Whistle", "ABOUT", "Need", "whistle:demo-gas", GAS_NEED)
    yield Rel("Whistle", "UNDER", "DutyItem", "whistle:demo-gas", "dutyitem:demo-community-GAS_SAFETY")
    yield from _call("whistlecall:demo-gas", "whistle:demo-gas", "gas", "LEAD", status="WHISTLED", createdAt=gas_at,
                     respondBy=gas_at + timedelta(hours=2), completeBy=gas_at + timedelta(hours=24))  # fmt: skip
    yield Node("User", {"id": "system:routing", "name": "清单分流", "role": "SYSTEM", "scopeId": None,
                        "createdAt": t0})  # fmt: skip
    yield Node("Assignment", {"id": "assignment:demo-gas", "status": "INVITED", "createdAt": gas_at})
    yield Rel("Assignment", "OF", "Need", "assignment:demo-gas", GAS_NEED)
    yield Rel("Assignment", "TO", "Department", "assignment:demo-gas", department_id("gas"))
    yield Rel("Assignment", "BY", "User", "assignment:demo-gas", "system:routing")
    yield from gas_trail(
        gas_at, "SUBMIT", "resident:demo-whistle", "RESIDENT", None, "SUBMITTED", "channel HOTLINE_12345"
    )
    yield from gas_trail(gas_at, "ROUTE", "system:routing", "SYSTEM", "SUBMITTED", "DISPATCHED", routed)

    # Story 19, a week later, and story 20: the collapsed drain, whistled by the street, fixed, rated.
    at = now - timedelta(days=9)
    done = at + timedelta(days=2)
    trail = _Trail(DRAIN_NEED)
    title = "路面下水道塌陷，污水漫到人行道"
    yield from _need(DRAIN_NEED, number(at, next_seq + 1), compound, "MUNICIPAL_DRAINAGE", title, "EVALUATED", at,
                     level="STREET", responseDeadline=at + timedelta(hours=26),
                     completionDeadline=at + timedelta(days=7, hours=2))  # fmt: skip
    blown = at + timedelta(hours=2)
    reason = "协助清单：市政排水 → 碑林区水务局"
    note = "南院门正街路面塌陷约2平方米，请水务抢修管网，城管设置围挡"
    yield Node("Whistle", {"id": DRAIN_WHISTLE, "level": "STREET", "byId": STREET_COORDINATOR, "reason": reason,
                           "note": note, "scopeId": f"street:{STREET}", "createdAt": blown})  # fmt: skip
    yield Rel("Whistle", "ABOUT", "Need", DRAIN_WHISTLE, DRAIN_NEED)
    yield Rel("Whistle", "UNDER", "DutyItem", DRAIN_WHISTLE, "dutyitem:demo-street-MUNICIPAL_DRAINAGE")
    limits = {"respondBy": blown + timedelta(hours=24), "completeBy": blown + timedelta(days=7)}
    water_reported = blown + timedelta(hours=27)
    yield from _call("whistlecall:demo-drain-water", DRAIN_WHISTLE, "water", "LEAD", status="DONE", createdAt=blown,
                     handler="李工 13800002222", reportedAt=water_reported, respondedLate=True, escalations=1,
                     escalatedAt=blown + timedelta(hours=24, minutes=5), escalatedFor=["RESPONSE"],
                     feedback="管网已修复，路面恢复通行", doneAt=done, completedLate=False, **limits)  # fmt: skip
    yield from _call("whistlecall:demo-drain-chengguan", DRAIN_WHISTLE, "chengguan", "ASSIST", status="DONE",
                     createdAt=blown, handler="王队长 13900001111", reportedAt=blown + timedelta(minutes=10),
                     respondedLate=False, feedback="围挡已设置，现场秩序正常", doneAt=done - timedelta(hours=1),
                     completedLate=False, **limits)  # fmt: skip
    refused_at = blown + timedelta(hours=1)
    yield from _call("whistlecall:demo-drain-housing", DRAIN_WHISTLE, "housing", "ASSIST", status="REFUSED",
                     createdAt=blown, refusalReason="道路排水不属于住建职责", refusedAt=refused_at,
                     reroutedAt=refused_at + timedelta(minutes=20), **limits)  # fmt: skip
    rerouted = refused_at + timedelta(minutes=20)
    yield from _call("whistlecall:demo-drain-municipal", DRAIN_WHISTLE, "municipal", "ASSIST", status="DONE",
                     createdAt=rerouted, handler="赵工", reportedAt=rerouted + timedelta(hours=1), respondedLate=False,
                     feedback="配合完成路面修复", doneAt=done - timedelta(hours=2), completedLate=False,
                     respondBy=rerouted + timedelta(hours=24), completeBy=rerouted + timedelta(days=7))  # fmt: skip
    yield Rel("WhistleCall", "REROUTED_TO", "WhistleCall", "whistlecall:demo-drain-housing",
              "whistlecall:demo-drain-municipal")  # fmt: skip
    yield Node("Assignment", {"id": "assignment:demo-drain", "status": "COMPLETED", "createdAt": blown,
                              "acceptedAt": water_reported, "completedAt": done, "note": note})  # fmt: skip
    yield Rel("Assignment", "OF", "Need", "assignment:demo-drain", DRAIN_NEED)
    yield Rel("Assignment", "TO", "Department", "assignment:demo-drain", department_id("water"))
    yield Rel("Assignment", "BY", "User", "assignment:demo-drain", STREET_COORDINATOR)
    ratings = (
        ("water", 2, 5, 4, "报到超时一天，修复质量好"),
        ("chengguan", 5, 5, 5, None),
        ("municipal", 4, 5, 5, None),
    )
    for key, response, result, attitude, comment in ratings:
        rating = f"departmentrating:demo-drain-{key}"
        yield Node("DepartmentRating", {"id": rating, "response": response, "result": result, "attitude": attitude,
                                        "comment": comment, "byId": STREET_COORDINATOR,
                                        "createdAt": done + timedelta(hours=3)})  # fmt: skip
        yield Rel("DepartmentRating", "OF", "WhistleCall", rating, f"whistlecall:demo-drain-{key}")
    for key, within, enough, comment in (
        ("water", True, True, None),
        ("chengguan", True, True, None),
        ("housing", False, True, "道路排水属水务、市政职责，建议街道清单核对"),
    ):
        rating = f"whistlerating:demo-drain-{key}"
        yield Node("WhistleRating", {"id": rating, "withinDuty": within, "informationEnough": enough,
                                     "comment": comment, "byId": f"user:staff-demo-{key}",
                                     "createdAt": done + timedelta(hours=4)})  # fmt: skip
        yield Rel("WhistleRating", "OF", "WhistleCall", rating, f"whistlecall:demo-drain-{key}")
    yield Node("Evaluation", {"id": "evaluation:demo-drain", "rating": 5, "comment": "修得很快，谢谢",
                              "byRole": "REQUESTER", "byId": "resident:demo-whistle", "forCompletionAt": done,
                              "createdAt": done + timedelta(hours=6)})  # fmt: skip
    yield Rel("Evaluation", "OF", "Assignment", "evaluation:demo-drain", "assignment:demo-drain")
    steps = (
        (at, "SUBMIT", "resident:demo-whistle", "RESIDENT", None, "SUBMITTED", "channel HOTLINE_12345"),
        (at + timedelta(minutes=1), "ROUTE", "system:routing", "SYSTEM", "SUBMITTED", "SUBMITTED",
         "不在社区清单（v1）：市政排水 → 书院门社区"),
        (blown, "WHISTLE", STREET_COORDINATOR, "COORDINATOR", "SUBMITTED", "DISPATCHED", f"{reason}；{note}"),
        (blown + timedelta(minutes=10), "REPORT", "user:staff-demo-chengguan", "DEPARTMENT_STAFF", "DISPATCHED",
         "DISPATCHED", "碑林区城市管理和综合执法局：报到，经办人 王队长 13900001111"),
        (refused_at, "REFUSE", "user:staff-demo-housing", "DEPARTMENT_STAFF", "DISPATCHED", "DISPATCHED",
         "碑林区住房和城乡建设局：拒绝：道路排水不属于住建职责"),
        (rerouted, "REROUTE", STREET_COORDINATOR, "COORDINATOR", "DISPATCHED", "DISPATCHED",
         "碑林区住房和城乡建设局：改派 碑林区市政设施管理中心"),
        (blown + timedelta(hours=24, minutes=5), "CALL_OVERDUE", "system:sweep", "SYSTEM", "DISPATCHED", "DISPATCHED",
         "碑林区水务局：逾期未报到，已上报碑林区领导"),
        (water_reported, "REPORT", "user:staff-demo-water", "DEPARTMENT_STAFF", "DISPATCHED", "IN_PROGRESS",
         "碑林区水务局：报到（逾期），经办人 李工 13800002222"),
        (done, "FEEDBACK", "user:staff-demo-water", "DEPARTMENT_STAFF", "IN_PROGRESS", "COMPLETED",
         "碑林区水务局：反馈：管网已修复，路面恢复通行"),
        (done + timedelta(hours=3), "RATE_DEPARTMENT", STREET_COORDINATOR, "COORDINATOR", "COMPLETED", "COMPLETED",
         "碑林区水务局：评价部门：响应 2/5，结果 5/5，态度 4/5：报到超时一天，修复质量好"),
        (done + timedelta(hours=4), "RATE_WHISTLE", "user:staff-demo-water", "DEPARTMENT_STAFF", "COMPLETED",
         "COMPLETED", "碑林区水务局：评价吹哨：属于职责 是，信息充分 是"),
        (done + timedelta(hours=6), "EVALUATE", "resident:demo-whistle", "RESIDENT", "COMPLETED", "EVALUATED",
         "5/5: 修得很快，谢谢"),
    )  # fmt: skip
    for step in steps:
        yield from trail(*step)
