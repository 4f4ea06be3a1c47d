"""Demand beside supply, community by community, for one category: one statement.

Demand is the category's open needs raised in the community (at it or a compound in it) and those
raised in the period. Supply is what matching would reach (graph/needs/candidates.py): members with a
skill that serves the category and load to spare, registered with the community (双报到) or living
within POOL_RADIUS_M of it; active offerings with capacity left, of units registered with it, for its
area or no area; venues in it; funding programs covering the category with budget left, for its
district or city-wide.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from graph.kernel.db import Graph
from graph.kernel.kinds import cypher_strings
from graph.needs.candidates import POOL_RADIUS_M
from graph.needs.kinds import OPEN_STATES
from graph.review.stats import TO_COMMUNITIES


@cache
def _statement(place_label: str) -> str:
    open_states = cypher_strings(OPEN_STATES)
    return f"""
MATCH (k:Category {{id: $category}})
{TO_COMMUNITIES[place_label]}
MATCH (c)-[:IN]->(:Street)-[:IN]->(d:District)
WITH k, c, d,
  COUNT {{ MATCH (c)<-[:IN*0..1]-()<-[:AT]-(n:Need)-[:OF]->(k) WHERE n.status IN {open_states} }} AS openNeeds,
  COUNT {{ MATCH (c)<-[:IN*0..1]-()<-[:AT]-(n:Need)-[:OF]->(k)
           WHERE n.createdAt >= datetime($from) AND n.createdAt < datetime($to) }} AS recentNeeds
CALL (k, c) {{
  CALL (c) {{
    MATCH (c)<-[:REGISTERED_WITH]-(m:Member) RETURN m
    UNION
    MATCH (m:Member) WHERE c.location IS NOT NULL AND point.distance(m.location, c.location) < $radius RETURN m
  }}
  WITH DISTINCT m
  WHERE coalesce(m.maxLoad, 0) > coalesce(m.openLoad, 0) AND EXISTS {{ (m)-[:HAS_SKILL]->(:Skill)-[:SERVES]->(k) }}
  RETURN count(m) AS members, sum(coalesce(m.maxLoad, 0) - coalesce(m.openLoad, 0)) AS memberSlots
}}
WITH k, c, d, openNeeds, recentNeeds, members, memberSlots,
  COUNT {{ MATCH (c)<-[:REGISTERED_WITH]-(:Unit)-[:OFFERS]->(o:Offering)-[:SERVES]->(k)
           WHERE o.status = 'ACTIVE' AND coalesce(o.capacity, 0) > coalesce(o.openLoad, 0)
             AND (NOT EXISTS {{ (o)-[:IN_AREA]->() }} OR EXISTS {{ (o)-[:IN_AREA]->(a) WHERE a = c OR a = d }})
           RETURN DISTINCT o }} AS offerings,
  COUNT {{ (c)<-[:AT]-(:Venue) }} AS venues,
  COUNT {{ MATCH (p:FundingProgram)-[:COVERS]->(k) WHERE coalesce(p.budget, 0) > coalesce(p.spent, 0)
             AND (NOT EXISTS {{ (p)-[:AVAILABLE_IN]->(:District) }} OR EXISTS {{ (p)-[:AVAILABLE_IN]->(d) }}) }}
    AS programs
RETURN c.id AS communityId, openNeeds, recentNeeds, members, memberSlots, offerings, venues, programs
"""


async def coverage(
    graph: Graph, category_id: str, place_id: str, place_label: str, start: str, end: str
) -> list[dict[str, Any]]:
    """One row per community at or below the place."""
    return await graph.read(
        _statement(place_label),
        "explore.coverage",
        category=category_id,
        scope=place_id,
        radius=POOL_RADIUS_M,
        **{"from": start, "to": end},
    )
