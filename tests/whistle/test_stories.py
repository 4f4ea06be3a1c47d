"""Stories 19 and 20 over HTTP (STORIES.md): the street blows the whistle; who calls rates, who answers is
rated. A gas smell skips the community by the negative list; a collapsed drain is whistled by the street to
水务 (lead) and 城管 and 住建 (assisting): 城管 reports at once, 水务 late (escalated by the sweep and counted),
住建 refuses and is re-routed in one step; then ratings both ways and the resident's own evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from resolvers.whistle.sweep import sweep_whistles
from tests.support.factories import COMPOUND, SHUYUANMEN
from tests.support.workflow_helpers import error_code, resident
from tests.whistle.support import (
    CHENGGUAN,
    GAS,
    HOUSING,
    MUNICIPAL,
    WATER,
    community,
    district,
    make_departments,
    publish_lists,
    staff,
    street,
)

SUBMIT = """mutation($input: SubmitNeedInput!) { submitNeed(input: $input) { need { id status level
  routing { outcome explanation dutyItem { duty dutyList { level version } } } } } }"""
QUEUE = """query($place: ID!) { needs(filter: {placeId: $place, status: [SUBMITTED]}) { totalCount
  edges { node { id } } } }"""
CALL_FIELDS = """id role status handler respondedLate completedLate escalations overdue refusalReason
  department { code } need { id status } whistle { id reason note level } reroutedTo { id department { code } }"""
CALLS = (
    f"query($f: WhistleCallFilter) {{ whistleCalls(filter: $f) {{ totalCount edges {{ node {{ {CALL_FIELDS} }} }} }} }}"
)
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on WhistleCall {{ {CALL_FIELDS} }} }} }}"
WHISTLE = """mutation($input: WhistleNeedInput!) { whistleNeed(input: $input) { replayed
  whistle { id level reason note dutyItem { duty } departments { code } calls(first: 5) { totalCount
    edges { node { id role status department { code } } } } } } }"""


def call_mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ whistleCall {{ {CALL_FIELDS} }} }} }}"


REPORT = call_mutation("reportToWhistle", "ReportToWhistleInput")
BACK = call_mutation("reportBack", "ReportBackInput")
REFUSE = call_mutation("refuseWhistle", "RefuseWhistleInput")
REROUTE = call_mutation("rerouteWhistleCall", "RerouteWhistleCallInput")
RATE_DEPARTMENT = """mutation($input: RateDepartmentInput!) { rateDepartment(input: $input) { whistleCall { id
  departmentRating { response result attitude comment byId } } } }"""
RATE_WHISTLE = """mutation($input: RateWhistleInput!) { rateWhistle(input: $input) { whistleCall { id
  whistleRating { withinDuty informationEnough comment } } } }"""
HISTORY = "query($id: ID!) { node(id: $id) { ... on Need { status history { type actorId role note } } } }"
ITEMS = """query { dutyLists(filter: {current: true, level: [STREET]}) { edges { node { version
  items(first: 20) { edges { node { category { code } refusals underReview } } } } } } }"""


def calls_by_department(body: dict) -> dict[str, dict]:
    edges = body["data"]["whistleCalls"]["edges"]
    return {edge["node"]["department"]["code"]: edge["node"] for edge in edges}


@pytest.mark.smoke
async def test_the_street_blows_the_whistle_and_both_sides_rate(graph, graphql_client, interpreted_client) -> None:
    client = graphql_client
    await make_departments(graph)
    await publish_lists(client)

    # Story 19, first week: a gas smell is on the communities' negative list: it goes to the gas office at once.
    gas = await client(SUBMIT, {"input": {"title": "楼道里有很重的燃气味", "categoryCode": "GAS_SAFETY",
                                          "placeId": COMPOUND, "urgency": "URGENT"}}, token=resident())  # fmt: skip
    need = gas["data"]["submitNeed"]["need"]
    assert (need["status"], need["level"]) == ("DISPATCHED", "STREET")
    assert need["routing"]["outcome"] == "DEPARTMENT"
    assert need["routing"]["explanation"] == "负面清单：燃气安全 → 碑林区燃气安全办公室"
    assert need["routing"]["dutyItem"] == {"duty": "NEGATIVE", "dutyList": {"level": "COMMUNITY", "version": 1}}
    assert client.last_written == [
        "needs.write.intake_facts", "needs.write.create_need", "whistle.route", "whistle.write"
    ]  # fmt: skip
    queue = (await client(QUEUE, {"place": SHUYUANMEN}, token=community()))["data"]["needs"]
    assert need["id"] not in [edge["node"]["id"] for edge in queue["edges"]]
    gas_calls = calls_by_department(await client(CALLS, {"f": {"needId": need["id"]}}, token=staff(GAS)))
    assert list(gas_calls) == ["BEILIN_GAS"] and gas_calls["BEILIN_GAS"]["whistle"]["level"] == "ROUTING"

    # A week later: a collapsed drain under the street, beyond the community.
    drain_input = {"title": "路面下水道塌陷，污水漫到人行道", "categoryCode": "MUNICIPAL_DRAINAGE", "placeId": COMPOUND}
    drain = await client(SUBMIT, {"input": drain_input}, token=resident())
    drain_need = drain["data"]["submitNeed"]["need"]
    assert drain_need["status"] == "SUBMITTED"
    assert drain_need["routing"] == {
        "outcome": "COMMUNITY", "explanation": "不在社区清单（v1）：市政排水 → 书院门社区", "dutyItem": None
    }  # fmt: skip
    need_id = drain_need["id"]
    asked = {"needId": need_id, "leadDepartmentId": WATER, "assistingDepartmentIds": [CHENGGUAN, HOUSING],
             "note": "南院门正街路面塌陷约2平方米，请水务抢修管网，城管设置围挡"}  # fmt: skip

    # The community may not whistle it: the communities' list does not carry it.
    refused = await client(WHISTLE, {"input": asked}, token=community(), expect_errors=True)
    assert error_code(refused) == "FORBIDDEN"
    assert "碑林区社区清单 v1：市政排水 is not on the list" in refused["errors"][0]["message"]

    body = await client(WHISTLE, {"input": asked}, token=street())
    whistle = body["data"]["whistleNeed"]["whistle"]
    assert whistle["reason"] == "协助清单：市政排水 → 碑林区水务局" and whistle["level"] == "STREET"
    assert whistle["dutyItem"] == {"duty": "ASSISTED"} and whistle["calls"]["totalCount"] == 3
    assert client.last_written == ["whistle.facts", "whistle.write"]
    calls = calls_by_department(await client(CALLS, {"f": {"needId": need_id}}, token=street()))
    assert {code: (c["role"], c["status"]) for code, c in calls.items()} == {
        "BEILIN_WATER": ("LEAD", "WHISTLED"),
        "BEILIN_CHENGGUAN": ("ASSIST", "WHISTLED"),
        "BEILIN_HOUSING": ("ASSIST", "WHISTLED"),
    }

    # 城管 reports in minutes and names its handler; reporting twice is a conflict.
    chengguan_call = calls["BEILIN_CHENGGUAN"]["id"]
    report = {"callId": chengguan_call, "handler": "王队长 13900001111", "note": "执法中队已出发"}
    reported = (await client(REPORT, {"input": report}, token=staff(CHENGGUAN)))["data"]["reportToWhistle"]
    assert reported["whistleCall"]["status"] == "REPORTED" and reported["whistleCall"]["respondedLate"] is False
    assert client.last_written == ["whistle.call", "whistle.move"]
    again = await client(REPORT, {"input": report}, token=staff(CHENGGUAN), expect_errors=True)
    assert error_code(again) == "CONFLICT" and "is REPORTED" in again["errors"][0]["message"]
    # A department sees and acts on what was whistled to it, and nothing else.
    other = await client(REPORT, {"input": {**report, "callId": calls["BEILIN_WATER"]["id"]}},
                         token=staff(CHENGGUAN), expect_errors=True)  # fmt: skip
    assert error_code(other) == "FORBIDDEN" and "碑林区水务局's" in other["errors"][0]["message"]
    for reader in (graphql_client, interpreted_client):
        mine = calls_by_department(await reader(CALLS, {"f": None}, token=staff(CHENGGUAN)))
        assert list(mine) == ["BEILIN_CHENGGUAN"]
        if reader is graphql_client:  # compiled: one statement for the list and everything nested in it
            assert reader.last_statement_names == ["compiled.whistleCalls"]
        assert (await reader(NODE, {"id": calls["BEILIN_WATER"]["id"]}, token=staff(CHENGGUAN)))["data"]["node"] is None
        assert (await reader(NODE, {"id": chengguan_call}, token=staff(CHENGGUAN)))["data"]["node"]["handler"]
        assert (await reader(CALLS, {"f": None}, token=resident()))["data"]["whistleCalls"]["totalCount"] == 0

    # 水务 lets its response limit pass: the sweep escalates it to the district's leadership, once.
    await graph.write(
        "MATCH (c:WhistleCall {id: $id}) SET c.respondBy = datetime() - duration('PT1H')",
        id=calls["BEILIN_WATER"]["id"],
    )
    assert await sweep_whistles(graph, datetime.now(UTC)) == [calls["BEILIN_WATER"]["id"]]
    assert await sweep_whistles(graph, datetime.now(UTC) + timedelta(minutes=1)) == []
    escalated = await client(CALLS, {"f": {"escalated": True}}, token=district())
    assert escalated["data"]["whistleCalls"]["totalCount"] == 1
    water_call = calls["BEILIN_WATER"]["id"]
    late = await client(REPORT, {"input": {"callId": water_call, "handler": "李工 13800002222"}}, token=staff(WATER))
    water = late["data"]["reportToWhistle"]["whistleCall"]
    assert (water["respondedLate"], water["escalations"], water["need"]["status"]) == (True, 1, "IN_PROGRESS")
    counted = await client(CALLS, {"f": {"late": True}}, token=district())
    assert [e["node"]["department"]["code"] for e in counted["data"]["whistleCalls"]["edges"]] == ["BEILIN_WATER"]

    # 住建, whistled by mistake, refuses: "not our duty"; the street re-routes it in one step.
    housing_call = calls["BEILIN_HOUSING"]["id"]
    no = await client(
        REFUSE, {"input": {"callId": housing_call, "reason": "道路排水不属于住建职责"}}, token=staff(HOUSING)
    )
    assert no["data"]["refuseWhistle"]["whistleCall"]["status"] == "REFUSED"
    items = (await client(ITEMS))["data"]["dutyLists"]["edges"][0]["node"]["items"]["edges"]
    assert client.last_statement_names == ["compiled.dutyLists"]
    again = (await interpreted_client(ITEMS))["data"]["dutyLists"]["edges"][0]["node"]["items"]["edges"]
    assert again == items
    assert {i["node"]["category"]["code"]: i["node"]["refusals"] for i in items}["MUNICIPAL_DRAINAGE"] == 1
    moved = await client(REROUTE, {"input": {"callId": housing_call, "departmentId": MUNICIPAL}}, token=street())
    new_call = moved["data"]["rerouteWhistleCall"]["whistleCall"]
    assert (new_call["department"]["code"], new_call["role"], new_call["status"]) == (
        "BEILIN_MUNICIPAL", "ASSIST", "WHISTLED"
    )  # fmt: skip
    twice = await client(REROUTE, {"input": {"callId": housing_call, "departmentId": MUNICIPAL}},
                         token=street(), expect_errors=True)  # fmt: skip
    assert error_code(twice) == "CONFLICT"

    # Story 20: the drain is fixed. The lead's feedback completes the need; the assistants report back too.
    await client(REPORT, {"input": {"callId": new_call["id"], "handler": "赵工"}}, token=staff(MUNICIPAL))
    for call_id, department, words in (
        (chengguan_call, CHENGGUAN, "围挡已设置，现场秩序正常"),
        (water_call, WATER, "管网已修复，路面恢复通行"),
        (new_call["id"], MUNICIPAL, "配合完成路面修复"),
    ):
        done = await client(BACK, {"input": {"callId": call_id, "feedback": words}}, token=staff(department))
        assert done["data"]["reportBack"]["whistleCall"]["status"] == "DONE"
    assert done["data"]["reportBack"]["whistleCall"]["need"]["status"] == "COMPLETED"

    # The street rates each department; a low score needs its reason; once per department.
    low = await client(RATE_DEPARTMENT, {"input": {"callId": water_call, "response": 2, "result": 5, "attitude": 4}},
                       token=street(), expect_errors=True)  # fmt: skip
    assert error_code(low) == "BAD_USER_INPUT" and "response" in low["errors"][0]["message"]
    rated = await client(RATE_DEPARTMENT, {"input": {"callId": water_call, "response": 2, "result": 5, "attitude": 4,
                                                     "comment": "报到超时"}}, token=street())  # fmt: skip
    assert rated["data"]["rateDepartment"]["whistleCall"]["departmentRating"]["comment"] == "报到超时"
    top = {"callId": chengguan_call, "response": 5, "result": 5, "attitude": 5}
    await client(RATE_DEPARTMENT, {"input": top}, token=street())
    dup = await client(RATE_DEPARTMENT, {"input": top}, token=street(), expect_errors=True)
    assert error_code(dup) == "CONFLICT"
    # The departments rate the whistle: within duty, information enough.
    for call_id, department in ((water_call, WATER), (chengguan_call, CHENGGUAN)):
        body = await client(RATE_WHISTLE, {"input": {"callId": call_id, "withinDuty": True, "informationEnough": True}},
                            token=staff(department))  # fmt: skip
        assert body["data"]["rateWhistle"]["whistleCall"]["whistleRating"]["withinDuty"] is True
    outside = {"callId": housing_call, "withinDuty": False, "informationEnough": True}
    housing = await client(RATE_WHISTLE, {"input": outside}, token=staff(HOUSING), expect_errors=True)
    assert error_code(housing) == "BAD_USER_INPUT"

    # The resident rates the result as before.
    evaluate = """mutation($input: EvaluateInput!) { evaluateNeed(input: $input) { need { status } } }"""
    rated = await client(evaluate, {"input": {"needId": need_id, "rating": 5, "comment": "修得很快"}}, token=resident())
    assert rated["data"]["evaluateNeed"]["need"]["status"] == "EVALUATED"

    # The trail records every move.
    history = (await client(HISTORY, {"id": need_id}, token=street()))["data"]["node"]["history"]
    assert [event["type"] for event in history] == [
        "SUBMIT", "WHISTLE", "REPORT", "CALL_OVERDUE", "REPORT", "REFUSE", "REROUTE", "REPORT",
        "FEEDBACK", "FEEDBACK", "FEEDBACK", "RATE_DEPARTMENT", "RATE_DEPARTMENT", "RATE_WHISTLE", "RATE_WHISTLE",
        "EVALUATE",
    ]  # fmt: skip
    overdue = next(event for event in history if event["type"] == "CALL_OVERDUE")
    assert overdue["note"].startswith("碑林区水务局：逾期未报到") and "已上报碑林区领导" in overdue["note"]
