"""The figures behind `stats` and `recurringNeeds` (definitions: docs/STATS.md).

One statement per scope kind: a source that yields, for every need of the cohort, the need `x`
and the assignments `mine` that count for the scope, then one shared aggregation. The statement
returns sums and counts; rates and averages are divided in Python (`resolvers/review/stats.py`), so a
zero denominator becomes null instead of a division error.

Cohorts:
- a place (district, street, community): the needs raised at or below it in [from, to);
  `mine` = every assignment of each need;
- a unit: the assignments made in [from, to) to the unit, to its offerings and to its members
  (service counts for both, 双报到), except LAPSED ones (offers that someone else took first);
- a member: the assignments made to the member in [from, to), except LAPSED ones.
"""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Graph
from graph.needs.kinds import OVERDUE_CYPHER

SCOPE_LABELS = ("District", "Street", "Community", "Unit", "Member")
HANDLER_LABELS = ("Unit", "Member")
OPEN_ASSIGNMENT = ["INVITED", "OPEN_CLAIM", "ACTIVE"]

_IN_PERIOD = "($from IS NULL OR {t} >= datetime($from)) AND ($to IS NULL OR {t} < datetime($to))"
_NEED_IN_PERIOD = _IN_PERIOD.format(t="x.createdAt")
_ASSIGNMENT_IN_PERIOD = _IN_PERIOD.format(t="a.createdAt") + " AND a.status <> 'LAPSED'"

# From a place down to the needs raised at it or at a compound below it.
_PLACE_PATHS = {
    "District": "(s)<-[:IN]-(:Street)<-[:IN]-(:Community)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(x:Need)",
    "Street": "(s)<-[:IN]-(:Community)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(x:Need)",
    "Community": "(s)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(x:Need)",
}


def _place_source(label: str) -> str:
    return (
        f"MATCH (s:{label} {{id: $scope}}) "
        # A duplicate merged into another need is that need: counted once, as the one it joined.
        f"OPTIONAL MATCH {_PLACE_PATHS[label]} WHERE {_NEED_IN_PERIOD} AND NOT EXISTS {{ (x)-[:MERGED_INTO]->() }} "
        "WITH s, x, CASE WHEN x IS NULL THEN [] ELSE [(x)<-[:OF]-(a:Assignment) | a] END AS mine "
    )


_SOURCES = {
    **{label: _place_source(label) for label in _PLACE_PATHS},
    "Unit": (
        "MATCH (s:Unit {id: $scope}) "
        "OPTIONAL MATCH (s)<-[:BELONGS_TO]-(m:Member) "
        "OPTIONAL MATCH (s)-[:OFFERS]->(o:Offering) "
        "WITH s, [s] + collect(DISTINCT m) + collect(DISTINCT o) AS handlers "
        "UNWIND handlers AS t "
        f"OPTIONAL MATCH (t)<-[:TO]-(a:Assignment)-[:OF]->(x:Need) WHERE {_ASSIGNMENT_IN_PERIOD} "
        "WITH s, x, collect(DISTINCT a) AS mine "
    ),
    "Member": (
        "MATCH (s:Member {id: $scope}) "
        f"OPTIONAL MATCH (s)<-[:TO]-(a:Assignment)-[:OF]->(x:Need) WHERE {_ASSIGNMENT_IN_PERIOD} "
        "WITH s, x, collect(a) AS mine "
    ),
}

_HOURS = "duration.inSeconds(a.createdAt, a.{end}).seconds / 3600.0"

_AGGREGATE = f"""
WITH s, x, mine,
  [a IN mine WHERE a.acceptedAt IS NOT NULL] AS accepted,
  [a IN mine WHERE a.status = 'COMPLETED' AND a.completedAt IS NOT NULL] AS completed,
  reduce(r = [], a IN mine | r + [(a)<-[:OF]-(e:Evaluation) | e]) AS evaluations
WITH s, x, mine, accepted, completed, evaluations, size(mine) > 0 AS isDispatched,
  [e IN evaluations WHERE e.byRole = 'REQUESTER'] AS byRequester,
  [e IN evaluations WHERE e.byRole = 'COORDINATOR'] AS byCoordinator
RETURN s.id AS scopeId,
  count(x) AS received,
  sum(CASE WHEN isDispatched THEN 1 ELSE 0 END) AS dispatched,
  sum(CASE WHEN isDispatched AND (size(accepted) > 0 OR x.responseDeadline < datetime($now)) THEN 1 ELSE 0 END)
    AS responseDue,
  sum(CASE WHEN any(a IN accepted WHERE a.acceptedAt <= coalesce(x.responseDeadline, a.acceptedAt))
    THEN 1 ELSE 0 END) AS respondedOnTime,
  sum(CASE WHEN size(completed) > 0
    OR (isDispatched AND x.status <> 'CANCELLED' AND x.completionDeadline < datetime($now)) THEN 1 ELSE 0 END)
    AS completionDue,
  sum(CASE WHEN any(a IN completed WHERE a.completedAt <= coalesce(x.completionDeadline, a.completedAt))
    THEN 1 ELSE 0 END) AS completedOnTime,
  sum(size(accepted)) AS acceptCount,
  sum(reduce(h = 0.0, a IN accepted | h + {_HOURS.format(end="acceptedAt")})) AS acceptHours,
  sum(size(completed)) AS completeCount,
  sum(reduce(h = 0.0, a IN completed | h + {_HOURS.format(end="completedAt")})) AS completeHours,
  sum(size(byRequester)) AS ratings,
  sum(size([e IN byRequester WHERE e.rating >= 4])) AS satisfiedRatings,
  sum(reduce(t = 0, e IN byRequester | t + e.rating)) AS ratingSum,
  sum(size(byCoordinator)) AS handlingRatings,
  sum(reduce(t = 0, e IN byCoordinator | t + e.rating)) AS handlingRatingSum,
  sum(CASE WHEN x IS NOT NULL AND {OVERDUE_CYPHER}
    AND (NOT $handlerScope OR any(a IN mine WHERE a.status IN $open)) THEN 1 ELSE 0 END) AS overdueCount
"""

STATEMENTS = {label: source + _AGGREGATE for label, source in _SOURCES.items()}


async def scope_figures(
    graph: Graph, label: str, scope_id: str, start: str | None, end: str | None, now: str
) -> dict[str, Any] | None:
    """Sums and counts for one scope; None when no such scope exists. Instants are UTC ISO strings."""
    rows = await graph.read(
        STATEMENTS[label],
        scope=scope_id,
        **{"from": start, "to": end},
        now=now,
        handlerScope=label in HANDLER_LABELS,
        open=OPEN_ASSIGNMENT,
    )
    return rows[0] if rows else None


# --- recurring needs (story 10) ------------------------------------------------------------------

TO_COMMUNITIES = {
    "District": "MATCH (s:District {id: $scope})<-[:IN]-(:Street)<-[:IN]-(c:Community) ",
    "Street": "MATCH (s:Street {id: $scope})<-[:IN]-(c:Community) ",
    "Community": "MATCH (c:Community {id: $scope}) ",
}

_RECURRING = """
MATCH (c)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(x:Need)-[:OF]->(k:Category)
WHERE x.createdAt >= datetime($previousFrom) AND x.createdAt < datetime($to)
WITH c, k,
  sum(CASE WHEN x.createdAt >= datetime($from) THEN 1 ELSE 0 END) AS count,
  sum(CASE WHEN x.createdAt < datetime($from) THEN 1 ELSE 0 END) AS previousCount
WHERE count >= $minCount
RETURN c.id AS placeId, c.name AS placeName, k.code AS categoryCode, k.name AS categoryName, count, previousCount
ORDER BY count DESC, count - previousCount DESC, placeId, categoryCode
LIMIT $limit
"""


async def recurring(
    graph: Graph, label: str, scope_id: str, start: str, end: str, previous_start: str, min_count: int, limit: int
) -> list[dict[str, Any]]:
    """Needs per (community, category) in [from, to) and in the period of equal length before it."""
    return await graph.read(
        TO_COMMUNITIES[label] + _RECURRING,
        scope=scope_id,
        **{"from": start, "to": end},
        previousFrom=previous_start,
        minCount=min_count,
        limit=limit,
    )


async def place_exists(graph: Graph, label: str, scope_id: str) -> bool:
    return bool(await graph.read(f"MATCH (s:{label} {{id: $scope}}) RETURN s.id AS id", scope=scope_id))
