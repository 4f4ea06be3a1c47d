"""Needs put straight into any state with parameterised Cypher, for the escalation, sweep,
evaluation and stats tests: they must not depend on the lifecycle mutations to get there.

Build the places (`tests.support.factories.make_places`) and people (`tests.support.workflow_helpers.make_people`)
first; `make_workflow_needs` then creates needs at a compound, raised by a resident, each with an
optional assignment to a member, unit or offering, at the times and deadlines given.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.kernel.db import Graph
from tests.support.factories import COMPOUND
from tests.support.workflow_helpers import RESIDENT

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DISPATCHER = "user:cli-coordinator"  # the subject of `workflow_helpers.coordinator()` tokens


@dataclass
class NeedSpec:
    id: str
    status: str = "SUBMITTED"
    level: str = "COMMUNITY"
    urgency: str = "NORMAL"
    category: str = "SEWER"
    at: str = COMPOUND
    resident: str = RESIDENT
    created_at: datetime = T0
    response_deadline: datetime | None = None
    completion_deadline: datetime | None = None
    # The assignment, when `handler` is given.
    handler: str | None = None
    assignment_status: str = "ACTIVE"
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    completed_at: datetime | None = None
    by: str = DISPATCHER
    extra: dict[str, Any] | None = None  # more Need properties (suspension fields…)


def _row(spec: NeedSpec) -> dict[str, Any]:
    row = asdict(spec)
    for name, value in row.items():
        if isinstance(value, datetime):
            row[name] = value.isoformat()
    row["extra"] = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in (spec.extra or {}).items()}
    row["number"] = "XA-" + spec.id.split(":", 1)[1]
    row["assignmentId"] = "assignment:" + spec.id.split(":", 1)[1]
    return row


_CREATE = """
UNWIND $rows AS row
MATCH (place {id: row.at}) MATCH (k:Category {code: row.category})
MERGE (r:Resident {id: row.resident}) ON CREATE SET r.createdAt = datetime(), r.name = '居民'
CREATE (n:Need {id: row.id, number: row.number, title: '测试诉求 ' + row.id, description: '', status: row.status,
  channel: 'APP', urgency: row.urgency, peopleNeeded: 1, level: row.level,
  createdAt: datetime(row.created_at), updatedAt: datetime(row.created_at),
  responseDeadline: CASE WHEN row.response_deadline IS NULL THEN null ELSE datetime(row.response_deadline) END,
  completionDeadline: CASE WHEN row.completion_deadline IS NULL THEN null ELSE datetime(row.completion_deadline) END})
SET n += row.extra
SET n.suspendedAt = CASE WHEN row.extra.suspendedAt IS NULL THEN null ELSE datetime(row.extra.suspendedAt) END
CREATE (n)-[:AT]->(place), (n)-[:OF]->(k), (n)-[:RAISED_BY]->(r)
WITH n, row WHERE row.handler IS NOT NULL
MATCH (t {id: row.handler}) WHERE t:Member OR t:Unit OR t:Offering
MERGE (u:User {id: row.by}) ON CREATE SET u.createdAt = datetime(), u.role = 'COORDINATOR'
CREATE (a:Assignment {id: row.assignmentId, status: row.assignment_status,
  createdAt: datetime(coalesce(row.dispatched_at, row.created_at)),
  acceptedAt: CASE WHEN row.accepted_at IS NULL THEN null ELSE datetime(row.accepted_at) END,
  completedAt: CASE WHEN row.completed_at IS NULL THEN null ELSE datetime(row.completed_at) END})
CREATE (a)-[:OF]->(n), (a)-[:TO]->(t), (a)-[:BY]->(u)
"""


async def make_workflow_needs(graph: Graph, specs: list[NeedSpec]) -> list[str]:
    await graph.write(_CREATE, rows=[_row(spec) for spec in specs])
    return [spec.id for spec in specs]


def overdue_spec(need_id: str, now: datetime, handler: str | None = None, **more: Any) -> NeedSpec:
    """An accepted need whose completion deadline passed an hour before `now`."""
    return NeedSpec(
        id=need_id,
        status="ACCEPTED" if handler else "ESCALATED",
        created_at=now - timedelta(days=8),
        response_deadline=now - timedelta(days=7),
        completion_deadline=now - timedelta(hours=1),
        handler=handler,
        dispatched_at=now - timedelta(days=8) if handler else None,
        accepted_at=now - timedelta(days=7, hours=12) if handler else None,
        **more,
    )


async def need_props(graph: Graph, need_id: str) -> dict[str, Any]:
    rows = await graph.read("MATCH (n:Need {id: $id}) RETURN properties(n) AS p", id=need_id)
    return rows[0]["p"]


async def events_of(graph: Graph, need_id: str) -> list[dict[str, Any]]:
    return await graph.read(
        "MATCH (e:Event)-[:ABOUT]->(:Need {id: $id}) RETURN e {.*} AS e ORDER BY e.at, e.id", id=need_id
    )
