"""The rules around the whistle, each refusal by its code and words: who may revise which duty list and how
versions keep their history; who may whistle what; pausing a call's clock; what a department may not do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from resolvers.whistle.sweep import sweep_whistles
from tests.support.factories import BEILIN, COMPOUND, YANTA
from tests.support.workflow_helpers import error_code, resident, token
from tests.whistle.support import (
    CHENGGUAN,
    GAS,
    REVISE,
    WATER,
    community,
    district,
    make_departments,
    publish_lists,
    staff,
    street,
)
from tests.whistle.test_stories import CALLS, REPORT, SUBMIT, WHISTLE, call_mutation, calls_by_department

PAUSE = call_mutation("pauseWhistleCall", "PauseWhistleCallInput")
RESUME = call_mutation("resumeWhistleCall", "ResumeWhistleCallInput")
TIMES = "query($id: ID!) { node(id: $id) { ... on WhistleCall { respondBy pausedAt pauseReason overdue } } }"


async def test_duty_lists_are_versions_kept_by_their_district(graph, graphql_client) -> None:
    client = graphql_client
    await make_departments(graph)
    first = await publish_lists(client)
    assert (first["version"], first["current"], first["previous"]) == (1, True, None)
    codes = [edge["node"]["category"]["code"] for edge in first["items"]["edges"]]
    assert codes == sorted(codes)  # a list's lines come in the order of their categories
    change = {"districtId": BEILIN, "level": "STREET", "removeCategoryCodes": ["NOISE"], "reason": "噪音交由社区自治",
              "setItems": [{"categoryCode": "SEWER", "duty": "ASSISTED", "leadDepartmentId": WATER}]}  # fmt: skip
    second = (await client(REVISE, {"input": {**change, "baseVersion": 1}}, token=district()))["data"]
    revised = second["reviseDutyList"]["dutyList"]
    assert (revised["version"], revised["previous"]) == (2, {"id": first["id"], "version": 1, "current": False})
    assert revised["changes"] == "-NOISE; +SEWER 协助清单" and revised["changedBy"] == "user:admin-beilin"
    assert client.last_written == ["duties.current", "duties.write"]
    refused = [
        ({**change, "baseVersion": 1}, district(), "CONFLICT", "version 2 is in force, not 1"),
        ({**change, "setItems": []}, district(), "CONFLICT", "NOISE not on version 2"),
        ({**change, "districtId": YANTA}, district(), "FORBIDDEN", "district:610113's list"),
        ({**change, "districtId": None}, district(), "FORBIDDEN", "the city's default list"),
        (change, street(), "FORBIDDEN", "CITY_ADMIN, DISTRICT_ADMIN"),
        ({**change, "reason": " "}, district(), "BAD_USER_INPUT", "say why the list changes"),
        ({**change, "setItems": [{"categoryCode": "SEWER", "duty": "NEGATIVE"}]}, district(), "BAD_USER_INPUT",
         "leadDepartmentId"),
        ({**change, "setItems": [{"categoryCode": "SEWER", "duty": "SELF_GOVERNED", "leadDepartmentId": WATER}]},
         district(), "BAD_USER_INPUT", "names no department"),
        ({**change, "removeCategoryCodes": [], "setItems": [{"categoryCode": "GAS", "duty": "SELF_GOVERNED"}]},
         district(), "NOT_FOUND", "no Category with code GAS"),
    ]  # fmt: skip
    for given, tok, code, words in refused:
        body = await client(REVISE, {"input": given}, token=tok, expect_errors=True)
        assert error_code(body) == code and words in body["errors"][0]["message"], (given, body["errors"])
    # The city keeps the default lists, which apply where a district has none of its own.
    city = token("CITY_ADMIN", None, "user:admin-city")
    made = await client(REVISE, {"input": {"level": "COMMUNITY", "reason": "全市默认清单",
                                           "setItems": [{"categoryCode": "NOISE", "duty": "SELF_GOVERNED"}]}},
                        token=city)  # fmt: skip
    assert made["data"]["reviseDutyList"]["dutyList"]["district"] is None


async def test_who_may_whistle_what(graph, graphql_client) -> None:
    client = graphql_client
    await make_departments(graph)
    await publish_lists(client)
    body = await client(SUBMIT, {"input": {"title": "夜间施工噪音", "categoryCode": "NOISE", "placeId": COMPOUND}},
                        token=resident())  # fmt: skip
    need = body["data"]["submitNeed"]["need"]
    assert need["routing"]["explanation"] == "自治清单：噪音扰民 → 书院门社区"
    asked = {"needId": need["id"], "leadDepartmentId": CHENGGUAN, "note": "请城管执法"}
    refused = [
        (asked, community(), "FORBIDDEN", "碑林区社区清单 v1：噪音扰民 is on the 自治清单"),
        (asked, token("COORDINATOR", "community:610103001004"), "FORBIDDEN", "outside your scope"),
        (asked, token("DISTRICT_ADMIN", YANTA), "FORBIDDEN", "outside your scope"),
        (asked, staff(CHENGGUAN), "FORBIDDEN", "COORDINATOR, DISTRICT_ADMIN, CITY_ADMIN"),
        (asked, resident(), "FORBIDDEN", "COORDINATOR"),
        ({**asked, "assistingDepartmentIds": [CHENGGUAN]}, district(), "BAD_USER_INPUT", "each department"),
        ({**asked, "note": ""}, district(), "BAD_USER_INPUT", "say what is asked"),
        ({**asked, "leadDepartmentId": "department:nobody"}, district(), "NOT_FOUND", "department:nobody"),
    ]
    for given, tok, code, words in refused:
        answer = await client(WHISTLE, {"input": given}, token=tok, expect_errors=True)
        assert error_code(answer) == code and words in answer["errors"][0]["message"], (given, answer["errors"])
    # A department is reached by a whistle, never dispatched to as a member or unit is.
    dispatch = """mutation($input: DispatchNeedInput!) { dispatchNeed(input: $input) { need { id } } }"""
    wrong = await client(dispatch, {"input": {"needId": need["id"], "handlerId": CHENGGUAN}}, token=community(),
                         expect_errors=True)  # fmt: skip
    assert error_code(wrong) == "BAD_USER_INPUT" and "handlerId" in str(wrong["errors"][0]), wrong["errors"]
    # The district's leadership whistles any category.
    made = (await client(WHISTLE, {"input": asked}, token=district()))["data"]["whistleNeed"]["whistle"]
    assert made["reason"] == "区级吹哨：噪音扰民 → 碑林区城市管理和综合执法局" and made["dutyItem"] is None
    again = await client(WHISTLE, {"input": asked}, token=district(), expect_errors=True)
    assert error_code(again) == "CONFLICT" and "re-route a refused call" in again["errors"][0]["message"]


async def test_a_paused_call_is_never_overdue_and_resumes_with_its_time(graph, graphql_client) -> None:
    client = graphql_client
    await make_departments(graph)
    await publish_lists(client)
    body = await client(SUBMIT, {"input": {"title": "燃气管道漏气", "categoryCode": "GAS_SAFETY", "placeId": COMPOUND}},
                        token=resident())  # fmt: skip
    need_id = body["data"]["submitNeed"]["need"]["id"]
    [call] = (await client(CALLS, {"f": {"needId": need_id}}, token=staff(GAS)))["data"]["whistleCalls"]["edges"]
    call_id = call["node"]["id"]
    # The street holds a routed need: the community may not act on its whistle.
    by_community = await client(PAUSE, {"input": {"callId": call_id, "reason": "等待"}}, token=community(),
                                expect_errors=True)  # fmt: skip
    assert error_code(by_community) == "FORBIDDEN" and "whistled by street:610103001" in by_community["errors"][0][
        "message"
    ]  # fmt: skip
    before = (await client(TIMES, {"id": call_id}, token=street()))["data"]["node"]
    paused = await client(PAUSE, {"input": {"callId": call_id, "reason": "等待燃气公司停气许可"}}, token=street())
    assert paused["data"]["pauseWhistleCall"]["whistleCall"]["id"] == call_id
    twice = await client(PAUSE, {"input": {"callId": call_id, "reason": "再等"}}, token=street(), expect_errors=True)
    assert error_code(twice) == "CONFLICT"
    # Paused: a sweep long after its limit leaves it alone, and it does not show as overdue.
    assert await sweep_whistles(graph, datetime.now(UTC) + timedelta(days=3)) == []
    resumed = await client(RESUME, {"input": {"callId": call_id, "note": "许可已批"}}, token=street())
    assert resumed["data"]["resumeWhistleCall"]["whistleCall"]["id"] == call_id
    after = (await client(TIMES, {"id": call_id}, token=street()))["data"]["node"]
    assert after["pausedAt"] is None and after["respondBy"] >= before["respondBy"] and after["overdue"] is False
    # What a department may not do: another department's call, a whistler's move.
    other = await client(REPORT, {"input": {"callId": call_id, "handler": "李工"}}, token=staff(WATER),
                         expect_errors=True)  # fmt: skip
    assert error_code(other) == "FORBIDDEN"
    moved = await client(PAUSE, {"input": {"callId": call_id, "reason": "x"}}, token=staff(GAS), expect_errors=True)
    assert error_code(moved) == "FORBIDDEN"
    assert calls_by_department(await client(CALLS, {"f": None}, token=staff(WATER))) == {}
