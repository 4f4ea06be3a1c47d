"""Cypher for what partners put at the community's disposal: offerings, venues, funding programs.

Same conventions as graph/partners/registration.py: inside the caller's transaction. Each mutation sends two
statements (issue 9): its facts, where the node is locked and every reference the input names (codes,
places, units) is looked up at once (`registration.checks`), then one write with the links it
replaces as `CALL` subqueries. Creation takes rows so the CSV import shares the statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import NotFound
from graph.kernel.records import from_row
from graph.partners.registration import LOCKED_UNIT, SET_PROPS, UNIT_FACTS, Registered, check_params, checks


def _replace_links(rel: str, target: str, param: str, *, key: str = "id", many: bool = False) -> str:
    """A subquery replacing x's `rel` links to `target` nodes by the one (or, `many`, those) named in
    $param; left as they are when $param is null. Fixed names, never input."""
    find = (
        f"UNWIND ${param} AS wanted MATCH (t:{target} {{{key}: wanted}})"
        if many
        else (f"MATCH (t:{target} {{{key}: ${param}}})")
    )
    return f"""
CALL (x) {{
  WITH x WHERE ${param} IS NOT NULL
  OPTIONAL MATCH (x)-[old:{rel}]->(:{target})
  DELETE old
  WITH DISTINCT x
  {find}
  MERGE (x)-[:{rel}]->(t)
}}"""


# Areas are District, Street or Community ids, checked to exist by the caller.
_REPLACE_AREAS = """
CALL (x) {
  WITH x WHERE $areaIds IS NOT NULL
  OPTIONAL MATCH (x)-[old:IN_AREA]->()
  DELETE old
  WITH DISTINCT x
  UNWIND $areaIds AS aid
  OPTIONAL MATCH (d:District {id: aid})
  OPTIONAL MATCH (s:Street {id: aid})
  OPTIONAL MATCH (c:Community {id: aid})
  WITH x, coalesce(c, s, d) AS area
  MERGE (x)-[:IN_AREA]->(area)
}"""


def _missing(row: dict[str, Any] | None, what: str, node_id: str) -> dict[str, Any]:
    if row is None:
        raise NotFound(f"no {what} with id {node_id!r}", id=node_id)
    return row


# What each statement below looks up with its facts (`registration.checks`): `codes`, those of the codes
# named that exist (check with `check_codes`), and `places`, the rows to check with `checked_places`.


@dataclass(frozen=True, slots=True)
class References:
    codes: list[str]
    places: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class LockedOffering(References):
    id: str
    status: str
    unit_id: str | None
    place_ids: list[str]  # where its unit is registered, and the places above


@dataclass(frozen=True, slots=True)
class VenueRegistration(References):
    owner_id: str | None  # the unit to own the venue, when it exists (locked)
    taken_by: str | None  # the venue already holding the new one's natural key


@dataclass(frozen=True, slots=True)
class LockedVenue(References):
    id: str
    name: str
    community_id: str | None
    registry_code: str | None
    owner_id: str | None
    place_ids: list[str]  # its community and the places above
    new_owner_id: str | None  # the unit to own it instead, when it exists (locked)


@dataclass(frozen=True, slots=True)
class LockedProgram(References):
    id: str
    level: str
    budget: int
    spent: int
    cap_per_grant: int | None
    period_start: date | None
    period_end: date | None
    district_ids: list[str]


# --- offerings ---------------------------------------------------------------------------------

_OFFERING_REGISTRATION = f"{LOCKED_UNIT}RETURN {UNIT_FACTS}, {checks('Category')}"


async def offering_registration_facts(tx: Tx, unit_id: str, category_code: str, area_ids: Iterable[str]) -> Registered:
    """The unit under its lock (as `registration.unit_facts`), plus `codes` and `places` (see `checks`)."""
    row = await tx.single(_OFFERING_REGISTRATION, id=unit_id, **check_params([category_code], area_ids))
    return from_row(Registered, _missing(row, "unit", unit_id))


_OFFERING_FACTS = f"""
MATCH (o:Offering {{id: $id}})
SET o._lock = true REMOVE o._lock
WITH o, [(u:Unit)-[:OFFERS]->(o) | u][0] AS u
RETURN o.id AS id, o.status AS status, u.id AS unitId,
  coalesce([(u)-[:REGISTERED_WITH]->(:Community)-[:IN*0..2]->(p) | p.id], []) AS placeIds, {checks("Category")}
"""


async def offering_facts(
    tx: Tx, offering_id: str, category_codes: Iterable[str] = (), area_ids: Iterable[str] = ()
) -> LockedOffering:
    """The offering under its lock: status, unit and the unit's places; `codes` and `places` as `checks`."""
    row = await tx.single(_OFFERING_FACTS, id=offering_id, **check_params(category_codes, area_ids))
    return from_row(LockedOffering, _missing(row, "offering", offering_id))


_CREATE_OFFERING = f"""
MATCH (u:Unit {{id: $unitId}}), (k:Category {{code: $categoryCode}})
CREATE (u)-[:OFFERS]->(x:Offering {{id: $id, title: $title, description: $description, capacity: $capacity,
                                   openLoad: 0, availability: $availability, status: 'ACTIVE',
                                   createdAt: datetime()}})-[:SERVES]->(k)
WITH x{_REPLACE_AREAS}
RETURN x.id AS id
"""

_UPDATE_OFFERING = f"""
MATCH (x:Offering {{id: $id}}){_replace_links("SERVES", "Category", "categoryCode", key="code")}{_REPLACE_AREAS}
{SET_PROPS}
RETURN x.id AS id
"""


async def create_offering(tx: Tx, row: dict[str, Any]) -> str:
    """Row: id, unitId, title, description, capacity, categoryCode, availability, areaIds (checked by the caller)."""
    created = await tx.single(_CREATE_OFFERING, **row)
    assert created is not None, "the caller checked the unit and the category"
    return created["id"]


async def update_offering(
    tx: Tx, offering_id: str, props: dict[str, Any], category_code: str | None, area_ids: list[str] | None
) -> None:
    """The given properties, and the category and areas when given (None leaves them); the caller locked it."""
    await tx.run(
        _UPDATE_OFFERING, id=offering_id, props=props, location=None, categoryCode=category_code, areaIds=area_ids
    )


# --- venues ------------------------------------------------------------------------------------

# The unit that will own the venue, locked (none when $owner is null or unknown), and the references.
_OWNER = """
OPTIONAL MATCH (owner:Unit {id: $owner})
SET owner._lock = true REMOVE owner._lock
"""

_VENUE_REGISTRATION = f"""{_OWNER}WITH owner
RETURN owner.id AS ownerId, COLLECT {{ MATCH (v:Venue {{rosterKey: $key}}) RETURN v.id }}[0] AS takenBy,
  {checks("Facility")}"""


async def venue_registration_facts(
    tx: Tx, owner_unit_id: str | None, community_id: str, facilities: Iterable[str], key: str
) -> VenueRegistration:
    """The owner unit's id when it exists (locked); the venue holding the natural `key` already, if any;
    `codes` and `places` as `checks`."""
    row = await tx.single(_VENUE_REGISTRATION, owner=owner_unit_id, key=key, **check_params(facilities, [community_id]))
    assert row is not None
    return from_row(VenueRegistration, row)


_VENUE_FACTS = f"""
MATCH (v:Venue {{id: $id}})
SET v._lock = true REMOVE v._lock
WITH v{_OWNER}WITH v, owner
RETURN v.id AS id, v.name AS name, v.registryCode AS registryCode,
  [(v)-[:AT]->(c:Community) | c.id][0] AS communityId, [(v)-[:OWNED_BY]->(u:Unit) | u.id][0] AS ownerId,
  [(v)-[:AT]->(:Community)-[:IN*0..2]->(p) | p.id] AS placeIds, owner.id AS newOwnerId, {checks("Facility")}
"""


async def venue_facts(
    tx: Tx,
    venue_id: str,
    *,
    new_owner_id: str | None = None,
    community_id: str | None = None,
    facilities: Iterable[str] = (),
) -> LockedVenue:
    """The venue under its lock (owner, places); the new owner when that unit exists (locked); `codes` and
    `places` (for `community_id`) as `checks`."""
    places = [community_id] if community_id is not None else []
    row = await tx.single(_VENUE_FACTS, id=venue_id, owner=new_owner_id, **check_params(facilities, places))
    return from_row(LockedVenue, _missing(row, "venue", venue_id))


_CREATE_VENUES = """
UNWIND $rows AS row
MATCH (c:Community {id: row.communityId})
CREATE (v:Venue {id: row.id, name: row.name, kind: row.kind, capacity: row.capacity, areaSqm: row.areaSqm,
                 openingHours: row.openingHours, feePerHour: row.feePerHour, address: row.address,
                 registryCode: row.registryCode, rosterKey: row.rosterKey, createdAt: datetime()})-[:AT]->(c)
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
    address, registryCode, rosterKey (graph.venues.kinds.venue_key), location (the community's when absent).
    References are checked by the caller."""
    return [row["id"] for row in await tx.run(_CREATE_VENUES, rows=rows)]


# A venue is the same venue when its natural key is (`rosterKey`, graph.venues.kinds.venue_key; unique,
# migration 16): as units and members (graph/partners/registration.py), MERGE on it takes the constraint's
# lock, so of two imports racing over one row exactly one creates the venue; a row that differs from the
# stored venue updates it (its community, owner and facilities too, when found by its registry code).
_UPSERT_VENUES = """
UNWIND $rows AS row
MATCH (c:Community {id: row.communityId})
MERGE (v:Venue {rosterKey: row.rosterKey})
ON CREATE SET v.id = row.id, v.createdAt = datetime(), v._created = true
WITH v, c, row, coalesce(v._created, false) AS created, [(v)-[:HAS]->(f:Facility) | f.code] AS had,
  [(v)-[:AT]->(at:Community) | at.id][0] AS at, [(v)-[:OWNED_BY]->(u:Unit) | u.id][0] AS owner
REMOVE v._created
WITH v, c, row, created, created OR NOT (
  v.name = row.name AND v.kind = row.kind AND v.capacity = row.capacity
  AND coalesce(v.areaSqm, -1.0) = coalesce(row.areaSqm, -1.0) AND v.openingHours = row.openingHours
  AND v.feePerHour = row.feePerHour AND coalesce(v.address, '') = coalesce(row.address, '')
  AND coalesce(v.registryCode, '') = coalesce(row.registryCode, '')
  AND (row.location IS NULL OR v.location = point(row.location))
  AND coalesce(at, '') = row.communityId AND coalesce(owner, '') = coalesce(row.ownerUnitId, '')
  AND size(had) = size(row.facilities) AND all(code IN row.facilities WHERE code IN had)) AS changed
CALL (v, c, row, created, changed) {
  WITH v, c, row, created, changed WHERE changed
  SET v.name = row.name, v.kind = row.kind, v.capacity = row.capacity, v.areaSqm = row.areaSqm,
      v.openingHours = row.openingHours, v.feePerHour = row.feePerHour, v.address = row.address,
      v.registryCode = row.registryCode
  SET v.location = CASE WHEN row.location IS NULL THEN coalesce(v.location, c.location) ELSE point(row.location) END
  FOREACH (_ IN CASE WHEN created THEN [] ELSE [1] END | SET v.updatedAt = datetime())
  WITH v, c, row
  CALL (v, c) { MATCH (v)-[old:AT]->(other) WHERE other <> c DELETE old }
  MERGE (v)-[:AT]->(c)
  WITH v, row
  CALL (v, row) { MATCH (v)-[old:HAS]->(f:Facility) WHERE NOT f.code IN row.facilities DELETE old }
  CALL (v, row) { UNWIND row.facilities AS code MATCH (f:Facility {code: code}) MERGE (v)-[:HAS]->(f) }
  CALL (v, row) { MATCH (v)-[old:OWNED_BY]->(u:Unit) WHERE u.id <> coalesce(row.ownerUnitId, '') DELETE old }
  CALL (v, row) { MATCH (u:Unit {id: row.ownerUnitId}) MERGE (v)-[:OWNED_BY]->(u) }
}
RETURN v.id AS id, CASE WHEN created THEN 'CREATED' WHEN changed THEN 'UPDATED' ELSE 'UNCHANGED' END AS outcome
"""


async def upsert_venues(tx: Tx, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Venues matched by their natural key (rows as `create_venues`'): [{id, outcome}] in the rows' order."""
    return [dict(row) for row in await tx.run(_UPSERT_VENUES, rows=rows)]


_VENUE_LINKS = (
    _replace_links("AT", "Community", "communityId")
    + _replace_links("OWNED_BY", "Unit", "ownerId")
    + _replace_links("HAS", "Facility", "facilities", key="code", many=True)
)
_UPDATE_VENUE = f"""
MATCH (x:Venue {{id: $id}}){_VENUE_LINKS}
{SET_PROPS}
RETURN x.id AS id
"""


async def update_venue(
    tx: Tx,
    venue_id: str,
    props: dict[str, Any],
    location: dict | None,
    *,
    community_id: str | None,
    owner_unit_id: str | None,
    facilities: list[str] | None,
    key: str,
) -> None:
    """Properties and location, the community, owner and facilities when given (None leaves them as they
    are), and the natural `key` they make; the caller locked the venue and checked every reference."""
    await tx.run(
        _UPDATE_VENUE,
        id=venue_id,
        props={**props, "rosterKey": key},
        location=location,
        communityId=community_id,
        ownerId=owner_unit_id,
        facilities=facilities,
    )


# --- funding programs --------------------------------------------------------------------------

_PROGRAM_REGISTRATION = f"RETURN {checks('Category')}"


async def program_registration_facts(tx: Tx, categories: Iterable[str], district_ids: Iterable[str]) -> References:
    """`codes` and `places` (see `checks`) for a new program's categories and districts."""
    row = await tx.single(_PROGRAM_REGISTRATION, **check_params(categories, district_ids))
    assert row is not None
    return from_row(References, row)


_PROGRAM_FACTS = f"""
MATCH (f:FundingProgram {{id: $id}})
SET f._lock = true REMOVE f._lock
RETURN f.id AS id, f.level AS level, f.budget AS budget, coalesce(f.spent, 0) AS spent,
  f.capPerGrant AS capPerGrant, f.periodStart AS periodStart, f.periodEnd AS periodEnd,
  [(f)-[:AVAILABLE_IN]->(d:District) | d.id] AS districtIds, {checks("Category")}
"""


async def program_facts(
    tx: Tx, program_id: str, categories: Iterable[str] = (), district_ids: Iterable[str] = ()
) -> LockedProgram:
    """The program under its lock; `codes` and `places` as `checks` for the categories and districts."""
    row = await tx.single(_PROGRAM_FACTS, id=program_id, **check_params(categories, district_ids))
    if row is None:
        raise NotFound(f"no funding program with id {program_id!r}", id=program_id)
    return from_row(LockedProgram, row)


_PROGRAM_LINKS = _replace_links("COVERS", "Category", "categories", key="code", many=True) + _replace_links(
    "AVAILABLE_IN", "District", "districtIds", many=True
)

_CREATE_PROGRAM = f"""
CREATE (x:FundingProgram {{id: $id, name: $name, source: $source, level: $level, funds: $funds, budget: $budget,
                          spent: 0,
                          capPerGrant: $capPerGrant, periodStart: $periodStart, periodEnd: $periodEnd,
                          createdAt: datetime()}})
WITH x{_PROGRAM_LINKS}
RETURN x.id AS id
"""

_UPDATE_PROGRAM = f"""
MATCH (x:FundingProgram {{id: $id}}){_PROGRAM_LINKS}
{SET_PROPS}
RETURN x.id AS id
"""


async def create_program(tx: Tx, row: dict[str, Any]) -> str:
    """Row: id, name, source, level, funds, budget, capPerGrant, periodStart, periodEnd, categories, districtIds."""
    created = await tx.single(_CREATE_PROGRAM, **row)
    assert created is not None
    return created["id"]


async def update_program(
    tx: Tx, program_id: str, props: dict[str, Any], *, categories: list[str] | None, district_ids: list[str] | None
) -> None:
    """The given properties, and the categories and/or districts covered (None leaves them as they are)."""
    await tx.run(
        _UPDATE_PROGRAM, id=program_id, props=props, location=None, categories=categories, districtIds=district_ids
    )
