"""The seam between the scorecards and the whistles (吹哨报到, issue 22 §2–3): a department's facts over
a period. Everything a department's scorecard says comes through `department_facts`, and nothing else
of the scorecards knows how whistles are stored.

On main there are no whistles yet: the statement reads the departments (which exist) and where each
is stationed when that is recorded, and every department has no whistle facts, so every department's
scorecard says NO_DATA — never a made-up number. The whistles' branch fills `_WHISTLES` (one
statement, the same columns): docs/NOTES.md, "Issue 22 §4: scorecards", says exactly what it must return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
# `$ids` (the same district's; city departments among themselves). A stationed department's street is
# read from `(:Department)-[:STATIONED_WITH]->(:Street)` when the whistles' branch records it.
_DEPARTMENTS = """
MATCH (s:Department)
WHERE ($within IS NULL OR EXISTS { (s)-[:OF]->(:District {id: $within}) })
  AND ($ids IS NULL OR EXISTS { MATCH (p:Department) WHERE p.id IN $ids
    AND coalesce([(p)-[:OF]->(d:District) | d.id][0], '') = coalesce([(s)-[:OF]->(d:District) | d.id][0], '') })
RETURN s.id AS department, [(s)-[:OF]->(d:District) | d.id][0] AS container,
  [(s)-[r]->(t:Street) WHERE type(r) = 'STATIONED_WITH' | t.id][0] AS stationed
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
    del previous_start, start, end  # no whistles on main: nothing falls in any window yet
    rows = await graph.read(_DEPARTMENTS, "scorecards.department", within=within, ids=ids)
    return [DepartmentFacts(row["department"], row["container"], row["stationed"]) for row in rows]
