"""Keyset-paginated lists: one Cypher statement returns a page and the total count.

A root list (`RootList`, declared in its domain's `lists.py`) is fixed Cypher (never user text): a
`source` that binds `x` to candidate nodes (a label scan, the nodes of a place, the full-text
index), chosen from the validated filter, and one predicate per filter, used only when that filter
is given — so an unfiltered list is a plain label scan the planner answers from the count store and
the `createdAt` index order. Ordering is stable: newest first then `id`, or by `id`.

Cursors are written by Cypher (`cursor_of`) and read back by `decode_cursor`, so the interpreted and
the compiled read paths hand out the same cursors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict

from graph.catalog import BY_LABEL
from graph.kernel.db import Graph
from graph.kernel.errors import BadUserInput
from graph.kernel.records import from_row

MAX_PAGE_SIZE = 100
# A newest-first cursor: the createdAt Neo4j wrote (exact to the nanosecond, with its zone), then the id.
_NEWEST = re.compile(r"^(\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})(?:\[[A-Za-z/_+-]+\])?)~([a-z]+:[\w\-]{1,64})$")
_ID = re.compile(r"^[a-z]+:[\w\-]{1,64}$")


@dataclass(frozen=True)
class Page:
    items: list[Any]
    cursors: list[str]
    total: int
    has_next: bool


class ListFilter(BaseModel):
    """The base of a root list's filter: camelCase names, unknown ones refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# (source Cypher binding `x`, its parameters, whether one node can come out of it twice)
Source = tuple[str, dict[str, Any], bool]


@dataclass(frozen=True, eq=False)  # one object per list, hashed by identity (its statements are cached)
class RootList:
    field: str  # the GraphQL root field
    label: str  # what it lists
    source: Callable[[dict[str, Any]], Source]  # from the checked filter (camelCase keys)
    filter: type[ListFilter] | None = None
    predicates: Mapping[str, str] = field(default_factory=dict)  # filter name → predicate over x and $name
    newest_first: bool = False

    def where(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        """The predicates of the filters given (in declaration order)."""
        return tuple(predicate for name, predicate in self.predicates.items() if params.get(name) is not None)


def page_size(first: int | None, default: int = 20) -> int:
    if first is None:
        return default
    if first < 0:
        raise BadUserInput(f"first must be 0 or more (got {first})", field="first")
    if first > MAX_PAGE_SIZE:
        raise BadUserInput(
            f"first may be at most {MAX_PAGE_SIZE} (got {first}); page through with `after: pageInfo.endCursor`",
            field="first",
        )
    return first


def cursor_of(var: str, newest_first: bool) -> str:
    """The Cypher expression of a node's cursor in a list of that order."""
    return f"toString({var}.createdAt) + '~' + {var}.id" if newest_first else f"{var}.id"


def decode_cursor(cursor: str | None, newest_first: bool) -> dict[str, Any]:
    if cursor is None:
        return {"afterId": None, "afterCreated": None}
    if newest_first:
        match = _NEWEST.match(cursor)
        if match:
            return {"afterCreated": match.group(1), "afterId": match.group(2)}
    elif _ID.match(cursor):
        return {"afterId": cursor, "afterCreated": None}
    raise BadUserInput(
        f"after: {cursor!r} is not a cursor from this list; pass an endCursor or edge cursor you were given",
        field="after",
    )


def keyset_and_order(newest_first: bool, var: str = "x", prefix: str = "") -> tuple[str, str]:
    """The predicate that resumes after a cursor (parameters `$<prefix>afterId`, `$<prefix>afterCreated`),
    and the ORDER BY it relies on."""
    after_id, after_created = f"${prefix}afterId", f"${prefix}afterCreated"
    if newest_first:
        keyset = (
            f"({after_created} IS NULL OR {var}.createdAt < datetime({after_created}) "
            f"OR ({var}.createdAt = datetime({after_created}) AND {var}.id < {after_id}))"
        )
        return keyset, f"{var}.createdAt DESC, {var}.id DESC"
    return f"({after_id} IS NULL OR {var}.id > {after_id})", f"{var}.id"


def order_hint(newest_first: bool, var: str = "x") -> str:
    """A predicate that lets the planner read a newest-first list in the `createdAt` index's order."""
    return f"{var}.createdAt IS NOT NULL" if newest_first else "true"


def to_record(label: str, row: dict[str, Any]) -> Any:
    """The record of `label` filled from its projection."""
    record = BY_LABEL[label].record
    assert record is not None, f"{label} is never read as a record"
    return from_row(record, row)


def page_from_rows(label: str, raw: list[dict[str, Any]], first: int, total: int) -> Page:
    """A page from up to `first + 1` rows `{cursor, node}` (the extra row only says there is a next page)."""
    rows = raw[:first]
    return Page(
        items=[to_record(label, row["node"]) for row in rows],
        cursors=[row["cursor"] for row in rows],
        total=total,
        has_next=len(raw) > first,
    )


@cache
def _statement(root: RootList, source: str, distinct: bool, where: tuple[str, ...]) -> str:
    keyset, order = keyset_and_order(root.newest_first)
    conditions = " AND ".join(where) or "true"
    unique = "WITH DISTINCT x " if distinct else "WITH x "
    count = (
        f"{source}{unique}WHERE {conditions} RETURN count(x) AS total"
        if distinct or where
        else f"{source}RETURN count(x) AS total"
    )
    return (
        f"CALL {{ {count} }} "
        f"CALL {{ {source}{unique}WHERE {conditions} AND {order_hint(root.newest_first)} AND {keyset} "
        f"WITH x ORDER BY {order} LIMIT $limit "
        f"RETURN collect({{cursor: {cursor_of('x', root.newest_first)}, node: {BY_LABEL[root.label].projection}}}) "
        "AS rows } "
        "RETURN total, rows"
    )


def list_statement(root: RootList, checked: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The page-and-count statement for the checked filter, and the parameters of its source."""
    source, params, distinct = root.source(checked)
    return _statement(root, source, distinct, root.where(checked)), params


async def fetch_page(graph: Graph, root: RootList, checked: dict[str, Any], first: int, after: str | None) -> Page:
    cypher, source_params = list_statement(root, checked)
    keys = decode_cursor(after, root.newest_first)
    params = {**checked, **source_params, **keys, "limit": first + 1}
    rows = await graph.read(cypher, f"list.{root.label}", **params)
    return page_from_rows(root.label, rows[0]["rows"], first, rows[0]["total"])
