"""Likely duplicate needs: the same matter called in twice is shown at once, and coordinators list them."""

from __future__ import annotations

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
