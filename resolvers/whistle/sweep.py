"""Overdue calls escalate to the district's leadership: a call past its response limit (no 报到 yet) or its
completion limit (no 反馈 yet), clock running, is escalated once per limit: counted on the call
(`escalations`), and an audit Event about the need tells the need's staff up to the district (needEvents)
and the department (myAssignments). The department keeps the call: lateness is counted, not taken away.

Run beside the needs' sweep (resolvers/needs/sweep.py `sweep_forever(also=…)`, `minhu sweep`); safe twice
at once: each call is re-checked under its need's and its own lock in its own transaction.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import DomainError
from graph.kernel.records import native
from graph.whistle import calls
from graph.whistle.kinds import CallStatus, WhistleEventType, call_overdue
from resolvers.kernel import events
from resolvers.kernel.events import Published
from resolvers.whistle.whistle import CLOSED_NEEDS, _stamp

log = logging.getLogger("minhu.sweep")

ACTOR = "system:sweep"
ROLE = "SYSTEM"
BATCH = 5000
PARALLEL = 8


async def _escalate_one(tx: Tx, call_id: str, now: datetime) -> Published | None:
    state = await calls.call_facts(tx, call_id)
    call = state["call"]
    respond_by, complete_by = native(call["respondBy"]), native(call["completeBy"])
    stage = "RESPONSE" if call["status"] == CallStatus.WHISTLED else "COMPLETION"
    done = call.get("escalatedFor") or []
    paused = native(call.get("pausedAt"))
    if (
        state["status"] in CLOSED_NEEDS
        or stage in done
        or not call_overdue(call["status"], paused, respond_by, complete_by, now)
    ):
        return None  # answered meanwhile, another sweep got there first, or no longer late
    due = respond_by if stage == "RESPONSE" else complete_by
    words = "报到" if stage == "RESPONSE" else "反馈"
    leadership = f"{state['districtName']}领导" if state["districtName"] else "区领导"
    event = calls.event(
        actor_id=ACTOR,
        role=ROLE,
        from_state=state["status"],
        to_state=state["status"],
        type=WhistleEventType.CALL_OVERDUE,
        note=f"{state['department']['name']}：逾期未{words}（时限 {_stamp(due)}），已上报{leadership}",
    )
    props = {
        "escalations": (call.get("escalations") or 0) + 1,
        "escalatedAt": now,
        "escalatedFor": [*done, stage],
    }
    written = await calls.move_call(tx, call_id, event, call_props=props)
    published = Published.of_need(written, state["placeIds"], state["residentIds"], {state["department"]["id"]})
    await events.record(tx, [published])
    return published


async def sweep_whistles(graph: Graph, now: datetime) -> list[str]:
    """Escalates every call past a limit it was not yet escalated for; returns their ids."""
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    candidates = await calls.overdue_calls(graph, now, list(CLOSED_NEEDS), BATCH)
    gate = asyncio.Semaphore(PARALLEL)
    escalated: list[str] = []

    async def one(call_id: str) -> None:
        async with gate:
            try:
                published = await graph.write_tx(lambda tx: _escalate_one(tx, call_id, now))
            except DomainError as exc:
                log.warning("sweep: whistle call %s not escalated: %s", call_id, exc.message)
                return
        if published is not None:
            events.committed([published])  # after the commit, as for every mutation
            escalated.append(call_id)

    await asyncio.gather(*(one(call_id) for call_id in candidates))
    return sorted(escalated)
