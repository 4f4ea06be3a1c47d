"""Cypher for what partners put at the community's disposal: offerings, venues, funding programs.

Same conventions as graph/registration.py: inside the caller's transaction, `*_facts` lock first,
creation takes rows so the CSV import shares the statement.
"""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import NotFound

# --- offerings ---------------------------------------------------------------------------------

_OFFERING_FACTS = """
MATCH (o:Offering {id: $id})
SET o._lock = true REMOVE o._lock
WITH o, [(u:Unit)-[:OFFERS]->(o) | u][0] AS u
RETURN o.id AS id, o.status AS status, u.id AS unitId,
  coalesce([(u)-[:REGISTERED_WITH]->(:Community)-[:IN*0..2]->(p) | p.id], []) AS placeIds
"""


async def offering_facts(tx: Tx, offering_id: str) -> dict[str, Any]:
    row = await tx.single(_OFFERING_FACTS, id=offering_id)
    if row is None:
        raise NotFound(f"no offering with id {offering_id!r}", id=offering_id)
    return row


_CREATE_OFFERING = """
MATCH (u:Unit {id: $unitId}), (k:Category {code: $categoryCode})
CREATE (u)-[:OFFERS]->(o:Offering {id: $id, title: $title, description: $description, capacity: $capacity,
                                   openLoad: 0, availability: $availability, status: 'ACTIVE',
                                   createdAt: datetime()})-[:SERVES]->(k)
RETURN o.id AS id
"""

# Areas are District, Street or Community ids, checked to exist by the caller.
_SET_AREAS = """
MATCH (o:Offering {id: $id})
OPTIONAL MATCH (o)-[old:IN_AREA]->()
DELETE old
WITH DISTINCT o
UNWIND $areaIds AS aid
OPTIONAL MATCH (d:District {id: aid})
OPTIONAL MATCH (s:Street {id: aid})
OPTIONAL MATCH (c:Community {id: aid})
WITH o, coalesce(c, s, d) AS area
MERGE (o)-[:IN_AREA]->(area)
RETURN count(*) AS areas
"""

_SET_CATEGORY = """
MATCH (o:Offering {id: $id}), (k:Category {code: $code})
OPTIONAL MATCH (o)-[old:SERVES]->(:Category)
DELETE old
WITH DISTINCT o, k
MERGE (o)-[:SERVES]->(k)
RETURN o.id AS id
"""


async def create_offering(tx: Tx, row: dict[str, Any]) -> str:
    created = await tx.single(_CREATE_OFFERING, **{k: v for k, v in row.items() if k != "areaIds"})
    assert created is not None, "the caller checked the unit and the category"
    await set_offering_areas(tx, row["id"], row["areaIds"])
    return created["id"]


async def set_offering_areas(tx: Tx, offering_id: str, area_ids: list[str]) -> None:
    await tx.run(_SET_AREAS, id=offering_id, areaIds=area_ids)


async def set_offering_category(tx: Tx, offering_id: str, code: str) -> None:
    await tx.run(_SET_CATEGORY, id=offering_id, code=code)


# --- venues ------------------------------------------------------------------------------------

_VENUE_FACTS = """
MATCH (v:Venue {id: $id})
SET v._lock = true REMOVE v._lock
RETURN v.id AS id, [(v)-[:OWNED_BY]->(u:Unit) | u.id][0] AS ownerId,
  [(v)-[:AT]->(:Community)-[:IN*0..2]->(p) | p.id] AS placeIds
"""


async def venue_facts(tx: Tx, venue_id: str) -> dict[str, Any]:
    row = await tx.single(_VENUE_FACTS, id=venue_id)
    if row is None:
        raise NotFound(f"no venue with id {venue_id!r}", id=venue_id)
    return row


_CREATE_VENUES = """
UNWIND $rows AS row
MATCH (c:Community {id: row.communityId})
CREATE (v:Venue {id: row.id, name: row.name, kind: row.kind, capacity: row.capacity, areaSqm: row.areaSqm,
                 openingHours: row.openingHours, feePerHour: row.feePerHour, address: row.address,
                 createdAt: datetime()})-[:AT]->(c)
SET v.location = CASE WHEN row.location IS NULL THEN c.location ELSE point(row.location) END
WITH v, row
CALL (v, row) {
  UNWIND row.facilities AS code
  MATCH (f:Facility {code: code})
  MERGE (v)-[:HAS]->(f)
  RETURN count(*) AS facilities
}
CALL (v, row) {
  OPTIONAL MATCH (u:Unit {id: row.ownerUnitId})
  FOREACH (_ IN CASE WHEN u IS NULL THEN [] ELSE [1] END | MERGE (v)-[:OWNED_BY]->(u))
  RETURN count(*) AS owners
}
RETURN v.id AS id
"""


async def create_venues(tx: Tx, rows: list[dict[str, Any]]) -> list[str]:
    """Rows: id, name, kind, communityId, ownerUnitId, capacity, areaSqm, facilities, openingHours, feePerHour,
    address, location (the community's when absent). References are checked by the caller."""
    return [row["id"] for row in await tx.run(_CREATE_VENUES, rows=rows)]


# (label, relationship, target label): replaces the one link of that kind; fixed keys, never input.
_RELINKABLE = (("Venue", "AT", "Community"), ("Venue", "OWNED_BY", "Unit"))
_RELINK = {
    key: f"""
MATCH (x:{key[0]} {{id: $id}}), (t:{key[2]} {{id: $target}})
OPTIONAL MATCH (x)-[old:{key[1]}]->(:{key[2]})
DELETE old
WITH DISTINCT x, t
MERGE (x)-[:{key[1]}]->(t)
RETURN x.id AS id
"""
    for key in _RELINKABLE
}

_SET_FACILITIES = """
MATCH (v:Venue {id: $id})
OPTIONAL MATCH (v)-[old:HAS]->(:Facility)
DELETE old
WITH DISTINCT v
UNWIND $codes AS code
MATCH (f:Facility {code: code})
MERGE (v)-[:HAS]->(f)
RETURN count(*) AS facilities
"""


async def relink(tx: Tx, label: str, rel: str, target_label: str, node_id: str, target_id: str) -> None:
    await tx.run(_RELINK[(label, rel, target_label)], id=node_id, target=target_id)


async def set_facilities(tx: Tx, venue_id: str, codes: list[str]) -> None:
    await tx.run(_SET_FACILITIES, id=venue_id, codes=codes)


# --- funding programs --------------------------------------------------------------------------

_PROGRAM_FACTS = """
MATCH (f:FundingProgram {id: $id})
SET f._lock = true REMOVE f._lock
RETURN f.id AS id, f.level AS level, f.budget AS budget, coalesce(f.spent, 0) AS spent,
  f.capPerGrant AS capPerGrant, f.periodStart AS periodStart, f.periodEnd AS periodEnd,
  [(f)-[:AVAILABLE_IN]->(d:District) | d.id] AS districtIds
"""


async def program_facts(tx: Tx, program_id: str) -> dict[str, Any]:
    row = await tx.single(_PROGRAM_FACTS, id=program_id)
    if row is None:
        raise NotFound(f"no funding program with id {program_id!r}", id=program_id)
    return row


_CREATE_PROGRAM = """
CREATE (f:FundingProgram {id: $id, name: $name, source: $source, level: $level, budget: $budget, spent: 0,
                          capPerGrant: $capPerGrant, periodStart: $periodStart, periodEnd: $periodEnd,
                          createdAt: datetime()})
RETURN f.id AS id
"""

_SET_PROGRAM_LINKS = """
MATCH (f:FundingProgram {id: $id})
CALL (f) {
  WITH f WHERE $categories IS NOT NULL
  OPTIONAL MATCH (f)-[old:COVERS]->(:Category)
  DELETE old
  WITH DISTINCT f
  UNWIND $categories AS code
  MATCH (k:Category {code: code})
  MERGE (f)-[:COVERS]->(k)
  RETURN count(*) AS categories
}
CALL (f) {
  WITH f WHERE $districtIds IS NOT NULL
  OPTIONAL MATCH (f)-[old:AVAILABLE_IN]->(:District)
  DELETE old
  WITH DISTINCT f
  UNWIND $districtIds AS did
  MATCH (d:District {id: did})
  MERGE (f)-[:AVAILABLE_IN]->(d)
  RETURN count(*) AS districts
}
RETURN f.id AS id
"""


async def create_program(tx: Tx, row: dict[str, Any]) -> str:
    links = {"categories": row.pop("categories"), "districtIds": row.pop("districtIds")}
    created = await tx.single(_CREATE_PROGRAM, **row)
    assert created is not None
    await set_program_links(tx, created["id"], **links)
    return created["id"]


async def set_program_links(
    tx: Tx, program_id: str, *, categories: list[str] | None, districtIds: list[str] | None
) -> None:
    """Replaces the categories and/or districts a program covers (None leaves them as they are)."""
    await tx.run(_SET_PROGRAM_LINKS, id=program_id, categories=categories, districtIds=districtIds)
