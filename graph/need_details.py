"""Reads that hang off a need: its history, its requester and its assignments, batched per page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graph import models
from graph.db import Graph


@dataclass(slots=True)
class Resident:
    id: str
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Assignment:
    id: str
    status: str
    need_id: str
    target_id: str
    target_label: str
    by_id: str | None = None
    note: str | None = None
    accepted_at: datetime | None = None
    completed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


def assignment_from_row(row: dict[str, Any]) -> Assignment:
    return models.from_row(Assignment, row)


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


async def requesters(graph: Graph, need_ids: list[str]) -> dict[str, Resident]:
    rows = await graph.read(_REQUESTERS, ids=list(dict.fromkeys(need_ids)))
    return {row["needId"]: models.from_row(Resident, row["row"]) for row in rows}


_RESIDENT_NEEDS = """
MATCH (x:Need)-[:RAISED_BY]->(:Resident {id: $id})
RETURN x.id AS id ORDER BY x.createdAt DESC, x.id LIMIT $limit
"""


async def needs_of_resident(graph: Graph, resident_id: str, limit: int = 100) -> list[str]:
    return [row["id"] for row in await graph.read(_RESIDENT_NEEDS, id=resident_id, limit=limit)]
