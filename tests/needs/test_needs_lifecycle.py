"""A need's life through HTTP with real tokens: submit, update, dispatch, accept, start, complete,
reopen, cancel; the history at each step; masking of the requester's contact details."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from graph.kernel.errors import Conflict
from graph.needs import workflow
from graph.needs.workflow import MOVES, Change, Part, Suspension
from resolvers.needs.lifecycle import TRANSITIONS, check_transition
from tests.support import workflow_helpers as w
from tests.support.factories import COMPOUND, NANYUANMEN_COMMUNITY, SHUYUANMEN

REQUESTER = "query($id: ID!) { node(id: $id) { ... on Need { requester { name phone address } } } }"
# The requester (tests/support/workflow_helpers: 王秀兰, w.PHONE) as those who may not see her contact see it.
MASKED = {"name": "王**", "phone": "138****5678", "address": "碑林区书院门社区 书院小区 ****"}


def test_every_operation_names_its_states() -> None:
    for operation, (sources, target) in TRANSITIONS.items():
        assert sources and target, operation
    with pytest.raises(Conflict, match=r"need XA-1 is ACCEPTED; declineNeed needs DISPATCHED"):
        check_transition("declineNeed", "ACCEPTED", "XA-1")
    assert check_transition("updateNeed", "DECLINED", "XA-1") == "DECLINED"


def test_every_move_has_its_own_statement() -> None:
    """The lifecycle's operations are the moves that have a statement, each recording its own Event type,
    each statement writing only its parts."""
    assert set(MOVES) == set(TRANSITIONS)
    assert len({move.event for move in MOVES.values()}) == len(MOVES)
    assert "duration.inSeconds" in MOVES["suspendNeed"].statement
    assert all("duration.inSeconds" not in m.statement for op, m in MOVES.items() if op != "suspendNeed")
    assert "Evaluation" not in MOVES["acceptNeed"].statement and "Assignment" not in MOVES["startNeed"].statement


async def test_a_change_its_move_does_not_write_is_refused_before_any_statement() -> None:
    """A part the move's statement leaves out would be lost silently; the statement is never sent (no tx)."""
    now = datetime(2026, 11, 25, tzinfo=UTC)
    need = workflow.LockedNeed(
        "need:1", "XA-1", "DISPATCHED", None, None, None, None, None, True, None, None, [], [], [], [], []
    )
    writes = {"actor_id": "user:c", "role": "COORDINATOR", "to_state": "DISPATCHED", "note": None}
    with pytest.raises(AssertionError, match=r"startNeed does not write \['SUSPEND'\]"):
        await workflow.apply(None, need, "startNeed", Change(suspend=Suspension("wait", now)), **writes)  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match=r"suspendNeed needs \['SUSPEND'\]"):
        await workflow.apply(None, need, "suspendNeed", Change(), **writes)  # type: ignore[arg-type]
    assert Part.SUSPEND in MOVES["suspendNeed"].parts


async def test_resident_submits_and_gets_a_number_at_once(world, graphql_client) -> None:
    need = await w.submit(graphql_client)
    assert need["status"] == "SUBMITTED"
    assert need["number"].startswith("XA-") and need["number"].endswith("-000001")
    assert need["requester"]["phone"] == w.PHONE  # the requester sees her own phone
    second = await w.submit(graphql_client)
    assert second["number"].endswith("-000002")

    # The coordinator's queue shows it, with the contact details; another resident sees them masked.
    body = await graphql_client(w.HISTORY, {"id": need["id"]}, token=w.coordinator())
    assert [e["type"] for e in body["data"]["node"]["history"]] == ["SUBMIT"]
    masked = await graphql_client(REQUESTER, {"id": need["id"]}, token=w.resident(w.OTHER_RESIDENT))
    assert masked["data"]["node"]["requester"] == MASKED
    anonymous = await graphql_client(
        "{ needs(first: 5) { edges { node { title requester { phone } history { type } } } } }"
    )
    assert all(
        e["node"]["requester"] is None and e["node"]["history"] == [] for e in anonymous["data"]["needs"]["edges"]
    )


async def test_hotline_files_on_behalf_and_creates_the_resident(world, graphql_client) -> None:
    need = await w.submit(
        graphql_client,
        w.coordinator(),
        title="夜间噪音扰民",
        categoryCode="NOISE",
        urgency="NORMAL",
        channel="HOTLINE_12345",
        resident={"name": "张大爷", "phone": "13512345678", "address": "书院小区 5号楼1单元101室"},
    )
    body = await graphql_client(
        "query($id: ID!) { node(id: $id) { ... on Need { channel community { id } requester { name phone } } } }",
        {"id": need["id"]},
        token=w.coordinator(),
    )
    node = body["data"]["node"]
    assert node["channel"] == "HOTLINE_12345"
    assert node["community"]["id"] == SHUYUANMEN  # the compound resolved to its community's queue
    assert node["requester"] == {"name": "张大爷", "phone": "13512345678"}


async def test_staff_must_say_channel_and_resident(world, graphql_client) -> None:
    body = await graphql_client(w.SUBMIT, {"input": w.SEWER_INPUT}, token=w.coordinator(), expect_errors=True)
    assert w.error_code(body) == "BAD_USER_INPUT" and "channel" in body["errors"][0]["message"]
    body = await graphql_client(
        w.SUBMIT, {"input": {**w.SEWER_INPUT, "channel": "VISIT"}}, token=w.coordinator(), expect_errors=True
    )
    assert w.error_code(body) == "BAD_USER_INPUT" and "resident" in body["errors"][0]["message"]
    # Outside the coordinator's community: refused.
    body = await graphql_client(
        w.SUBMIT,
        {"input": {**w.SEWER_INPUT, "channel": "VISIT", "residentId": w.RESIDENT}},
        token=w.coordinator(NANYUANMEN_COMMUNITY),
        expect_errors=True,
    )
    assert w.error_code(body) == "FORBIDDEN"


@pytest.mark.smoke
async def test_full_walk_with_history(world, graphql_client) -> None:
    need = await w.submit(graphql_client)
    nid = need["id"]
    await graphql_client(w.UPDATE, {"input": {"needId": nid, "description": "污水已经漫到楼道"}}, token=w.resident())

    dispatched = await graphql_client(
        w.DISPATCH, {"input": {"needId": nid, "handlerId": w.member_id(1)}}, token=w.coordinator()
    )
    d = dispatched["data"]["dispatchNeed"]
    assert d["need"]["status"] == "DISPATCHED" and d["assignment"]["status"] == "INVITED"
    assert d["need"]["responseDeadline"] and d["need"]["completionDeadline"]

    # No longer editable once dispatched: CONFLICT naming the state.
    body = await graphql_client(
        w.UPDATE, {"input": {"needId": nid, "title": "改个标题"}}, token=w.resident(), expect_errors=True
    )
    assert (
        w.error_code(body) == "CONFLICT"
        and "is DISPATCHED; updateNeed needs DECLINED or SUBMITTED" in body["errors"][0]["message"]
    )

    # The member sees the contact details only once the need is theirs: invited, masked; accepted, in full.
    invited = await graphql_client(REQUESTER, {"id": nid}, token=w.member(1))
    assert invited["data"]["node"]["requester"] == MASKED
    accepted = await graphql_client(w.ACCEPT, {"input": {"needId": nid}}, token=w.member(1))
    assert accepted["data"]["acceptNeed"]["need"]["status"] == "ACCEPTED"
    assert accepted["data"]["acceptNeed"]["need"]["requester"]["phone"] == w.PHONE
    await graphql_client(w.START, {"input": {"needId": nid}}, token=w.member(1))
    done = await graphql_client(w.COMPLETE, {"input": {"needId": nid, "note": "已疏通主管道"}}, token=w.member(1))
    assert done["data"]["completeNeed"]["need"]["status"] == "COMPLETED"
    load = await world.read(
        "MATCH (m:Member {id: $id}) RETURN m.openLoad AS o, m.completedCount AS c, m.lastServedAt AS t",
        id=w.member_id(1),
    )
    assert load[0]["o"] == 0 and load[0]["c"] == 1 and load[0]["t"] is not None

    # After completion the handler no longer sees them.
    after = await graphql_client(REQUESTER, {"id": nid}, token=w.member(1))
    assert after["data"]["node"]["requester"] == MASKED

    reopened = await graphql_client(w.REOPEN, {"input": {"needId": nid, "reason": "只疏通了一半"}}, token=w.resident())
    r = reopened["data"]["reopenNeed"]
    assert r["need"]["status"] == "REOPENED"
    assert r["need"]["currentAssignment"]["handler"]["id"] == w.member_id(1)  # back to the same handler
    assert r["need"]["completionDeadline"] != d["need"]["completionDeadline"]
    await graphql_client(w.START, {"input": {"needId": nid}}, token=w.member(1))
    await graphql_client(w.COMPLETE, {"input": {"needId": nid, "note": "全部疏通"}}, token=w.member(1))

    history = (await graphql_client(w.HISTORY, {"id": nid}, token=w.coordinator()))["data"]["node"]["history"]
    assert [(e["type"], e["fromState"], e["toState"]) for e in history] == [
        ("SUBMIT", None, "SUBMITTED"),
        ("UPDATE", "SUBMITTED", "SUBMITTED"),
        ("DISPATCH", "SUBMITTED", "DISPATCHED"),
        ("ACCEPT", "DISPATCHED", "ACCEPTED"),
        ("START", "ACCEPTED", "IN_PROGRESS"),
        ("COMPLETE", "IN_PROGRESS", "COMPLETED"),
        ("REOPEN", "COMPLETED", "REOPENED"),
        ("START", "REOPENED", "IN_PROGRESS"),
        ("COMPLETE", "IN_PROGRESS", "COMPLETED"),
    ]
    assert history[3]["actorId"] == w.member_id(1) and history[3]["role"] == "MEMBER"
    counts = await world.read(
        "MATCH (m:Member {id: $id}) RETURN m.openLoad AS o, m.completedCount AS c, m.assignedCount AS a",
        id=w.member_id(1),
    )
    # One task, accepted once and completed for good once: the reopened completion did not hold
    # (counters equal what the assignments say, docs/GRAPH.md).
    assert counts[0] == {"o": 0, "c": 1, "a": 1}


async def test_cancel_lapses_invitations_and_is_final(world, graphql_client) -> None:
    nid = (await w.submit(graphql_client))["id"]
    await graphql_client(
        w.INVITE, {"input": {"needId": nid, "candidateIds": [w.member_id(1), w.UNIT]}}, token=w.coordinator()
    )
    body = await graphql_client(w.CANCEL, {"input": {"needId": nid, "reason": "已自行解决"}}, token=w.resident())
    assert body["data"]["cancelNeed"]["need"]["status"] == "CANCELLED"
    statuses = await world.read("MATCH (:Need {id: $id})<-[:OF]-(a:Assignment) RETURN collect(a.status) AS s", id=nid)
    assert sorted(statuses[0]["s"]) == ["LAPSED", "LAPSED"]
    late = await graphql_client(w.ACCEPT, {"input": {"needId": nid}}, token=w.member(1), expect_errors=True)
    assert w.error_code(late) == "CONFLICT" and "is CANCELLED" in late["errors"][0]["message"]


async def test_me(world, graphql_client) -> None:
    nid = (await w.submit(graphql_client))["id"]
    await graphql_client(w.DISPATCH, {"input": {"needId": nid, "handlerId": w.member_id(2)}}, token=w.coordinator())
    query = "{ me { subject role scopeId member { id openLoad } openAssignments { status need { id } } needs { id } } }"
    mine = (await graphql_client(query, token=w.member(2)))["data"]["me"]
    assert mine["role"] == "MEMBER" and mine["member"]["id"] == w.member_id(2)
    assert [(a["status"], a["need"]["id"]) for a in mine["openAssignments"]] == [("INVITED", nid)]
    res = (await graphql_client(query, token=w.resident()))["data"]["me"]
    assert res["subject"] == w.RESIDENT and [n["id"] for n in res["needs"]] == [nid] and res["member"] is None
    coord = (await graphql_client(query, token=w.coordinator()))["data"]["me"]
    assert coord["scopeId"] == SHUYUANMEN and coord["role"] == "COORDINATOR"
    anon = await graphql_client(query, expect_errors=True)
    assert w.error_code(anon) == "UNAUTHENTICATED"


async def test_submit_at_a_community_without_compound(world, graphql_client) -> None:
    need = await w.submit(graphql_client, placeId=SHUYUANMEN)
    assert need["status"] == "SUBMITTED"
    placed = await graphql_client(
        "query($id: ID!) { node(id: $id) { ... on Need { community { id } compound { id } } } }", {"id": need["id"]}
    )
    assert placed["data"]["node"] == {"community": {"id": SHUYUANMEN}, "compound": None}
    assert await world.read("MATCH (:Need {id: $id})-[:AT]->(p) RETURN p.id AS id", id=need["id"]) == [
        {"id": SHUYUANMEN}
    ]
    bad = await graphql_client(
        w.SUBMIT, {"input": {**w.SEWER_INPUT, "placeId": "district:610103"}}, token=w.resident(), expect_errors=True
    )
    assert w.error_code(bad) == "BAD_USER_INPUT"
    assert bad["errors"][0]["extensions"].get("field") == "placeId", bad["errors"]
    assert await world.read("MATCH (n:Need) RETURN count(n) AS n") == [{"n": 1}]


@pytest.mark.parametrize(
    "sent",
    ["2026-11-30T08:00:00+08:00", "2026-11-30T08:00:00", "2026-11-30T00:00:00Z", "2026-11-29T19:00:00-05:00"],
)
async def test_times_are_answered_in_utc_and_read_as_beijing_without_offset(world, graphql_client, sent) -> None:
    body = await graphql_client(
        """mutation($input: SubmitNeedInput!) { submitNeed(input: $input) {
             need { windowStart windowEnd createdAt history { at } } } }""",
        {
            "input": {
                "title": "楼下下水道堵塞",
                "categoryCode": "SEWER",
                "placeId": COMPOUND,
                "windowStart": sent,
                "windowEnd": "2026-11-30T12:00:00",
            }
        },
        token=w.resident(),
    )
    need = body["data"]["submitNeed"]["need"]
    assert need["windowStart"] == "2026-11-30T00:00:00+00:00"
    assert need["windowEnd"] == "2026-11-30T04:00:00+00:00"
    assert need["createdAt"].endswith("+00:00") and need["history"][0]["at"].endswith("+00:00")
    # an input without offset is accepted wherever a DateTime is taken
    stats = await graphql_client(
        '{ stats(scopeId: "community:610103001009", from: "2026-01-01T00:00:00", to: "2027-01-01T00:00:00") '
        "{ from to received } }"
    )
    assert stats["data"]["stats"]["from"] == "2025-12-31T16:00:00+00:00"
    assert stats["data"]["stats"]["to"] == "2026-12-31T16:00:00+00:00"


async def test_a_datetime_that_is_not_iso_is_refused_with_a_code(world, graphql_client) -> None:
    body = await graphql_client(
        '{ stats(scopeId: "community:610103001009", to: "next tuesday") { received } }', expect_errors=True
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "ISO 8601" in body["errors"][0]["message"]
