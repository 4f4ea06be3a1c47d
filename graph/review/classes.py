"""The quarter review's classes of needs (一类事): category × community over a quarter, against the
quarter before and the same quarter a year before, with how they went. One statement.

A need is escalated or reopened when its trail holds an ESCALATE or REOPEN event; its time to complete
runs from when it was raised to its first completed assignment. `texts` are the quarter's needs' ids and texts
(title and description), the newest first, at most 200.
"""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Graph
from graph.needs.kinds import EventType
from graph.review.stats import TO_COMMUNITIES

_CLASSES = f"""
MATCH (c)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(x:Need)-[:OF]->(k:Category)
WHERE ((x.createdAt >= datetime($from) AND x.createdAt < datetime($to))
    OR (x.createdAt >= datetime($previousFrom) AND x.createdAt < datetime($from))
    OR (x.createdAt >= datetime($yearAgoFrom) AND x.createdAt < datetime($yearAgoTo)))
  AND ($categories IS NULL OR k.code IN $categories)
WITH c, k, x, x.createdAt >= datetime($from) AND x.createdAt < datetime($to) AS now
// Newest first, so the texts (and the words' examples) are the latest said.
ORDER BY x.createdAt DESC, x.id
WITH c, k,
  sum(CASE WHEN now THEN 1 ELSE 0 END) AS count,
  sum(CASE WHEN x.createdAt >= datetime($previousFrom) AND x.createdAt < datetime($from) THEN 1 ELSE 0 END)
    AS previousCount,
  sum(CASE WHEN x.createdAt < datetime($yearAgoTo) THEN 1 ELSE 0 END) AS yearAgoCount,
  collect(CASE WHEN now THEN x END) AS needs
WHERE count >= $minCount
RETURN c.id AS communityId, k.code AS categoryCode, count, previousCount, yearAgoCount,
  size([n IN needs WHERE EXISTS {{ (n)<-[:ABOUT]-(:Event {{type: '{EventType.ESCALATE}'}}) }}]) AS escalated,
  size([n IN needs WHERE EXISTS {{ (n)<-[:ABOUT]-(:Event {{type: '{EventType.REOPEN}'}}) }}]) AS reopened,
  [n IN needs | [(n)<-[:OF]-(a:Assignment) WHERE a.completedAt IS NOT NULL
                 | duration.inSeconds(n.createdAt, a.completedAt).seconds][0]] AS secondsToComplete,
  [n IN needs | {{id: n.id, text: coalesce(n.title, '') + ' ' + coalesce(n.description, '')}}][0..200] AS texts
"""


async def classes(
    graph: Graph,
    label: str,
    place_id: str,
    window: dict[str, str],
    categories: list[str] | None,
    min_count: int,
) -> list[dict[str, Any]]:
    """Rows per (community, category) with at least `min_count` needs in the quarter; `window` holds
    from, to, previousFrom, yearAgoFrom, yearAgoTo (ISO instants)."""
    return await graph.read(
        TO_COMMUNITIES[label] + _CLASSES,
        "review.classes",
        scope=place_id,
        categories=categories,
        minCount=min_count,
        **window,
    )
