"""Cypher for partner registration: units, members, 双报到 and weekly availability.

Every function runs inside the caller's transaction. Creation takes a list of rows (UNWIND), so a
mutation writes one row and the CSV import a whole batch with the same statement. `*_facts`
functions take the node's write lock first (see graph/kernel/locks.py), so the authorisation facts they
return cannot change before the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import NotFound
from graph.kernel.records import from_row

# A place and everything above it: community → street → district. (Names unlikely to clash with the
# variables of a statement `checks` is put into: a subquery sees the outer ones.)
_PLACE_ROWS = """
UNWIND $ids AS pid
OPTIONAL MATCH (pd:District {id: pid})
OPTIONAL MATCH (ps:Street {id: pid})
OPTIONAL MATCH (pc:Community {id: pid})
WITH pid, coalesce(pc, ps, pd) AS place
WHERE place IS NOT NULL
"""
_ABOVE = "[(place)-[:IN*0..2]->(above) | above.id]"
_PLACES = f"{_PLACE_ROWS}RETURN pid AS id, {_ABOVE} AS placeIds"


def checks(code_label: str | None = None) -> str:
    """RETURN items that look a mutation's references up inside its facts statement (one round trip):
    `places`, the rows `places` reads for $places (check with `checked_places`), and with a label
    `codes`, those of $codes that name a `code_label` node (check with `check_codes`)."""
    place_rows = _PLACE_ROWS.replace("$ids", "$places").strip()
    places = f"COLLECT {{ {place_rows} RETURN {{id: pid, placeIds: {_ABOVE}}} }} AS places"
    if code_label is None:
        return places
    codes = f"COLLECT {{ UNWIND $codes AS code MATCH (known:{code_label} {{code: code}}) RETURN known.code }} AS codes"
    return f"{codes}, {places}"


def check_params(codes: Iterable[str] = (), places: Iterable[str] = ()) -> dict[str, list[str]]:
    """The parameters `checks` reads."""
    return {"codes": sorted(set(codes)), "places": sorted(set(places))}


_CODES = {
    label: f"UNWIND $codes AS code MATCH (x:{label} {{code: code}}) RETURN x.code AS code"
    for label in ("Category", "Skill", "Facility")
}
# (what a code names, where a client finds the codes in use)
_CODE_HELP = {
    "Category": ("category", "the `categories` query"),
    "Skill": ("skill", "the `skills` query"),
    "Facility": ("facility", "the facilities of existing venues"),
}


async def places(tx: Tx, ids: Iterable[str], field: str = "communityId") -> dict[str, list[str]]:
    """For each district, street or community id: itself and the places above it. NotFound for any missing."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return _found_places(await tx.run(_PLACES, ids=wanted), wanted, field)


def _found_places(rows: Iterable[dict[str, Any]], wanted: list[str], field: str) -> dict[str, list[str]]:
    found = {row["id"]: row["placeIds"] for row in rows}
    missing = [pid for pid in wanted if pid not in found]
    if missing:
        raise NotFound(f"{field}: no such place {', '.join(missing)}", field=field, ids=missing)
    return found


def check_codes(label: str, codes: Iterable[str], found: set[str]) -> None:
    """NotFound naming every code of `codes` not in `found`."""
    missing = sorted(set(codes) - found)
    if missing:
        kind, where = _CODE_HELP[label]
        raise NotFound(
            f"unknown {kind} code{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"see {where} for the codes in use",
            codes=missing,
        )


# --- units -------------------------------------------------------------------------------------

# The unit `u` under its lock, with every place it is registered at or under (who may manage it).
LOCKED_UNIT = """
MATCH (u:Unit {id: $id})
SET u._lock = true REMOVE u._lock
WITH u
"""
UNIT_FACTS = "u.id AS id, [(u)-[:REGISTERED_WITH]->(:Community)-[:IN*0..2]->(p) | p.id] AS placeIds"
_UNIT_FACTS = f"{LOCKED_UNIT}RETURN {UNIT_FACTS}"


@dataclass(frozen=True, slots=True)
class Registered:
    """A unit or member under its lock: its unit (a unit's own id), every place it (or its unit) is
    registered at or under, and what the statement looked up with it (`checks`): the `codes` of those named
    that exist, and the `places` rows to check with `checked_places`."""

    id: str
    place_ids: list[str]
    unit_id: str | None = None
    codes: list[str] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)


async def unit_facts(tx: Tx, unit_id: str) -> Registered:
    """Locks the unit; its id and every place it is registered at or under."""
    row = await tx.single(_UNIT_FACTS, id=unit_id)
    if row is None:
        raise NotFound(f"no unit with id {unit_id!r}", id=unit_id)
    return from_row(Registered, row)


# registerMember's facts in one statement: the unit under its lock, which skill codes exist, and the
# communities the member serves with the places above them (as `places`).
_MEMBER_REGISTRATION = f"{LOCKED_UNIT}RETURN {UNIT_FACTS}, {checks('Skill')}"


async def member_registration_facts(
    tx: Tx, unit_id: str, skills: Iterable[str], community_ids: Iterable[str]
) -> Registered:
    """`unit_facts` (the unit locked), plus `codes`: the codes of `skills` that exist, and `places`: the
    rows `places` reads for `community_ids` (check them with `check_codes` and `checked_places`)."""
    row = await tx.single(_MEMBER_REGISTRATION, id=unit_id, **check_params(skills, community_ids))
    if row is None:
        raise NotFound(f"no unit with id {unit_id!r}", id=unit_id)
    return from_row(Registered, row)


def checked_places(rows: list[dict[str, Any]], ids: Iterable[str], field: str) -> dict[str, list[str]]:
    """What `places` returns, from rows read elsewhere; NotFound for any missing."""
    return _found_places(rows, sorted(set(ids)), field)


_CREATE_UNITS = """
UNWIND $rows AS row
CREATE (u:Unit {id: row.id, creditCode: row.creditCode, name: row.name, kind: row.kind, phone: row.phone,
                address: row.address, createdAt: datetime()})
SET u.location = CASE WHEN row.location IS NULL THEN null ELSE point(row.location) END
WITH u, row
CALL (u, row) {
  UNWIND row.communityIds AS cid
  MATCH (c:Community {id: cid})
  MERGE (u)-[r:REGISTERED_WITH]->(c) ON CREATE SET r.since = datetime()
  RETURN count(r) AS links
}
RETURN u.id AS id, links
"""


async def create_units(tx: Tx, rows: list[dict[str, Any]]) -> list[str]:
    """Rows: id, creditCode, name, kind, phone, address, location, communityIds (checked to exist by the caller)."""
    return [row["id"] for row in await tx.run(_CREATE_UNITS, rows=rows)]


# Sets the properties given in $props on `x` (and its location when $location is given).
SET_PROPS = """
SET x += $props
SET x.location = CASE WHEN $location IS NULL THEN x.location ELSE point($location) END
SET x.updatedAt = datetime()
"""
_UPDATE = {label: f"MATCH (x:{label} {{id: $id}}){SET_PROPS}RETURN x.id AS id" for label in ("Unit", "Offering")}


async def update_props(tx: Tx, label: str, node_id: str, props: dict[str, Any], loc: dict | None = None) -> None:
    """Sets only the given properties (and the location when given); the caller has locked the node."""
    await tx.run(_UPDATE[label], id=node_id, props=props, location=loc)


# --- members -----------------------------------------------------------------------------------

_MEMBER_FACTS = """
MATCH (m:Member {id: $id})
SET m._lock = true REMOVE m._lock
WITH m, [(m)-[:BELONGS_TO]->(u:Unit) | u][0] AS u
RETURN m.id AS id, u.id AS unitId,
  [(m)-[:REGISTERED_WITH]->(:Community)-[:IN*0..2]->(p) | p.id]
  + coalesce([(u)-[:REGISTERED_WITH]->(:Community)-[:IN*0..2]->(p) | p.id], []) AS placeIds
"""


async def member_facts(tx: Tx, member_id: str) -> Registered:
    """Locks the member; its unit and the places it (or its unit) is registered at or under."""
    row = await tx.single(_MEMBER_FACTS, id=member_id)
    if row is None:
        raise NotFound(f"no member with id {member_id!r}", id=member_id)
    return from_row(Registered, row)


# Member `m` of unit `u` gets the skills and communities of `row`, adding to what it has. The basis
# says why a member serves there: where their unit is, or where they live (双报到).
_SKILLS_AND_REGISTRATIONS = """CALL (m, row) {
  UNWIND row.skills AS code
  MATCH (s:Skill {code: code})
  MERGE (m)-[:HAS_SKILL]->(s)
}
CALL (m, u, row) {
  UNWIND row.communityIds AS cid
  MATCH (c:Community {id: cid})
  WITH m, c, CASE WHEN EXISTS { (u)-[:REGISTERED_WITH]->(c) } THEN 'WORKPLACE' ELSE 'RESIDENCE' END AS basis
  MERGE (m)-[r:REGISTERED_WITH]->(c)
  ON CREATE SET r.since = datetime(), r.basis = basis
}"""

_CREATE_MEMBERS = """
UNWIND $rows AS row
MATCH (u:Unit {id: row.unitId})
CREATE (m:Member {id: row.id, rosterKey: row.rosterKey, name: row.name, phone: row.phone,
                  availability: row.availability,
                  maxLoad: row.maxLoad, openLoad: 0, assignedCount: 0, completedCount: 0,
                  ratingSum: 0, ratingCount: 0, createdAt: datetime()})
SET m.location = CASE WHEN row.location IS NULL THEN null ELSE point(row.location) END
CREATE (m)-[:BELONGS_TO]->(u)
WITH m, u, row
{SKILLS_AND_REGISTRATIONS}
RETURN m.id AS id
""".replace("{SKILLS_AND_REGISTRATIONS}", _SKILLS_AND_REGISTRATIONS)


async def create_members(tx: Tx, rows: list[dict[str, Any]]) -> list[str]:
    """Rows: id, rosterKey, unitId, name, phone, availability, maxLoad, location, skills, communityIds."""
    return [row["id"] for row in await tx.run(_CREATE_MEMBERS, rows=rows)]


_SET_AVAILABILITY = """
MATCH (m:Member {id: $id})
SET m.availability = $availability, m.maxLoad = $maxLoad, m.updatedAt = datetime()
RETURN m.id AS id
"""


async def set_availability(tx: Tx, member_id: str, availability: list[str], max_load: int) -> None:
    await tx.run(_SET_AVAILABILITY, id=member_id, availability=availability, maxLoad=max_load)


# --- 双报到 ------------------------------------------------------------------------------------

# The subject of a registration under its lock, as `unit_facts` / `member_facts` read it, with the
# community it registers with (the `places` rows of `checks`).
_REGISTRATION_FACTS = {
    "Unit": f"{LOCKED_UNIT}RETURN {UNIT_FACTS}, u.id AS unitId, {checks()}",
    "Member": f"{_MEMBER_FACTS.strip()}, {checks()}",
}


async def registration_facts(tx: Tx, label: str, subject_id: str, community_id: str) -> Registered:
    """The unit or member (locked), its unit and places, and `places`: the community's rows (see `checks`)."""
    row = await tx.single(_REGISTRATION_FACTS[label], id=subject_id, **check_params(places=[community_id]))
    if row is None:
        raise NotFound(f"no {label.lower()} with id {subject_id!r}", id=subject_id)
    return from_row(Registered, row)


# The basis says why a subject serves there: a unit by its location; a member where their unit is
# (WORKPLACE) or where they live (RESIDENCE, 双报到).
_BASIS = {
    "Unit": "'LOCATION'",
    "Member": "CASE WHEN EXISTS { (x)-[:BELONGS_TO]->(:Unit)-[:REGISTERED_WITH]->(c) } THEN 'WORKPLACE' "
    "ELSE 'RESIDENCE' END",
}
_REGISTER_WITH = {
    label: f"""
MATCH (x:{label} {{id: $id}}), (c:Community {{id: $community}})
OPTIONAL MATCH (x)-[old:REGISTERED_WITH]->(c)
WITH x, c, old, {basis} AS basis
MERGE (x)-[r:REGISTERED_WITH]->(c)
ON CREATE SET r.since = datetime(), r.basis = basis
RETURN old IS NULL AS created
"""
    for label, basis in _BASIS.items()
}


async def register_with(tx: Tx, label: str, subject_id: str, community_id: str) -> bool:
    """Registers a locked unit or member with a community; False when it already was (nothing changes)."""
    row = await tx.single(_REGISTER_WITH[label], id=subject_id, community=community_id)
    assert row is not None, "the caller locked the subject and checked the community"
    return bool(row["created"])


# --- bulk checks (the CSV import) ----------------------------------------------------------------

_UNIT_PLACES = """
UNWIND $ids AS uid
MATCH (u:Unit {id: uid})
RETURN u.id AS id, [(u)-[:REGISTERED_WITH]->(:Community)-[:IN*0..2]->(p) | p.id] AS placeIds
"""


async def unit_places(tx: Tx, unit_ids: Iterable[str]) -> dict[str, list[str]]:
    """For each existing unit: every place it is registered at or under (who may manage it)."""
    wanted = sorted(set(unit_ids))
    return {row["id"]: row["placeIds"] for row in await tx.run(_UNIT_PLACES, ids=wanted)} if wanted else {}


async def found_codes(tx: Tx, label: str, codes: Iterable[str]) -> set[str]:
    wanted = sorted(set(codes))
    return {row["code"] for row in await tx.run(_CODES[label], codes=wanted)} if wanted else set()


# --- natural keys: re-importing a roster ---------------------------------------------------------
#
# A unit is the same unit when its unified social credit code is; a member is the same person when
# the same unit lists the same phone (`rosterKey`, unitId|phone). Both are unique (migration 8), so
# MERGE on them takes the constraint's lock: of two imports racing over one row, exactly one creates
# the node and the other finds it. Each row comes back as CREATED, UPDATED or UNCHANGED; only a row
# that differs from the stored node writes anything. Registrations (双报到) are added, never removed
# by an import: they are withdrawn through their own workflow.

_UPSERT_UNITS = """
UNWIND $rows AS row
MERGE (u:Unit {creditCode: row.creditCode})
ON CREATE SET u.id = row.id, u.createdAt = datetime(), u._created = true
WITH u, row, coalesce(u._created, false) AS created, [(u)-[:REGISTERED_WITH]->(c:Community) | c.id] AS had
REMOVE u._created
WITH u, row, created, created OR NOT (
  u.name = row.name AND u.kind = row.kind
  AND coalesce(u.phone, '') = coalesce(row.phone, '') AND coalesce(u.address, '') = coalesce(row.address, '')
  AND (row.location IS NULL OR u.location = point(row.location))
  AND all(cid IN row.communityIds WHERE cid IN had)) AS changed
CALL (u, row, created, changed) {
  WITH u, row, created, changed WHERE changed
  SET u.name = row.name, u.kind = row.kind, u.phone = row.phone, u.address = row.address
  SET u.location = CASE WHEN row.location IS NULL THEN u.location ELSE point(row.location) END
  FOREACH (_ IN CASE WHEN created THEN [] ELSE [1] END | SET u.updatedAt = datetime())
  WITH u, row
  UNWIND row.communityIds AS cid
  MATCH (c:Community {id: cid})
  MERGE (u)-[r:REGISTERED_WITH]->(c) ON CREATE SET r.since = datetime()
}
RETURN u.id AS id, CASE WHEN created THEN 'CREATED' WHEN changed THEN 'UPDATED' ELSE 'UNCHANGED' END AS outcome
"""


async def upsert_units(tx: Tx, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Units matched by creditCode (every row has one): [{id, outcome}] in the rows' order."""
    return [dict(row) for row in await tx.run(_UPSERT_UNITS, rows=rows)]


_UPSERT_MEMBERS = """
UNWIND $rows AS row
MATCH (u:Unit {id: row.unitId})
MERGE (m:Member {rosterKey: row.rosterKey})
ON CREATE SET m.id = row.id, m.phone = row.phone, m.openLoad = 0, m.assignedCount = 0, m.completedCount = 0,
  m.ratingSum = 0, m.ratingCount = 0, m.createdAt = datetime(), m._created = true
WITH m, u, row, coalesce(m._created, false) AS created,
  [(m)-[:HAS_SKILL]->(s:Skill) | s.code] AS hadSkills, [(m)-[:REGISTERED_WITH]->(c:Community) | c.id] AS had
REMOVE m._created
WITH m, u, row, created, created OR NOT (
  m.name = row.name AND m.availability = row.availability AND m.maxLoad = row.maxLoad
  AND (row.location IS NULL OR m.location = point(row.location))
  AND size(hadSkills) = size(row.skills) AND all(code IN row.skills WHERE code IN hadSkills)
  AND all(cid IN row.communityIds WHERE cid IN had)) AS changed
CALL (m, u, row, created, changed) {
  WITH m, u, row, created, changed WHERE changed
  SET m.name = row.name, m.availability = row.availability, m.maxLoad = row.maxLoad
  SET m.location = CASE WHEN row.location IS NULL THEN m.location ELSE point(row.location) END
  FOREACH (_ IN CASE WHEN created THEN [] ELSE [1] END | SET m.updatedAt = datetime())
  MERGE (m)-[:BELONGS_TO]->(u)
  WITH m, u, row
  CALL (m, row) {
    MATCH (m)-[old:HAS_SKILL]->(s:Skill) WHERE NOT s.code IN row.skills
    DELETE old
  }
  {SKILLS_AND_REGISTRATIONS}
}
RETURN m.id AS id, CASE WHEN created THEN 'CREATED' WHEN changed THEN 'UPDATED' ELSE 'UNCHANGED' END AS outcome
""".replace("{SKILLS_AND_REGISTRATIONS}", _SKILLS_AND_REGISTRATIONS)


async def upsert_members(tx: Tx, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Members matched by rosterKey (unitId|phone): [{id, outcome}] in the rows' order."""
    return [dict(row) for row in await tx.run(_UPSERT_MEMBERS, rows=rows)]


_TAKEN = {
    ("Unit", "creditCode"): "UNWIND $values AS v MATCH (x:Unit {creditCode: v}) RETURN v AS value, x.id AS id",
    ("Member", "rosterKey"): "UNWIND $values AS v MATCH (x:Member {rosterKey: v}) RETURN v AS value, x.id AS id",
    ("Venue", "rosterKey"): "UNWIND $values AS v MATCH (x:Venue {rosterKey: v}) RETURN v AS value, x.id AS id",
}


async def taken_keys(tx: Tx, label: str, prop: str, values: Iterable[str]) -> dict[str, str]:
    """Which natural keys already name a node: {key: node id}."""
    wanted = sorted(set(values))
    if not wanted:
        return {}
    return {row["value"]: row["id"] for row in await tx.run(_TAKEN[(label, prop)], values=wanted)}
