"""Safe to retry: replaying a workflow mutation with the same idempotencyKey returns the first result
and changes nothing more (counts of needs, events and assignments stay put)."""

from __future__ import annotations

import pytest

from tests.support import workflow_helpers as w
from tests.support.graph_state import changes, graph_state
from tests.support.races import one_answer, same_request_at_once


async def _counts(graph) -> dict[str, int]:
    row = (
        await graph.read(
            "RETURN COUNT { MATCH (:Need) } AS needs, COUNT { MATCH (:Event) } AS events, "
            "COUNT { MATCH (:Assignment) } AS assignments, COUNT { MATCH (:Resident) } AS residents, "
            "COLLECT { MATCH (m:Member {id: 'member:w1'}) RETURN m.openLoad } AS load"
        )
    )[0]
    return row


@pytest.mark.smoke
async def test_replayed_submit_returns_the_first_need(world, graphql_client) -> None:
    variables = {"input": {**w.SEWER_INPUT, "idempotencyKey": "app-7f3a"}}
    first = (await graphql_client(w.SUBMIT, variables, token=w.resident()))["data"]["submitNeed"]
    counts = await _counts(world)
    again = (await graphql_client(w.SUBMIT, variables, token=w.resident()))["data"]["submitNeed"]
    assert again["replayed"] is True and first["replayed"] is False
    assert again["need"]["id"] == first["need"]["id"] and again["need"]["number"] == first["need"]["number"]
    assert await _counts(world) == counts
    # The same key from another caller is another request.
    other = (await graphql_client(w.SUBMIT, variables, token=w.resident(w.OTHER_RESIDENT)))["data"]["submitNeed"]
    assert other["need"]["id"] != first["need"]["id"] and other["replayed"] is False


async def test_hotline_replay_does_not_create_a_second_resident(world, graphql_client) -> None:
    variables = {
        "input": {
            **w.SEWER_INPUT,
            "channel": "HOTLINE_12345",
            "resident": {"name": "张大爷", "phone": "13512345678", "address": "书院小区 5号楼"},
            "idempotencyKey": "call-20261125-0012",
        }
    }
    await graphql_client(w.SUBMIT, variables, token=w.coordinator())
    counts = await _counts(world)
    await graphql_client(w.SUBMIT, variables, token=w.coordinator())
    assert await _counts(world) == counts


@pytest.mark.parametrize(
    ("document", "make_input", "tok"),
    [
        (w.DISPATCH, lambda n: {"needId": n, "handlerId": w.member_id(1)}, w.coordinator),
        (w.OPEN_CLAIM, lambda n: {"needId": n}, w.coordinator),
        (w.INVITE, lambda n: {"needId": n, "candidateIds": [w.member_id(1), w.UNIT]}, w.coordinator),
        (w.UPDATE, lambda n: {"needId": n, "title": "下水道堵塞严重"}, w.resident),
        (w.CANCEL, lambda n: {"needId": n, "reason": "已解决"}, w.resident),
    ],
)
async def test_replayed_coordination_changes_nothing_more(world, graphql_client, document, make_input, tok) -> None:
    nid = (await w.submit(graphql_client))["id"]
    variables = {"input": {**make_input(nid), "idempotencyKey": "k-1"}}
    first = await graphql_client(document, variables, token=tok())
    counts = await _counts(world)
    again = await graphql_client(document, variables, token=tok())
    [name] = again["data"]
    assert again["data"][name]["replayed"] is True
    assert again["data"][name]["need"]["status"] == first["data"][name]["need"]["status"]
    assert await _counts(world) == counts


async def test_handler_replays(world, graphql_client) -> None:
    nid = (await w.submit(graphql_client))["id"]
    await graphql_client(w.DISPATCH, {"input": {"needId": nid, "handlerId": w.member_id(1)}}, token=w.coordinator())
    steps = [
        (w.ACCEPT, {"needId": nid}),
        (w.START, {"needId": nid}),
        (w.COMPLETE, {"needId": nid, "note": "已疏通"}),
        (w.REOPEN, {"needId": nid, "reason": "又堵了"}),
    ]
    for i, (document, data) in enumerate(steps):
        tok = w.resident() if document is w.REOPEN else w.member(1)
        variables = {"input": {**data, "idempotencyKey": f"step-{i}"}}
        first = await graphql_client(document, variables, token=tok)
        counts = await _counts(world)
        # Without the key this replay would be a CONFLICT (the state moved on); with it, the first answer.
        again = await graphql_client(document, variables, token=tok)
        [name] = again["data"]
        assert again["data"][name]["replayed"] is True
        assert again["data"][name]["assignment"]["id"] == first["data"][name]["assignment"]["id"]
        assert await _counts(world) == counts


async def test_a_key_belongs_to_one_operation(world, graphql_client) -> None:
    nid = (await w.submit(graphql_client, idempotencyKey="dup"))["id"]
    body = await graphql_client(
        w.CANCEL, {"input": {"needId": nid, "idempotencyKey": "dup"}}, token=w.resident(), expect_errors=True
    )
    assert w.error_code(body) == "CONFLICT" and "already used for submitNeed" in body["errors"][0]["message"]


# --- the same key, twenty times at once ------------------------------------------------------------


async def _submitted(client) -> str:
    return (await w.submit(client))["id"]


async def _dispatched(client) -> str:
    nid = await _submitted(client)
    await client(w.DISPATCH, {"input": {"needId": nid, "handlerId": w.member_id(1)}}, token=w.coordinator())
    return nid


async def _nothing(client) -> None:
    return None


async def _district_of(graph, place_id: str) -> str:
    rows = await graph.read(
        "MATCH (:Compound|Community {id: $id})-[:IN*0..3]->(d:District) RETURN d.id AS id", id=place_id
    )
    return rows[0]["id"]


# Per mutation: what comes before, its input, who sends it, and what one run of it writes (the labels
# of the nodes it adds, the kinds of the nodes it changes, the links it adds).
AT_ONCE = {
    "submitNeed": (
        _nothing, w.SUBMIT, lambda n: dict(w.SEWER_INPUT), w.resident,
        {"added": ["Event", "IdempotencyRecord", "Need", "RoutingDecision"], "changed": ["district"],
         "linked": ["ABOUT", "AT", "OF", "RAISED_BY", "ROUTES"]},
    ),
    "dispatchNeed": (
        _submitted, w.DISPATCH, lambda n: {"needId": n, "handlerId": w.member_id(1)}, w.coordinator,
        {"added": ["Assignment", "Event", "IdempotencyRecord", "User"], "changed": ["need"],
         "linked": ["ABOUT", "BY", "OF", "TO"]},
    ),
    "inviteCandidates": (
        _submitted, w.INVITE, lambda n: {"needId": n, "candidateIds": [w.member_id(1), w.UNIT]}, w.coordinator,
        {"added": ["Assignment", "Assignment", "Event", "IdempotencyRecord", "User"], "changed": ["need"],
         "linked": ["ABOUT", "BY", "BY", "OF", "OF", "TO", "TO"]},
    ),
    "acceptNeed": (
        _dispatched, w.ACCEPT, lambda n: {"needId": n}, lambda: w.member(1),
        {"added": ["Event", "IdempotencyRecord"], "changed": ["assignment", "member", "need"], "linked": ["ABOUT"]},
    ),
    "cancelNeed": (
        _submitted, w.CANCEL, lambda n: {"needId": n, "reason": "已解决"}, w.resident,
        {"added": ["Event", "IdempotencyRecord"], "changed": ["need"], "linked": ["ABOUT"]},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(AT_ONCE))
async def test_the_same_key_twenty_times_at_once_has_one_effect(world, graphql_client, name) -> None:
    """A retried request arriving while the first is still running: the copies wait for the first and
    answer its result; the graph holds one run's writes (and one idempotency record)."""
    prepare, document, make_input, tok, expected = AT_ONCE[name]
    nid = await prepare(graphql_client)
    variables = {"input": {**make_input(nid), "idempotencyKey": "tap-tap"}}
    # Held while the copies come in: the need, or for a new one the district that numbers it.
    gate = ("Need", nid) if nid is not None else ("District", await _district_of(world, variables["input"]["placeId"]))
    before = await graph_state(world)
    answer = one_answer(await same_request_at_once(graphql_client, document, variables, tok(), gate), name)
    written = changes(before, await graph_state(world))
    written["changed"] = sorted(node_id.split(":")[0] for node_id in written.get("changed", []))
    assert written == expected
    if nid is not None:
        assert answer["need"]["id"] == nid
