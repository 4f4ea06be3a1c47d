"""Duty lists (清单) as versioned data: a change is a new version of the whole list, written in one
statement under the lock of the version it replaces (or of the district, for a district's first), so two
changes at once apply one after the other and none is lost; a version is never changed afterwards.
Also the street a department is stationed with must lie in its district (`street_district`)."""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import NotFound

# The list in force for a level, the district's own (locked, with its district) or the city's default.
_CURRENT = """
OPTIONAL MATCH (d:District {id: $districtId})
CALL (d) { WITH d WHERE d IS NOT NULL SET d._lock = true REMOVE d._lock }
OPTIONAL MATCH (l:DutyList {level: $level, current: true})
WHERE ($districtId IS NULL AND NOT EXISTS { (l)-[:FOR]->(:District) }) OR EXISTS { (l)-[:FOR]->(d) }
CALL (l) { WITH l WHERE l IS NOT NULL SET l._lock = true REMOVE l._lock }
RETURN $districtId IS NULL OR d IS NOT NULL AS districtExists,
  l.id AS id, l.version AS version,
  CASE WHEN l IS NULL THEN [] ELSE COLLECT {
    MATCH (l)<-[:IN]-(i:DutyItem)-[:OF]->(k:Category)
    RETURN {categoryCode: k.code, duty: i.duty, note: i.note,
            leadId: [(i)-[:LED_BY]->(dep:Department) | dep.id][0],
            assistingIds: [(i)-[:ASSISTED_BY]->(dep:Department) | dep.id]} ORDER BY k.code
  } END AS items
"""


async def current_locked(tx: Tx, district_id: str | None, level: str) -> dict[str, Any]:
    """The version in force of the district's (None: the city's) list of `level`, under its lock, with its
    items; `id` None when there is none yet (then the district is locked instead)."""
    row = await tx.single(_CURRENT, "duties.current", districtId=district_id, level=level)
    assert row is not None
    if not row["districtExists"]:
        raise NotFound(f"no District with id {district_id}", field="districtId")
    return row


_WRITE = """
OPTIONAL MATCH (old:DutyList {id: $previousId})
OPTIONAL MATCH (d:District {id: $districtId})
CREATE (l:DutyList {id: $id, key: $key, level: $level, version: $version, current: true, reason: $reason,
  changes: $changes, changedBy: $changedBy, createdAt: datetime()})
SET old.current = false
FOREACH (_ IN CASE WHEN d IS NULL THEN [] ELSE [1] END | CREATE (l)-[:FOR]->(d))
FOREACH (_ IN CASE WHEN old IS NULL THEN [] ELSE [1] END | CREATE (l)-[:SUPERSEDES]->(old))
WITH l
CALL (l) {
  UNWIND $items AS item
  OPTIONAL MATCH (k:Category {code: item.categoryCode})
  OPTIONAL MATCH (lead:Department {id: item.leadId})
  WITH l, item, k, lead
  CALL (l, item, k, lead) {
    WITH * WHERE k IS NOT NULL
    CREATE (i:DutyItem {id: item.id, duty: item.duty, note: item.note, createdAt: datetime()})-[:IN]->(l)
    CREATE (i)-[:OF]->(k)
    FOREACH (_ IN CASE WHEN lead IS NULL THEN [] ELSE [1] END | CREATE (i)-[:LED_BY]->(lead))
    WITH i, item
    UNWIND item.assistingIds AS aid
    MATCH (a:Department {id: aid})
    CREATE (i)-[:ASSISTED_BY]->(a)
  }
  RETURN collect(CASE WHEN k IS NULL THEN item.categoryCode END) AS missingCategories
}
RETURN missingCategories,
  [aid IN $departmentIds WHERE NOT EXISTS { MATCH (:Department {id: aid}) }] AS missingDepartments
"""


async def write_version(tx: Tx, props: dict[str, Any], items: list[dict[str, Any]]) -> None:
    """A new version in force (`props`: id, key, level, version, reason, changes, changedBy, districtId,
    previousId), its items ({id, categoryCode, duty, note, leadId, assistingIds}), the one before it no longer
    in force; NotFound naming the categories or departments that name nothing (the transaction rolls back)."""
    departments = sorted({d for item in items for d in [item["leadId"], *item["assistingIds"]] if d})
    row = await tx.single(_WRITE, "duties.write", items=items, departmentIds=departments, **props)
    assert row is not None
    if row["missingCategories"]:
        codes = ", ".join(sorted(row["missingCategories"]))
        raise NotFound(f"items: no Category with code {codes}", field="items", keys=row["missingCategories"])
    if row["missingDepartments"]:
        ids = ", ".join(row["missingDepartments"])
        raise NotFound(f"items: no Department with id {ids}", field="items", keys=row["missingDepartments"])


_STREET = (
    "OPTIONAL MATCH (s:Street {id: $id}) "
    "RETURN s IS NOT NULL AS exists, [(s)-[:IN]->(d:District) | d.id][0] AS districtId"
)


async def street_district(tx: Tx, street_id: str) -> str | None:
    """The district of a street; NotFound when there is no such street."""
    row = await tx.single(_STREET, "duties.street", id=street_id)
    if row is None or not row["exists"]:
        raise NotFound(f"stationedWithId: no Street with id {street_id}", field="stationedWithId")
    return row["districtId"]
