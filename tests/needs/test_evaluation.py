"""evaluateNeed (the requester rates) and evaluateHandling (the dispatcher rates the handler), through HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import workflow_helpers as w
from tests.support.factories import BEILIN, NANYUANMEN, NANYUANMEN_COMMUNITY
from tests.support.factories_workflow import NeedSpec, events_of, make_workflow_needs, need_props

EVALUATE = """mutation($input: EvaluateInput!) {
  evaluateNeed(input: $input) { replayed need { id status } evaluation { id rating comment byRole } } }"""
HANDLING = EVALUATE.replace("evaluateNeed", "evaluateHandling")
DOCS = {"evaluateNeed": EVALUATE, "evaluateHandling": HANDLING}

ROLES: dict[str, Callable[[], str | None]] = {
    "anonymous": lambda: None,
    "requester": w.resident,
    "other_resident": lambda: w.resident(w.OTHER_RESIDENT),
    "handler_member": lambda: w.member(1),
    "unit_admin": w.unit_admin,
    "dispatcher": w.coordinator,  # subject user:cli-coordinator made the assignment
    "coordinator_elsewhere": lambda: w.coordinator(NANYUANMEN_COMMUNITY),
    "street_coordinator": lambda: w.token("COORDINATOR", NANYUANMEN, "user:street-1"),
    "district_admin": lambda: w.token("DISTRICT_ADMIN", BEILIN),
    "city_admin": lambda: w.token("CITY_ADMIN"),
}
ALLOWED = {"evaluateNeed": {"requester"}, "evaluateHandling": {"dispatcher"}}
AFTER = {"evaluateNeed": "EVALUATED", "evaluateHandling": "COMPLETED"}


def completed(need_id: str = "need:v1", handler: str = w.OFFERING, status: str = "COMPLETED") -> NeedSpec:
    now = datetime.now(UTC)
    return NeedSpec(
        id=need_id,
        status=status,
        created_at=now - timedelta(days=2),
        response_deadline=now - timedelta(days=1),
        completion_deadline=now + timedelta(days=1),
        handler=handler,
        assignment_status="COMPLETED",
        dispatched_at=now - timedelta(days=2),
        accepted_at=now - timedelta(days=1, hours=20),
        completed_at=now - timedelta(hours=2),
    )


async def _ratings(graph, node_id: str) -> tuple[int, int]:
    rows = await graph.read(
        "MATCH (x {id: $id}) RETURN coalesce(x.ratingSum, 0) AS s, coalesce(x.ratingCount, 0) AS c", id=node_id
    )
    return rows[0]["s"], rows[0]["c"]


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("operation", sorted(DOCS))
async def test_every_role_allowed_or_refused(world, graphql_client, operation, role):
    await make_workflow_needs(world, [completed()])
    body = await graphql_client(
        DOCS[operation],
        {"input": {"needId": "need:v1", "rating": 4, "comment": "及时"}},
        token=ROLES[role](),
        expect_errors=True,
    )
    if role in ALLOWED[operation]:
        assert "errors" not in body, body
        assert body["data"][operation]["need"]["status"] == AFTER[operation]
    else:
        expected = "UNAUTHENTICATED" if role == "anonymous" else "FORBIDDEN"
        assert w.error_code(body) == expected, body
        assert not await world.read("MATCH (e:Evaluation) RETURN e.id AS id")


async def test_the_requester_rating_counts_for_the_handler_and_its_unit(world, graphql_client):
    await make_workflow_needs(world, [completed()])
    body = await graphql_client(
        EVALUATE, {"input": {"needId": "need:v1", "rating": 2, "comment": "只疏通了一半"}}, token=w.resident()
    )
    result = body["data"]["evaluateNeed"]
    assert result["need"]["status"] == "EVALUATED"
    assert result["evaluation"] == {
        **result["evaluation"],
        "rating": 2,
        "comment": "只疏通了一半",
        "byRole": "REQUESTER",
    }
    assert await _ratings(world, w.OFFERING) == (2, 1)
    assert await _ratings(world, w.UNIT) == (2, 1)  # an offering's rating is its unit's too
    rows = await world.read(
        "MATCH (e:Evaluation)-[:OF]->(a:Assignment) RETURN a.id AS a, e.byId AS by, e.forCompletionAt = a.completedAt "
        "AS same"
    )
    assert rows == [{"a": "assignment:v1", "by": w.RESIDENT, "same": True}]
    [event] = [e["e"] for e in await events_of(world, "need:v1")]
    assert (event["type"], event["fromState"], event["toState"], event["note"]) == (
        "EVALUATE",
        "COMPLETED",
        "EVALUATED",
        "2/5: 只疏通了一半",
    )


async def test_a_member_handler_gets_the_rating(world, graphql_client):
    await make_workflow_needs(world, [completed(handler=w.member_id(2))])
    await graphql_client(EVALUATE, {"input": {"needId": "need:v1", "rating": 5}}, token=w.resident())
    assert await _ratings(world, w.member_id(2)) == (5, 1)
    assert await _ratings(world, w.UNIT) == (0, 0)


@pytest.mark.parametrize("rating", [0, 6, -1])
@pytest.mark.parametrize("operation", sorted(DOCS))
async def test_bad_input(world, graphql_client, operation, rating):
    await make_workflow_needs(world, [completed()])
    token = w.resident() if operation == "evaluateNeed" else w.coordinator()
    body = await graphql_client(
        DOCS[operation], {"input": {"needId": "need:v1", "rating": rating}}, token=token, expect_errors=True
    )
    assert w.error_code(body) == "BAD_USER_INPUT"
    long = {"input": {"needId": "need:v1", "rating": 3, "comment": "长" * 501}}
    body = await graphql_client(DOCS[operation], long, token=token, expect_errors=True)
    assert w.error_code(body) == "BAD_USER_INPUT"


@pytest.mark.parametrize("status", ["IN_PROGRESS", "EVALUATED", "REOPENED"])
async def test_evaluate_need_in_the_wrong_state_is_a_conflict(world, graphql_client, status):
    await make_workflow_needs(world, [completed(status=status)])
    body = await graphql_client(
        EVALUATE, {"input": {"needId": "need:v1", "rating": 3}}, token=w.resident(), expect_errors=True
    )
    assert w.error_code(body) == "CONFLICT"
    assert status in body["errors"][0]["message"]


async def test_evaluate_handling_once_per_completion_and_not_before(world, graphql_client):
    await make_workflow_needs(world, [completed(), NeedSpec(id="need:v2", status="IN_PROGRESS")])
    body = await graphql_client(
        HANDLING, {"input": {"needId": "need:v2", "rating": 3}}, token=w.coordinator(), expect_errors=True
    )
    assert w.error_code(body) == "CONFLICT" and "IN_PROGRESS" in body["errors"][0]["message"]

    first = await graphql_client(
        HANDLING, {"input": {"needId": "need:v1", "rating": 5, "comment": "配合好"}}, token=w.coordinator()
    )
    assert first["data"]["evaluateHandling"]["evaluation"]["byRole"] == "COORDINATOR"
    # The resident can still rate after the coordinator, and the coordinator's rating is not the resident's.
    await graphql_client(EVALUATE, {"input": {"needId": "need:v1", "rating": 4}}, token=w.resident())
    assert await _ratings(world, w.OFFERING) == (4, 1)
    again = await graphql_client(
        HANDLING, {"input": {"needId": "need:v1", "rating": 1}}, token=w.coordinator(), expect_errors=True
    )
    assert w.error_code(again) == "CONFLICT" and "already rated" in again["errors"][0]["message"]


@pytest.mark.parametrize("operation", sorted(DOCS))
async def test_an_idempotency_key_rates_once(world, graphql_client, operation):
    await make_workflow_needs(world, [completed()])
    token = w.resident() if operation == "evaluateNeed" else w.coordinator()
    variables = {"input": {"needId": "need:v1", "rating": 5, "idempotencyKey": "rate-1"}}
    first = await graphql_client(DOCS[operation], variables, token=token)
    again = await graphql_client(DOCS[operation], variables, token=token)
    assert (first["data"][operation]["replayed"], again["data"][operation]["replayed"]) == (False, True)
    assert again["data"][operation]["evaluation"]["id"] == first["data"][operation]["evaluation"]["id"]
    assert len(await world.read("MATCH (e:Evaluation) RETURN e.id AS id")) == 1
    if operation == "evaluateNeed":
        assert await _ratings(world, w.OFFERING) == (5, 1)
    assert (await need_props(world, "need:v1"))["status"] == AFTER[operation]
