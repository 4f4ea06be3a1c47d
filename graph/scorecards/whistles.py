"""A department's scorecard facts (吹哨报到, issue 22 §2–3): the calls whistled to it in a period, judged
as of the period's end, and the whistlers' ratings of its handling. Everything a department's scorecard
says comes through `department_facts`; nothing else of the scorecards knows how whistles are stored.

Reproducible as the places' figures are: a call falls in the window of its own `createdAt` (a call
re-routed after a refusal is a new call, so the need counts for the department it ended with, and the
refusal against the refusing one's response, never the residents' ratings of a repair it refused), and
is judged from its own timestamps (`reportedAt`, `doneAt`, `refusedAt`, ratings' `createdAt`) and the
lateness fixed when it reported (`respondedLate`, `completedLate`), never from its status. One limit: a
call still open at the cut is judged against its current `completeBy` and `pausedAt`, which a pause or
resume after the cut moves (the call keeps no history of its pauses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graph.kernel.db import Graph
from graph.scorecards.figures import NeedFact


@dataclass(frozen=True, slots=True)
class Rating:
    """One whistler's rating of a department's handling of one need (谁呼谁评): the mean of its
    response, result and attitude marks (1–5), and whether the whistler is the street the department
    is stationed with (that street's ratings weigh 60 %)."""

    need_id: str
    mark: float
    by_stationed_street: bool


@dataclass(frozen=True, slots=True)
class DepartmentFacts:
    """A department's whistle facts over a window, as of the window's end: each need whistled to it
    (as the places' needs: `NeedFact`, with the response and completion limits the whistle set, and the
    residents' ratings of the need) and the whistlers' ratings of its handling."""

    department_id: str
    container_id: str | None  # its district; None for a city department
    stationed_street_id: str | None
    current: tuple[NeedFact, ...] = ()
    previous: tuple[NeedFact, ...] = ()
    current_ratings: tuple[Rating, ...] = ()
    previous_ratings: tuple[Rating, ...] = ()


# The departments inside `$within` (a district: its own; null: every department), or those ranked with
# `$ids` (the same district's; city departments among themselves); per department and window, each
# call's facts as `NeedFact` reads them, then its whistlers' ratings as [mark, by its stationed street].
_DEPARTMENTS = """
MATCH (s:Department)
WHERE ($within IS NULL OR EXISTS { (s)-[:OF]->(:District {id: $within}) })
  AND ($ids IS NULL OR EXISTS { MATCH (p:Department) WHERE p.id IN $ids
    AND coalesce([(p)-[:OF]->(d:District) | d.id][0], '') = coalesce([(s)-[:OF]->(d:District) | d.id][0], '') })
WITH s, [(s)-[:OF]->(d:District) | d.id][0] AS container, [(s)-[:STATIONED_WITH]->(t:Street) | t.id][0] AS stationed
OPTIONAL MATCH (s)<-[:TO]-(x:WhistleCall)-[:PART_OF]->(wh:Whistle)-[:ABOUT]->(y:Need)
  WHERE x.createdAt >= datetime($previousFrom) AND x.createdAt < datetime($to)
WITH s, container, stationed, x, wh, y,
  CASE WHEN x IS NULL THEN null WHEN x.createdAt >= datetime($from) THEN 0 ELSE 1 END AS w
WITH s, container, stationed, x, wh, y, w, CASE w WHEN 0 THEN datetime($to) ELSE datetime($from) END AS cut
WITH s, container, stationed, x, wh, y, w, cut,
  coalesce(x.refusedAt < cut, false) AS refused, coalesce(x.reportedAt < cut, false) AS reported,
  coalesce(x.doneAt < cut, false) AS done, coalesce(x.pausedAt < cut, false) AS paused,
  x IS NOT NULL AND EXISTS { MATCH (y)<-[:ABOUT]-(e:Event {type: 'CANCEL'}) WHERE e.at < cut } AS cancelled
WITH s, container, stationed, w, CASE WHEN x IS NULL THEN null ELSE [y.id,
  refused OR reported OR (NOT cancelled AND NOT paused AND x.respondBy < cut),
  reported AND NOT coalesce(x.respondedLate, true),
  NOT refused AND NOT cancelled,
  NOT refused AND done,
  NOT refused AND (done OR (NOT cancelled AND NOT paused AND x.completeBy < cut)),
  NOT refused AND done AND NOT coalesce(x.completedLate, true),
  CASE WHEN refused THEN [] ELSE
    [(y)<-[:OF]-(:Assignment)<-[:OF]-(ev:Evaluation {byRole: 'REQUESTER'}) WHERE ev.createdAt < cut | ev.rating] END,
  [(x)<-[:OF]-(r:DepartmentRating) WHERE r.createdAt < cut |
    [(r.response + r.result + r.attitude) / 3.0, coalesce(wh.level = 'STREET' AND wh.scopeId = stationed, false)]]
] END AS fact
RETURN s.id AS department, container, stationed, w, collect(fact) AS facts
ORDER BY department
"""


async def department_facts(
    graph: Graph,
    *,
    within: str | None,
    ids: list[str] | None,
    previous_start: datetime,
    start: datetime,
    end: datetime,
) -> list[DepartmentFacts]:
    """Each department inside `within` (None: all), or ranked with `ids`, with its whistle facts in
    [start, end) and [previous_start, start), each judged as of its window's end. One statement."""
    rows = await graph.read(
        _DEPARTMENTS,
        "scorecards.department",
        within=within,
        ids=ids,
        previousFrom=previous_start.isoformat(),
        **{"from": start.isoformat(), "to": end.isoformat()},
    )
    found: dict[str, tuple[str | None, str | None, dict[int, list[Any]]]] = {}
    for row in rows:
        _, _, windows = found.setdefault(row["department"], (row["container"], row["stationed"], {0: [], 1: []}))
        if row["w"] is not None:
            windows[row["w"]].extend(f for f in row["facts"] if f is not None)
    return [
        DepartmentFacts(
            department,
            container,
            stationed,
            current=_needs(windows[0]),
            previous=_needs(windows[1]),
            current_ratings=_ratings(windows[0]),
            previous_ratings=_ratings(windows[1]),
        )
        for department, (container, stationed, windows) in found.items()
    ]


def _needs(facts: list[Any]) -> tuple[NeedFact, ...]:
    return tuple(NeedFact(f[0], *f[1:7], tuple(f[7])) for f in facts)


def _ratings(facts: list[Any]) -> tuple[Rating, ...]:
    return tuple(Rating(f[0], mark, by_street) for f in facts for mark, by_street in f[8])
