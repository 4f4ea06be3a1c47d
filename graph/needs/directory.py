"""The root lists of the read API: needs, units, members, venues, programs, places, catalog."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph.kernel.db import Graph
from graph.kernel.ids import label_of
from graph.kernel.kinds import cypher_strings
from graph.kernel.listing import ListSpec, Page, fetch_page
from graph.needs.kinds import RUNNING_STATES

# From a place down to the communities at or below it (`c`); a compound stands for its community.
_TO_COMMUNITIES = {
    "District": "MATCH (:District {id: $placeId})<-[:IN]-(:Street)<-[:IN]-(c:Community) ",
    "Street": "MATCH (:Street {id: $placeId})<-[:IN]-(c:Community) ",
    "Community": "MATCH (c:Community {id: $placeId}) ",
    "Compound": "MATCH (:Compound {id: $placeId})-[:IN]->(c:Community) ",
}
_PLACES = tuple(_TO_COMMUNITIES)


OVERDUE_CYPHER = (
    "((x.status = 'DISPATCHED' AND x.responseDeadline < datetime($now)) "
    f"OR (x.status IN {cypher_strings(RUNNING_STATES)} AND x.completionDeadline < datetime($now)))"
)


def is_overdue(
    status: str, response_deadline: datetime | None, completion_deadline: datetime | None, now: datetime
) -> bool:
    """The same rule as OVERDUE_CYPHER, for a record already in hand."""
    if status == "DISPATCHED" and response_deadline is not None and response_deadline < now:
        return True
    return status in RUNNING_STATES and completion_deadline is not None and completion_deadline < now


NEEDS = ListSpec(
    "Need",
    filters=(
        "($status IS NULL OR x.status IN $status)",
        "($channel IS NULL OR x.channel IN $channel)",
        "($urgency IS NULL OR x.urgency IN $urgency)",
        "($category IS NULL OR EXISTS { MATCH (x)-[:OF]->(k:Category) WHERE k.code IN $category })",
        "($createdAfter IS NULL OR x.createdAt >= datetime($createdAfter))",
        "($createdBefore IS NULL OR x.createdAt < datetime($createdBefore))",
        f"($overdue IS NULL OR $overdue = {OVERDUE_CYPHER})",
        # Only used with full-text search, where the source is the index, not the place.
        "($textPlaceId IS NULL OR EXISTS { MATCH (x)-[:AT]->(a) WHERE a.id = $textPlaceId "
        "OR EXISTS { MATCH (a)-[:IN*1..3]->(p) WHERE p.id = $textPlaceId } })",
    ),
    newest_first=True,
)


def _need_source(place_label: str | None, text: bool) -> str:
    if text:
        return "CALL db.index.fulltext.queryNodes('need_text', $text) YIELD node AS x "
    if place_label is None:
        return "MATCH (x:Need) "
    if place_label == "Compound":
        return "MATCH (:Compound {id: $placeId})<-[:AT]-(x:Need) "
    return _TO_COMMUNITIES[place_label] + "MATCH (c)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(x:Need) "


def lucene_query(text: str) -> str:
    """Quotes every term, so what a resident types is searched for, never parsed as Lucene syntax."""
    terms = [term.replace("\\", "\\\\").replace('"', '\\"') for term in text.split()]
    return " AND ".join(f'"{term}"' for term in terms if term)


async def list_needs(graph: Graph, first: int, after: str | None, f: dict[str, Any]) -> Page:
    place_id = f.get("placeId")
    place_label = label_of(place_id, expected=_PLACES, field="filter.placeId") if place_id else None
    text = (f.get("text") or "").strip() or None
    params = {
        "status": f.get("status"),
        "channel": f.get("channel"),
        "urgency": f.get("urgency"),
        "category": f.get("category"),
        "createdAfter": _iso(f.get("createdAfter")),
        "createdBefore": _iso(f.get("createdBefore")),
        "overdue": f.get("overdue"),
        "now": _iso(f.get("now") or datetime.now(UTC)),
        "placeId": place_id,
        "textPlaceId": place_id if text else None,
        "text": lucene_query(text) if text else None,
    }
    return await fetch_page(graph, NEEDS, _need_source(place_label, bool(text)), params, first, after)


def _iso(value: datetime | None) -> str | None:
    # Neo4j orders equal instants with different offsets by offset, so every instant we compare is UTC.
    return value.astimezone(UTC).isoformat() if value else None


def _registered_source(label: str, place_id: str | None, relation: str) -> str:
    if not place_id:
        return f"MATCH (x:{label}) "
    place_label = label_of(place_id, expected=_PLACES, field="filter.placeId")
    return _TO_COMMUNITIES[place_label] + f"MATCH (c)<-[:{relation}]-(x:{label}) "


UNITS = ListSpec(
    "Unit",
    filters=(
        "($kind IS NULL OR x.kind IN $kind)",
        "($name IS NULL OR x.name CONTAINS $name)",
    ),
)


async def list_units(graph: Graph, first: int, after: str | None, f: dict[str, Any]) -> Page:
    source = _registered_source("Unit", f.get("placeId"), "REGISTERED_WITH")
    params = {"placeId": f.get("placeId"), "kind": f.get("kind"), "name": f.get("name")}
    return await fetch_page(graph, UNITS, source, params, first, after)


MEMBERS = ListSpec(
    "Member",
    filters=(
        "($skill IS NULL OR EXISTS { MATCH (x)-[:HAS_SKILL]->(s:Skill) WHERE s.code IN $skill })",
        "($unitId IS NULL OR EXISTS { MATCH (x)-[:BELONGS_TO]->(:Unit {id: $unitId}) })",
        "($name IS NULL OR x.name CONTAINS $name)",
    ),
)


async def list_members(graph: Graph, first: int, after: str | None, f: dict[str, Any]) -> Page:
    source = _registered_source("Member", f.get("placeId"), "REGISTERED_WITH")
    params = {"placeId": f.get("placeId"), "skill": f.get("skill"), "unitId": f.get("unitId"), "name": f.get("name")}
    return await fetch_page(graph, MEMBERS, source, params, first, after)


VENUES = ListSpec(
    "Venue",
    filters=(
        "($kind IS NULL OR x.kind IN $kind)",
        "($minCapacity IS NULL OR x.capacity >= $minCapacity)",
        "($maxFee IS NULL OR x.feePerHour <= $maxFee)",
        "($facilities IS NULL OR all(code IN $facilities WHERE EXISTS "
        "{ MATCH (x)-[:HAS]->(f:Facility) WHERE f.code = code }))",
    ),
)


async def list_venues(graph: Graph, first: int, after: str | None, f: dict[str, Any]) -> Page:
    source = _registered_source("Venue", f.get("placeId"), "AT")
    params = {
        "placeId": f.get("placeId"),
        "kind": f.get("kind"),
        "minCapacity": f.get("minCapacity"),
        "maxFee": f.get("maxFee"),
        "facilities": f.get("facilities"),
    }
    return await fetch_page(graph, VENUES, source, params, first, after)


PROGRAMS = ListSpec(
    "FundingProgram",
    filters=(
        "($level IS NULL OR x.level IN $level)",
        "($districtId IS NULL OR EXISTS { MATCH (x)-[:AVAILABLE_IN]->(:District {id: $districtId}) })",
        "($category IS NULL OR EXISTS { MATCH (x)-[:COVERS]->(k:Category) WHERE k.code IN $category })",
        "($withBudgetLeft IS NULL OR $withBudgetLeft = (x.spent < x.budget))",
    ),
)


async def list_programs(graph: Graph, first: int, after: str | None, f: dict[str, Any]) -> Page:
    district_id = f.get("districtId")
    if district_id:
        label_of(district_id, expected=("District",), field="filter.districtId")
    params = {
        "level": f.get("level"),
        "districtId": district_id,
        "category": f.get("category"),
        "withBudgetLeft": f.get("withBudgetLeft"),
    }
    return await fetch_page(graph, PROGRAMS, "MATCH (x:FundingProgram) ", params, first, after)


DISTRICTS = ListSpec("District", filters=("($name IS NULL OR x.name CONTAINS $name)",))
STREETS = ListSpec(
    "Street",
    filters=("($name IS NULL OR x.name CONTAINS $name)", "($kind IS NULL OR x.kind = $kind)"),
)
COMMUNITIES = ListSpec(
    "Community",
    filters=("($name IS NULL OR x.name CONTAINS $name)", "($kind IS NULL OR x.kind = $kind)"),
)


async def list_districts(graph: Graph, first: int, after: str | None, f: dict[str, Any]) -> Page:
    return await fetch_page(graph, DISTRICTS, "MATCH (x:District) ", {"name": f.get("name")}, first, after)


async def list_streets(graph: Graph, first: int, after: str | None, f: dict[str, Any]) -> Page:
    district_id = f.get("districtId")
    if district_id:
        label_of(district_id, expected=("District",), field="filter.districtId")
        source = "MATCH (:District {id: $districtId})<-[:IN]-(x:Street) "
    else:
        source = "MATCH (x:Street) "
    params = {"districtId": district_id, "name": f.get("name"), "kind": f.get("kind")}
    return await fetch_page(graph, STREETS, source, params, first, after)


async def list_communities(graph: Graph, first: int, after: str | None, f: dict[str, Any]) -> Page:
    place_id = f.get("placeId")
    if place_id:
        place_label = label_of(place_id, expected=("District", "Street"), field="filter.placeId")
        source = _TO_COMMUNITIES[place_label] + "WITH c AS x "
    else:
        source = "MATCH (x:Community) "
    params = {"placeId": place_id, "name": f.get("name"), "kind": f.get("kind")}
    return await fetch_page(graph, COMMUNITIES, source, params, first, after)


CATEGORIES = ListSpec("Category")
SKILLS = ListSpec(
    "Skill", filters=("($category IS NULL OR EXISTS { MATCH (x)-[:SERVES]->(k:Category) WHERE k.code IN $category })",)
)


async def list_categories(graph: Graph, first: int, after: str | None, f: dict[str, Any]) -> Page:
    return await fetch_page(graph, CATEGORIES, "MATCH (x:Category) ", {}, first, after)


async def list_skills(graph: Graph, first: int, after: str | None, f: dict[str, Any]) -> Page:
    return await fetch_page(graph, SKILLS, "MATCH (x:Skill) ", {"category": f.get("category")}, first, after)
