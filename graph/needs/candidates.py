"""Candidates for one need: one Cypher statement per kind, returning rows `matching/` can score.

The statements do the cheap, index-backed part: category fit through the graph, hard filters that
are plain comparisons (headroom, status, budget, area) and a bounded pool by place — the need's own
community first (双报到: members registered there), then the nearest by the point index. Everything
that needs judgement (scores, time windows, reasons) stays in `matching/`, which is pure.

Why the pool is bounded: a category is served by thousands of members city-wide; ranking all of
them would cost ~30 µs each in Python, and the best ones are nearly always local. The pool keeps
every member of the need's community plus those living within POOL_RADIUS_M, capped at POOL_SIZE
(ordered by tier, then distance), so `matchCandidates` stays well under 50 ms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graph.kernel.db import Rows, Tx
from graph.kernel.errors import NotFound
from graph.kernel.ids import label_of
from graph.kernel.records import native
from graph.property.fallback import FALLBACKS, fallback_pool
from matching.factors import rating_prior
from matching.models import (
    FallbackCandidate,
    MemberCandidate,
    NeedProfile,
    OfferingCandidate,
    Place,
    ProgramCandidate,
    SkillRef,
    TrackRecord,
    VenueCandidate,
)

POOL_SIZE = 300  # members or offerings scored per need
POOL_RADIUS_M = 300.0  # beyond the community: neighbours a few minutes away (central Xi'an is dense;
# 1 km holds over a thousand members and costs ~100 ms at p95 on the city seed, 300 m ~20 ms)
VENUE_RADIUS_M = 5_000.0
VENUE_POOL = 200


@dataclass(frozen=True, slots=True)
class NeedFacts:
    """The need as matching sees it, plus what authorisation and dispatch need to know."""

    profile: NeedProfile
    status: str
    number: str | None
    place_ids: frozenset[str]
    created_at: datetime | None
    # Units serving it as the fallback (兜底): a property need of a compound no firm manages.
    fallbacks: tuple[FallbackCandidate, ...] = ()


# The ratings of every member registered with community `c`: the prior a member's own ratings are
# weighed against (matching.factors.rating_prior). Plans use the same fragment (graph/plans/pools.py).
COMMUNITY_RATINGS = (
    "OPTIONAL MATCH (c)<-[:REGISTERED_WITH]-(peer:Member) "
    "RETURN coalesce(sum(peer.ratingSum), 0) AS ratingSum, coalesce(sum(peer.ratingCount), 0) AS ratingCount"
)

# The need with its category and places (compound or community → street → district).
_NEED_MATCH = """
MATCH (n:Need {id: $id})
OPTIONAL MATCH (n)-[:OF]->(k:Category)
OPTIONAL MATCH (n)-[:AT]->(p)
OPTIONAL MATCH (p)-[:IN*0..1]->(c:Community)
OPTIONAL MATCH (c)-[:IN]->(s:Street)
OPTIONAL MATCH (s)-[:IN]->(d:District)
"""

_NEED = (
    _NEED_MATCH
    + """
CALL (c) { {COMMUNITY_RATINGS} }
{FALLBACKS}
RETURN n {.id, .status, .number, .description, .title, .urgency, .peopleNeeded, .windowStart, .windowEnd,
          .location, .createdAt} AS need,
  k.code AS categoryCode, k.name AS categoryName, ratingSum, ratingCount, fallbacks,
  CASE WHEN p:Compound THEN p.id END AS compoundId, c.id AS communityId, s.id AS streetId, d.id AS districtId
""".replace("{COMMUNITY_RATINGS}", COMMUNITY_RATINGS).replace("{FALLBACKS}", FALLBACKS)
)


def _place(
    location: Any,
    community_id: str | None,
    street_id: str | None,
    district_id: str | None,
    compound_id: str | None = None,
) -> Place:
    loc = native(location)
    return Place(
        compound_id=compound_id,
        community_id=community_id,
        street_id=street_id,
        district_id=district_id,
        latitude=loc.latitude if loc is not None else None,
        longitude=loc.longitude if loc is not None else None,
    )


def need_facts_from_row(row: dict[str, Any]) -> NeedFacts:
    need = row["need"]
    profile = NeedProfile(
        id=need["id"],
        category_code=row["categoryCode"] or "",
        category_name=row["categoryName"] or "",
        place=_place(need.get("location"), row["communityId"], row["streetId"], row["districtId"], row["compoundId"]),
        window_start=native(need.get("windowStart")),
        window_end=native(need.get("windowEnd")),
        people_needed=need.get("peopleNeeded") or 1,
        urgency=need.get("urgency") or "NORMAL",
        description=" ".join(part for part in (need.get("title"), need.get("description")) if part),
        rating_prior=rating_prior(row.get("ratingSum") or 0, row.get("ratingCount") or 0),
    )
    places = frozenset(
        pid for pid in (row["compoundId"], row["communityId"], row["streetId"], row["districtId"]) if pid
    )
    return NeedFacts(
        profile,
        need.get("status") or "",
        need.get("number"),
        places,
        native(need.get("createdAt")),
        fallback_pool(row.get("fallbacks")),
    )


async def need_facts(tx: Tx, need_id: str) -> NeedFacts:
    """The need's profile, state and places; NotFound for an unknown id."""
    label_of(need_id, expected=("Need",), field="needId")
    row = await tx.single(_NEED, id=need_id)
    if row is None:
        raise NotFound(f"no need with id {need_id!r}", id=need_id, field="needId")
    return need_facts_from_row(row)


# What a kind's statement takes from the need: derived in Cypher from the need's id (the same facts
# `need_facts` reads, so the kinds need not wait for it), or given as parameters (`_GIVEN`).
_FROM_NEED = (
    _NEED_MATCH
    + """
WITH k.code AS category, c.id AS community, s.id AS street, d.id AS district, n.location AS here,
  CASE WHEN n.windowStart IS NOT NULL AND n.windowEnd IS NOT NULL THEN n.windowStart END AS start,
  CASE WHEN n.windowStart IS NOT NULL AND n.windowEnd IS NOT NULL THEN n.windowEnd END AS end
LIMIT 1
"""
)
_GIVEN = """
WITH $street AS street, CASE WHEN $point IS NULL THEN null ELSE point($point) END AS here,
  CASE WHEN $start IS NULL THEN null ELSE datetime($start) END AS start,
  CASE WHEN $end IS NULL THEN null ELSE datetime($end) END AS end
"""


def _point(place: Place) -> dict[str, float] | None:
    if place.latitude is None or place.longitude is None:
        return None
    return {"latitude": place.latitude, "longitude": place.longitude}


# --- members -----------------------------------------------------------------------------------

# The pool: members registered with the need's community, and members living near it (point index).
# Hard filters in Cypher: headroom, and a skill that SERVES the category. Ordered by tier then distance.
_MEMBERS = """
CALL (community, here) {
  MATCH (:Community {id: community})<-[:REGISTERED_WITH]-(m:Member)
  RETURN m
  UNION
  MATCH (m:Member) WHERE here IS NOT NULL AND point.distance(m.location, here) < $radius
  RETURN m
}
WITH DISTINCT m, category, community, street, here
WHERE coalesce(m.maxLoad, 0) > coalesce(m.openLoad, 0)
  AND EXISTS { (m)-[:HAS_SKILL]->(:Skill)-[:SERVES]->(:Category {code: category}) }
WITH m, [(m)-[:REGISTERED_WITH]->(c:Community)-[:IN]->(s:Street) | {community: c.id, street: s.id,
          district: [(s)-[:IN]->(d:District) | d.id][0]}] AS regs,
     CASE WHEN here IS NULL OR m.location IS NULL THEN 1.0e9
          ELSE point.distance(m.location, here) END AS metres, community, street
WITH m, regs, metres,
     CASE WHEN any(r IN regs WHERE r.community = community) THEN 2
          WHEN any(r IN regs WHERE r.street = street) THEN 1 ELSE 0 END AS tier
ORDER BY tier DESC, metres ASC
LIMIT $pool
RETURN collect({member: m {.id, .name, .availability, .maxLoad, .openLoad, .ratingSum, .ratingCount,
                           .completedCount, .assignedCount, .lastServedAt, .location}, regs: regs,
  skills: [(m)-[:HAS_SKILL]->(s:Skill) | {code: s.code, name: s.name, serves: [(s)-[:SERVES]->(k:Category) | k.code]}]
  }) AS rows
"""


def best_registration(need: Place, regs: list[dict[str, Any]]) -> dict[str, Any]:
    """Of a member's 双报到 registrations, the one closest to the need (same community, street, district)."""
    for key, wanted in (("community", need.community_id), ("street", need.street_id), ("district", need.district_id)):
        for reg in regs:
            if wanted and reg.get(key) == wanted:
                return reg
    return regs[0] if regs else {}


def track_record(props: dict[str, Any]) -> TrackRecord:
    """A handler's record from its node's properties; a counter the node does not have yet counts as 0.
    Not `records.from_row`: a map projection answers a missing property as null, which must read as 0,
    and this runs for every candidate of every matchCandidates request."""
    return TrackRecord(
        assigned_count=props.get("assignedCount") or 0,
        completed_count=props.get("completedCount") or 0,
        rating_sum=props.get("ratingSum") or 0,
        rating_count=props.get("ratingCount") or 0,
        last_served_at=native(props.get("lastServedAt")),
    )


def member_from_row(need: Place, row: dict[str, Any]) -> MemberCandidate:
    m = row["member"]
    reg = best_registration(need, row["regs"])
    place = _place(m.get("location"), reg.get("community"), reg.get("street"), reg.get("district"))
    skills = tuple(SkillRef(s["code"], s["name"], frozenset(s["serves"])) for s in row["skills"])
    return MemberCandidate(
        id=m["id"],
        name=m.get("name") or "",
        place=place,
        skills=skills,
        availability=tuple(m.get("availability") or ()),
        max_load=m.get("maxLoad") or 0,
        open_load=m.get("openLoad") or 0,
        record=track_record(m),
    )


async def member_rows(tx: Tx, need_id: str, pool: int = POOL_SIZE) -> Rows:
    """The members who could serve the need: its community's and its neighbours' with a fitting skill
    and headroom, `pool` at most (by tier, then distance); build them with `member_pool`."""
    return await tx.collected(_FROM_NEED + _MEMBERS, id=need_id, radius=POOL_RADIUS_M, pool=pool)


def member_pool(need: Place, rows: Rows) -> list[MemberCandidate]:
    return [member_from_row(need, row) for row in rows]


# --- offerings ---------------------------------------------------------------------------------

_OFFERINGS = """
{text_source}
MATCH (:Category {{code: $category}})<-[:SERVES]-(o:Offering)<-[:OFFERS]-(u:Unit)
WHERE o.status = 'ACTIVE' AND coalesce(o.capacity, 0) > coalesce(o.openLoad, 0)
  AND (NOT EXISTS {{ (o)-[:IN_AREA]->() }} OR EXISTS {{ (o)-[:IN_AREA]->(a) WHERE a.id IN $placeIds }})
WITH o, u, hits,
     CASE WHEN $point IS NULL OR u.location IS NULL THEN 1.0e9
          ELSE point.distance(u.location, point($point)) END AS metres
ORDER BY metres ASC
LIMIT $pool
RETURN collect({{offering: o {{.id, .title, .capacity, .openLoad, .availability, .status, .ratingSum, .ratingCount}},
  unit: u {{.id, .name, .location}},
  regs: [(u)-[:REGISTERED_WITH]->(c:Community)-[:IN]->(s:Street) | {{community: c.id, street: s.id,
     district: [(s)-[:IN]->(d:District) | d.id][0]}}],
  serves: [(o)-[:SERVES]->(k:Category) | k.code],
  areaIds: [(o)-[:IN_AREA]->(a) | a.id],
  textScore: coalesce([h IN hits WHERE h.id = o.id | h.score][0], 0.0)}}) AS rows
"""
_WITH_TEXT = _OFFERINGS.format(
    text_source="CALL { CALL db.index.fulltext.queryNodes('offering_text', $text, {limit: 500}) YIELD node, score "
    "RETURN collect({id: node.id, score: score}) AS hits }"
)
_WITHOUT_TEXT = _OFFERINGS.format(text_source="WITH [] AS hits")


def text_query(text: str) -> str:
    """Lucene OR-query of the need's phrases, each quoted (so user text is never parsed as syntax).

    The cjk analyzer indexes Chinese as bigrams, so a quoted phrase matches where its bigrams occur
    in order; OR lets any phrase count, and Lucene scores offerings matching more of them higher.
    """
    import re

    phrases = [p for p in re.split(r"[\s，。、！？；：,.!?;:（）()“”\"'《》]+", text) if p]
    quoted = ['"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in phrases[:20]]
    return " OR ".join(quoted)


def offering_from_row(need: Place, row: dict[str, Any]) -> OfferingCandidate:
    o, u = row["offering"], row["unit"]
    reg = best_registration(need, row["regs"])
    place = _place(u.get("location"), reg.get("community"), reg.get("street"), reg.get("district"))
    return OfferingCandidate(
        id=o["id"],
        title=o.get("title") or "",
        unit_id=u["id"],
        unit_name=u.get("name") or "",
        place=place,
        serves=frozenset(row["serves"]),
        capacity=o.get("capacity") or 0,
        open_load=o.get("openLoad") or 0,
        availability=tuple(o.get("availability") or ()),
        status=o.get("status") or "ACTIVE",
        area_ids=frozenset(row["areaIds"]),
        text_score=float(row.get("textScore") or 0.0),
        record=track_record(o),
    )


async def offering_candidates(
    tx: Tx, need: NeedProfile, place_ids: frozenset[str], pool: int = POOL_SIZE
) -> list[OfferingCandidate]:
    text = text_query(need.description)
    rows = await tx.collected(
        _WITH_TEXT if text else _WITHOUT_TEXT,
        text=text,
        category=need.category_code,
        placeIds=sorted(place_ids),
        point=_point(need.place),
        pool=pool,
    )
    return [offering_from_row(need.place, row) for row in rows]


# --- venues ------------------------------------------------------------------------------------

# Venues in the need's street or within VENUE_RADIUS_M; big enough, with the facilities; bookings that
# touch the window come along so `matching` can tell free from booked (and say which clash).
_VENUES = """
CALL (street, here) {
  MATCH (:Street {id: street})<-[:IN]-(:Community)<-[:AT]-(v:Venue) RETURN v
  UNION
  MATCH (v:Venue) WHERE here IS NOT NULL AND point.distance(v.location, here) < $radius RETURN v
  UNION
  UNWIND CASE WHEN here IS NULL AND street IS NULL THEN [true] ELSE [] END AS placeless
  MATCH (v:Venue) RETURN v  // no scan unless placeless: the UNWIND yields no row to match from
}
WITH DISTINCT v, here, start, end
WHERE coalesce(v.capacity, 0) >= $capacity AND ($maxFee IS NULL OR coalesce(v.feePerHour, 0) <= $maxFee)
  AND all(code IN $facilities WHERE EXISTS { (v)-[:HAS]->(:Facility {code: code}) })
  AND ($free IS NULL OR NOT EXISTS {
        MATCH (b:Booking)-[:OF]->(v)
        WHERE b.status = 'CONFIRMED' AND b.start < end AND b.end > start })
WITH v, start, end, CASE WHEN here IS NULL OR v.location IS NULL THEN 1.0e9
                         ELSE point.distance(v.location, here) END AS metres
ORDER BY metres ASC, v.id
LIMIT $pool
MATCH (v)-[:AT]->(c:Community)-[:IN]->(s:Street)-[:IN]->(d:District)
RETURN collect({venue: v {.id, .name, .kind, .capacity, .openingHours, .feePerHour, .areaSqm, .location},
  communityId: c.id, streetId: s.id, districtId: d.id,
  facilities: [(v)-[:HAS]->(f:Facility) | f.code],
  bookings: CASE WHEN start IS NULL THEN [] ELSE
    [(b:Booking)-[:OF]->(v) WHERE b.status = 'CONFIRMED' AND b.start < end AND b.end > start
     | [b.start, b.end]] END}) AS rows
"""


def venue_from_row(row: dict[str, Any]) -> VenueCandidate:
    v = row["venue"]
    place = _place(v.get("location"), row["communityId"], row["streetId"], row["districtId"])
    return VenueCandidate(
        id=v["id"],
        name=v.get("name") or "",
        kind=v.get("kind") or "",
        place=place,
        capacity=v.get("capacity") or 0,
        opening_hours=tuple(v.get("openingHours") or ()),
        fee_per_hour=v.get("feePerHour") or 0,
        facilities=frozenset(row["facilities"]),
        area_sqm=v.get("areaSqm"),
        bookings=tuple((native(s), native(e)) for s, e in row["bookings"]),
    )


async def venue_candidates(
    tx: Tx,
    place: Place,
    start: datetime | None,
    end: datetime | None,
    *,
    capacity: int = 0,
    facilities: frozenset[str] = frozenset(),
    max_fee: int | None = None,
    only_free: bool = False,
    radius_m: float = VENUE_RADIUS_M,
    pool: int = VENUE_POOL,
) -> list[VenueCandidate]:
    """Venues near `place`; with `only_free`, those with a clashing booking are left out in Cypher."""
    window = start is not None and end is not None
    rows = await tx.collected(
        _GIVEN + _VENUES,
        street=place.street_id,
        point=_point(place),
        radius=radius_m,
        capacity=capacity,
        maxFee=max_fee,
        facilities=sorted(facilities),
        free=True if only_free and window else None,
        start=start.isoformat() if window else None,
        end=end.isoformat() if window else None,
        pool=pool,
    )
    return [venue_from_row(row) for row in rows]


async def need_venues(tx: Tx, need_id: str, pool: int = VENUE_POOL) -> list[VenueCandidate]:
    """`venue_candidates` for the need's place and window, derived in Cypher."""
    rows = await tx.collected(
        _FROM_NEED + _VENUES,
        id=need_id,
        radius=VENUE_RADIUS_M,
        capacity=0,
        maxFee=None,
        facilities=[],
        free=None,
        pool=pool,
    )
    return [venue_from_row(row) for row in rows]


# --- funding programs --------------------------------------------------------------------------

_PROGRAMS = """
MATCH (p:FundingProgram)-[:COVERS]->(:Category {code: category})
WHERE coalesce(p.budget, 0) > coalesce(p.spent, 0) AND p.funds IN $funds
  AND (NOT EXISTS { (p)-[:AVAILABLE_IN]->(:District) }
       OR EXISTS { (p)-[:AVAILABLE_IN]->(:District {id: district}) })
RETURN collect({program: p {.id, .name, .source, .level, .budget, .spent, .capPerGrant, .periodStart, .periodEnd},
  categories: [(p)-[:COVERS]->(k:Category) | k.code],
  districts: [(p)-[:AVAILABLE_IN]->(d:District) | d.id]}) AS rows
"""


def program_from_row(row: dict[str, Any]) -> ProgramCandidate:
    p = row["program"]
    return ProgramCandidate(
        id=p["id"],
        name=p.get("name") or "",
        source=p.get("source") or "",
        level=p.get("level") or "CITY",
        budget=p.get("budget") or 0,
        spent=p.get("spent") or 0,
        cap_per_grant=p.get("capPerGrant"),
        categories=frozenset(row["categories"]),
        district_ids=frozenset(row["districts"]),
        period_start=native(p.get("periodStart")),
        period_end=native(p.get("periodEnd")),
    )


async def program_candidates(tx: Tx, need_id: str, funds: Iterable[str]) -> list[ProgramCandidate]:
    """Programs covering the need's category with budget left, city-wide or listing its district, whose
    declaration (`funds`, the values under which a program takes requests for a need) lets them fund it."""
    rows = await tx.collected(_FROM_NEED + _PROGRAMS, id=need_id, funds=sorted(funds))
    return [program_from_row(row) for row in rows]


async def programs_for(tx: Tx, category: str, district_id: str | None, funds: Iterable[str]) -> list[ProgramCandidate]:
    """Programs covering `category` with budget left, city-wide or listing the district, that fund what
    `funds` names: what a need's own read finds, for something matched by its category and district alone
    (a practical matter)."""
    rows = await tx.collected(
        "WITH $category AS category, $district AS district " + _PROGRAMS,
        category=category,
        district=district_id,
        funds=sorted(funds),
    )
    return [program_from_row(row) for row in rows]
