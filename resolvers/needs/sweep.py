"""The overdue sweep: a need past its deadline escalates by itself, one level per sweep.

`sweep_overdue(graph, now)` is the whole logic; the server runs it every
`MINHU_SWEEP_INTERVAL_SECONDS` (`sweep_forever`), `minhu sweep` runs it once, and tests call it
with a clock of their choosing.

Safe to run twice at once (two servers, or the server and the CLI): candidates come from an
unlocking read, but each need is escalated in its own transaction that first takes the need's
write lock and then re-reads it. The second sweep waits for the first one's commit, then sees the
need at the new level with a fresh deadline and leaves it alone. One transaction per need keeps
locks short and means one bad need cannot stop the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.kernel import idempotency
from graph.kernel.db import Graph, Tx
from graph.kernel.errors import DomainError
from graph.needs import escalation, workflow
from graph.needs.kinds import NeedStatus, is_overdue
from graph.needs.workflow import Change
from resolvers.kernel import events
from resolvers.kernel.events import Published
from resolvers.needs import lifecycle
from resolvers.needs.escalation import hand_up

log = logging.getLogger("minhu.sweep")

ACTOR = "system:sweep"
ROLE = "SYSTEM"
# Needs escalated per sweep at most; the rest wait for the next sweep (keeps one sweep bounded).
BATCH = 5000
# Transactions in flight at once: enough to clear a backlog quickly, well under the driver's pool.
PARALLEL = 8


async def _escalate_one(tx: Tx, need_id: str, level: str, now: datetime) -> Published | None:
    state = await workflow.facts(tx, need_id)
    deadlines = (state.response_deadline, state.completion_deadline)
    still = (state.level or "COMMUNITY") == level and is_overdue(state.status, *deadlines, now)
    if not still:
        return None  # another sweep (or a person) got there first, or it is no longer late
    to_state = lifecycle.check_transition("escalateNeed", state.status, state.number)
    which = "response" if state.status == NeedStatus.DISPATCHED else "completion"
    change = Change()
    step = hand_up(state, now, change)
    note = step.note(f"past its {which} deadline, escalated automatically")
    event = await workflow.apply(
        tx, state, "escalateNeed", change, actor_id=ACTOR, role=ROLE, to_state=to_state, note=note
    )
    published = Published.of_need(event, state.place_ids, state.resident_ids, step.audience)
    await events.delivery().record(tx, [published])
    return published


async def sweep_overdue(graph: Graph, now: datetime) -> list[str]:
    """Escalates every overdue need one level (community → street → district); returns their ids."""
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    candidates = await escalation.overdue_candidates(graph, now, BATCH)
    gate = asyncio.Semaphore(PARALLEL)
    escalated: list[str] = []

    async def one(row: dict[str, Any]) -> None:
        async with gate:
            try:
                published = await graph.write_tx(lambda tx: _escalate_one(tx, row["id"], row["level"], now))
            except DomainError as exc:
                log.warning("sweep: need %s not escalated: %s", row["id"], exc.message)
                return
        if published is not None:
            events.delivery().committed([published])  # after the commit, as for every mutation
            escalated.append(row["id"])

    await asyncio.gather(*(one(row) for row in candidates))
    return sorted(escalated)


async def sweep_idempotency(graph: Graph, now: datetime, ttl_hours: float) -> int:
    """Deletes idempotency records older than `ttl_hours`; returns how many."""
    return await idempotency.sweep_expired(graph, now.astimezone(UTC) - timedelta(hours=ttl_hours))


async def sweep_forever(
    get_graph: Callable[[], Graph],
    interval_seconds: float,
    *,
    idempotency_ttl_hours: float | None = None,
    on_run: Callable[[str], None] | None = None,
    gate: Callable[[], Awaitable[bool]] | None = None,
    also: Sequence[Callable[[Graph, datetime], Awaitable[list[str]]]] = (),
) -> None:
    """The server's background loop; cancelled at shutdown. A failed sweep is logged, not fatal.

    Each run escalates overdue needs and, with `idempotency_ttl_hours`, deletes expired
    idempotency records; `on_run("ok" | "error" | "elsewhere")` is told how each run went (for
    /metrics). With `gate`, a run happens only when it answers True: several API processes share
    one lease per interval (graph/kernel/cluster.py), so the sweep runs once across them. `also`: the sweeps
    of domains above the needs run after it with the same clock (the whistle's overdue calls).
    """
    while True:
        await asyncio.sleep(interval_seconds)
        outcome = "ok"
        try:
            if gate is not None and not await gate():
                if on_run is not None:
                    on_run("elsewhere")
                continue
            now = datetime.now(UTC)
            ids = await sweep_overdue(get_graph(), now)
            if ids:
                log.info("sweep: escalated %d overdue need(s)", len(ids))
            for job in also:
                done = await job(get_graph(), now)
                if done:
                    log.info("sweep: %s escalated %d item(s)", job.__name__, len(done))
            if idempotency_ttl_hours is not None:
                expired = await sweep_idempotency(get_graph(), now, idempotency_ttl_hours)
                if expired:
                    log.info("sweep: deleted %d expired idempotency record(s)", expired)
        except asyncio.CancelledError:
            raise
        except DomainError as exc:
            outcome = "error"
            # UNAVAILABLE while Neo4j is down: one line, no traceback; the breaker already said why.
            log.warning("sweep skipped: %s; trying again in %s s", exc.message, interval_seconds)
        except Exception:
            outcome = "error"
            log.exception("sweep failed; trying again in %s s", interval_seconds)
        if on_run is not None:
            on_run(outcome)
