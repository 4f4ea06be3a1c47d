"""Cypher that writes needs and residents. Callers lock the need (graph/locks.py) before reading its state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import BadUserInput, NotFound
from graph.kernel.ids import label_of, new_id

# What a mutation needs to know about a need to decide and to announce: state, place, people.
_STATE = """
MATCH (n:Need {id: $id})
RETURN n.id AS id, n.number AS number, n.status AS status, n.urgency AS urgency, n.level AS level,
  n.statusBeforeSuspension AS statusBeforeSuspension,
  [(n)-[:OF]->(k:Category) | k.code][0] AS categoryCode,
  [(n)-[:RAISED_BY]->(r:Resident) | r.id][0] AS requesterId,
  [(n)-[:AT]->(:Compound|Community)-[:IN*0..3]->(p) | p.id] AS placeIds
"""


async def need_state(tx: Tx, need_id: str) -> dict[str, Any]:
    row = await tx.single(_STATE, id=need_id)
    if row is None:
        raise NotFound(f"no need with id {need_id!r}", id=need_id)
    return row


_PLACE = """
MATCH (p {id: $id}) WHERE p:Compound OR p:Community
OPTIONAL MATCH (p)-[:IN*0..3]->(d:District)
RETURN p.id AS id, labels(p)[0] AS label, d.id AS districtId, d.code AS districtCode, p.location AS location,
  [(p)-[:IN*0..3]->(x) | x.id] + [p.id] AS placeIds
"""


async def place(tx: Tx, place_id: str) -> dict[str, Any]:
    """A compound or community a need can be raised at, with its district (for the need number)."""
    label_of(place_id, expected=("Compound", "Community"), field="placeId")
    row = await tx.single(_PLACE, id=place_id)
    if row is None:
        raise NotFound(f"no compound or community with id {place_id!r}", id=place_id, field="placeId")
    return row


# The lock is taken by the SET before the counter is read, so two submissions never share a number.
_NEXT_NUMBER = """
MATCH (d:District {id: $district})
SET d._lock = true
WITH d, coalesce(d.needSeq, 0) + 1 AS seq
SET d.needSeq = seq
REMOVE d._lock
RETURN seq
"""


def need_number(year: int, district_code: str, seq: int) -> str:
    """A human need number, unique per district: XA-2026-610103-000042 (seeded and live needs alike)."""
    return f"XA-{year}-{district_code}-{seq:06d}"


async def next_number(tx: Tx, district_id: str, district_code: str, year: int) -> str:
    row = await tx.single(_NEXT_NUMBER, district=district_id)
    assert row is not None, "the district was matched with the place in the same transaction"
    return need_number(year, district_code, row["seq"])


# After a bulk load: each district's counter continues after the needs it already numbered (one per need).
_NEED_SEQUENCES = """
MATCH (d:District)
SET d.needSeq = COUNT { (d)<-[:IN]-(:Street)<-[:IN]-(:Community)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(:Need) }
"""


async def set_need_sequences(graph: Graph) -> None:
    await graph.write(_NEED_SEQUENCES)


async def category_exists(tx: Tx, code: str) -> None:
    if not await tx.run("MATCH (k:Category {code: $code}) RETURN k.code AS code", code=code):
        raise BadUserInput(f"categoryCode {code!r} is not a known category", field="categoryCode")


_RESIDENT = """
MERGE (r:Resident {id: $id})
ON CREATE SET r.createdAt = datetime()
SET r.name = coalesce($name, r.name), r.phone = coalesce($phone, r.phone), r.address = coalesce($address, r.address)
WITH r
OPTIONAL MATCH (c:Compound {id: $compound})
FOREACH (_ IN CASE WHEN c IS NULL THEN [] ELSE [1] END | MERGE (r)-[:LIVES_IN]->(c))
RETURN r.id AS id
"""


async def upsert_resident(
    tx: Tx,
    resident_id: str | None,
    *,
    name: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    compound_id: str | None = None,
) -> str:
    """The resident (created when `resident_id` is None), with any contact details given."""
    row = await tx.single(
        _RESIDENT,
        id=resident_id or new_id("resident"),
        name=name,
        phone=phone,
        address=address,
        compound=compound_id,
    )
    assert row is not None
    return row["id"]


async def resident_exists(tx: Tx, resident_id: str) -> bool:
    return bool(await tx.run("MATCH (r:Resident {id: $id}) RETURN r.id AS id", id=resident_id))


_CREATE = """
MATCH (p {id: $placeId}) WHERE p:Compound OR p:Community
MATCH (k:Category {code: $categoryCode})
MATCH (r:Resident {id: $residentId})
CREATE (n:Need {id: $id, number: $number, title: $title, description: $description, status: 'SUBMITTED',
  channel: $channel, urgency: $urgency, peopleNeeded: $peopleNeeded, level: 'COMMUNITY',
  windowStart: $windowStart, windowEnd: $windowEnd, location: coalesce(point($location), p.location),
  createdAt: datetime(), updatedAt: datetime()})
CREATE (n)-[:AT]->(p), (n)-[:OF]->(k), (n)-[:RAISED_BY]->(r)
RETURN n.id AS id
"""


async def create_need(tx: Tx, fields: dict[str, Any]) -> str:
    need_id = new_id("need")
    await tx.run(_CREATE, id=need_id, **fields)
    return need_id


async def update_need(tx: Tx, need_id: str, changes: dict[str, Any], category_code: str | None) -> None:
    await tx.run("MATCH (n:Need {id: $id}) SET n += $changes, n.updatedAt = datetime()", id=need_id, changes=changes)
    if category_code is not None:
        await tx.run(
            "MATCH (n:Need {id: $id})-[old:OF]->(:Category) DELETE old "
            "WITH DISTINCT n MATCH (k:Category {code: $code}) CREATE (n)-[:OF]->(k)",
            id=need_id,
            code=category_code,
        )


async def set_status(tx: Tx, need_id: str, status: str, **props: Any) -> None:
    """Moves the need to `status`, setting any extra properties (deadlines) in the same statement."""
    await tx.run(
        "MATCH (n:Need {id: $id}) SET n += $props, n.status = $status, n.updatedAt = datetime()",
        id=need_id,
        status=status,
        props=props,
    )


def as_iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
