"""Likely duplicate needs: the same matter called in twice is shown at once, and coordinators list them."""

from __future__ import annotations

import asyncio

from tests.support import workflow_helpers as w
from tests.support.factories import NANYUANMEN_COMMUNITY, SHUYUANMEN, make_places

SUBMIT = """mutation($input: SubmitNeedInput!) {
  submitNeed(input: $input) { need { id } likelyDuplicates { id } } }"""
DUPLICATES = "query($id: ID!) { duplicatesOf(needId: $id) { need { id } score } }"


async def _submit(client, **fields: object) -> dict:
    body = await client(SUBMIT, {"input": {**w.SEWER_INPUT, **fields}}, token=w.resident())
    return body["data"]["submitNeed"]


async def test_a_second_call_about_the_same_matter_is_shown_its_twin(graph, graphql_client) -> None:
    await make_places(graph)
    first = await _submit(graphql_client)
    assert first["likelyDuplicates"] == []
    twin = await _submit(graphql_client, title="下水道又堵塞了，污水外溢到楼道")
    assert twin["likelyDuplicates"] == [{"id": first["need"]["id"]}]
    # Another category at the same place, or the same words in another community, are other matters.
    noise = await _submit(graphql_client, title="下水道施工噪音，污水外溢", categoryCode="NOISE")
    assert noise["likelyDuplicates"] == []
    elsewhere = await _submit(graphql_client, placeId=NANYUANMEN_COMMUNITY)
    assert elsewhere["likelyDuplicates"] == []
    # Text that shares nothing is not alike.
    other = await _submit(graphql_client, title="厨房水管漏了")
    assert other["likelyDuplicates"] == []

    coordinator = w.coordinator()
    listed = (await graphql_client(DUPLICATES, {"id": first["need"]["id"]}, token=coordinator))["data"]
    assert [d["need"]["id"] for d in listed["duplicatesOf"]] == [twin["need"]["id"]]
    assert listed["duplicatesOf"][0]["score"] > 0
    # A need closed is no longer a duplicate to look at.
    await graphql_client(w.CANCEL, {"input": {"needId": twin["need"]["id"], "reason": "重复"}}, token=w.resident())
    again = await graphql_client(DUPLICATES, {"id": first["need"]["id"]}, token=coordinator)
    assert again["data"]["duplicatesOf"] == []


async def test_duplicates_are_for_coordinators_in_scope(graph, graphql_client) -> None:
    await make_places(graph)
    need = (await _submit(graphql_client))["need"]["id"]
    anonymous = await graphql_client(DUPLICATES, {"id": need}, expect_errors=True)
    assert w.error_code(anonymous) == "UNAUTHENTICATED"
    resident = await graphql_client(DUPLICATES, {"id": need}, token=w.resident(), expect_errors=True)
    assert w.error_code(resident) == "FORBIDDEN"
    outside = w.token("COORDINATOR", NANYUANMEN_COMMUNITY)
    assert (
        w.error_code(await graphql_client(DUPLICATES, {"id": need}, token=outside, expect_errors=True)) == "FORBIDDEN"
    )
    inside = w.token("COORDINATOR", SHUYUANMEN)
    assert (await graphql_client(DUPLICATES, {"id": need}, token=inside))["data"]["duplicatesOf"] == []
    missing = await graphql_client(DUPLICATES, {"id": "need:nothing"}, token=inside, expect_errors=True)
    assert w.error_code(missing) == "NOT_FOUND"


MERGE = """mutation($input: MergeNeedsInput!) { mergeNeeds(input: $input) { need { id status } } }"""
STATE = """query($id: ID!) { node(id: $id) { ... on Need { status mergedInto { id } history { type } } } }"""
RECEIVED = """query($s: ID!) { stats(scopeId: $s) { received } }"""


async def test_duplicates_close_into_one_need(graph, graphql_client) -> None:
    await make_places(graph)
    first = (await _submit(graphql_client))["need"]["id"]
    body = await graphql_client(SUBMIT, {"input": {**w.SEWER_INPUT, "title": "下水道又堵塞，污水外溢"}},
                                token=w.resident(w.OTHER_RESIDENT))  # fmt: skip
    twin = body["data"]["submitNeed"]["need"]["id"]
    assert (await graphql_client(RECEIVED, {"s": SHUYUANMEN}))["data"]["stats"]["received"] == 2
    merged = await graphql_client(MERGE, {"input": {"intoId": first, "fromIds": [twin], "reason": "同一根管"}},
                                  token=w.coordinator())  # fmt: skip
    assert merged["data"]["mergeNeeds"]["need"] == {"id": first, "status": "SUBMITTED"}
    coordinator = w.coordinator()
    gone = (await graphql_client(STATE, {"id": twin}, token=coordinator))["data"]["node"]
    assert gone["status"] == "CANCELLED" and gone["mergedInto"] == {"id": first}
    kept = (await graphql_client(STATE, {"id": first}, token=coordinator))["data"]["node"]
    assert [e["type"] for e in kept["history"]][-1] == "MERGE" and gone["history"][-1]["type"] == "MERGE"
    # The twin's requester follows the need that stays; the figures count one matter.
    rows = await graph.read("MATCH (:Need {id: $id})-[:ALSO_RAISED_BY]->(r:Resident) RETURN r.id AS id", id=first)
    assert [r["id"] for r in rows] == [w.OTHER_RESIDENT]
    assert (await graphql_client(RECEIVED, {"s": SHUYUANMEN}))["data"]["stats"]["received"] == 1
    again = await graphql_client(MERGE, {"input": {"intoId": first, "fromIds": [twin]}}, token=coordinator,
                                 expect_errors=True)  # fmt: skip
    assert w.error_code(again) == "CONFLICT"


async def test_merges_that_race_leave_one_survivor(graph, graphql_client) -> None:
    await make_places(graph)
    a = (await _submit(graphql_client))["need"]["id"]
    b = (await _submit(graphql_client, title="下水道堵了"))["need"]["id"]
    answers = await asyncio.gather(*(
        graphql_client(MERGE, {"input": {"intoId": into, "fromIds": [other]}}, token=w.coordinator(),
                       expect_errors=True)
        for into, other in [(a, b), (b, a)] * 5
    ))  # fmt: skip
    assert sum("errors" not in x for x in answers) == 1
    assert {w.error_code(x) for x in answers if "errors" in x} == {"CONFLICT"}
    rows = await graph.read("MATCH (n:Need) RETURN n.status AS status ORDER BY status")
    assert [r["status"] for r in rows] == ["CANCELLED", "SUBMITTED"]
    assert len(await graph.read("MATCH ()-[m:MERGED_INTO]->() RETURN m")) == 1


async def test_what_may_not_be_merged(graph, graphql_client) -> None:
    await make_places(graph)
    await w.make_people(graph, members=1)
    first = (await _submit(graphql_client))["need"]["id"]
    noise = (await _submit(graphql_client, categoryCode="NOISE"))["need"]["id"]
    taken = (await _submit(graphql_client))["need"]["id"]
    await graphql_client(w.DISPATCH, {"input": {"needId": taken, "handlerId": w.member_id(1)}}, token=w.coordinator())
    cases = [
        (None, {"intoId": first, "fromIds": [noise]}, "UNAUTHENTICATED"),
        (w.resident(), {"intoId": first, "fromIds": [noise]}, "FORBIDDEN"),
        (w.token("COORDINATOR", NANYUANMEN_COMMUNITY), {"intoId": first, "fromIds": [taken]}, "FORBIDDEN"),
        (w.coordinator(), {"intoId": first, "fromIds": [noise]}, "BAD_USER_INPUT"),
        (w.coordinator(), {"intoId": first, "fromIds": [first]}, "BAD_USER_INPUT"),
        (w.coordinator(), {"intoId": first, "fromIds": [taken]}, "CONFLICT"),
        (w.coordinator(), {"intoId": first, "fromIds": ["need:nothing"]}, "NOT_FOUND"),
    ]
    for tok, data, code in cases:
        body = await graphql_client(MERGE, {"input": data}, token=tok, expect_errors=True)
        assert w.error_code(body) == code, (data, body)
    assert await graph.read("MATCH ()-[m:MERGED_INTO]->() RETURN m") == []


EVALUATE = """mutation($input: EvaluateInput!) {
  evaluateNeed(input: $input) { need { id status } evaluation { rating byRole } } }"""
MINE = "{ me { needs { id status } } }"
THIRD_RESIDENT = "resident:w3"


async def _merged_and_completed(graph, client, tag: str) -> tuple[str, str, str]:
    """Three residents call in the same blocked drain; the coordinator merges the two later calls into the
    first, which a member then handles to completion: (the surviving need, and the two merged ones)."""
    raised = []
    for rid in (w.RESIDENT, w.OTHER_RESIDENT, THIRD_RESIDENT):
        body = await client(SUBMIT, {"input": {**w.SEWER_INPUT, "title": f"下水道堵塞，污水外溢 {tag}"}},
                            token=w.resident(rid))  # fmt: skip
        raised.append(body["data"]["submitNeed"]["need"]["id"])
    first, *twins = raised
    await client(MERGE, {"input": {"intoId": first, "fromIds": twins, "reason": "同一根管"}}, token=w.coordinator())
    await client(w.DISPATCH, {"input": {"needId": first, "handlerId": w.member_id(1)}}, token=w.coordinator())
    for step, extra in ((w.ACCEPT, {}), (w.START, {}), (w.COMPLETE, {"note": "疏通完毕"})):
        await client(step, {"input": {"needId": first, **extra}}, token=w.member(1))
    return first, twins[0], twins[1]


async def _residents(graph) -> None:
    await make_places(graph)
    await w.make_people(graph, members=1)
    await graph.write("CREATE (:Resident {id: $id, name: '赵敏', phone: '13900002222', createdAt: datetime()})",
                      id=THIRD_RESIDENT)  # fmt: skip


async def test_a_follower_sees_the_surviving_need_and_rates_it(graph, graphql_client) -> None:
    """Issue 23 §4: a resident whose call was merged follows the need that stays: it is among their needs,
    and they may rate its completion as its first requester may; a resident who raised none of it may not."""
    await _residents(graph)
    first, twin, _ = await _merged_and_completed(graph, graphql_client, "一")
    mine = (await graphql_client(MINE, token=w.resident(w.OTHER_RESIDENT)))["data"]["me"]["needs"]
    assert {n["id"]: n["status"] for n in mine} == {first: "COMPLETED", twin: "CANCELLED"}
    stranger = await graphql_client(EVALUATE, {"input": {"needId": first, "rating": 1}},
                                    token=w.resident("resident:nobody"), expect_errors=True)  # fmt: skip
    assert w.error_code(stranger) == "FORBIDDEN" and "raised" in stranger["errors"][0]["message"]
    # The merged call itself is closed: there is nothing to rate there.
    closed = await graphql_client(EVALUATE, {"input": {"needId": twin, "rating": 5}},
                                  token=w.resident(w.OTHER_RESIDENT), expect_errors=True)  # fmt: skip
    assert w.error_code(closed) == "CONFLICT"
    rated = await graphql_client(EVALUATE, {"input": {"needId": first, "rating": 4, "comment": "修好了"}},
                                 token=w.resident(w.OTHER_RESIDENT))  # fmt: skip
    assert rated["data"]["evaluateNeed"] == {
        "need": {"id": first, "status": "EVALUATED"},
        "evaluation": {"rating": 4, "byRole": "REQUESTER"},
    }
    rows = await graph.read("MATCH (m:Member {id: $id}) RETURN m.ratingSum AS s, m.ratingCount AS c",
                            id=w.member_id(1))  # fmt: skip
    assert rows == [{"s": 4, "c": 1}]


async def test_the_requester_and_followers_rating_at_once_rate_once(graph, graphql_client) -> None:
    """The first requester and both followers rate the same completion at the same moment, each several
    times: exactly one rating holds, the handler's figures count it once, the others are told it is rated."""
    await _residents(graph)
    first, _, _ = await _merged_and_completed(graph, graphql_client, "二")
    raters = [w.RESIDENT, w.OTHER_RESIDENT, THIRD_RESIDENT] * 4
    answers = await asyncio.gather(*(
        graphql_client(EVALUATE, {"input": {"needId": first, "rating": 1 + i % 5}}, token=w.resident(rid),
                       expect_errors=True)
        for i, rid in enumerate(raters)
    ))  # fmt: skip
    held = [a for a in answers if "errors" not in a]
    assert len(held) == 1, [a.get("errors") for a in answers][:3]
    assert {w.error_code(a) for a in answers if "errors" in a} == {"CONFLICT"}
    rating = held[0]["data"]["evaluateNeed"]["evaluation"]["rating"]
    rows = await graph.read(
        "MATCH (n:Need {id: $id}) RETURN n.status AS status, COUNT { (:Evaluation)-[:OF]->(:Assignment)-[:OF]->(n) }"
        " AS evaluations",
        id=first,
    )
    assert rows == [{"status": "EVALUATED", "evaluations": 1}]
    assert await graph.read("MATCH (m:Member {id: $id}) RETURN m.ratingSum AS s, m.ratingCount AS c",
                            id=w.member_id(1)) == [{"s": rating, "c": 1}]  # fmt: skip
