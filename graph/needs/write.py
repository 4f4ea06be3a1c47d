"""Raising a need in two statements: `intake_facts` (where it is, whether its category and resident
exist) and `create_need` (the resident, the district's next number under its lock, the need, its links
and its first audit Event, in one statement). Later changes go through graph/needs/workflow.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import NotFound
from graph.kernel.ids import label_of, new_id
from graph.kernel.records import from_row
from graph.needs.audit import EVENT_CREATE, event_params
from graph.needs.kinds import EventType, NeedStatus
from graph.needs.open311 import BECAME

_INTAKE = {
    label: f"""
OPTIONAL MATCH (p:{label} {{id: $placeId}})
OPTIONAL MATCH (p)-[:IN*0..3]->(d:District)
RETURN p.id AS id, '{label}' AS label, d.id AS districtId, d.code AS districtCode,
  [(p)-[:IN*0..3]->(x) | x.id] + [p.id] AS placeIds,
  EXISTS {{ MATCH (:Category {{code: $category}}) }} AS categoryExists,
  $residentId IS NULL OR EXISTS {{ MATCH (:Resident {{id: $residentId}}) }} AS residentExists
"""
    for label in ("Compound", "Community")
}


@dataclass(frozen=True, slots=True)
class Intake:
    """Where a need is raised (a compound or community, with its district and every place above it), and
    whether the category and the known resident it names exist."""

    id: str
    label: str  # Compound or Community
    district_id: str | None
    district_code: str | None
    place_ids: list[str]
    category_exists: bool
    resident_exists: bool  # True when it names none


async def intake_facts(tx: Tx, place_id: str, category_code: str, resident_id: str | None) -> Intake:
    """The compound or community a need is raised at, and whether the category and resident named exist."""
    label = label_of(place_id, expected=("Compound", "Community"), field="placeId")
    row = await tx.single(_INTAKE[label], placeId=place_id, category=category_code, residentId=resident_id)
    if row is None or row["id"] is None:
        raise NotFound(f"no compound or community with id {place_id!r}", id=place_id, field="placeId")
    return from_row(Intake, row)


def need_number(year: int, district_code: str, seq: int) -> str:
    """A human need number, unique per district: XA-2026-610103-000042 (seeded and live needs alike)."""
    return f"XA-{year}-{district_code}-{seq:06d}"


# The district's counter is read after its lock (the first SET), so two submissions never share a number.
_CREATE = {
    label: f"""
MATCH (p:{label} {{id: $placeId}})-[:IN*0..3]->(d:District)
MATCH (k:Category {{code: $categoryCode}})
SET d._lock = true REMOVE d._lock
SET d.needSeq = coalesce(d.needSeq, 0) + 1
WITH p, d, k, d.needSeq AS seq
MERGE (r:Resident {{id: $resident.id}})
ON CREATE SET r.createdAt = datetime()
SET r.name = coalesce($resident.name, r.name), r.phone = coalesce($resident.phone, r.phone),
    r.email = coalesce($resident.email, r.email), r.address = coalesce($resident.address, r.address)
FOREACH (_ IN CASE WHEN $livesIn IS NULL OR p.id <> $livesIn THEN [] ELSE [1] END | MERGE (r)-[:LIVES_IN]->(p))
CREATE (n:Need {{id: $id, title: $title, description: $description, status: $status,
  number: 'XA-' + toString($year) + '-' + d.code + '-'
    + CASE WHEN seq < 1000000 THEN right('00000' + toString(seq), 6) ELSE toString(seq) END,
  channel: $channel, urgency: $urgency, peopleNeeded: $peopleNeeded, level: 'COMMUNITY',
  windowStart: $windowStart, windowEnd: $windowEnd, location: p.location, mediaUrl: $mediaUrl,
  createdAt: datetime(), updatedAt: datetime()}})
CREATE (n)-[:AT]->(p), (n)-[:OF]->(k), (n)-[:RAISED_BY]->(r)
{EVENT_CREATE}
{BECAME}
RETURN n.id AS id, n.number AS number, e {{.*, needId: n.id}} AS event
"""
    for label in ("Compound", "Community")
}


async def create_need(
    tx: Tx,
    place: Intake,
    fields: dict[str, Any],
    resident: dict[str, Any],
    actor: tuple[str, str],
    year: int,
    placed_from: str | None = None,
) -> dict[str, Any]:
    """The need (SUBMITTED), numbered in its district, raised by `resident` ({id, name?, phone?, email?, address?,
    livesIn?}: created or completed when details are given), with its SUBMIT Event; returns
    {id, number, event}. `placed_from`: the id of the unplaced Open311 request it becomes."""
    row = await tx.single(
        _CREATE[place.label],
        placeId=place.id,
        id=new_id("need"),
        status=NeedStatus.SUBMITTED.value,
        resident={key: resident.get(key) for key in ("id", "name", "phone", "email", "address")},
        livesIn=resident.get("livesIn"),
        year=year,
        placedFrom={"id": placed_from, "by": actor[0]} if placed_from else None,
        event=event_params(
            actor_id=actor[0],
            role=actor[1],
            from_state=None,
            to_state=NeedStatus.SUBMITTED,
            type=EventType.SUBMIT,
            note=f"channel {fields['channel']}",
        ),
        **fields,
    )
    assert row is not None, "the place, its district and the category were read in this transaction"
    return row


# After a bulk load: each district's counter continues after the needs it already numbered (one per need).
_NEED_SEQUENCES = """
MATCH (d:District)
SET d.needSeq = COUNT { (d)<-[:IN]-(:Street)<-[:IN]-(:Community)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(:Need) }
"""


async def set_need_sequences(graph: Graph) -> None:
    await graph.write(_NEED_SEQUENCES)
