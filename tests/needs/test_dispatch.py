"""Dispatch and acceptance: every workflow mutation against every role, maximum load, declines,
invitations that lapse, transfers, and CONFLICT naming the state when an operation does not fit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from tests.support import workflow_helpers as w
from tests.support.factories import BEILIN, NANYUANMEN_COMMUNITY

ROLES: dict[str, Callable[[], str | None]] = {
    "anonymous": lambda: None,
    "requester": w.resident,
    "other_resident": lambda: w.resident(w.OTHER_RESIDENT),
    "handler_member": lambda: w.member(1),
    "other_member": lambda: w.member(2),
    "unit_admin": w.unit_admin,
    "coordinator": w.coordinator,
    "coordinator_elsewhere": lambda: w.coordinator(NANYUANMEN_COMMUNITY),
    "district_admin": lambda: w.token("DISTRICT_ADMIN", BEILIN),
    "city_admin": lambda: w.token("CITY_ADMIN"),
}
STAFF = {"coordinator", "district_admin", "city_admin"}


async def _submitted(client) -> str:
    return (await w.submit(client))["id"]


async def _offered(client) -> str:
    nid = await _submitted(client)
    await client(w.INVITE, {"input": {"needId": nid, "candidateIds": [w.member_id(1), w.UNIT]}}, token=w.coordinator())
    return nid


async def _accepted(client) -> str:
    nid = await _offered(client)
    await client(w.ACCEPT, {"input": {"needId": nid}}, token=w.member(1))
    return nid


async def _in_progress(client) -> str:
    nid = await _accepted(client)
    await client(w.START, {"input": {"needId": nid}}, token=w.member(1))
    return nid


async def _completed(client) -> str:
    nid = await _in_progress(client)
    await client(w.COMPLETE, {"input": {"needId": nid, "note": "已处理"}}, token=w.member(1))
    return nid


@dataclass(frozen=True)
class Case:
    document: str
    setup: Callable[..., Awaitable[str]] | None
    make_input: Callable[[str | None, str], dict]
    allowed: frozenset[str]
    result_status: str


def _submit_input(_: str | None, role: str) -> dict:
    if role in STAFF or role == "coordinator_elsewhere":
        return {**w.SEWER_INPUT, "channel": "HOTLINE_12345", "residentId": w.RESIDENT}
    return dict(w.SEWER_INPUT)


def _on_need(**extra: object) -> Callable[[str | None, str], dict]:
    """The input of a mutation on the need its setup made: the need's id and `extra`."""
    return lambda need_id, _role: {"needId": need_id, **extra}


RAISERS = frozenset({"requester", *STAFF})
HANDLERS = frozenset({"handler_member", "unit_admin"})
CASES: dict[str, Case] = {
    "submitNeed": Case(w.SUBMIT, None, _submit_input, frozenset({"requester", "other_resident", *STAFF}), "SUBMITTED"),
    "updateNeed": Case(w.UPDATE, _submitted, _on_need(title="下水道堵塞"), RAISERS, "SUBMITTED"),
    "cancelNeed": Case(w.CANCEL, _submitted, _on_need(reason="不需要了"), RAISERS, "CANCELLED"),
    "reopenNeed": Case(w.REOPEN, _completed, _on_need(reason="没修好"), RAISERS, "REOPENED"),
    "dispatchNeed": Case(w.DISPATCH, _submitted, _on_need(handlerId=w.member_id(1)), frozenset(STAFF), "DISPATCHED"),
    "openNeedForClaim": Case(w.OPEN_CLAIM, _submitted, _on_need(), frozenset(STAFF), "DISPATCHED"),
    "inviteCandidates": Case(
        w.INVITE, _submitted, _on_need(candidateIds=[w.member_id(1), w.OFFERING]), frozenset(STAFF), "DISPATCHED"
    ),
    "transferNeed": Case(
        w.TRANSFER, _accepted, _on_need(handlerId=w.member_id(2), reason="生病"), frozenset(STAFF), "DISPATCHED"
    ),
    "acceptNeed": Case(w.ACCEPT, _offered, _on_need(), HANDLERS, "ACCEPTED"),
    # DISPATCHED: the other invitation is still out.
    "declineNeed": Case(w.DECLINE, _offered, _on_need(reason="生病了"), HANDLERS, "DISPATCHED"),
    "startNeed": Case(w.START, _accepted, _on_need(), frozenset({"handler_member"}), "IN_PROGRESS"),
    "completeNeed": Case(w.COMPLETE, _in_progress, _on_need(note="已疏通"), frozenset({"handler_member"}), "COMPLETED"),
}


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("operation", list(CASES))
async def test_every_mutation_against_every_role(world, graphql_client, operation: str, role: str) -> None:
    case = CASES[operation]
    need_id = await case.setup(graphql_client) if case.setup else None
    events_before = await _events(world)
    body = await graphql_client(
        case.document, {"input": case.make_input(need_id, role)}, token=ROLES[role](), expect_errors=True
    )
    if role in case.allowed:
        assert "errors" not in body, body["errors"]
        assert body["data"][operation]["need"]["status"] == case.result_status
        assert await _events(world) == events_before + 1
    else:
        expected = "UNAUTHENTICATED" if role == "anonymous" else "FORBIDDEN"
        assert w.error_code(body) == expected, body["errors"][0]["message"]
        assert await _events(world) == events_before  # refused: nothing written


async def _events(graph) -> int:
    return (await graph.read("MATCH (e:Event) RETURN count(e) AS n"))[0]["n"]


async def test_accept_respects_max_load(world, graphql_client) -> None:
    for _ in range(3):
        nid = await _submitted(graphql_client)
        await graphql_client(w.DISPATCH, {"input": {"needId": nid, "handlerId": w.member_id(3)}}, token=w.coordinator())
        await graphql_client(w.ACCEPT, {"input": {"needId": nid}}, token=w.member(3))
    nid = await _submitted(graphql_client)
    await graphql_client(w.DISPATCH, {"input": {"needId": nid, "handlerId": w.member_id(3)}}, token=w.coordinator())
    body = await graphql_client(w.ACCEPT, {"input": {"needId": nid}}, token=w.member(3), expect_errors=True)
    assert w.error_code(body) == "CONFLICT"
    assert "you already have 3 open tasks (the limit is 3)" in body["errors"][0]["message"]
    row = await world.read("MATCH (m:Member {id: $id}) RETURN m.openLoad AS o, m.assignedCount AS a", id=w.member_id(3))
    assert row[0] == {"o": 3, "a": 3}


async def test_decline_sends_the_need_back_to_the_queue(world, graphql_client) -> None:
    nid = await _submitted(graphql_client)
    await graphql_client(w.DISPATCH, {"input": {"needId": nid, "handlerId": w.member_id(1)}}, token=w.coordinator())
    body = await graphql_client(w.DECLINE, {"input": {"needId": nid, "reason": "本人生病"}}, token=w.member(1))
    assert body["data"]["declineNeed"]["need"]["status"] == "DECLINED"
    queue = await graphql_client(
        "{ needs(filter: {status: [DECLINED]}) { edges { node { id history { type note } } } } }", token=w.coordinator()
    )
    [edge] = queue["data"]["needs"]["edges"]
    assert edge["node"]["id"] == nid and edge["node"]["history"][-1] == {"type": "DECLINE", "note": "本人生病"}
    # Back in the pool: the coordinator invites two, the unit accepts first, the member's invitation lapses.
    await graphql_client(
        w.INVITE, {"input": {"needId": nid, "candidateIds": [w.UNIT, w.member_id(2)]}}, token=w.coordinator()
    )
    won = await graphql_client(w.ACCEPT, {"input": {"needId": nid}}, token=w.unit_admin())
    assert won["data"]["acceptNeed"]["assignment"]["handler"]["id"] == w.UNIT
    late = await graphql_client(w.ACCEPT, {"input": {"needId": nid}}, token=w.member(2), expect_errors=True)
    assert (
        w.error_code(late) == "CONFLICT" and "is ACCEPTED; acceptNeed needs DISPATCHED" in late["errors"][0]["message"]
    )
    rows = await world.read(
        "MATCH (:Need {id: $id})<-[:OF]-(a:Assignment)-[:TO]->(t) RETURN t.id AS t, a.status AS s ORDER BY a.createdAt",
        id=nid,
    )
    assert {r["t"]: r["s"] for r in rows} == {w.member_id(1): "DECLINED", w.UNIT: "ACTIVE", w.member_id(2): "LAPSED"}


async def test_decline_in_the_wrong_state_names_it(world, graphql_client) -> None:
    nid = await _accepted(graphql_client)
    body = await graphql_client(
        w.DECLINE, {"input": {"needId": nid, "reason": "x"}}, token=w.member(1), expect_errors=True
    )
    assert w.error_code(body) == "CONFLICT"
    assert body["errors"][0]["message"].endswith("is ACCEPTED; declineNeed needs DISPATCHED")


async def test_transfer_moves_the_load(world, graphql_client) -> None:
    nid = await _accepted(graphql_client)
    body = await graphql_client(
        w.TRANSFER, {"input": {"needId": nid, "handlerId": w.OFFERING, "reason": "需要专业设备"}}, token=w.coordinator()
    )
    assert body["data"]["transferNeed"]["need"]["status"] == "DISPATCHED"
    assert (await world.read("MATCH (m:Member {id: $id}) RETURN m.openLoad AS o", id=w.member_id(1)))[0]["o"] == 0
    # A unit admin answers for its offerings.
    accepted = await graphql_client(w.ACCEPT, {"input": {"needId": nid}}, token=w.unit_admin())
    assert accepted["data"]["acceptNeed"]["assignment"]["handler"]["id"] == w.OFFERING
    assert (await world.read("MATCH (o:Offering {id: $id}) RETURN o.openLoad AS o", id=w.OFFERING))[0]["o"] == 1


async def test_open_for_claim_offers_every_registered_member(world, graphql_client) -> None:
    nid = await _submitted(graphql_client)
    body = await graphql_client(w.OPEN_CLAIM, {"input": {"needId": nid}}, token=w.coordinator())
    assert body["data"]["openNeedForClaim"]["assignment"]["status"] == "OPEN_CLAIM"
    rows = await world.read(
        "MATCH (:Need {id: $id})<-[:OF]-(a:Assignment {status: 'OPEN_CLAIM'}) RETURN count(a) AS n", id=nid
    )
    assert rows[0]["n"] == 3
