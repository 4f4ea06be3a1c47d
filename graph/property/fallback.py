"""The fallback service (兜底) as the matcher sees it: which units serve a need's compound because no
property firm manages it (无物业小区), read with the need's own facts (graph/needs/candidates.py), so a
need elsewhere costs no statement more.

A need is offered the units whose lasting `Fallback` is for its street or its district when it is a
property need (graph/property/kinds.py `property_need`) raised at a compound that no firm manages now.
"""

from __future__ import annotations

from typing import Any

from graph.kernel.records import native
from graph.property.kinds import property_need
from matching.models import FallbackCandidate, TrackRecord

# A CALL subquery over the need `n`, its place `p`, street `s` and district `d` (graph/needs/candidates.py
# binds them), yielding `fallbacks`: one row per unit serving it as the fallback, [] for every other need.
FALLBACKS = f"""
CALL (n, p, s, d) {{
  UNWIND CASE WHEN p:Compound AND NOT EXISTS {{ (p)<-[:MANAGES]-(:PropertyFirm) }} AND {property_need("n")}
              THEN [s, d] ELSE [] END AS area
  MATCH (area)<-[:FOR]-(fb:Fallback)-[:BY]->(u:Unit) WHERE fb.until IS NULL
  RETURN collect({{fallback: fb {{.id, .since}}, unit: u {{.id, .name, .ratingSum, .ratingCount}},
    areaName: area.name, areaLevel: CASE WHEN area:Street THEN 'Street' ELSE 'District' END}}) AS fallbacks
}}
"""


def fallback_pool(rows: list[dict[str, Any]] | None) -> tuple[FallbackCandidate, ...]:
    """The candidates of the `fallbacks` rows (one per unit: a unit serving the street and the district is
    offered once, for the street)."""
    chosen: dict[str, FallbackCandidate] = {}
    for row in sorted(rows or (), key=lambda r: r["areaLevel"] != "Street"):
        unit, fallback = row["unit"], row["fallback"]
        if unit["id"] in chosen:
            continue
        chosen[unit["id"]] = FallbackCandidate(
            id=unit["id"],
            name=unit.get("name") or "",
            fallback_id=fallback["id"],
            area_name=row.get("areaName") or "",
            area_level=row["areaLevel"],
            since=native(fallback.get("since")),
            record=TrackRecord(rating_sum=unit.get("ratingSum") or 0, rating_count=unit.get("ratingCount") or 0),
        )
    return tuple(chosen.values())
