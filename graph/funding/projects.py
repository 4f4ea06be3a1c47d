"""Projects opened from a class of needs, the grants that fund them, and what they changed.

Each mutation reads what it checks in one statement (under the project's lock where it changes one)
and writes in another. The outcome compares the project's class (its category at or below its places)
in two windows of equal length either side of its start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.funding.kinds import GrantStatus, ProjectStatus
from graph.kernel.db import Tx
from graph.kernel.errors import NotFound
from graph.kernel.kinds import cypher_strings
from graph.kernel.records import from_row
from graph.needs.kinds import NeedStatus

_OPEN_FACTS = """
OPTIONAL MATCH (k:Category {code: $category})
CALL {
  UNWIND $placeIds AS pid
  OPTIONAL MATCH (p {id: pid}) WHERE p:District OR p:Street OR p:Community
  RETURN collect({id: pid, found: p IS NOT NULL,
                  district: [(p)-[:IN*0..2]->(d:District) | d.id][0]}) AS places
}
OPTIONAL MATCH (lead {id: $leadId}) WHERE lead:Unit OR lead:Street
RETURN k IS NOT NULL AS category, places, lead IS NOT NULL AS lead,
  [(lead)-[:IN*0..1]->(d:District) | d.id] + [(lead)-[:REGISTERED_WITH]->()-[:IN*1..2]->(d:District) | d.id]
    AS leadDistricts
"""

_CREATE = """
MATCH (k:Category {code: $category})
CREATE (p:Project {id: $id, title: $title, status: $status, start: datetime($start), end: datetime($end),
                   openedBy: $openedBy, createdAt: datetime()})
CREATE (p)-[:ADDRESSES]->(k)
WITH p
CALL (p) { UNWIND $placeIds AS pid MATCH (place {id: pid}) WHERE place:District OR place:Street OR place:Community
           CREATE (p)-[:IN]->(place) }
CALL (p) { MATCH (lead {id: $leadId}) WHERE lead:Unit OR lead:Street CREATE (p)-[:LED_BY]->(lead) }
RETURN p.id AS id
"""

_LOCKED = """
MATCH (p:Project {id: $id}) SET p._lock = true REMOVE p._lock
WITH p
OPTIONAL MATCH (g:Grant {id: $grantId})
RETURN p.status AS status, [(p)-[:IN]->(place) | [(place)-[:IN*0..2]->(d:District) | d.id][0]] AS districts,
  g IS NOT NULL AS grant, g.status AS grantStatus, [(g)-[:FUNDS]->(q:Project) | q.id][0] AS funds
"""

_FUND = """
MATCH (p:Project {id: $id}) MATCH (g:Grant {id: $grantId})
SET g._lock = true REMOVE g._lock
WITH p, g WHERE NOT EXISTS { (g)-[:FUNDS]->() }
CREATE (g)-[:FUNDS]->(p)
RETURN g.id AS id
"""

_CLOSE = """
MATCH (p:Project {id: $id}) WHERE p.status = $open
SET p.status = $closed, p.closedAt = datetime(), p.note = $note
RETURN p.id AS id
"""

_OUTCOME = f"""
MATCH (p:Project {{id: $id}})
WITH p, datetime($now) AS now
WITH p, CASE WHEN p.end < now THEN p.end ELSE now END AS stop
WITH p, CASE WHEN stop > p.start THEN duration.inSeconds(p.start, stop) ELSE duration('PT0S') END AS span
CALL (p, span) {{
  MATCH (p)-[:ADDRESSES]->(k:Category)
  MATCH (p)-[:IN]->(place)<-[:IN*0..3]-(at)<-[:AT]-(n:Need)-[:OF]->(k)
  WITH DISTINCT n, p.start AS s, span
  RETURN
    sum(CASE WHEN n.createdAt >= s - span AND n.createdAt < s THEN 1 ELSE 0 END) AS before,
    sum(CASE WHEN n.createdAt >= s AND n.createdAt < s + span THEN 1 ELSE 0 END) AS after,
    sum(CASE WHEN n.createdAt >= s AND n.createdAt < s + span
             AND n.status IN {cypher_strings([NeedStatus.COMPLETED, NeedStatus.EVALUATED])} THEN 1 ELSE 0 END)
      AS served
}}
RETURN before, after, served, span.seconds AS seconds,
  reduce(t = 0, a IN [(g:Grant)-[:FUNDS]->(p) WHERE g.status = '{GrantStatus.APPROVED}' | g.amount] | t + a)
    AS granted,
  reduce(t = 0, a IN [(g:Grant)-[:FUNDS]->(p) WHERE g.status = '{GrantStatus.REQUESTED}' | g.amount] | t + a)
    AS pending
"""


@dataclass(frozen=True, slots=True)
class ProjectPlace:
    id: str
    found: bool
    district: str | None


@dataclass(frozen=True, slots=True)
class OpeningFacts:
    """What opening a project checks: the category and lead exist, its places and their districts."""

    category: bool  # the category exists
    places: list[ProjectPlace]
    lead: bool  # the leading unit or street exists
    lead_districts: list[str]


@dataclass(frozen=True, slots=True)
class LockedProject:
    status: str
    districts: list[str | None]  # each of its places' district
    grant: bool  # the grant asked about exists
    grant_status: str | None
    funds: str | None  # the project that grant funds already


async def open_facts(tx: Tx, category: str, place_ids: list[str], lead_id: str) -> OpeningFacts:
    rows = await tx.run(
        _OPEN_FACTS, "funding.projects.open_facts", category=category, placeIds=place_ids, leadId=lead_id
    )
    row = rows[0]
    return from_row(OpeningFacts, {**row, "places": [from_row(ProjectPlace, p) for p in row["places"]]})


async def create(tx: Tx, row: dict[str, Any]) -> None:
    await tx.run(_CREATE, "funding.projects.create", status=ProjectStatus.OPEN, **row)


async def locked(tx: Tx, project_id: str, grant_id: str | None = None) -> LockedProject:
    """The project under its lock (NotFound when none), and the grant asked about."""
    rows = await tx.run(_LOCKED, "funding.projects.locked", id=project_id, grantId=grant_id)
    if not rows:
        raise NotFound(f"no project {project_id!r}", field="projectId")
    return from_row(LockedProject, rows[0])


async def fund(tx: Tx, project_id: str, grant_id: str) -> bool:
    """Links the grant; False when it funds a project already (seen under the grant's lock)."""
    return bool(await tx.run(_FUND, "funding.projects.fund", id=project_id, grantId=grant_id))


async def close(tx: Tx, project_id: str, note: str | None) -> bool:
    rows = await tx.run(
        _CLOSE, "funding.projects.close", id=project_id, open=ProjectStatus.OPEN, closed=ProjectStatus.CLOSED, note=note
    )
    return bool(rows)


async def outcome(graph: Any, project_id: str, now: str) -> dict[str, Any] | None:
    rows = await graph.read(_OUTCOME, "funding.projects.outcome", id=project_id, now=now)
    return rows[0] if rows else None
