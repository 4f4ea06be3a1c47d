"""Grants from funding programs that never overspend: the program is locked before the budget check.

Money is integer fen everywhere (Neo4j integers are 64-bit), so sums are exact. Approval locks the
program first (graph/kernel/locks.py), then reads `budget`, `spent` and the grant, then writes
`spent += amount` in the same transaction: concurrent approvals of one program queue on its lock,
and each sees the `spent` the previous one committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from graph.funding.kinds import ProgramFunds, ProjectStatus
from graph.kernel.db import Graph, Tx
from graph.kernel.errors import NotFound
from graph.kernel.ids import label_of, new_id
from graph.kernel.locks import answered_unlocked, lock_if, still
from graph.kernel.records import from_row
from graph.needs.audit import EVENT_CREATE

_PROGRAM = """
MATCH (p:FundingProgram {id: $id})
RETURN p.id AS id, p.name AS name, p.level AS level, p.funds AS funds, coalesce(p.budget, 0) AS budget,
  coalesce(p.spent, 0) AS spent,
  p.capPerGrant AS capPerGrant, p.periodStart AS periodStart, p.periodEnd AS periodEnd,
  [(p)-[:COVERS]->(k:Category) | k.code] AS categories,
  [(p)-[:AVAILABLE_IN]->(d:District) | d.id] AS districts
"""


@dataclass(frozen=True, slots=True)
class ProgramTerms:
    """What a grant is checked against: the program's money (fen), its period and what it covers."""

    id: str
    name: str
    level: str
    funds: ProgramFunds
    budget: int
    spent: int
    cap_per_grant: int | None
    period_start: date | None
    period_end: date | None
    categories: list[str]  # the category codes it covers
    districts: list[str]  # the districts it is available in (none: all)

    @property
    def left(self) -> int:
        return self.budget - self.spent


@dataclass(frozen=True, slots=True)
class GrantFacts:
    id: str
    status: str
    amount: int
    program_id: str
    need_id: str | None
    place_ids: list[str]  # its need's place and every place above it
    district_ids: list[str]  # the districts of what it is for: its need's, else its project's places'


async def program_facts(tx: Tx, program_id: str) -> ProgramTerms:
    label_of(program_id, expected=("FundingProgram",), field="programId")
    row = await tx.single(_PROGRAM, id=program_id)
    if row is None:
        raise NotFound(f"no funding program with id {program_id!r}", field="programId")
    return from_row(ProgramTerms, row)


# The grant and its Event about the need, in one statement.
_CREATE = f"""
MATCH (p:FundingProgram {{id: $program}}), (n:Need {{id: $need}})
CREATE (g:Grant {{id: $id, amount: $amount, status: 'REQUESTED', purpose: $purpose, requestedBy: $by,
                 createdAt: datetime()}})
CREATE (g)-[:FROM]->(p), (g)-[:FOR]->(n)
WITH g, n
{EVENT_CREATE}
RETURN g.id AS id, e {{.*, needId: n.id}} AS event
"""


async def create(
    tx: Tx, need_id: str, program_id: str, amount: int, purpose: str | None, by: str, event: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """A REQUESTED grant and the audit Event `event` (graph.needs.audit.event_params); the id and the Event."""
    grant_id = new_id("grant")
    row = await tx.single(
        _CREATE, id=grant_id, program=program_id, need=need_id, amount=amount, purpose=purpose, by=by, event=event
    )
    assert row is not None, "the need and the program were read in this transaction"
    return grant_id, row["event"]


# A grant for a project (no need): the project's facts under its lock, taken only while it is OPEN, so a
# request and a `closeProject` racing are ordered (a request never lands on a project closed before it).
_PROJECT = f"""
MATCH (j:Project {{id: $id}})
WITH j, j.status = '{ProjectStatus.OPEN}' AS open
{lock_if("j", "open")}
RETURN open AS locked, j.status AS status, j.title AS title, [(j)-[:ADDRESSES]->(k:Category) | k.code][0] AS category,
  [(j)-[:IN]->()-[:IN*0..2]->(d:District) | d.id] AS districtIds
"""


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """What a grant requested for a project is checked against: its state, class and districts."""

    status: str
    title: str
    category: str | None
    district_ids: list[str]  # the district of each of its places


async def project_facts(tx: Tx, project_id: str) -> ProjectFacts:
    """The project, locked while it is OPEN; NotFound when there is none."""
    label_of(project_id, expected=("Project",), field="projectId")
    row = await tx.single(_PROJECT, id=project_id)
    if row is None:
        raise NotFound(f"no project with id {project_id!r}", field="projectId")
    answered_unlocked(row["locked"])
    return from_row(ProjectFacts, row)


_CREATE_FOR_PROJECT = """
MATCH (p:FundingProgram {id: $program}), (j:Project {id: $project})
CREATE (g:Grant {id: $id, amount: $amount, status: 'REQUESTED', purpose: $purpose, requestedBy: $by,
                 createdAt: datetime()})
CREATE (g)-[:FROM]->(p), (g)-[:FUNDS]->(j)
RETURN g.id AS id
"""


async def create_for_project(
    tx: Tx, project_id: str, program_id: str, amount: int, purpose: str | None, by: str
) -> str:
    """A REQUESTED grant funding the project (no need, so no Event in a need's trail); its id."""
    grant_id = new_id("grant")
    row = await tx.single(
        _CREATE_FOR_PROJECT, id=grant_id, program=program_id, project=project_id, amount=amount, purpose=purpose, by=by
    )
    assert row is not None, "the project and the program were read in this transaction"
    return grant_id


# A decision's facts under the locks, in one statement: the program's lock first (every decision on the
# program queues there), then the grant's; every property below is read after both, so it is the last
# committed state. The locks are taken only while the committed state lets the decision through (the
# grant still REQUESTED; to approve, within the cap and what is left): a race's late losers are told
# without queueing, and one that queued leaves as soon as it finds, under the lock, that it lost
# (graph/kernel/locks.py).
_DECIDABLE = """(g.status = 'REQUESTED' AND (NOT $approve OR (
  (p.capPerGrant IS NULL OR g.amount <= p.capPerGrant)
  AND g.amount <= coalesce(p.budget, 0) - coalesce(p.spent, 0))))"""
_LOCKED = (
    f"""
MATCH (g:Grant {{id: $id}})-[:FROM]->(p:FundingProgram)
WITH g, p, {_DECIDABLE} AS open
{lock_if("p", "open")}
{lock_if("g", "open")}
{still("NOT open OR " + _DECIDABLE)}
"""
    + """
RETURN open AS locked, {id: g.id, status: g.status, amount: g.amount, programId: p.id,
        needId: [(g)-[:FOR]->(n:Need) | n.id][0],
        placeIds: [(g)-[:FOR]->(:Need)-[:AT]->(:Compound|Community)-[:IN*0..3]->(x) | x.id],
        districtIds: CASE WHEN EXISTS { (g)-[:FOR]->(:Need) }
          THEN [(g)-[:FOR]->(:Need)-[:AT]->(:Compound|Community)-[:IN*0..3]->(d:District) | d.id]
          ELSE [(g)-[:FUNDS]->(:Project)-[:IN]->()-[:IN*0..2]->(d:District) | d.id] END} AS grant,
  {id: p.id, name: p.name, level: p.level, funds: p.funds, budget: coalesce(p.budget, 0), spent: coalesce(p.spent, 0),
   capPerGrant: p.capPerGrant, periodStart: p.periodStart, periodEnd: p.periodEnd,
   categories: [(p)-[:COVERS]->(k:Category) | k.code], districts: [(p)-[:AVAILABLE_IN]->(d:District) | d.id]}
    AS program
"""
)


async def locked_decision(tx: Tx, grant_id: str, *, approve: bool) -> tuple[GrantFacts, ProgramTerms]:
    """The grant (status, amount, need, places) and its program (as `program_facts`), both locked; not
    locked when the committed state already refuses the decision (`approve`: an approval, else a rejection)."""
    label_of(grant_id, expected=("Grant",), field="grantId")
    row = await tx.single(_LOCKED, id=grant_id, approve=approve)
    if row is None:
        raise NotFound(f"no grant with id {grant_id!r}", field="grantId")
    answered_unlocked(row["locked"])
    return from_row(GrantFacts, row["grant"]), from_row(ProgramTerms, row["program"])


# The decision, the program's `spent` and (for a grant tied to a need) the audit Event, in one statement.
_DECIDE = f"""
MATCH (g:Grant {{id: $id}})-[:FROM]->(p:FundingProgram)
SET g.status = $status, g.decidedAt = datetime(), g.decidedBy = $by, g.reason = $reason,
    p.spent = coalesce(p.spent, 0) + $spend
WITH g, p
CALL (g) {{
  OPTIONAL MATCH (g)-[:FOR]->(n:Need)
  WITH n WHERE n IS NOT NULL AND $event IS NOT NULL
  {EVENT_CREATE}
  RETURN collect(e {{.*, needId: n.id}}) AS events
}}
RETURN p.spent AS spent, events
"""


async def decide(
    tx: Tx, grant_id: str, status: str, by: str, reason: str | None, spend: int, event: dict[str, Any] | None
) -> tuple[int, dict[str, Any] | None]:
    """Sets the decision, adds `spend` fen to the program's `spent` (call with the program locked) and
    records `event` about the grant's need, if it has one; the new `spent` and the Event."""
    row = await tx.single(_DECIDE, id=grant_id, status=status, by=by, reason=reason, spend=spend, event=event)
    assert row is not None
    return row["spent"], (row["events"][0] if row["events"] else None)


_LEDGER = """
MATCH (p:FundingProgram {id: $id})
RETURN coalesce(p.spent, 0) AS spent, p.budget AS budget,
  reduce(total = 0, a IN COLLECT { MATCH (g:Grant {status: 'APPROVED'})-[:FROM]->(p) RETURN g.amount } |
         total + a) AS approved
"""


async def ledger(graph: Graph, program_id: str) -> dict[str, int]:
    """`spent`, `budget` and the sum of APPROVED grants (the invariant: spent == approved ≤ budget)."""
    rows = await graph.read(_LEDGER, id=program_id)
    return rows[0]
