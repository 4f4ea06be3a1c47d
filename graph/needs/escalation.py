"""Escalation (吹哨): the levels a need climbs, and the overdue needs the sweep hands up.

Suspending, resuming and escalating themselves are writes of graph/needs/workflow.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graph.kernel.db import Graph
from graph.needs.kinds import OVERDUE_CYPHER, RUNNING_STATES, Level

# Who holds a need, from the bottom up; escalation moves it one step to the right.
LEVELS = tuple(Level)

# Overdue needs that can still go up; the sweep re-checks each one under its lock.
_OVERDUE = f"""
MATCH (x:Need)
WHERE x.status IN $running AND coalesce(x.level, 'COMMUNITY') <> 'DISTRICT' AND {OVERDUE_CYPHER}
  // A department whistled to it answers for its clock: the whistle's sweep escalates its lateness
  // to the district without taking the need from it (graph/whistle/calls.py).
  AND NOT EXISTS {{ MATCH (x)<-[:OF]-(a:Assignment)-[:TO]->(:Department) WHERE a.status IN ['INVITED', 'ACTIVE'] }}
RETURN x.id AS id, coalesce(x.level, 'COMMUNITY') AS level
ORDER BY x.completionDeadline, x.id
LIMIT $limit
"""


async def overdue_candidates(graph: Graph, now: datetime, limit: int) -> list[dict[str, Any]]:
    return await graph.read(_OVERDUE, running=list(RUNNING_STATES), now=now.isoformat(), limit=limit)
