"""suspendNeed, resumeNeed and escalateNeed through HTTP: every role, bad input, wrong state, levels, retries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from resolvers.needs.escalation import ESCALATION_LIMITS
from tests.support import workflow_helpers as w
from tests.support.factories import BEILIN, NANYUANMEN, NANYUANMEN_COMMUNITY
from tests.support.factories_workflow import NeedSpec, events_of, make_workflow_needs, need_props

SUSPEND = w.mutation("suspendNeed", "SuspendNeedInput")
RESUME = w.mutation("resumeNeed", "ResumeNeedInput")
ESCALATE = w.mutation("escalateNeed", "EscalateNeedInput")

ROLES: dict[str, Callable[[], str | None]] = {
    "anonymous": lambda: None,
    "requester": w.resident,
    "handler_member": lambda: w.member(1),
    "unit_admin": w.unit_admin,
    "coordinator": w.coordinator,
    "coordinator_elsewhere": lambda: w.coordinator(NANYUANMEN_COMMUNITY),
    "street_coordinator": lambda: w.coordinator(NANYUANMEN),
    "district_admin": lambda: w.token("DISTRICT_ADMIN", BEILIN),
    "other_district_admin": lambda: w.token("DISTRICT_ADMIN", "district:610113"),
    "city_admin": lambda: w.token("CITY_ADMIN"),
}
STAFF = {"coordinator", "street_coordinator", "district_admin", "city_admin"}


def _now() -> datetime:
    return datetime.now(UTC)


def accepted(need_id: str = "need:e1", **more) -> NeedSpec:
    now = _now()
    return NeedSpec(
        id=need_id,
        status="ACCEPTED",
        created_at=now - timedelta(hours=3),
        response_deadline=now + timedelta(hours=2),
        completion_deadline=now + timedelta(days=2),
        handler=w.member_id(1),
        dispatched_at=now - timedelta(hours=2),
        accepted_at=now - timedelta(hours=1),
        **more,
    )


def suspended(need_id: str = "need:e1") -> NeedSpec:
    now = _now()
    return NeedSpec(
        id=need_id,
        status="SUSPENDED",
        response_deadline=now - timedelta(days=1),
        completion_deadline=now - timedelta(hours=1),  # the stale deadlines of before the pause
        handler=w.member_id(1),
        extra={
            "statusBeforeSuspension": "IN_PROGRESS",
            "suspendedAt": now - timedelta(days=3),
            "suspensionReason": "等待配件",
            "responseRemainingSeconds": -7200,
            "completionRemainingSeconds": 5 * 3600,
        },
    )


SETUPS = {"suspendNeed": accepted, "resumeNeed": suspended, "escalateNeed": accepted}
DOCS = {"suspendNeed": SUSPEND, "resumeNeed": RESUME, "escalateNeed": ESCALATE}
RESULT = {"suspendNeed": "SUSPENDED", "resumeNeed": "IN_PROGRESS", "escalateNeed": "ESCALATED"}
INPUTS = {"suspendNeed": {"reason": "等待物业配合"}, "resumeNeed": {}, "escalateNeed": {"reason": "社区协调不成"}}


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("operation", sorted(SETUPS))
async def test_every_role_allowed_or_refused(world, graphql_client, operation, role):
    await make_workflow_needs(world, [SETUPS[operation]()])
    body = await graphql_client(
        DOCS[operation], {"input": {"needId": "need:e1", **INPUTS[operation]}}, token=ROLES[role](), expect_errors=True
    )
    if role in STAFF:
        assert "errors" not in body, body
        assert body["data"][operation]["need"]["status"] == RESULT[operation]
    else:
        expected = "UNAUTHENTICATED" if role == "anonymous" else "FORBIDDEN"
        assert w.error_code(body) == expected, body
        assert (await need_props(world, "need:e1"))["status"] == SETUPS[operation]().status


@pytest.mark.parametrize("operation", ["suspendNeed", "escalateNeed"])
@pytest.mark.parametrize("reason", ["", "   ", "长" * 501])
async def test_a_reason_is_required(world, graphql_client, operation, reason):
    await make_workflow_needs(world, [accepted()])
    body = await graphql_client(
        DOCS[operation], {"input": {"needId": "need:e1", "reason": reason}}, token=w.coordinator(), expect_errors=True
    )
    assert w.error_code(body) == "BAD_USER_INPUT"
    assert "reason" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("operation", "status", "extra"),
    [
        ("suspendNeed", "SUBMITTED", {"reason": "x"}),
        ("suspendNeed", "SUSPENDED", {"reason": "x"}),
        ("resumeNeed", "ACCEPTED", {}),
        ("escalateNeed", "COMPLETED", {"reason": "x"}),
        ("escalateNeed", "SUSPENDED", {"reason": "x"}),
    ],
)
async def test_wrong_state_is_a_conflict_naming_it(world, graphql_client, operation, status, extra):
    await make_workflow_needs(world, [NeedSpec(id="need:e1", status=status)])
    body = await graphql_client(
        DOCS[operation], {"input": {"needId": "need:e1", **extra}}, token=w.coordinator(), expect_errors=True
    )
    assert w.error_code(body) == "CONFLICT"
    assert status in body["errors"][0]["message"]


async def test_suspend_pauses_the_clock_and_resume_restarts_it_with_the_time_left(world, graphql_client):
    await make_workflow_needs(world, [accepted()])
    before = await need_props(world, "need:e1")
    body = await graphql_client(
        SUSPEND, {"input": {"needId": "need:e1", "reason": "等待物业配合"}}, token=w.coordinator()
    )
    assert body["data"]["suspendNeed"]["need"]["status"] == "SUSPENDED"
    paused = await need_props(world, "need:e1")
    assert paused["statusBeforeSuspension"] == "ACCEPTED"
    left = before["completionDeadline"].to_native() - paused["suspendedAt"].to_native()
    assert abs(paused["completionRemainingSeconds"] - left.total_seconds()) <= 1
    overdue = await graphql_client("query($id: ID!) { node(id: $id) { ... on Need { overdue } } }", {"id": "need:e1"})
    assert overdue["data"]["node"]["overdue"] is False

    # A need paused for three days with five hours left (made directly): it gets five hours again.
    await make_workflow_needs(world, [suspended("need:e2")])
    body = await graphql_client(RESUME, {"input": {"needId": "need:e2", "note": "配件到了"}}, token=w.coordinator())
    need = body["data"]["resumeNeed"]["need"]
    assert need["status"] == "IN_PROGRESS"
    complete_by = datetime.fromisoformat(need["completionDeadline"])
    assert abs((complete_by - _now()) - timedelta(hours=5)) < timedelta(seconds=30)
    # Suspended two hours after its response deadline: still two hours late when resumed.
    respond_by = datetime.fromisoformat(need["responseDeadline"])
    assert abs((_now() - respond_by) - timedelta(hours=2)) < timedelta(seconds=30)
    props = await need_props(world, "need:e2")
    assert "suspendedAt" not in props and "statusBeforeSuspension" not in props
    history = [e["e"] for e in await events_of(world, "need:e2")]
    assert [(e["type"], e["fromState"], e["toState"]) for e in history] == [("RESUME", "SUSPENDED", "IN_PROGRESS")]


async def test_escalation_climbs_one_level_at_a_time_with_its_own_deadline(world, graphql_client):
    await make_workflow_needs(world, [accepted(urgency="URGENT")])
    body = await graphql_client(
        ESCALATE, {"input": {"needId": "need:e1", "reason": "停车充电纠纷，社区协调不成"}}, token=w.coordinator()
    )
    need = body["data"]["escalateNeed"]["need"]
    assert need["status"] == "ESCALATED"
    due = datetime.fromisoformat(need["completionDeadline"]) - _now()
    assert abs(due - ESCALATION_LIMITS["STREET"]["URGENT"]) < timedelta(seconds=30)
    assert (await need_props(world, "need:e1"))["level"] == "STREET"

    # The community handed it on: it is the street's now.
    body = await graphql_client(
        ESCALATE, {"input": {"needId": "need:e1", "reason": "再报"}}, token=w.coordinator(), expect_errors=True
    )
    assert w.error_code(body) == "FORBIDDEN" and "STREET" in body["errors"][0]["message"]

    street = w.coordinator(NANYUANMEN)
    await graphql_client(ESCALATE, {"input": {"needId": "need:e1", "reason": "需区级部门"}}, token=street)
    assert (await need_props(world, "need:e1"))["level"] == "DISTRICT"
    body = await graphql_client(
        ESCALATE, {"input": {"needId": "need:e1", "reason": "?"}}, token=w.token("CITY_ADMIN"), expect_errors=True
    )
    assert w.error_code(body) == "CONFLICT" and "DISTRICT" in body["errors"][0]["message"]

    history = [e["e"] for e in await events_of(world, "need:e1")]
    assert [(e["type"], e["actorId"], e["role"]) for e in history] == [
        ("ESCALATE", "user:cli-coordinator", "COORDINATOR"),
        ("ESCALATE", "user:cli-coordinator", "COORDINATOR"),
    ]
    assert "COMMUNITY → STREET" in history[0]["note"] and "社区协调不成" in history[0]["note"]
    assert "STREET → DISTRICT" in history[1]["note"]
    # Whoever held it was released when it went up.
    rows = await world.read("MATCH (a:Assignment {id: 'assignment:e1'}) RETURN a.status AS s")
    assert rows == [{"s": "TRANSFERRED"}]


async def test_an_idempotency_key_escalates_once(world, graphql_client):
    await make_workflow_needs(world, [accepted()])
    variables = {"input": {"needId": "need:e1", "reason": "社区协调不成", "idempotencyKey": "esc-1"}}
    first = await graphql_client(ESCALATE, variables, token=w.coordinator())
    again = await graphql_client(ESCALATE, variables, token=w.coordinator())
    assert first["data"]["escalateNeed"]["replayed"] is False
    assert again["data"]["escalateNeed"]["replayed"] is True
    assert (await need_props(world, "need:e1"))["level"] == "STREET"
    assert len(await events_of(world, "need:e1")) == 1
    too_long = {"input": {**variables["input"], "idempotencyKey": "k" * 129}}
    body = await graphql_client(ESCALATE, too_long, token=w.coordinator(), expect_errors=True)
    assert w.error_code(body) == "BAD_USER_INPUT"
