"""Keyset-paginated lists: one Cypher statement returns a page and the total count.

A list is described by fixed Cypher fragments (never user text): `source` binds `x` to candidate
nodes (from a label scan, a place, or the full-text index), `filters` are predicates that are
inert when their parameter is null. Ordering is stable: by `id`, or newest first then `id`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from graph.catalog import BY_LABEL
from graph.kernel.db import Graph
from graph.kernel.errors import BadUserInput
from graph.kernel.records import from_row


@dataclass(frozen=True)
class Page:
    items: list[Any]
    cursors: list[str]
    total: int
    has_next: bool


@dataclass(frozen=True)
class ListSpec:
    label: str
    filters: tuple[str, ...] = ()
    newest_first: bool = False  # order by createdAt DESC, id DESC; else id ASC


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, ensure_ascii=False).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, newest_first: bool) -> dict[str, Any]:
    if cursor is None:
        return {"afterId": None, "afterCreated": None}
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if newest_first:
            created, node_id = key
            if not isinstance(created, str) or not isinstance(node_id, str):
                raise ValueError
            return {"afterCreated": created, "afterId": node_id}
        (node_id,) = key
        if not isinstance(node_id, str):
            raise ValueError
        return {"afterId": node_id, "afterCreated": None}
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadUserInput(
            f"after: {cursor!r} is not a cursor from this list; pass an endCursor or edge cursor you were given",
            field="after",
        ) from exc


def keyset_and_order(newest_first: bool) -> tuple[str, str]:
    """The predicate that resumes after a cursor, and the ORDER BY it relies on."""
    if newest_first:
        keyset = (
            "($afterCreated IS NULL OR x.createdAt < datetime($afterCreated) "
            "OR (x.createdAt = datetime($afterCreated) AND x.id < $afterId))"
        )
        return keyset, "x.createdAt DESC, x.id DESC"
    return "($afterId IS NULL OR x.id > $afterId)", "x.id"


def to_record(label: str, row: dict[str, Any]) -> Any:
    """The record of `label` filled from its projection."""
    record = BY_LABEL[label].record
    assert record is not None, f"{label} is never read as a record"
    return from_row(record, row)


def page_from_rows(label: str, raw: list[dict[str, Any]], first: int, total: int, newest_first: bool) -> Page:
    """A page from up to `first + 1` projected rows (the extra row only says there is a next page)."""
    rows = raw[:first]
    if newest_first:
        cursors = [encode_cursor([row["createdAt"].iso_format(), row["id"]]) for row in rows]
    else:
        cursors = [encode_cursor([row["id"]]) for row in rows]
    return Page(items=[to_record(label, row) for row in rows], cursors=cursors, total=total, has_next=len(raw) > first)


def _statement(spec: ListSpec, source: str) -> str:
    where = " AND ".join(spec.filters) or "true"
    keyset, order = keyset_and_order(spec.newest_first)
    return (
        f"CALL {{ {source} WITH DISTINCT x WHERE {where} RETURN count(x) AS total }} "
        f"CALL {{ {source} WITH DISTINCT x WHERE {where} AND {keyset} "
        f"WITH x ORDER BY {order} LIMIT $limit RETURN collect({BY_LABEL[spec.label].projection}) AS rows }} "
        "RETURN total, rows"
    )


async def fetch_page(
    graph: Graph, spec: ListSpec, source: str, params: dict[str, Any], first: int, after: str | None
) -> Page:
    keys = decode_cursor(after, spec.newest_first)
    rows = await graph.read(_statement(spec, source), f"list.{spec.label}", **params, **keys, limit=first + 1)
    return page_from_rows(spec.label, rows[0]["rows"], first, rows[0]["total"], spec.newest_first)
