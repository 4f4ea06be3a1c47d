"""The overdue sweep: one level per sweep, the right deadline and trail, nothing twice under concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from resolvers.needs.escalation import ESCALATION_LIMITS
from resolvers.needs.sweep import ACTOR, sweep_overdue
from tests.support import workflow_helpers as w
from tests.support.factories_workflow import NeedSpec, events_of, make_workflow_needs, need_props, overdue_spec

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def native(value):
    return value.to_native() if hasattr(value, "to_native") else value


async def test_overdue_need_escalates_one_level_per_sweep(world):
    graph = world
    await graph.write("MATCH (m:Member {id: $id}) SET m.openLoad = 1", id=w.member_id(1))
    [nid] = await make_workflow_needs(graph, [overdue_spec("need:late", NOW, handler=w.member_id(1))])

    assert await sweep_overdue(graph, NOW) == [nid]
    props = await need_props(graph, nid)
    assert (props["status"], props["level"]) == ("ESCALATED", "STREET")
    assert native(props["completionDeadline"]) == NOW + ESCALATION_LIMITS["STREET"]["NORMAL"]
    # The handler is released: the street re-dispatches.
    rows = await graph.read(
        "MATCH (a:Assignment {id: 'assignment:late'}), (m:Member {id: $m}) RETURN a.status AS s, m.openLoad AS load",
        m=w.member_id(1),
    )
    assert rows == [{"s": "TRANSFERRED", "load": 0}]
    [event] = [e["e"] for e in await events_of(graph, nid)]
    assert (event["actorId"], event["role"], event["type"]) == (ACTOR, "SYSTEM", "ESCALATE")
    assert (event["fromState"], event["toState"]) == ("ACCEPTED", "ESCALATED")
    assert "COMMUNITY → STREET" in event["note"] and "completion deadline" in event["note"]

    # Same clock again: the fresh deadline has not passed, so nothing moves.
    assert await sweep_overdue(graph, NOW) == []
    # Past the street's deadline: one more level, and no further than the district.
    later = NOW + ESCALATION_LIMITS["STREET"]["NORMAL"] + timedelta(minutes=1)
    assert await sweep_overdue(graph, later) == [nid]
    assert (await need_props(graph, nid))["level"] == "DISTRICT"
    assert await sweep_overdue(graph, later + timedelta(days=30)) == []
    assert len(await events_of(graph, nid)) == 2


async def test_what_the_sweep_leaves_alone(world):
    graph = world
    past = NOW - timedelta(hours=1)
    await make_workflow_needs(
        graph,
        [
            # Suspended: its clock is paused, so it is never overdue.
            NeedSpec(id="need:paused", status="SUSPENDED", completion_deadline=past, response_deadline=past),
            # Never dispatched: no deadline yet.
            NeedSpec(id="need:new", status="SUBMITTED"),
            # Done in time or late, but done.
            NeedSpec(id="need:done", status="COMPLETED", completion_deadline=past),
            # Still within its deadline.
            NeedSpec(id="need:fine", status="IN_PROGRESS", completion_deadline=NOW + timedelta(hours=1)),
            # Already at the top.
            NeedSpec(id="need:top", status="ESCALATED", level="DISTRICT", completion_deadline=past),
            # Nobody answered in time: past the response deadline while DISPATCHED.
            NeedSpec(
                id="need:unanswered",
                status="DISPATCHED",
                response_deadline=past,
                completion_deadline=NOW + timedelta(days=3),
                handler=w.member_id(2),
                assignment_status="INVITED",
            ),
        ],
    )
    assert await sweep_overdue(graph, NOW) == ["need:unanswered"]
    [event] = [e["e"] for e in await events_of(graph, "need:unanswered")]
    assert "response deadline" in event["note"]
    lapsed = await graph.read("MATCH (a:Assignment {id: 'assignment:unanswered'}) RETURN a.status AS s")
    assert lapsed == [{"s": "LAPSED"}]


async def test_two_concurrent_sweeps_escalate_each_need_exactly_once(world, monkeypatch):
    graph = world
    count = 120
    specs = [overdue_spec(f"need:race{i:03d}", NOW) for i in range(count)]
    ids = await make_workflow_needs(graph, specs)
    # Both sweeps read their candidates before either escalates one (a barrier, so on a busy machine
    # too), and the second walks them backwards: the two meet in the middle and really contend for the
    # same needs instead of one trailing the other through the same order.
    from graph.needs import escalation

    seen: list[int] = []
    original = escalation.overdue_candidates
    both_read = asyncio.Barrier(2)

    async def candidates(g, now, limit):
        rows = await original(g, now, limit)
        seen.append(len(rows))
        backwards = len(seen) == 2
        await both_read.wait()
        return rows[::-1] if backwards else rows

    monkeypatch.setattr(escalation, "overdue_candidates", candidates)

    first, second = await asyncio.gather(sweep_overdue(graph, NOW), sweep_overdue(graph, NOW))

    assert seen == [count, count], "both sweeps saw every overdue need as a candidate"

    assert not set(first) & set(second), "a need was escalated by both sweeps"
    assert sorted(first + second) == sorted(ids)
    rows = await graph.read(
        "MATCH (n:Need) WHERE n.id STARTS WITH 'need:race' "
        "RETURN n.level AS level, COUNT { (n)<-[:ABOUT]-(:Event {type: 'ESCALATE'}) } AS events, count(*) AS needs",
    )
    assert rows == [{"level": "STREET", "events": 1, "needs": count}]
    print(f"\nconcurrent sweeps over {count} overdue needs: {len(first)} + {len(second)} escalations, no overlap")


def _sweep_loops() -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if getattr(t.get_coro(), "__name__", "") == "sweep_forever"]


async def test_the_server_runs_the_sweep_in_the_background(graph, monkeypatch):
    """The lifespan starts the loop at the configured interval and stops it at shutdown; 0 disables it.
    No fixed sleeps: the test waits (generously) for the runs it expects and looks at the loop's task."""
    from resolvers.needs import sweep
    from server.app import create_app
    from server.settings import get_settings

    calls: list[datetime] = []
    twice = asyncio.Event()

    async def fake_sweep(g, now):
        calls.append(now)
        if len(calls) >= 2:
            twice.set()
        return []

    monkeypatch.setattr(sweep, "sweep_overdue", fake_sweep)
    assert _sweep_loops() == []
    settings = get_settings().model_copy(update={"minhu_sweep_interval_seconds": 0.05})
    app = create_app(graph=graph, settings=settings, run_migrations=False)
    async with app.router.lifespan_context(app):
        [loop] = _sweep_loops()
        await asyncio.wait_for(twice.wait(), timeout=60)  # a loop, not one call
    assert loop.cancelled() and _sweep_loops() == [], "the loop kept running after shutdown"

    calls.clear()
    off = get_settings().model_copy(update={"minhu_sweep_interval_seconds": 0})
    app = create_app(graph=graph, settings=off, run_migrations=False)
    async with app.router.lifespan_context(app):
        assert _sweep_loops() == [], "an interval of 0 starts no loop"
    assert calls == []
