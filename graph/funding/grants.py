"""Grants from funding programs that never overspend: the program is locked before the budget check.

Money is integer fen everywhere (Neo4j integers are 64-bit), so sums are exact. Approval locks the
program first (graph/locks.py), then reads `budget`, `spent` and the grant, then writes
`spent += amount` in the same transaction: concurrent approvals of one program queue on its lock,
and each sees the `spent` the previous one committed.
"""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import NotFound
from graph.kernel.ids import label_of, new_id
from graph.kernel.locks import lock
from graph.kernel.records import native

_PROGRAM = """
MATCH (p:FundingProgram {id: $id})
RETURN p.id AS id, p.name AS name, p.level AS level, coalesce(p.budget, 0) AS budget, coalesce(p.spent, 0) AS spent,
  p.capPerGrant AS capPerGrant, p.periodStart AS periodStart, p.periodEnd AS periodEnd,
  [(p)-[:COVERS]->(k:Category) | k.code] AS categories,
  [(p)-[:AVAILABLE_IN]->(d:District) | d.id] AS districts
"""


async def program_facts(tx: Tx, program_id: str) -> dict[str, Any]:
    label_of(program_id, expected=("FundingProgram",), field="programId")
    row = await tx.single(_PROGRAM, id=program_id)
    if row is None:
        raise NotFound(f"no funding program with id {program_id!r}", field="programId")
    return {k: native(v) for k, v in row.items()}


async def lock_program(tx: Tx, program_id: str) -> None:
    await lock(tx, "FundingProgram", program_id, "funding program")


_CREATE = """
MATCH (p:FundingProgram {id: $program}), (n:Need {id: $need})
CREATE (g:Grant {id: $id, amount: $amount, status: 'REQUESTED', purpose: $purpose, requestedBy: $by,
                 createdAt: datetime()})
CREATE (g)-[:FROM]->(p), (g)-[:FOR]->(n)
RETURN g.id AS id
"""


async def create(tx: Tx, need_id: str, program_id: str, amount: int, purpose: str | None, by: str) -> str:
    grant_id = new_id("grant")
    await tx.run(_CREATE, id=grant_id, program=program_id, need=need_id, amount=amount, purpose=purpose, by=by)
    return grant_id


_GRANT = """
MATCH (g:Grant {id: $id})-[:FROM]->(p:FundingProgram)
RETURN g.id AS id, g.status AS status, g.amount AS amount, p.id AS programId,
  [(g)-[:FOR]->(n:Need) | n.id][0] AS needId,
  [(g)-[:FOR]->(:Need)-[:AT]->(:Compound|Community)-[:IN*0..3]->(x) | x.id] AS placeIds
"""


async def grant_facts(tx: Tx, grant_id: str) -> dict[str, Any]:
    label_of(grant_id, expected=("Grant",), field="grantId")
    row = await tx.single(_GRANT, id=grant_id)
    if row is None:
        raise NotFound(f"no grant with id {grant_id!r}", field="grantId")
    return row


_DECIDE = """
MATCH (g:Grant {id: $id})-[:FROM]->(p:FundingProgram)
SET g.status = $status, g.decidedAt = datetime(), g.decidedBy = $by, g.reason = $reason,
    p.spent = coalesce(p.spent, 0) + $spend
RETURN p.spent AS spent
"""


async def decide(tx: Tx, grant_id: str, status: str, by: str, reason: str | None, spend: int) -> int:
    """Sets the decision and adds `spend` fen to the program's `spent` (call with the program locked)."""
    row = await tx.single(_DECIDE, id=grant_id, status=status, by=by, reason=reason, spend=spend)
    assert row is not None
    return row["spent"]


_READ = """
UNWIND $ids AS gid
MATCH (g:Grant {id: gid})-[:FROM]->(p:FundingProgram)
RETURN g {.*, programId: p.id, needId: [(g)-[:FOR]->(n:Need) | n.id][0]} AS row
"""


async def grants_by_ids(graph: Graph, ids: list[str]) -> list[dict[str, Any]]:
    rows = await graph.read(_READ, ids=ids)
    found = {row["row"]["id"]: {k: native(v) for k, v in row["row"].items()} for row in rows}
    return [found[gid] for gid in ids if gid in found]


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
