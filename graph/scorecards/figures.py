"""The facts behind the scorecards (docs/STATS.md, "Scorecards"): one statement per level and request,
for the period and the period before it at once, returning per subject the needs it is judged on and,
for each need, what the scorecard counts of it.

Reproducible by construction: a period is judged as of its own end (`cut`: the period's `to`; for the
period before, its own end), from timestamps that never move — the need's `createdAt`, its audit trail
(`Event.at`: DISPATCH/OPEN_FOR_CLAIM/INVITE, ACCEPT, COMPLETE, CANCEL, SUSPEND, RESUME, MERGE), the offers'
`createdAt` and `acceptedAt`, the evaluations' `createdAt` — and never from a need's current status,
its current deadlines or the handlers' counters, which change after the period. So a need raised, an
evaluation given or a need reopened tomorrow leaves a past period's figures as they were.

Time limits are the policy's (resolvers/needs/deadlines.py, passed in as `limits`), counted from the
first dispatch (for a unit: from the first offer to it), the time the need spent suspended added to the
completion limit: the limit a need was dispatched under, not the one an escalation or reopening set later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graph.kernel.db import Graph
from graph.needs.kinds import EventType
from graph.property.kinds import COUNTED_AGAINST, PROPERTY_NEED

# Which levels graph/scorecards counts here (departments: graph/scorecards/whistles.py).
PLACE_LEVELS = ("COMMUNITY", "STREET", "DISTRICT")
LEVELS = (*PLACE_LEVELS, "UNIT", "PROPERTY_FIRM")
# What a `within` may be, per level (None: the whole city).
WITHIN = {
    "COMMUNITY": ("Street", "District"),
    "STREET": ("District",),
    "DISTRICT": (),
    "UNIT": ("Community", "Street", "District"),
    "PROPERTY_FIRM": ("District",),
}
DISPATCHES = [EventType.DISPATCH.value, EventType.OPEN_FOR_CLAIM.value, EventType.INVITE.value]

_LABEL = {"COMMUNITY": "Community", "STREET": "Street", "DISTRICT": "District", "UNIT": "Unit",
          "PROPERTY_FIRM": "PropertyFirm"}  # fmt: skip
# From a place `w` down to the subjects of a level inside it.
_DOWN = {
    ("COMMUNITY", "Street"): "(w)<-[:IN]-(s:Community)",
    ("COMMUNITY", "District"): "(w)<-[:IN]-(:Street)<-[:IN]-(s:Community)",
    ("STREET", "District"): "(w)<-[:IN]-(s:Street)",
    ("UNIT", "Community"): "(w)<-[:REGISTERED_WITH]-(s:Unit)",
    ("UNIT", "Street"): "(w)<-[:IN]-(:Community)<-[:REGISTERED_WITH]-(s:Unit)",
    ("UNIT", "District"): "(w)<-[:IN]-(:Street)<-[:IN]-(:Community)<-[:REGISTERED_WITH]-(s:Unit)",
    ("PROPERTY_FIRM", "District"): "(w)<-[:OF]-(s:PropertyFirm)",
}
# A subject's own container (whom a `scorecard` field ranks it among): its district; the city for
# districts and units (a unit registers with communities of several districts).
_CONTAINER = {
    "COMMUNITY": "(p)-[:IN]->(:Street)-[:IN]->(w:District)",
    "STREET": "(p)-[:IN]->(w:District)",
    "PROPERTY_FIRM": "(p)-[:OF]->(w:District)",
}


def _subjects(level: str, within_label: str | None, peers: bool) -> str:
    """Binds `s` (each subject) and `container` (the id it is ranked within; null: the city)."""
    label = _LABEL[level]
    if peers and level in _CONTAINER:
        down = _DOWN[(level, "District")]
        return (
            f"MATCH (p:{label}) WHERE p.id IN $ids MATCH {_CONTAINER[level]} WITH DISTINCT w "
            f"MATCH {down} WITH DISTINCT s, w.id AS container "
        )
    if within_label is None:
        return f"MATCH (s:{label}) WITH s, null AS container "
    down = _DOWN[(level, within_label)]
    return f"MATCH (w:{within_label} {{id: $within}}) MATCH {down} WITH DISTINCT s, w.id AS container "


_NEEDS = {
    "COMMUNITY": "(s)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(y:Need)",
    "STREET": "(s)<-[:IN]-(:Community)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(y:Need)",
    "DISTRICT": "(s)<-[:IN]-(:Street)<-[:IN]-(:Community)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(y:Need)",
}
_RAISED = "y.createdAt >= datetime($previousFrom) AND y.createdAt < datetime($to)"
# The window a moment falls in (0: the period, 1: the period before) and the instant it is judged at.
_WINDOW = "CASE WHEN {t} IS NULL THEN null WHEN {t} >= datetime($from) THEN 0 ELSE 1 END"
_CUT = "CASE w WHEN 0 THEN datetime($to) ELSE datetime($from) END"
# The need's audit trail up to the cut, and the first event of some types in it.
_TRAIL = "CASE WHEN y IS NULL THEN [] ELSE [(y)<-[:ABOUT]-(e:Event) WHERE e.at < cut | e {.type, .at}] END"


def _first(types: str) -> str:
    return (
        f"reduce(m = null, e IN trail | CASE WHEN e.type IN {types} AND (m IS NULL OR e.at < m) THEN e.at ELSE m END)"
    )


_REQUESTERS = (
    "[(y)<-[:OF]-(:Assignment)<-[:OF]-(ev:Evaluation {byRole: 'REQUESTER'}) WHERE ev.createdAt < cut | ev.rating]"
)


def _need_source(path: str, where: str = "") -> str:
    """Needs raised in either window at the subject; a duplicate merged into another before the cut is
    that one (counted once, as the need it joined)."""
    return (
        f"OPTIONAL MATCH {path} WHERE {_RAISED}{where} "
        "WITH DISTINCT s, container, y "
        f"WITH s, container, y, {_WINDOW.format(t='y.createdAt')} AS w "
        f"WITH s, container, y, w, {_CUT} AS cut "
        f"WITH s, container, y, w, cut, {_TRAIL} AS trail "
        "WITH s, container, w, cut, trail, "
        "  CASE WHEN any(e IN trail WHERE e.type = 'MERGE') AND EXISTS { (y)-[:MERGED_INTO]->() } "
        "  THEN null ELSE y END AS y "
        f"WITH s, container, y, w, cut, trail, {_first('$dispatches')} AS startAt, {_first(['ACCEPT'])} AS acceptedAt, "
        f"  CASE WHEN y IS NULL THEN [] ELSE {_REQUESTERS} END AS ratings "
    )


# A unit: the offers made to it, its offerings and its members (双报到) in either window, one row per
# need, judged from its first offer. An offer it never answered that lapsed because another handler
# accepted the need before the cut was never its to answer: that need is left out.
_UNIT_SOURCE = """
OPTIONAL MATCH (s)<-[:BELONGS_TO]-(m:Member)
OPTIONAL MATCH (s)-[:OFFERS]->(o:Offering)
WITH s, container, [s] + collect(DISTINCT m) + collect(DISTINCT o) AS handlers
UNWIND handlers AS t
OPTIONAL MATCH (t)<-[:TO]-(a:Assignment)-[:OF]->(y:Need)
  WHERE a.createdAt >= datetime($previousFrom) AND a.createdAt < datetime($to)
WITH s, container, y, collect(a) AS offers
WITH s, container, y, offers, reduce(m = null, a IN offers | CASE WHEN m IS NULL OR a.createdAt < m THEN a.createdAt
  ELSE m END) AS startAt
WITH s, container, y, offers, startAt, {window} AS w
WITH s, container, y, offers, startAt, w, {cut} AS cut
WITH s, container, y, offers, startAt, w, cut, {trail} AS trail,
  reduce(m = null, a IN offers | CASE WHEN a.acceptedAt < cut AND (m IS NULL OR a.acceptedAt < m) THEN a.acceptedAt
    ELSE m END) AS acceptedAt
WITH s, container, w, cut, trail, startAt, acceptedAt, offers,
  CASE WHEN y IS NULL OR (acceptedAt IS NULL AND EXISTS {{ MATCH (y)<-[:OF]-(b:Assignment)
    WHERE b.acceptedAt < cut AND NOT b IN offers }}) THEN null ELSE y END AS y
WITH s, container, y, w, cut, trail, startAt, acceptedAt,
  [a IN offers | [(a)<-[:OF]-(ev:Evaluation {{byRole: 'REQUESTER'}}) WHERE ev.createdAt < cut | ev.rating]] AS nested
WITH s, container, y, w, cut, trail, startAt, acceptedAt, reduce(r = [], l IN nested | r + l) AS ratings
""".format(window=_WINDOW.format(t="startAt"), cut=_CUT, trail=_TRAIL)


def _tail(completion_cohort: str) -> str:
    """From `s, container, y, w, cut, trail, startAt, acceptedAt, ratings`: each need's facts, per subject
    and window. `completion_cohort`: which needs the completion rate is about."""
    return f"""
WITH s, container, y, w, cut, startAt, acceptedAt, ratings,
  reduce(m = null, e IN trail | CASE WHEN e.type = 'COMPLETE' AND e.at >= coalesce(startAt, e.at)
    AND (m IS NULL OR e.at < m) THEN e.at ELSE m END) AS completedAt,
  any(e IN trail WHERE e.type = 'CANCEL') AS cancelled,
  [e IN trail WHERE e.type = 'SUSPEND' | e.at] AS suspends,
  [e IN trail WHERE e.type = 'RESUME' | e.at] AS resumes,
  CASE WHEN y IS NULL THEN null ELSE coalesce(
    $byCategory[coalesce([(y)-[:OF]->(k:Category) | k.code][0], '') + '|' + coalesce(y.urgency, 'NORMAL')],
    $byUrgency[coalesce(y.urgency, 'NORMAL')], $byUrgency['NORMAL']) END AS limits
WITH s, container, y, w, cut, startAt, acceptedAt, ratings, completedAt, cancelled, limits,
  reduce(p = 0, sp IN [t IN suspends WHERE t < coalesce(completedAt, cut)] |
    p + duration.inSeconds(sp, reduce(r = coalesce(completedAt, cut), rs IN resumes |
      CASE WHEN rs > sp AND rs < r THEN rs ELSE r END)).seconds) AS paused
WITH s, container, y, w, cut, acceptedAt, ratings, completedAt, cancelled, startAt,
  CASE WHEN startAt IS NULL OR limits IS NULL THEN null ELSE startAt + duration({{seconds: limits[0]}}) END
    AS respondBy,
  CASE WHEN startAt IS NULL OR limits IS NULL THEN null ELSE startAt + duration({{seconds: limits[1] + paused}}) END
    AS completeBy
WITH s, container, w, CASE WHEN y IS NULL THEN null ELSE [y.id,
  startAt IS NOT NULL AND (acceptedAt IS NOT NULL OR (NOT cancelled AND respondBy < cut)),
  coalesce(acceptedAt <= respondBy, false),
  {completion_cohort},
  completedAt IS NOT NULL,
  startAt IS NOT NULL AND (completedAt IS NOT NULL OR (NOT cancelled AND completeBy < cut)),
  coalesce(completedAt <= completeBy, false),
  ratings] END AS fact
RETURN s.id AS subject, container, w, collect(fact) AS facts
"""


_PLACE_TAIL = _tail("NOT cancelled")
_UNIT_TAIL = _tail("acceptedAt IS NOT NULL AND NOT cancelled")


def statement(level: str, within_label: str | None, peers: bool) -> str:
    """The one statement of a level (`within_label`: the label of `$within`, None for the city; `peers`:
    the subjects ranked with `$ids`, each within its own container)."""
    subjects = _subjects(level, within_label, peers)
    if level in _NEEDS:
        return subjects + _need_source(_NEEDS[level]) + _PLACE_TAIL
    if level == "PROPERTY_FIRM":
        path = "(s)<-[:BY]-(mgmt:Management)-[:OF]->(:Compound)<-[:AT]-(y:Need)"
        return subjects + _need_source(path, f" AND {COUNTED_AGAINST} AND {PROPERTY_NEED}") + _PLACE_TAIL
    return subjects + _UNIT_SOURCE + _UNIT_TAIL


@dataclass(frozen=True, slots=True)
class NeedFact:
    """What a scorecard counts of one need, as of the cut."""

    need_id: str
    response_due: bool
    responded_on_time: bool
    completion_counted: bool
    completed: bool
    on_time_due: bool
    on_time: bool
    ratings: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    """One subject's needs in the period (`current`) and in the period before (`previous`)."""

    subject_id: str
    container_id: str | None
    current: tuple[NeedFact, ...]
    previous: tuple[NeedFact, ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """The time-limit policy as the statement reads it: seconds [respond, complete] by urgency, and by
    "CATEGORY|URGENCY" where a category has its own."""

    by_urgency: dict[str, list[int]]
    by_category: dict[str, list[int]]


async def subject_facts(
    graph: Graph,
    level: str,
    *,
    within: str | None,
    within_label: str | None,
    ids: list[str] | None,
    previous_start: datetime,
    start: datetime,
    end: datetime,
    limits: Limits,
) -> list[SubjectFacts]:
    """Every subject of the level inside `within` (None: the city), or ranked with `ids`; by subject id."""
    rows = await graph.read(
        statement(level, within_label, ids is not None),
        f"scorecards.{level.lower()}",
        within=within,
        ids=ids or [],
        previousFrom=previous_start.isoformat(),
        **{"from": start.isoformat(), "to": end.isoformat()},
        dispatches=DISPATCHES,
        byUrgency=limits.by_urgency,
        byCategory=limits.by_category,
    )
    return gathered(rows)


def gathered(rows: list[dict[str, Any]]) -> list[SubjectFacts]:
    found: dict[str, tuple[str | None, list[NeedFact], list[NeedFact]]] = {}
    for row in rows:
        entry = found.setdefault(row["subject"], (row["container"], [], []))
        if row["w"] is None:
            continue
        target = entry[1] if row["w"] == 0 else entry[2]
        target.extend(NeedFact(f[0], *f[1:7], tuple(f[7])) for f in row["facts"] if f is not None)
    return [
        SubjectFacts(subject, container, tuple(current), tuple(previous))
        for subject, (container, current, previous) in sorted(found.items())
    ]
