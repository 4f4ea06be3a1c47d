"""Nested lists (a community's members, a unit's offerings…), fetched for many parents at once.

One statement serves a whole batch of parents: each parent's page is cut inside a `CALL`
subquery, so a list of 100 communities with their members costs one round trip, not 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graph.kernel.db import Graph
from graph.kernel.listing import Page, decode_cursor, keyset_and_order, page_from_rows
from graph.kernel.projections import PROJECTIONS
from graph.needs.directory import OPEN_STATES


@dataclass(frozen=True)
class Relation:
    pattern: str  # binds `x` from the parent `p`, which is matched on `{id: pid}`
    label: str  # the label of `x`
    newest_first: bool = False
    where: str = "true"


RELATIONS: dict[str, Relation] = {
    "District.streets": Relation("MATCH (p:District {id: pid})<-[:IN]-(x:Street)", "Street"),
    "Street.communities": Relation("MATCH (p:Street {id: pid})<-[:IN]-(x:Community)", "Community"),
    "Community.compounds": Relation("MATCH (p:Community {id: pid})<-[:IN]-(x:Compound)", "Compound"),
    "Community.units": Relation("MATCH (p:Community {id: pid})<-[:REGISTERED_WITH]-(x:Unit)", "Unit"),
    "Community.members": Relation("MATCH (p:Community {id: pid})<-[:REGISTERED_WITH]-(x:Member)", "Member"),
    "Community.venues": Relation("MATCH (p:Community {id: pid})<-[:AT]-(x:Venue)", "Venue"),
    "Community.openNeeds": Relation(
        "MATCH (p:Community {id: pid})<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(x:Need)",
        "Need",
        newest_first=True,
        where=f"x.status IN {list(OPEN_STATES)!r}",
    ),
    "Unit.members": Relation("MATCH (p:Unit {id: pid})<-[:BELONGS_TO]-(x:Member)", "Member"),
    "Unit.offerings": Relation("MATCH (p:Unit {id: pid})-[:OFFERS]->(x:Offering)", "Offering"),
    "Unit.venues": Relation("MATCH (p:Unit {id: pid})<-[:OWNED_BY]-(x:Venue)", "Venue"),
    "Unit.communities": Relation("MATCH (p:Unit {id: pid})-[:REGISTERED_WITH]->(x:Community)", "Community"),
    "Member.communities": Relation("MATCH (p:Member {id: pid})-[:REGISTERED_WITH]->(x:Community)", "Community"),
    "Member.skills": Relation("MATCH (p:Member {id: pid})-[:HAS_SKILL]->(x:Skill)", "Skill"),
}


def _statement(relation: Relation) -> str:
    keyset, order = keyset_and_order(relation.newest_first)
    return (
        "UNWIND $ids AS pid "
        f"CALL {{ WITH pid {relation.pattern} WITH DISTINCT x WHERE {relation.where} RETURN count(x) AS total }} "
        f"CALL {{ WITH pid {relation.pattern} WITH DISTINCT x WHERE {relation.where} AND {keyset} "
        f"WITH x ORDER BY {order} LIMIT $limit RETURN collect({PROJECTIONS[relation.label]}) AS rows }} "
        "RETURN pid, total, rows"
    )


_STATEMENTS = {name: _statement(relation) for name, relation in RELATIONS.items()}


async def related_pages(
    graph: Graph, name: str, parent_ids: Sequence[str], first: int, after: str | None
) -> list[Page]:
    """For each parent, its page of related nodes (same order as `parent_ids`)."""
    relation = RELATIONS[name]
    keys = decode_cursor(after, relation.newest_first)
    rows = await graph.read(_STATEMENTS[name], ids=list(dict.fromkeys(parent_ids)), limit=first + 1, **keys)
    pages: dict[str, Page] = {}
    for row in rows:
        pages[row["pid"]] = page_from_rows(relation.label, row["rows"], first, row["total"], relation.newest_first)
    empty = Page(items=[], cursors=[], total=0, has_next=False)
    return [pages.get(pid, empty) for pid in parent_ids]
