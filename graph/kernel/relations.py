"""Nested lists (a community's members, a unit's offerings…), fetched for many parents at once.

One statement serves a whole batch of parents: each parent's page is cut inside a `CALL`
subquery, so a list of 100 communities with their members costs one round trip, not 100.
The lists are the kinds' `many` links (graph/<domain>/kinds.py), named `Label.field`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from graph.kernel import registry
from graph.kernel.db import Graph
from graph.kernel.listing import Page, Window, cursor_of, keyset_and_order, order_hint, page_from_rows


@cache
def _statement(parent: str, field: str, backward: bool) -> tuple[str, str, bool]:
    """(Cypher, label of the listed nodes, newest first) for the connection `parent.field`."""
    link = registry.by_label(parent).link(field)
    if not link.many:
        raise KeyError(f"{parent}.{field} is not a list")
    (label,) = link.targets
    pattern, where = link.bind("p", "x")
    keyset, order = keyset_and_order(link.newest_first, backward=backward)
    row = f"{{cursor: {cursor_of('x', link.newest_first)}, node: {registry.by_label(label).projection}}}"
    cypher = (
        "UNWIND $ids AS pid "
        f"MATCH (p:{parent} {{id: pid}}) "
        f"CALL (p) {{ MATCH {pattern} WHERE {where} WITH DISTINCT x RETURN count(x) AS total }} "
        f"CALL (p) {{ MATCH {pattern} WHERE {where} WITH DISTINCT x WHERE {order_hint(link.newest_first)} AND {keyset} "
        f"WITH x ORDER BY {order} LIMIT $limit "
        f"RETURN collect({row}) AS rows }} "
        "RETURN pid, total, rows"
    )
    return cypher, label, link.newest_first


async def related_pages(graph: Graph, name: str, parent_ids: Sequence[str], window: Window) -> list[Page]:
    """For each parent, its page of related nodes (same order as `parent_ids`); `name` is `Label.field`."""
    parent, field = name.split(".")
    cypher, label, newest_first = _statement(parent, field, window.backward)
    params = window.params(newest_first)
    rows = await graph.read(cypher, f"related.{name}", ids=list(dict.fromkeys(parent_ids)), **params)
    pages = {row["pid"]: page_from_rows(label, row["rows"], window, row["total"]) for row in rows}
    empty = Page(items=[], cursors=[], total=0, has_next=False)
    return [pages.get(pid, empty) for pid in parent_ids]
