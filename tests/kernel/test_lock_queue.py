"""Losers of a race leave the lock queue at once (graph/kernel/locks.py, graph/kernel/db.py `Turns`).

In Neo4j: a statement that finds the state moved while it waited for a lock fails there, which releases
its locks without waiting for the client, and its transaction is run again and answered from the state
now committed, without the lock (`still`); a move the committed state already forbids takes no lock at
all (`lock_if`). In the process: raced requests wait their turn one at a time, and the first one the
committed state answers without the lock lets everyone behind it go together (`Turn.free`).

Deterministic: the Neo4j cases use the raw driver as the other process (a transaction holds the need's
lock and changes it; the facts statement is seen blocked on that lock in `SHOW TRANSACTIONS`, then the
holder commits); the process cases step the event loop and look at who holds what, never at a clock.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graph.kernel.db import Graph, Turns, begin_statement_log
from graph.needs import workflow
from tests.support import workflow_helpers as w
from tests.support.factories import make_places
from tests.support.factories_matching import make_need

NEED = "need:queue-1"


async def _blocked(graph: Graph) -> int:
    """How many transactions wait for a lock now."""
    rows = await graph.read("SHOW TRANSACTIONS YIELD status WHERE status STARTS WITH 'Blocked' RETURN count(*) AS n")
    return rows[0]["n"]


async def _until_blocked_or_done(graph: Graph, task: asyncio.Task[Any]) -> bool:
    """True once a transaction waits for a lock, False if `task` ends first (whichever happens: no timing)."""
    while not task.done():
        if await _blocked(graph):
            return True
        await asyncio.sleep(0.05)  # polling Neo4j's own view; the answer does not depend on the interval
    return False


async def _facts_while_another_accepts(graph: Graph, new_status: str) -> tuple[workflow.LockedNeed, list[str]]:
    """The facts of an `acceptNeed` (movable from DISPATCHED) asked while another transaction holds the
    need's lock and moves it to `new_status`, committing once the facts statement waits for the lock."""
    await make_places(graph)
    await make_need(graph, NEED, status="DISPATCHED")
    async with graph.driver.session(database=graph.database) as holder:
        tx = await holder.begin_transaction()
        await tx.run("MATCH (n:Need {id: $id}) SET n._lock = true, n.status = $s REMOVE n._lock", id=NEED, s=new_status)

        async def ask() -> tuple[workflow.LockedNeed, list[str]]:
            log = begin_statement_log()
            state = await graph.write_tx(lambda t: workflow.facts(t, NEED, movable={"DISPATCHED"}))
            return state, log.names

        asking = asyncio.create_task(ask())
        assert await _until_blocked_or_done(graph, asking), "the facts statement did not wait for the lock"
        await tx.commit()
    return await asking


async def test_a_loser_queued_on_the_lock_leaves_and_is_answered_from_the_committed_state(graph: Graph) -> None:
    state, statements = await _facts_while_another_accepts(graph, "ACCEPTED")
    # Read DISPATCHED before the lock, ACCEPTED under it: the statement failed (no client round trip with
    # the lock held) and the transaction ran again, reading ACCEPTED without taking the lock.
    assert state.status == "ACCEPTED"
    assert statements == ["needs.workflow.facts", "needs.workflow.facts"]
    # Nothing waits and nothing holds the need: a new mover takes its lock at once.
    assert await _blocked(graph) == 0
    rows = await graph.write("MATCH (n:Need {id: $id}) SET n._lock = true REMOVE n._lock RETURN n.status AS s", id=NEED)
    assert rows == [{"s": "ACCEPTED"}]


async def test_a_mover_queued_on_the_lock_keeps_it_when_the_state_still_allows_the_move(graph: Graph) -> None:
    # The holder changed something else and left the need DISPATCHED: the queued statement still can win,
    # keeps the lock and reads the state under it, once.
    state, statements = await _facts_while_another_accepts(graph, "DISPATCHED")
    assert state.status == "DISPATCHED"
    assert statements == ["needs.workflow.facts"]


async def test_a_move_the_committed_state_forbids_takes_no_lock(graph: Graph) -> None:
    await make_places(graph)
    await make_need(graph, NEED, status="ACCEPTED")
    async with graph.driver.session(database=graph.database) as holder:
        tx = await holder.begin_transaction()
        await tx.run("MATCH (n:Need {id: $id}) SET n._lock = true REMOVE n._lock", id=NEED)
        # The need is locked by another transaction, but accepting is refused without waiting for it.
        asking = asyncio.create_task(graph.write_tx(lambda t: workflow.facts(t, NEED, movable={"DISPATCHED"})))
        blocked = await _until_blocked_or_done(graph, asking)
        await tx.rollback()
        assert not blocked, "the refused move waited for the need's lock"
        assert (await asking).status == "ACCEPTED"


async def test_a_statement_the_committed_state_answers_frees_its_turn(graph: Graph) -> None:
    """The wiring between the two: workflow.facts tells the request's turn whether it took the lock."""
    await make_places(graph)
    await make_need(graph, NEED, status="ACCEPTED")
    await make_need(graph, "need:queue-2", status="DISPATCHED")
    async with graph.turns("Need:x") as refused:
        await graph.write_tx(lambda t: workflow.facts(t, NEED, movable={"DISPATCHED"}))
        assert not refused.holding
    async with graph.turns("Need:x") as moving:
        await graph.write_tx(lambda t: workflow.facts(t, "need:queue-2", movable={"DISPATCHED"}))
        assert moving.holding


async def _settle() -> None:
    """Lets every ready task run until it waits again (event-loop steps, not time)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_one_request_at_a_time_holds_the_turn_and_passes_it_on() -> None:
    turns = Turns()
    order: list[str] = []
    release = {name: asyncio.Event() for name in "abc"}

    async def request(name: str) -> None:
        async with turns("Need:x") as turn:
            order.append(f"{name} in, holding={turn.holding}")
            await release[name].wait()
        order.append(f"{name} out")

    tasks = [asyncio.create_task(request(name)) for name in "abc"]
    await _settle()
    assert order == ["a in, holding=True"] and turns.waiting("Need:x") == 2
    release["b"].set()  # b is in line: nothing moves until a is done
    await _settle()
    assert order == ["a in, holding=True"]
    release["a"].set()
    await _settle()
    assert order == ["a in, holding=True", "a out", "b in, holding=True", "b out", "c in, holding=True"]
    release["c"].set()
    await asyncio.gather(*tasks)
    assert turns.waiting("Need:x") == 0 and turns.waited == 2


async def test_a_request_answered_without_the_lock_lets_everyone_in_line_go_together() -> None:
    turns = Turns()
    inside: list[tuple[str, bool]] = []
    free = asyncio.Event()
    finish = asyncio.Event()

    async def request(name: str) -> None:
        async with turns("Venue:v") as turn:
            inside.append((name, turn.holding))
            if name == "first":
                await free.wait()
                turn.free()  # what locks.answered_unlocked does when the statement took no lock
            await finish.wait()

    tasks = [asyncio.create_task(request(name)) for name in ("first", "b", "c", "d")]
    await _settle()
    assert inside == [("first", True)]
    free.set()
    await _settle()
    # Before `first` ends, all three are in, none holding: they run side by side.
    assert inside == [("first", True), ("b", False), ("c", False), ("d", False)]
    # A newcomer finds the line empty and holds the turn at once.
    late = asyncio.create_task(request("late"))
    await _settle()
    assert inside[-1] == ("late", True)
    finish.set()
    await asyncio.gather(*tasks, late)
    assert turns.waiting("Venue:v") == 0


async def test_a_request_cancelled_in_line_passes_on_a_turn_it_was_given() -> None:
    turns = Turns()
    inside: list[str] = []

    async def request(name: str) -> None:
        async with turns("FundingProgram"):
            inside.append(name)

    holder = turns("FundingProgram")
    await holder.__aenter__()
    cancelled_waiting = asyncio.create_task(request("cancelled while waiting"))
    given_then_cancelled = asyncio.create_task(request("given, then cancelled"))
    last = asyncio.create_task(request("last"))
    await _settle()
    assert turns.waiting("FundingProgram") == 3
    cancelled_waiting.cancel()
    await _settle()
    # The holder is done: the turn goes to the next live request in line, which is cancelled before it
    # runs (no await in between): it passes the turn on instead of taking it.
    await holder.__aexit__(None, None, None)
    given_then_cancelled.cancel()
    await asyncio.gather(cancelled_waiting, given_then_cancelled, last, return_exceptions=True)
    assert given_then_cancelled.cancelled() and cancelled_waiting.cancelled()
    assert inside == ["last"]
    assert turns.waiting("FundingProgram") == 0


async def test_claimants_of_one_need_take_turns_in_the_process_not_in_neo4j(graph: Graph, graphql_client) -> None:
    """While one claimant of a need is in flight, the others wait in the API process (no transaction in
    Neo4j, where waiting on a lock spins); when it is through, the next is refused on the state it left
    without taking the lock, and frees the rest, refused together."""
    await make_places(graph)
    await w.make_people(graph, members=20)
    need = (await w.submit(graphql_client))["id"]
    await graphql_client(w.OPEN_CLAIM, {"input": {"needId": need}}, token=w.coordinator())
    sent, waited = graph.counter.count, graph.turns.waited

    async def accept(i: int) -> dict:
        return await graphql_client(w.ACCEPT, {"input": {"needId": need}}, token=w.member(i), expect_errors=True)

    async with graph.turns(f"Need:{need}"):  # as a first claimant would hold it
        racing = asyncio.gather(*(accept(i) for i in range(1, 21)))
        while graph.turns.waited < waited + 20:
            await asyncio.sleep(0.01)  # until all 20 are in line (a count, not a time)
        assert graph.counter.count == sent, "the waiting claimants sent nothing to Neo4j"
        assert await _blocked(graph) == 0
    bodies = await racing
    assert sum("errors" not in b for b in bodies) == 1
    assert {b["errors"][0]["extensions"]["code"] for b in bodies if "errors" in b} == {"CONFLICT"}
