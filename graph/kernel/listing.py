"""Keyset-paginated lists: one Cypher statement returns a page and the total count.

A root list (`RootList`, graph/kernel/kinds.py; each declared in its domain's `lists.py`) is fixed
Cypher (never user text): a `source` that binds `x` to candidate nodes (a label scan, the nodes of a
place, the full-text index), chosen from the validated filter, and one predicate per filter, used only
when that filter is given — so an unfiltered list is a plain label scan the planner answers from the count store and
the `createdAt` index order. Ordering is stable: newest first then `id`, or by `id`.

Cursors are written by Cypher (`cursor_of`) and read back by `decode_cursor`, so the interpreted and
the compiled read paths hand out the same cursors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from graph.kernel import registry
from graph.kernel.db import Graph
from graph.kernel.errors import BadUserInput
from graph.kernel.kinds import RootList
from graph.kernel.records import from_row

MAX_PAGE_SIZE = 100
DEFAULT_PAGE = 20  # a page's size when the request gives neither first nor last
# A newest-first cursor: the createdAt Neo4j wrote (exact to the nanosecond, with its zone), then the id.
_NEWEST = re.compile(r"^(\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})(?:\[[A-Za-z/_+-]+\])?)~([a-z]+:[\w\-]{1,64})$")
_ID = re.compile(r"^[a-z]+:[\w\-]{1,64}$")


@dataclass(frozen=True)
class Page:
    items: list[Any]
    cursors: list[str]
    total: int
    has_next: bool
    has_previous: bool = False


@dataclass(frozen=True)
class Window:
    """The slice of a list a request asks for: `first` after a cursor, or `last` before one (Relay)."""

    size: int
    cursor: str | None = None
    backward: bool = False

    def params(self, newest_first: bool, prefix: str = "") -> dict[str, Any]:
        """The statement's parameters: the cursor's keys, the page size and one row more."""
        keys = decode_cursor(self.cursor, newest_first, "before" if self.backward else "after")
        params = {**keys, "first": self.size, "limit": self.size + 1, "backward": self.backward}
        return {prefix + k: v for k, v in params.items()}


def _size(value: int, name: str) -> int:
    if value < 0:
        raise BadUserInput(f"{name} must be 0 or more (got {value})", field=name)
    if value > MAX_PAGE_SIZE:
        cursor = "after: pageInfo.endCursor" if name == "first" else "before: pageInfo.startCursor"
        raise BadUserInput(
            f"{name} may be at most {MAX_PAGE_SIZE} (got {value}); page through with `{cursor}`", field=name
        )
    return value


def window(
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    default: int = DEFAULT_PAGE,
) -> Window:
    """The checked slice: forward (`first`/`after`) or backward (`last`/`before`), never both at once."""
    backward = last is not None or before is not None
    if backward and (first is not None or after is not None):
        given = [name for name, v in (("first", first), ("after", after)) if v is not None]
        raise BadUserInput(
            f"page forward (first/after) or backward (last/before), not both: leave out {' and '.join(given)}",
            field=given[0],
        )
    if backward:
        return Window(default if last is None else _size(last, "last"), before, backward=True)
    return Window(default if first is None else _size(first, "first"), after)


def cursor_of(var: str, newest_first: bool) -> str:
    """The Cypher expression of a node's cursor in a list of that order."""
    return f"toString({var}.createdAt) + '~' + {var}.id" if newest_first else f"{var}.id"


def decode_cursor(cursor: str | None, newest_first: bool, name: str = "after") -> dict[str, Any]:
    if cursor is None:
        return {"cursorId": None, "cursorCreated": None}
    if newest_first:
        match = _NEWEST.match(cursor)
        if match:
            return {"cursorCreated": match.group(1), "cursorId": match.group(2)}
    elif _ID.match(cursor):
        return {"cursorId": cursor, "cursorCreated": None}
    raise BadUserInput(
        f"{name}: {cursor!r} is not a cursor from this list; pass a cursor of this list you were given",
        field=name,
    )


def keyset_and_order(newest_first: bool, var: str = "x", prefix: str = "", backward: bool = False) -> tuple[str, str]:
    """The predicate that resumes past a cursor (parameters `$<prefix>cursorId`, `$<prefix>cursorCreated`),
    and the ORDER BY it relies on. Backward reads the list's order reversed from the cursor on; the
    page is turned round afterwards (`page_from_rows`, `page_of`)."""
    cursor_id, cursor_created = f"${prefix}cursorId", f"${prefix}cursorCreated"
    later = newest_first != backward  # does the walk go towards smaller keys?
    less = "<" if later else ">"
    direction = " DESC" if later else ""
    if newest_first:
        keyset = (
            f"({cursor_created} IS NULL OR {var}.createdAt {less} datetime({cursor_created}) "
            f"OR ({var}.createdAt = datetime({cursor_created}) AND {var}.id {less} {cursor_id}))"
        )
        return keyset, f"{var}.createdAt{direction}, {var}.id{direction}"
    return f"({cursor_id} IS NULL OR {var}.id {less} {cursor_id})", f"{var}.id{direction}"


def page_of(rows: str, prefix: str = "") -> tuple[str, str, str]:
    """Cypher over `rows` (one more than the page, in walking order): the page in list order, and
    whether there is a next and a previous page. A cursor given means the other side has rows
    (Relay lets a server answer that without counting them)."""
    first, backward, cursor = f"${prefix}first", f"${prefix}backward", f"${prefix}cursorId"
    more = f"size({rows}) > {first}"
    page = f"CASE WHEN {backward} THEN reverse({rows}[0..{first}]) ELSE {rows}[0..{first}] END"
    has_next = f"CASE WHEN {backward} THEN {cursor} IS NOT NULL ELSE {more} END"
    has_previous = f"CASE WHEN {backward} THEN {more} ELSE {cursor} IS NOT NULL END"
    return page, has_next, has_previous


def order_hint(newest_first: bool, var: str = "x") -> str:
    """A predicate that lets the planner read a newest-first list in the `createdAt` index's order."""
    return f"{var}.createdAt IS NOT NULL" if newest_first else "true"


def to_record(label: str, row: dict[str, Any]) -> Any:
    """The record of `label` filled from its projection."""
    record = registry.by_label(label).record
    assert record is not None, f"{label} is never read as a record"
    return from_row(record, row)


def page_from_rows(label: str, raw: list[dict[str, Any]], window: Window, total: int) -> Page:
    """A page from up to `size + 1` rows `{cursor, node}` in walking order (the extra row only says
    there is more that way); see `page_of` for the same in Cypher."""
    rows = raw[: window.size]
    more = len(raw) > window.size
    if window.backward:
        rows.reverse()
    given = window.cursor is not None
    return Page(
        items=[to_record(label, row["node"]) for row in rows],
        cursors=[row["cursor"] for row in rows],
        total=total,
        has_next=given if window.backward else more,
        has_previous=more if window.backward else given,
    )


def page_calls(
    root: RootList, source: str, distinct: bool, where: tuple[str, ...], backward: bool, row: str
) -> tuple[str, str]:
    """The list's count and its page (`row` per node bound to `x`, one more than the page) as two CALL
    subqueries binding `total` and `rows`: the interpreted and the compiled read paths both use these."""
    keyset, order = keyset_and_order(root.newest_first, backward=backward)
    conditions = " AND ".join(where) or "true"
    unique = "WITH DISTINCT x " if distinct else "WITH x "
    count = (
        f"{source}{unique}WHERE {conditions} RETURN count(x) AS total"
        if distinct or where
        else f"{source}RETURN count(x) AS total"
    )
    page = (
        f"{source}{unique}WHERE {conditions} AND {order_hint(root.newest_first)} AND {keyset} "
        f"WITH x ORDER BY {order} LIMIT $limit RETURN collect({row}) AS rows"
    )
    return f"CALL {{ {count} }} ", f"CALL {{ {page} }} "


@cache
def _statement(root: RootList, source: str, distinct: bool, where: tuple[str, ...], backward: bool) -> str:
    row = f"{{cursor: {cursor_of('x', root.newest_first)}, node: {registry.by_label(root.label).projection}}}"
    count, page = page_calls(root, source, distinct, where, backward, row)
    return f"{count}{page}RETURN total, rows"


def list_statement(root: RootList, checked: dict[str, Any], backward: bool = False) -> tuple[str, dict[str, Any]]:
    """The page-and-count statement for the checked filter, and the parameters of its source."""
    source, params, distinct = root.source(checked)
    return _statement(root, source, distinct, root.where(checked), backward), params


async def fetch_page(graph: Graph, root: RootList, checked: dict[str, Any], window: Window) -> Page:
    cypher, source_params = list_statement(root, checked, window.backward)
    params = {**checked, **source_params, **window.params(root.newest_first)}
    rows = await graph.read(cypher, f"list.{root.label}", **params)
    return page_from_rows(root.label, rows[0]["rows"], window, rows[0]["total"])
