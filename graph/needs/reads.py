"""Reads that hang off a need: its history, its requester and its assignments, batched per page."""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Graph
from graph.kernel.records import from_row
from graph.needs.kinds import Assignment, Event, Resident


def assignment_from_row(row: dict[str, Any]) -> Assignment:
    return from_row(Assignment, row)


_HISTORY = """
UNWIND $ids AS nid
MATCH (:Need {id: nid})<-[:ABOUT]-(e:Event)
RETURN nid AS needId, e {.*, needId: nid} AS row
ORDER BY e.at, e.createdAt, e.id
"""


async def histories(graph: Graph, need_ids: list[str]) -> list[list[Event]]:
    """Every need's events, oldest first, in the order of `need_ids`; one statement."""
    rows = await graph.read(_HISTORY, ids=list(dict.fromkeys(need_ids)))
    grouped: dict[str, list[Event]] = {}
    for row in rows:
        grouped.setdefault(row["needId"], []).append(from_row(Event, row["row"]))
    return [grouped.get(nid, []) for nid in need_ids]


_REQUESTERS = """
UNWIND $ids AS nid
MATCH (:Need {id: nid})-[:RAISED_BY]->(r:Resident)
RETURN nid AS needId, r {.*} AS row
"""


async def requesters(graph: Graph, need_ids: list[str]) -> dict[str, Resident]:
    rows = await graph.read(_REQUESTERS, ids=list(dict.fromkeys(need_ids)))
    return {row["needId"]: from_row(Resident, row["row"]) for row in rows}


_RESIDENT_NEEDS = """
MATCH (x:Need)-[:RAISED_BY|ALSO_RAISED_BY]->(:Resident {id: $id})
RETURN x.id AS id ORDER BY x.createdAt DESC, x.id LIMIT $limit
"""


async def needs_of_resident(graph: Graph, resident_id: str, limit: int = 100) -> list[str]:
    return [row["id"] for row in await graph.read(_RESIDENT_NEEDS, id=resident_id, limit=limit)]
