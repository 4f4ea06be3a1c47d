"""Where things are: is a place at or below a scope, and what authorisation needs to know of a need.

The place hierarchy is `(:Compound)-[:IN]->(:Community)-[:IN]->(:Street)-[:IN]->(:District)`.
Ids name their label (`graph/kernel/ids.py`), so every MATCH is label-specific and starts from the id
constraint's index. Cypher text is only ever assembled from the fixed label names below; every
value travels as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.kernel.db import Graph, Tx
from graph.kernel.ids import label_of
from graph.places.kinds import PLACE_LABELS
from matching.models import Place

# From the top down; a place's depth is its index.
LEVELS = PLACE_LABELS
_DEPTH = {label: depth for depth, label in enumerate(LEVELS)}

# An assignment in one of these states means its target is handling the need right now.
HANDLING_STATUSES = ("ACTIVE",)


def _place_label(node_id: str, field: str) -> str:
    return label_of(node_id, expected=LEVELS, field=field)


def _chain(place_label: str, scope_label: str) -> str | None:
    """The pattern from a `$place`-bound node up to the `$scope` node, or None if it cannot exist."""
    top, bottom = _DEPTH[scope_label], _DEPTH[place_label]
    if bottom <= top:
        return None
    hops = "".join(f"-[:IN]->(:{label})" for label in reversed(LEVELS[top + 1 : bottom]))
    return f"(p:{place_label} {{id: pid}}){hops}-[:IN]->(:{scope_label} {{id: $scope}})"


async def place_within(graph: Graph, place_id: str, scope_id: str) -> bool:
    """True when the place is the scope itself or lies below it (one statement at most)."""
    return bool(await places_within(graph, [place_id], scope_id))


async def places_within(graph: Graph, place_ids: list[str], scope_id: str) -> set[str]:
    """Which of `place_ids` are at or below `scope_id`; one statement for the whole list.

    Ids equal to the scope count without a query; places at or above the scope's level cannot be
    inside it and are answered without a query too.
    """
    scope_label = _place_label(scope_id, "scope")
    inside = {pid for pid in place_ids if pid == scope_id}
    by_label: dict[str, list[str]] = {}
    for pid in place_ids:
        label = _place_label(pid, "place")
        if pid != scope_id and _chain(label, scope_label):
            by_label.setdefault(label, []).append(pid)
    if not by_label:
        return inside
    branches = [
        f"UNWIND ${label.lower()}Ids AS pid MATCH {_chain(label, scope_label)} RETURN p.id AS id" for label in by_label
    ]
    params = {f"{label.lower()}Ids": sorted(set(ids)) for label, ids in by_label.items()}
    rows = await graph.read(" UNION ".join(branches), scope=scope_id, **params)
    return inside | {row["id"] for row in rows}


@dataclass(frozen=True, slots=True)
class NeedAccess:
    """The facts about a need that decide who may see or act on it."""

    need_id: str
    requester_id: str | None  # the Resident who raised it
    place_ids: frozenset[str]  # where it is, and every place above that (compound … district)
    handler_ids: frozenset[str]  # members, units (and offerings), departments handling it now

    @property
    def community_id(self) -> str | None:
        return next((pid for pid in self.place_ids if pid.startswith("community:")), None)


_NEED_ACCESS = """
UNWIND $ids AS nid
MATCH (n:Need {id: nid})
RETURN n.id AS id,
  [(n)-[:RAISED_BY]->(r:Resident) | r.id][0] AS requesterId,
  [(n)-[:AT]->(:Compound|Community)-[:IN*0..3]->(p) | p.id] AS placeIds,
  [(n)<-[:OF]-(a:Assignment)-[:TO]->(t:Member|Unit|Offering) WHERE a.status IN $handling | t.id]
    + [(n)<-[:OF]-(a:Assignment)-[:TO]->(:Offering)<-[:OFFERS]-(u:Unit) WHERE a.status IN $handling | u.id]
    // The departments a whistle on it summoned and which have not answered for good yet (吹哨报到).
    + [(n)<-[:ABOUT]-(:Whistle)<-[:PART_OF]-(c:WhistleCall)-[:TO]->(d:Department)
       WHERE c.status IN ['WHISTLED', 'REPORTED'] | d.id]
    AS handlerIds
"""


async def need_access(graph: Graph, need_ids: list[str]) -> dict[str, NeedAccess]:
    """Access facts for many needs in one statement (a DataLoader batch function fits it as is).

    Needs that do not exist are absent from the result.
    """
    ids = sorted({nid for nid in need_ids if label_of(nid, expected=("Need",), field="need") == "Need"})
    if not ids:
        return {}
    rows = await graph.read(_NEED_ACCESS, ids=ids, handling=list(HANDLING_STATUSES))
    return {
        row["id"]: NeedAccess(
            need_id=row["id"],
            requester_id=row["requesterId"],
            place_ids=frozenset(row["placeIds"]),
            handler_ids=frozenset(row["handlerIds"]),
        )
        for row in rows
    }


async def need_place(graph: Graph, need_id: str) -> str | None:
    """The community a need belongs to (through its compound, or directly); None if unplaced."""
    access = (await need_access(graph, [need_id])).get(need_id)
    return access.community_id if access else None


_SEARCH_CENTRE = """
MATCH (p {id: $id}) WHERE p:District OR p:Street OR p:Community OR p:Compound
RETURN p.location AS location, [(p)-[:IN*0..3]->(x) | [labels(x)[0], x.id]] AS chain
"""


async def place_chain(tx: Tx, place_id: str) -> Place | None:
    """A place as matching sees it (its point and the ids of the levels it lies in), None if unknown."""
    row = await tx.single(_SEARCH_CENTRE, id=place_id)
    if row is None:
        return None
    ids = {label: pid for label, pid in row["chain"]}
    loc = row["location"]
    return Place(
        compound_id=ids.get("Compound"),
        community_id=ids.get("Community"),
        street_id=ids.get("Street"),
        district_id=ids.get("District"),
        latitude=loc[1] if loc is not None else None,
        longitude=loc[0] if loc is not None else None,
    )
