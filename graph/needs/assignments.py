"""Reads of assignments (派单/接单): a page of needs' assignments, a handler's open ones.

An Assignment joins a need to one handler: `(:Assignment)-[:OF]->(:Need)`, `-[:TO]->(:Member|:Unit|:Offering)`,
`-[:BY]->(:User)` (the coordinator who made it). Statuses: INVITED (dispatched or invited, awaiting an
answer), OPEN_CLAIM (抢单: offered to every eligible member), ACTIVE (accepted, being handled), DECLINED,
LAPSED (someone else accepted first, or the need was cancelled), TRANSFERRED, COMPLETED.
"""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Graph
from graph.needs.kinds import HELD

# --- reads for the API ------------------------------------------------------------------------

_BY_NEEDS = """
UNWIND $ids AS nid
MATCH (:Need {id: nid})<-[:OF]-(a:Assignment)-[:TO]->(t)
RETURN nid AS needId, a {.*, needId: nid, targetId: t.id, targetLabel: labels(t)[0],
  byId: [(a)-[:BY]->(u:User) | u.id][0]} AS row
ORDER BY a.createdAt, a.id
"""


async def by_needs(graph: Graph, need_ids: list[str]) -> list[list[dict[str, Any]]]:
    """Every need's assignments, oldest first, in the order of `need_ids` (a DataLoader batch)."""
    rows = await graph.read(_BY_NEEDS, ids=list(dict.fromkeys(need_ids)))
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["needId"], []).append(row["row"])
    return [grouped.get(nid, []) for nid in need_ids]


_OPEN_FOR = """
MATCH (a:Assignment)-[:TO]->(t) WHERE a.status IN $statuses AND (t.id IN $ids OR EXISTS {
  MATCH (t)<-[:OFFERS]-(u:Unit) WHERE u.id IN $ids })
MATCH (a)-[:OF]->(n:Need)
RETURN a {.*, needId: n.id, targetId: t.id, targetLabel: labels(t)[0], byId: [(a)-[:BY]->(u:User) | u.id][0]} AS row
ORDER BY a.createdAt DESC, a.id
LIMIT $limit
"""


async def open_for(graph: Graph, handler_ids: list[str], limit: int = 100) -> list[dict[str, Any]]:
    """Assignments waiting for or held by these handlers (a member, or a unit and its offerings)."""
    rows = await graph.read(_OPEN_FOR, ids=handler_ids, statuses=list(HELD), limit=limit)
    return [row["row"] for row in rows]
