"""Duplicates closed into one need: the facts under the needs' locks in one statement, the merge in another.

Each duplicate becomes CANCELLED with `(:Need)-[:MERGED_INTO]->(:Need)`; its requester is linked to the
surviving need (`ALSO_RAISED_BY`), and both sides get a MERGE event in their trails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.kernel.db import Tx
from graph.kernel.records import from_row
from graph.needs.audit import event_create, event_params
from graph.needs.kinds import EventType, NeedStatus

_FACTS = """
UNWIND $ids AS nid
MATCH (n:Need {id: nid}) SET n._lock = true REMOVE n._lock
WITH n
RETURN n.id AS id, n.number AS number, n.status AS status, [(n)-[:OF]->(k:Category) | k.code][0] AS category,
  [(n)-[:AT]->(p) | [(p)-[:IN*0..3]->(q) | q.id]][0] AS placeIds,
  [(n)-[:MERGED_INTO]->(m:Need) | m.id][0] AS mergedInto, [(n)-[:RAISED_BY]->(r:Resident) | r.id][0] AS requesterId,
  [(n)-[:RAISED_BY|ALSO_RAISED_BY]->(r:Resident) | r.id] AS residentIds
ORDER BY id
"""

_MERGE = (
    """
MATCH (into:Need {id: $into})
UNWIND $froms AS f
MATCH (n:Need {id: f.id})
SET n.status = $cancelled, n.updatedAt = datetime()
CREATE (n)-[:MERGED_INTO]->(into)
"""
    + event_create("f.event")
    + """
WITH into, n, e
OPTIONAL MATCH (n)-[:RAISED_BY]->(r:Resident)
FOREACH (_ IN CASE WHEN r IS NULL THEN [] ELSE [1] END | MERGE (into)-[:ALSO_RAISED_BY]->(r))
WITH into, collect(e {.*, needId: n.id}) AS events
SET into.updatedAt = datetime()
"""
    + event_create("$event", var="m", need="into")
    + """
RETURN events + [m {.*, needId: into.id}] AS events
"""
)


@dataclass(frozen=True, slots=True)
class MergingNeed:
    """A need of a merge, read under its lock."""

    id: str
    number: str | None
    status: str
    category: str | None
    place_ids: list[str]  # its place and every place above it
    merged_into: str | None  # the need it was merged into before
    requester_id: str | None
    resident_ids: list[str]  # the requester and whoever raised it too


async def merge_facts(tx: Tx, need_ids: list[str]) -> list[MergingNeed]:
    """The needs under their locks, taken in id order (so two merges over the same needs cannot deadlock)."""
    rows = await tx.run(_FACTS, "needs.merge.merge_facts", ids=sorted(set(need_ids)))
    return [from_row(MergingNeed, row) for row in rows]


async def merge(
    tx: Tx, into: MergingNeed, froms: list[MergingNeed], actor: str, role: str, reason: str | None
) -> list[dict[str, Any]]:
    """Closes `froms` into `into`; the events written, for the outbox."""
    numbers = ", ".join(f.number or f.id for f in froms)
    rows = await tx.run(
        _MERGE,
        "needs.merge.merge",
        into=into.id,
        cancelled=NeedStatus.CANCELLED,
        froms=[
            {
                "id": f.id,
                "event": event_params(
                    actor_id=actor,
                    role=role,
                    from_state=f.status,
                    to_state=NeedStatus.CANCELLED,
                    type=EventType.MERGE,
                    note=f"merged into {into.number or into.id}" + (f": {reason}" if reason else ""),
                ),
            }
            for f in froms
        ],
        event=event_params(
            actor_id=actor,
            role=role,
            from_state=into.status,
            to_state=into.status,
            type=EventType.MERGE,
            note=f"merged {numbers} into this need" + (f": {reason}" if reason else ""),
        ),
    )
    return rows[0]["events"] if rows else []
