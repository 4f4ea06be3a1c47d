"""Cypher for time limits (限时办结) and escalation (吹哨). Callers lock the need first (graph/locks.py).

Suspending stores how much time was left on each deadline, not the deadlines themselves, so
resuming can restart the clock with exactly that time left: new deadline = resume time + remaining.
Remaining times may be negative (a need suspended after its deadline stays late when resumed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graph.kernel.db import Graph, Tx
from graph.needs.kinds import OVERDUE_CYPHER, RUNNING_STATES, Level

# Who holds a need, from the bottom up; escalation moves it one step to the right.
LEVELS = tuple(Level)

_SUSPEND = """
MATCH (n:Need {id: $id})
WITH n, datetime($now) AS now
SET n.statusBeforeSuspension = n.status,
    n.suspendedAt = now,
    n.suspensionReason = $reason,
    n.responseRemainingSeconds = CASE WHEN n.responseDeadline IS NULL THEN null
      ELSE duration.inSeconds(now, n.responseDeadline).seconds END,
    n.completionRemainingSeconds = CASE WHEN n.completionDeadline IS NULL THEN null
      ELSE duration.inSeconds(now, n.completionDeadline).seconds END,
    n.status = 'SUSPENDED',
    n.updatedAt = now
RETURN n.responseRemainingSeconds AS responseRemaining, n.completionRemainingSeconds AS completionRemaining
"""


async def suspend(tx: Tx, need_id: str, reason: str, now: datetime) -> dict[str, Any]:
    row = await tx.single(_SUSPEND, id=need_id, reason=reason, now=now.isoformat())
    assert row is not None, "the need was locked in this transaction, so it exists"
    return row


# Deadlines are computed in a WITH first: within one SET, later items must not see earlier ones.
_RESUME = """
MATCH (n:Need {id: $id})
WITH n, datetime($now) AS now
WITH n, now,
  CASE WHEN n.responseRemainingSeconds IS NULL THEN n.responseDeadline
    ELSE now + duration({seconds: n.responseRemainingSeconds}) END AS respondBy,
  CASE WHEN n.completionRemainingSeconds IS NULL THEN n.completionDeadline
    ELSE now + duration({seconds: n.completionRemainingSeconds}) END AS completeBy,
  coalesce(n.statusBeforeSuspension, 'DISPATCHED') AS back
SET n.status = back, n.responseDeadline = respondBy, n.completionDeadline = completeBy, n.updatedAt = now
REMOVE n.statusBeforeSuspension, n.suspendedAt, n.suspensionReason,
       n.responseRemainingSeconds, n.completionRemainingSeconds
RETURN back AS status, respondBy AS responseDeadline, completeBy AS completionDeadline
"""


async def resume(tx: Tx, need_id: str, now: datetime) -> dict[str, Any]:
    row = await tx.single(_RESUME, id=need_id, now=now.isoformat())
    assert row is not None, "the need was locked in this transaction, so it exists"
    return row


_ESCALATE = """
MATCH (n:Need {id: $id})
WITH n, datetime($now) AS now
SET n.level = $level, n.status = 'ESCALATED', n.completionDeadline = datetime($completeBy),
    n.escalatedAt = now, n.updatedAt = now
"""


async def escalate(tx: Tx, need_id: str, level: str, complete_by: datetime, now: datetime) -> None:
    await tx.run(_ESCALATE, id=need_id, level=level, completeBy=complete_by.isoformat(), now=now.isoformat())


# Overdue needs that can still go up; the sweep re-checks each one under its lock.
_OVERDUE = f"""
MATCH (x:Need)
WHERE x.status IN $running AND coalesce(x.level, 'COMMUNITY') <> 'DISTRICT' AND {OVERDUE_CYPHER}
RETURN x.id AS id, coalesce(x.level, 'COMMUNITY') AS level
ORDER BY x.completionDeadline, x.id
LIMIT $limit
"""


async def overdue_candidates(graph: Graph, now: datetime, limit: int) -> list[dict[str, Any]]:
    return await graph.read(_OVERDUE, running=list(RUNNING_STATES), now=now.isoformat(), limit=limit)


_STILL_OVERDUE = f"""
MATCH (x:Need {{id: $id}})
WHERE x.status IN $running AND coalesce(x.level, 'COMMUNITY') = $level AND {OVERDUE_CYPHER}
RETURN x.id AS id, x.responseDeadline AS responseDeadline, x.completionDeadline AS completionDeadline
"""


async def still_overdue(tx: Tx, need_id: str, level: str, now: datetime) -> dict[str, Any] | None:
    """The need's deadlines if, read under its lock, it is still overdue at the level the sweep saw."""
    return await tx.single(_STILL_OVERDUE, id=need_id, level=level, running=list(RUNNING_STATES), now=now.isoformat())
