"""Who manages a compound and who gives the fallback service of an area: each change locks what it
contends for (the compound, the area), reads its facts under the lock, and writes; and the figures of
the firms of a district over a period.

Lock, then check (docs/NOTES.md): two firms assigned one compound at once queue on the compound's
lock, and the second finds the first's management lasting and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graph.kernel.db import Graph, Tx
from graph.kernel.records import native
from graph.property.kinds import COUNTED_AGAINST, PROPERTY_NEED


@dataclass(frozen=True, slots=True)
class CompoundFacts:
    """A compound under its lock: its district, its lasting management, when its last one ended, and the
    firm asked for (None when there is no such firm)."""

    compound_id: str
    district_id: str | None
    management_id: str | None
    management_since: datetime | None
    firm_id: str | None
    firm_name: str | None
    last_until: datetime | None
    asked_firm: str | None


_COMPOUND = """
MATCH (c:Compound {id: $compound})
SET c._lock = true REMOVE c._lock
WITH c
OPTIONAL MATCH (c)-[:IN]->(:Community)-[:IN]->(:Street)-[:IN]->(d:District)
OPTIONAL MATCH (c)<-[:OF]-(m:Management)-[:BY]->(f:PropertyFirm) WHERE m.until IS NULL
OPTIONAL MATCH (asked:PropertyFirm {id: $firm})
RETURN c.id AS compound, d.id AS district, m.id AS management, m.since AS since, f.id AS firm, f.name AS name,
  asked.id AS asked, [(c)<-[:OF]-(old:Management) WHERE old.until IS NOT NULL | old.until] AS ended
"""


async def locked_compound(tx: Tx, compound_id: str, firm_id: str | None = None) -> CompoundFacts | None:
    """The compound's facts under its write lock; None when there is no such compound."""
    row = await tx.single(_COMPOUND, "lock.Compound.management", compound=compound_id, firm=firm_id)
    if row is None:
        return None
    ended = [native(t) for t in row["ended"]]
    return CompoundFacts(
        row["compound"],
        row["district"],
        row["management"],
        native(row["since"]),
        row["firm"],
        row["name"],
        max(ended) if ended else None,
        row["asked"],
    )


_MANAGE = """
MATCH (c:Compound {id: $compound}), (f:PropertyFirm {id: $firm})
CREATE (m:Management {id: $id, since: datetime($since), createdAt: datetime()})
CREATE (m)-[:BY]->(f), (m)-[:OF]->(c), (f)-[:MANAGES]->(c)
RETURN m.id AS id
"""


async def manage(tx: Tx, management_id: str, compound_id: str, firm_id: str, since: datetime) -> None:
    """The firm manages the compound from `since` on (the caller holds the compound's lock)."""
    await tx.single(_MANAGE, "create.Management", id=management_id, compound=compound_id, firm=firm_id,
                    since=since.isoformat())  # fmt: skip


_END = """
MATCH (m:Management {id: $id})-[:OF]->(c:Compound)
SET m.until = datetime($until), m.endReason = $reason, m.updatedAt = datetime()
WITH m, c
OPTIONAL MATCH (c)<-[r:MANAGES]-(:PropertyFirm)
DELETE r
RETURN m.id AS id
"""


async def end(tx: Tx, management_id: str, until: datetime, reason: str | None) -> None:
    """The management ends at `until` (the caller holds the compound's lock): the compound has no firm."""
    await tx.single(_END, "end.Management", id=management_id, until=until.isoformat(), reason=reason)


@dataclass(frozen=True, slots=True)
class AreaFacts:
    """A street or district under its lock: its district, its lasting fallback and that one's unit, and the
    unit asked for with its kind (None when there is no such unit)."""

    area_id: str
    district_id: str | None
    fallback_id: str | None
    fallback_unit: str | None
    unit_id: str | None
    unit_kind: str | None
    unit_name: str | None


AREA_LABELS = ("Street", "District")
_AREA = """
MATCH (a:{label} {{id: $area}})
SET a._lock = true REMOVE a._lock
WITH a
OPTIONAL MATCH (a)-[:IN*0..1]->(d:District)
OPTIONAL MATCH (a)<-[:FOR]-(fb:Fallback)-[:BY]->(holder:Unit) WHERE fb.until IS NULL
OPTIONAL MATCH (u:Unit {{id: $unit}})
RETURN a.id AS area, d.id AS district, fb.id AS fallback, holder.name AS holder,
  u.id AS unit, u.kind AS kind, u.name AS name
"""


async def locked_area(tx: Tx, label: str, area_id: str, unit_id: str | None) -> AreaFacts | None:
    """The area's (a street or district: `label`) facts under its write lock; None when there is no such area."""
    assert label in AREA_LABELS
    row = await tx.single(_AREA.format(label=label), f"lock.{label}.fallback", area=area_id, unit=unit_id)
    if row is None:
        return None
    return AreaFacts(
        row["area"], row["district"], row["fallback"], row["holder"], row["unit"], row["kind"], row["name"]
    )


_FALLBACK = """
MATCH (a:{label} {{id: $area}}), (u:Unit {{id: $unit}})
CREATE (fb:Fallback {{id: $id, since: datetime($since), createdAt: datetime()}})
CREATE (fb)-[:BY]->(u), (fb)-[:FOR]->(a)
RETURN fb.id AS id
"""


async def take_on_fallback(tx: Tx, fallback_id: str, label: str, area_id: str, unit_id: str, since: datetime) -> None:
    """The unit serves the area's compounds without a firm from `since` on (the caller holds the area's lock)."""
    assert label in AREA_LABELS
    await tx.single(_FALLBACK.format(label=label), "create.Fallback", id=fallback_id, area=area_id, unit=unit_id,
                    since=since.isoformat())  # fmt: skip


_LOCKED_FALLBACK = """
MATCH (fb:Fallback {id: $id})-[:FOR]->(a)
SET a._lock = true REMOVE a._lock
WITH fb, a
OPTIONAL MATCH (a)-[:IN*0..1]->(d:District)
RETURN fb.id AS id, fb.since AS since, fb.until AS until, d.id AS district
"""


@dataclass(frozen=True, slots=True)
class FallbackFacts:
    """A fallback under its area's lock: when it began and ended (None while it lasts), and its district."""

    fallback_id: str
    since: datetime
    until: datetime | None
    district_id: str | None


async def locked_fallback(tx: Tx, fallback_id: str) -> FallbackFacts | None:
    """The fallback's facts under its area's lock, so ending races with taking on; None when there is none."""
    row = await tx.single(_LOCKED_FALLBACK, "lock.Fallback", id=fallback_id)
    if row is None:
        return None
    return FallbackFacts(row["id"], native(row["since"]), native(row["until"]), row["district"])


async def end_fallback(tx: Tx, fallback_id: str, until: datetime) -> None:
    await tx.single(
        "MATCH (fb:Fallback {id: $id}) SET fb.until = datetime($until), fb.updatedAt = datetime() RETURN fb.id AS id",
        "end.Fallback",
        id=fallback_id,
        until=until.isoformat(),
    )


# --- the firms' figures --------------------------------------------------------------------------------

# Per firm registered by the district: the compounds it manages now, and of the property needs counted
# against it raised in [from, to) (a duplicate merged into another need counts as that one), how many,
# and its residents' ratings of them (the requesters' evaluations: docs/STATS.md's satisfaction).
_REPORT = f"""
MATCH (district:District {{id: $district}})
OPTIONAL MATCH (x:PropertyFirm)-[:OF]->(district)
CALL (x) {{
  OPTIONAL MATCH (x)<-[:BY]-(mgmt:Management)-[:OF]->(:Compound)<-[:AT]-(y:Need)
  WHERE {COUNTED_AGAINST} AND {PROPERTY_NEED}
    AND y.createdAt >= datetime($from) AND y.createdAt < datetime($to)
    AND NOT EXISTS {{ (y)-[:MERGED_INTO]->() }}
  WITH DISTINCT y
  OPTIONAL MATCH (y)<-[:OF]-(:Assignment)<-[:OF]-(e:Evaluation {{byRole: 'REQUESTER'}})
  RETURN count(DISTINCT y) AS needs, count(e) AS ratings,
    count(CASE WHEN e.rating >= 4 THEN 1 END) AS satisfied, coalesce(sum(e.rating), 0) AS ratingSum
}}
RETURN x.id AS firm, COUNT {{ (x)-[:MANAGES]->(:Compound) }} AS compounds, needs, ratings, satisfied, ratingSum
ORDER BY x.id
"""


async def report_rows(graph: Graph, district_id: str, start: datetime, stop: datetime) -> list[dict[str, Any]] | None:
    """One row per firm of the district, by id: its figures over [start, stop); None when there is no
    such district."""
    rows = await graph.read(
        _REPORT, "propertyFirmReport", district=district_id, **{"from": start.isoformat(), "to": stop.isoformat()}
    )
    return None if not rows else [row for row in rows if row["firm"] is not None]
