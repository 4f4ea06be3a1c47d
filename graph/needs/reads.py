"""Reads that hang off a need: its history, its requester and its assignments, batched per page."""

from __future__ import annotations

from typing import Any

from graph.kernel import models
from graph.kernel.db import Graph


def assignment_from_row(row: dict[str, Any]) -> models.Assignment:
    return models.from_row(models.Assignment, row)


_HISTORY = """
UNWIND $ids AS nid
MATCH (:Need {id: nid})<-[:ABOUT]-(e:Event)
RETURN nid AS needId, e {.*, needId: nid} AS row
ORDER BY e.at, e.createdAt, e.id
"""


async def histories(graph: Graph, need_ids: list[str]) -> list[list[models.Event]]:
    """Every need's events, oldest first, in the order of `need_ids`; one statement."""
    rows = await graph.read(_HISTORY, ids=list(dict.fromkeys(need_ids)))
    grouped: dict[str, list[models.Event]] = {}
    for row in rows:
        grouped.setdefault(row["needId"], []).append(models.from_row(models.Event, row["row"]))
    return [grouped.get(nid, []) for nid in need_ids]


_REQUESTERS = """
UNWIND $ids AS nid
MATCH (:Need {id: nid})-[:RAISED_BY]->(r:Resident)
RETURN nid AS needId, r {.*} AS row
"""


async def requesters(graph: Graph, need_ids: list[str]) -> dict[str, models.Resident]:
    rows = await graph.read(_REQUESTERS, ids=list(dict.fromkeys(need_ids)))
    return {row["needId"]: models.from_row(models.Resident, row["row"]) for row in rows}


_RESIDENT_NEEDS = """
MATCH (x:Need)-[:RAISED_BY]->(:Resident {id: $id})
RETURN x.id AS id ORDER BY x.createdAt DESC, x.id LIMIT $limit
"""


async def needs_of_resident(graph: Graph, resident_id: str, limit: int = 100) -> list[str]:
    return [row["id"] for row in await graph.read(_RESIDENT_NEEDS, id=resident_id, limit=limit)]
