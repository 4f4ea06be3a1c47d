"""The Cypher of the year's ten practical things: raising a matter from the needs behind it, the joint
meeting's selection (at most ten a community and year, counted under the community's lock), the units'
commitments, progress, completion and the residents' ratings.

Each mutation reads what it checks in one statement, under the lock of what it contends for (the
community for raising and selecting, the matter for everything done to it), and writes in another.
Times written are the request's clock (`$now`), so a test that pins it pins what is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graph.kernel.db import Graph, Tx
from graph.kernel.records import from_row
from graph.tenthings.kinds import MatterSource, MatterStatus

# The channel of the city's 12345 hotline (graph/needs/kinds.py Channel.HOTLINE_12345), whose calls a
# HOTLINE matter gathers.
HOTLINE_CHANNEL = "HOTLINE_12345"

_PLACE = """
OPTIONAL MATCH (c)-[:IN]->(s:Street)
OPTIONAL MATCH (s)-[:IN]->(d:District)
"""

_RAISE_FACTS = (
    """
MATCH (c:Community {id: $community}) SET c._lock = true REMOVE c._lock
WITH c
"""
    + _PLACE
    + """
OPTIONAL MATCH (k:Category {code: $category})
RETURN s.id AS streetId, d.id AS districtId, k IS NOT NULL AS category, k.name AS categoryName,
  [(c)<-[:IN]-(m:PracticalMatter) WHERE m.year = $year AND m.source = $source AND $source <> 'NEEDS'
     AND [(m)-[:OF]->(mk:Category) | mk.code][0] = $category AND coalesce(m.quarter, '') = coalesce($quarter, '')
   | m.id][0] AS sameMatter
"""
)

# The needs a source names: by id (NEEDS), or the community's needs of the category raised in the window
# (a quarter for a class, the year for the hotline's calls). A need merged into another is that one.
_NAMED_NEEDS = """
UNWIND $needIds AS nid
OPTIONAL MATCH (n:Need {id: nid})
RETURN nid AS id, n IS NOT NULL AS found,
  EXISTS { (n)-[:AT]->(:Compound|Community)-[:IN*0..1]->(:Community {id: $community}) } AS here
"""
_FOUND_NEEDS = """
MATCH (:Community {id: $community})<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(n:Need)
      -[:OF]->(:Category {code: $category})
WHERE n.createdAt >= datetime($from) AND n.createdAt < datetime($to) AND ($channel IS NULL OR n.channel = $channel)
  AND NOT EXISTS { (n)-[:MERGED_INTO]->() }
RETURN n.id AS id, true AS found, true AS here
ORDER BY n.createdAt, n.id
"""

_CREATE_MATTER = """
MATCH (c:Community {id: $community})
CREATE (m:PracticalMatter {id: $id, title: $title, year: $year, source: $source, status: $status,
                           quarter: $quarter, raisedBy: $raisedBy, createdAt: datetime($now)})-[:IN]->(c)
WITH m
CALL (m) { MATCH (k:Category {code: $category}) CREATE (m)-[:OF]->(k) }
CALL (m) { UNWIND $needIds AS nid MATCH (n:Need {id: nid}) CREATE (m)-[:SUPPORTED_BY]->(n) }
CALL (m) { MATCH (m)-[:SUPPORTED_BY]->(:Need)-[:AT]->(p:Compound) WITH DISTINCT m, p CREATE (m)-[:CONCERNS]->(p) }
RETURN m.id AS id
"""

_MEETING_FACTS = (
    """
MATCH (c:Community {id: $community}) SET c._lock = true REMOVE c._lock
WITH c
"""
    + _PLACE
    + """
CALL (c) {
  UNWIND $matterIds AS mid
  OPTIONAL MATCH (m:PracticalMatter {id: mid})
  RETURN collect({id: mid, found: m IS NOT NULL, communityId: [(m)-[:IN]->(mc:Community) | mc.id][0],
                  year: m.year, status: m.status, title: m.title}) AS matters
}
CALL (c) {
  UNWIND $unitIds AS uid
  OPTIONAL MATCH (u:Unit {id: uid})
  RETURN collect({id: uid, found: u IS NOT NULL, name: u.name,
                  registered: EXISTS { (u)-[:REGISTERED_WITH]->(c) }}) AS units
}
RETURN s.id AS streetId, d.id AS districtId, c.name AS communityName, matters, units,
  COUNT { (c)<-[:IN]-(m:PracticalMatter) WHERE m.year = $year AND m.status <> $candidate } AS selected
"""
)

_CREATE_MEETING = """
MATCH (c:Community {id: $community})
CREATE (g:JointMeeting {id: $id, heldOn: date($heldOn), year: $year, note: $note, recordedBy: $recordedBy,
                        createdAt: datetime($now)})-[:OF]->(c)
WITH g
CALL (g) { UNWIND $unitIds AS uid MATCH (u:Unit {id: uid}) CREATE (g)-[:ATTENDED_BY]->(u) }
CALL (g) {
  UNWIND $matterIds AS mid
  MATCH (m:PracticalMatter {id: mid})
  SET m.status = $selected, m.selectedAt = datetime($now)
  CREATE (m)-[:SELECTED_AT]->(g)
}
RETURN g.id AS id
"""

# The matter under its lock, its places, who takes part; and, for a commitment, the unit and the resource
# asked about (a funding program is locked too: what it has left is checked against what is pledged).
_LOCKED_MATTER = """
MATCH (m:PracticalMatter {id: $id}) SET m._lock = true REMOVE m._lock
WITH m
MATCH (m)-[:IN]->(c:Community)
OPTIONAL MATCH (c)-[:IN]->(s:Street)
OPTIONAL MATCH (s)-[:IN]->(d:District)
OPTIONAL MATCH (u:Unit {id: $unitId})
{resource}
FOREACH (_ IN CASE WHEN res:FundingProgram THEN [1] ELSE [] END | SET res._lock = true REMOVE res._lock)
RETURN m.status AS status, m.title AS title, c.id AS communityId, s.id AS streetId, d.id AS districtId,
  [(m)-[:LED_BY]->(l:Unit) | l.id][0] AS leadId, [(m)-[:LED_BY]->(l:Unit) | l.name][0] AS leadName,
  [(m)<-[:TO]-(:MatterCommitment)-[:BY]->(cu:Unit) | cu.id] AS unitIds,
  [(m)-[:SUPPORTED_BY]->(:Need)-[:RAISED_BY]->(r:Resident) | r.id] AS residentIds,
  u IS NOT NULL AS unitFound, u.name AS unitName,
  res IS NOT NULL AS resourceFound, labels(res)[0] AS resourceLabel,
  res.status AS resourceStatus,
  CASE WHEN res:Offering THEN EXISTS { (u)-[:OFFERS]->(res) }
       WHEN res:Venue THEN EXISTS { (res)-[:OWNED_BY]->(u) }
       WHEN res:Member THEN EXISTS { (res)-[:BELONGS_TO]->(u) }
       ELSE true END AS unitsOwn,
  CASE WHEN res:FundingProgram THEN NOT EXISTS { (res)-[:AVAILABLE_IN]->(:District) }
         OR EXISTS { (res)-[:AVAILABLE_IN]->(d) } END AS programHere,
  CASE WHEN res:FundingProgram THEN res.funds END AS programFunds,
  CASE WHEN res:FundingProgram THEN coalesce(res.budget, 0) - coalesce(res.spent, 0)
       - reduce(t = 0, a IN [(res)<-[:USES]-(pk:MatterCommitment) | coalesce(pk.amount, 0)] | t + a) END AS unpledged
"""

_COMMIT = """
MATCH (m:PracticalMatter {id: $matter}) MATCH (u:Unit {id: $unit})
CREATE (k:MatterCommitment {id: $id, role: $role, resource: $resource, amount: $amount, hours: $hours, note: $note,
                            committedBy: $by, createdAt: datetime($now)})
CREATE (k)-[:TO]->(m), (k)-[:BY]->(u)
WITH m, u, k
CALL (k) { MATCH (res:{label} {id: $resourceId}) CREATE (k)-[:USES]->(res) }
CALL (m, u) { WITH m, u WHERE $role = 'LEAD' CREATE (m)-[:LED_BY]->(u) }
RETURN k.id AS id
"""

_NOTE = """
MATCH (m:PracticalMatter {id: $matter})
CREATE (x:MatterNote {id: $id, text: $text, writtenBy: $by, createdAt: datetime($now)})-[:ON]->(m)
WITH x
CALL (x) { MATCH (u:Unit {id: $unit}) CREATE (x)-[:BY]->(u) }
RETURN x.id AS id
"""

_COMPLETE = """
MATCH (m:PracticalMatter {id: $matter}) WHERE m.status = $selected
SET m.status = $completed, m.completedAt = datetime($now), m.evidence = $evidence
RETURN m.id AS id
"""

# One rating per resident and matter: under the matter's lock, a second rating replaces the first.
_RATE = """
MATCH (m:PracticalMatter {id: $matter}) MATCH (r:Resident {id: $resident})
MERGE (m)<-[:OF]-(x:MatterRating)-[:BY]->(r)
ON CREATE SET x.id = $id, x.createdAt = datetime($now)
SET x.rating = $rating, x.comment = $comment, x.ratedAt = datetime($now)
RETURN x.id AS id
"""


@dataclass(frozen=True, slots=True)
class RaiseFacts:
    street_id: str | None
    district_id: str | None
    category: bool  # the category asked for exists
    category_name: str | None
    same_matter: str | None  # a matter raised already from the same class or calls


@dataclass(frozen=True, slots=True)
class NeedRef:
    id: str
    found: bool
    here: bool  # raised at the community or one of its compounds


@dataclass(frozen=True, slots=True)
class MeetingMatter:
    id: str
    found: bool
    community_id: str | None
    year: int | None
    status: str | None
    title: str | None


@dataclass(frozen=True, slots=True)
class MeetingUnit:
    id: str
    found: bool
    name: str | None
    registered: bool  # registered with the community (双报到)


@dataclass(frozen=True, slots=True)
class MeetingFacts:
    street_id: str | None
    district_id: str | None
    community_name: str
    matters: list[MeetingMatter]
    units: list[MeetingUnit]
    selected: int  # the community's matters of the year selected already


@dataclass(frozen=True, slots=True)
class LockedMatter:
    status: MatterStatus
    title: str
    community_id: str
    street_id: str | None
    district_id: str | None
    lead_id: str | None
    lead_name: str | None
    unit_ids: list[str]  # the units committed to it
    resident_ids: list[str]  # who raised its needs
    unit_found: bool
    unit_name: str | None
    resource_found: bool
    resource_label: str | None
    resource_status: str | None
    units_own: bool  # the resource is the unit's (its offering, its venue, its member)
    program_here: bool | None  # the program is available in the matter's district
    program_funds: str | None  # what the program funds (graph/funding/kinds.py ProgramFunds)
    unpledged: int | None  # a program's budget left, less what matters were pledged from it

    @property
    def places(self) -> frozenset[str]:
        return frozenset(p for p in (self.community_id, self.street_id, self.district_id) if p)


async def raise_facts(
    tx: Tx, community_id: str, year: int, source: MatterSource, category: str | None, quarter: str | None
) -> RaiseFacts | None:
    """The community under its lock (None when there is none), the category, a matter raised already."""
    rows = await tx.run(
        _RAISE_FACTS, community=community_id, year=year, source=source, category=category, quarter=quarter
    )
    return from_row(RaiseFacts, rows[0]) if rows else None


async def named_needs(tx: Tx, community_id: str, need_ids: list[str]) -> list[NeedRef]:
    rows = await tx.run(_NAMED_NEEDS, community=community_id, needIds=need_ids)
    return [from_row(NeedRef, row) for row in rows]


async def found_needs(
    tx: Tx, community_id: str, category: str, start: datetime, end: datetime, channel: str | None
) -> list[NeedRef]:
    """The community's needs of `category` raised in [start, end) (through `channel` when given)."""
    rows = await tx.run(
        _FOUND_NEEDS,
        community=community_id,
        category=category,
        channel=channel,
        **{"from": start.isoformat(), "to": end.isoformat()},
    )
    return [from_row(NeedRef, row) for row in rows]


async def create_matter(tx: Tx, row: dict[str, Any]) -> None:
    await tx.run(_CREATE_MATTER, status=MatterStatus.CANDIDATE, **row)


async def meeting_facts(
    tx: Tx, community_id: str, year: int, matter_ids: list[str], unit_ids: list[str]
) -> MeetingFacts | None:
    rows = await tx.run(
        _MEETING_FACTS,
        community=community_id,
        year=year,
        matterIds=matter_ids,
        unitIds=unit_ids,
        candidate=MatterStatus.CANDIDATE,
    )
    if not rows:
        return None
    row = rows[0]
    return from_row(
        MeetingFacts,
        {
            **row,
            "matters": [from_row(MeetingMatter, m) for m in row["matters"]],
            "units": [from_row(MeetingUnit, u) for u in row["units"]],
        },
    )


async def create_meeting(tx: Tx, row: dict[str, Any]) -> None:
    await tx.run(_CREATE_MEETING, selected=MatterStatus.SELECTED, **row)


# What a commitment may use (fixed labels, chosen by the resource kind, never by input).
RESOURCE_LABELS = ("Offering", "Venue", "FundingProgram", "Member")


def _locked_statement(label: str | None) -> str:
    if label is None:
        return _LOCKED_MATTER.replace("{resource}", "WITH m, c, s, d, u, null AS res")
    assert label in RESOURCE_LABELS
    return _LOCKED_MATTER.replace("{resource}", f"OPTIONAL MATCH (res:{label} {{id: $resourceId}})")


async def locked_matter(
    tx: Tx, matter_id: str, unit_id: str | None = None, resource: tuple[str, str] | None = None
) -> LockedMatter | None:
    """The matter under its lock (None when there is none); with a unit and a resource (label, id), those."""
    label, resource_id = resource if resource is not None else (None, None)
    rows = await tx.run(_locked_statement(label), id=matter_id, unitId=unit_id, resourceId=resource_id)
    return from_row(LockedMatter, rows[0]) if rows else None


async def commit(tx: Tx, label: str, row: dict[str, Any]) -> None:
    """The commitment, using the `label` node `row["resourceId"]`, and the lead when its role is LEAD."""
    assert label in RESOURCE_LABELS
    await tx.run(_COMMIT.replace("{label}", label), **row)


async def note(tx: Tx, row: dict[str, Any]) -> None:
    await tx.run(_NOTE, **row)


async def complete(tx: Tx, matter_id: str, evidence: str, now: datetime) -> bool:
    rows = await tx.run(
        _COMPLETE,
        matter=matter_id,
        evidence=evidence,
        now=now.isoformat(),
        selected=MatterStatus.SELECTED,
        completed=MatterStatus.COMPLETED,
    )
    return bool(rows)


async def rate(tx: Tx, row: dict[str, Any]) -> str:
    rows = await tx.run(_RATE, **row)
    return str(rows[0]["id"])


# --- what the matcher sees of a matter ---------------------------------------------------------------

# Its category, its community's place and point, and the words of the needs behind it (the newest 20).
_PROFILE = """
MATCH (m:PracticalMatter {id: $id})-[:IN]->(c:Community)
OPTIONAL MATCH (m)-[:OF]->(k:Category)
OPTIONAL MATCH (c)-[:IN]->(s:Street)
OPTIONAL MATCH (s)-[:IN]->(d:District)
RETURN m.title AS title, m.status AS status, k.code AS categoryCode, k.name AS categoryName,
  c.id AS communityId, s.id AS streetId, d.id AS districtId, c.location AS location,
  [(m)-[:SUPPORTED_BY]->(n:Need) | coalesce(n.title, '')][0..20] AS texts
"""


@dataclass(frozen=True, slots=True)
class MatterProfile:
    title: str
    status: MatterStatus
    category_code: str | None
    category_name: str | None
    community_id: str
    street_id: str | None
    district_id: str | None
    location: Any
    texts: list[str]


async def profile(tx: Tx, matter_id: str) -> MatterProfile | None:
    rows = await tx.run(_PROFILE, id=matter_id)
    return from_row(MatterProfile, rows[0]) if rows else None


# --- the rollup -------------------------------------------------------------------------------------

# The matters of a year in the communities at or below a place (every community for the city), grouped by
# the place one level down (a district's streets, a street's communities; the city's districts), and in
# total (the first row, whose part is null). `found`: the place exists.
_FOUND = {
    None: "WITH true AS found ",
    **{
        label: f"OPTIONAL MATCH (here:{label} {{id: $placeId}}) WITH here IS NOT NULL AS found "
        for label in ("District", "Street", "Community")
    },
}
_SOURCES = {
    None: "MATCH (c:Community)<-[:IN]-(m:PracticalMatter {year: $year}) ",
    "District": "MATCH (:District {id: $placeId})<-[:IN]-(:Street)<-[:IN]-(c:Community)"
    "<-[:IN]-(m:PracticalMatter {year: $year}) ",
    "Street": "MATCH (:Street {id: $placeId})<-[:IN]-(c:Community)<-[:IN]-(m:PracticalMatter {year: $year}) ",
    "Community": "MATCH (c:Community {id: $placeId})<-[:IN]-(m:PracticalMatter {year: $year}) ",
}
_PARTS = {
    None: "[(c)-[:IN]->(:Street)-[:IN]->(pd:District) | pd.id][0]",
    "District": "[(c)-[:IN]->(ps:Street) | ps.id][0]",
    "Street": "c.id",
    "Community": "c.id",
}
_ROLLUP = """
CALL () { {source} RETURN collect([{part}, m]) AS pairs }
WITH found, pairs, reduce(s = [], p IN pairs | CASE WHEN p[0] IN s THEN s ELSE s + [p[0]] END) AS parts
UNWIND [null] + parts AS part
WITH found, part, [p IN pairs WHERE part IS NULL OR p[0] = part | p[1]] AS ms
WITH found, part, ms, reduce(t = [], m IN ms | t + [(m)<-[:OF]-(rt:MatterRating) | rt.rating]) AS ratings
RETURN found, part AS placeId, size(ms) AS collected,
  size([m IN ms WHERE m.status <> $candidate]) AS decided,
  size([m IN ms WHERE m.status = $completed]) AS completed,
  COUNT { UNWIND ms AS m MATCH (m)-[:SUPPORTED_BY]->(n:Need) RETURN DISTINCT n } AS needs,
  COUNT { UNWIND ms AS m MATCH (m)-[:SUPPORTED_BY]->(:Need)-[:RAISED_BY]->(r:Resident) RETURN DISTINCT r } AS residents,
  COUNT { UNWIND ms AS m MATCH (m)<-[:TO]-(:MatterCommitment)-[:BY]->(u:Unit) RETURN DISTINCT u } AS units,
  COUNT { UNWIND ms AS m MATCH (m)-[:IN]->(mc:Community) RETURN DISTINCT mc } AS communities,
  size(ratings) AS ratings, size([r IN ratings WHERE r >= $satisfied]) AS satisfied
ORDER BY part IS NOT NULL, part
"""


@dataclass(frozen=True, slots=True)
class RollupRow:
    found: bool  # the place exists
    place_id: str | None  # null: the total
    collected: int
    decided: int
    completed: int
    needs: int
    residents: int
    units: int
    communities: int
    ratings: int
    satisfied: int


async def rollup(graph: Graph, label: str | None, place_id: str | None, year: int, satisfied: int) -> list[RollupRow]:
    """The total (first, `place_id` null) and one row per place one level down that has matters."""
    cypher = _FOUND[label] + _ROLLUP.replace("{source}", _SOURCES[label]).replace("{part}", _PARTS[label])
    rows = await graph.read(
        cypher,
        "tenthings.matters.rollup",
        placeId=place_id,
        year=year,
        candidate=MatterStatus.CANDIDATE,
        completed=MatterStatus.COMPLETED,
        satisfied=satisfied,
    )
    return [from_row(RollupRow, row) for row in rows]
