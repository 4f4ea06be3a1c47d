"""The whistle inside the needs' own moves, and who hears of it: cancelling a whistled need closes the calls
still owing an answer (CLOSED, with an audit Event the departments hear); escalating a need departments still
owe an answer on is refused (CONFLICT naming them), allowed once none does; the whistle's events reach the
need's places, its resident and the departments concerned."""

from __future__ import annotations

import asyncio

from resolvers.kernel.events import BUS, Published
from tests.support.factories import COMPOUND, NANYUANMEN, SHUYUANMEN
from tests.support.workflow_helpers import CANCEL, RESIDENT, error_code, mutation, resident
from tests.whistle.support import CHENGGUAN, WATER, community, make_departments, publish_lists, staff, street
from tests.whistle.test_stories import BACK, CALLS, HISTORY, REFUSE, REPORT, SUBMIT, WHISTLE, calls_by_department

ESCALATE = mutation("escalateNeed", "EscalateNeedInput")
CLOSED_AT = "query($f: WhistleCallFilter) { whistleCalls(filter: $f) { edges { node { status closedAt } } } }"


async def drain(client) -> str:
    body = await client(SUBMIT, {"input": {"title": "路面下水道塌陷", "categoryCode": "MUNICIPAL_DRAINAGE",
                                           "placeId": COMPOUND}}, token=resident())  # fmt: skip
    return body["data"]["submitNeed"]["need"]["id"]


async def whistled(client) -> tuple[str, dict[str, dict]]:
    """A drain whistled by the street to 水务 (lead) and 城管 (assisting); its calls by department code."""
    need_id = await drain(client)
    asked = {"needId": need_id, "leadDepartmentId": WATER, "assistingDepartmentIds": [CHENGGUAN], "note": "请抢修"}
    await client(WHISTLE, {"input": asked}, token=street())
    return need_id, calls_by_department(await client(CALLS, {"f": {"needId": need_id}}, token=street()))


async def heard(queue: asyncio.Queue[Published], kind: str) -> Published:
    while True:
        item = await asyncio.wait_for(queue.get(), 30)
        if item.event["type"] == kind:
            return item


async def test_cancelling_a_whistled_need_closes_the_calls_still_owing_an_answer(graph, graphql_client) -> None:
    client = graphql_client
    await make_departments(graph)
    await publish_lists(client)
    # A need nobody whistled: what cancelling costs without the whistle.
    plain = await drain(client)
    await client(CANCEL, {"input": {"needId": plain, "reason": "已自行解决"}}, token=resident())
    unwhistled = client.last_statements
    assert "whistle.close" not in client.last_statement_names

    need_id, calls = await whistled(client)
    await client(REPORT, {"input": {"callId": calls["BEILIN_CHENGGUAN"]["id"], "handler": "王队长"}},
                 token=staff(CHENGGUAN))  # fmt: skip
    async with BUS.subscribe() as queue:
        await client(CANCEL, {"input": {"needId": need_id, "reason": "路面已由物业修好"}}, token=resident())
        assert client.last_statements == unwhistled + 1  # the calls closed and their Event: one statement
        closing = await heard(queue, "CLOSE_CALLS")
    assert closing.audience == {WATER, CHENGGUAN} and SHUYUANMEN in closing.place_ids
    assert closing.residents == {RESIDENT}
    after = calls_by_department(await client(CALLS, {"f": {"needId": need_id}}, token=street()))
    assert {code: call["status"] for code, call in after.items()} == {"BEILIN_WATER": "CLOSED",
                                                                      "BEILIN_CHENGGUAN": "CLOSED"}  # fmt: skip
    history = (await client(HISTORY, {"id": need_id}, token=street()))["data"]["node"]["history"]
    assert [e["type"] for e in history][-2:] == ["CANCEL", "CLOSE_CALLS"]
    assert "碑林区水务局" in history[-1]["note"] and "碑林区城市管理和综合执法局" in history[-1]["note"]
    # The departments' moves on a closed call meet CONFLICT; nothing is overdue any more.
    late = await client(BACK, {"input": {"callId": calls["BEILIN_CHENGGUAN"]["id"], "feedback": "已修复"}},
                        token=staff(CHENGGUAN), expect_errors=True)  # fmt: skip
    assert error_code(late) == "CONFLICT"
    closed = await client(CLOSED_AT, {"f": {"needId": need_id}}, token=street())
    assert [e["node"]["closedAt"] is not None for e in closed["data"]["whistleCalls"]["edges"]] == [True, True]


async def test_a_need_departments_owe_an_answer_on_is_not_handed_up_past_them(graph, graphql_client) -> None:
    client = graphql_client
    await make_departments(graph)
    await publish_lists(client)
    need_id, calls = await whistled(client)
    hand_up = {"input": {"needId": need_id, "reason": "部门迟迟不处理"}}
    refused = await client(ESCALATE, hand_up, token=community(), expect_errors=True)
    assert error_code(refused) == "CONFLICT"
    assert "碑林区水务局" in refused["errors"][0]["message"] and "re-route" in refused["errors"][0]["message"]
    rows = await graph.read("MATCH (a:Assignment)-[:TO]->(:Department {id: $id}) RETURN a.status AS s", id=WATER)
    assert rows == [{"s": "INVITED"}]  # the lead department keeps the need

    # 水务 refuses (the need goes back to the street), 城管 still owes its answer: still refused.
    await client(REFUSE, {"input": {"callId": calls["BEILIN_WATER"]["id"], "reason": "不属于水务职责"}},
                 token=staff(WATER))  # fmt: skip
    again = await client(ESCALATE, hand_up, token=street(), expect_errors=True)
    assert error_code(again) == "CONFLICT" and "碑林区城市管理和综合执法局" in again["errors"][0]["message"]
    # 城管 reports and reports back: nobody owes an answer, and the street hands it up to the district.
    chengguan = calls["BEILIN_CHENGGUAN"]["id"]
    await client(REPORT, {"input": {"callId": chengguan, "handler": "王队长"}}, token=staff(CHENGGUAN))
    await client(BACK, {"input": {"callId": chengguan, "feedback": "围挡已设置"}}, token=staff(CHENGGUAN))
    body = await client(ESCALATE, hand_up, token=street())
    assert body["data"]["escalateNeed"]["need"]["status"] == "ESCALATED"
    assert client.last_statement_names.count("whistle.owing") == 1  # the whistle's one statement more
    after = calls_by_department(await client(CALLS, {"f": {"needId": need_id}}, token=street()))
    assert {code: call["status"] for code, call in after.items()} == {"BEILIN_WATER": "REFUSED",
                                                                      "BEILIN_CHENGGUAN": "DONE"}  # fmt: skip


async def test_the_whistles_events_reach_the_places_the_resident_and_the_departments(graph, graphql_client) -> None:
    client = graphql_client
    await make_departments(graph)
    await publish_lists(client)
    async with BUS.subscribe() as queue:
        need_id, calls = await whistled(client)
        blown = await heard(queue, "WHISTLE")
        await client(REPORT, {"input": {"callId": calls["BEILIN_WATER"]["id"], "handler": "李工"}}, token=staff(WATER))
        report = await heard(queue, "REPORT")
    for item in (blown, report):
        assert item.event["needId"] == need_id
        assert {SHUYUANMEN, NANYUANMEN} <= item.place_ids and item.residents == {RESIDENT}
    assert blown.audience == {WATER, CHENGGUAN} and report.audience == {WATER}
