"""Shared GraphQL building blocks: the Node interface and `node(id:)`, Relay connections, scalars, points.

Each node type is bound to its graph record with `@node_type(Record)`: the record a resolver returns
is recognised as that type in interfaces and unions, so records reach GraphQL one way.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any, Generic, NewType, TypeVar, get_type_hints

import strawberry
from strawberry.types import Info

from resolvers.kernel import read
from resolvers.kernel.validation import utc_instant, utc_text

T = TypeVar("T")

KEY = "Send the same key again to retry safely: the first result is returned and nothing changes twice."
PAGE = "How many to return, at most 100."


@strawberry.interface(description="Anything with a Minhu id (`kind:key`, e.g. need:… or community:610103001009).")
class Node:
    id: strawberry.ID


def node_type(record: type) -> Any:
    """Lets a strawberry type stand for a graph record in interfaces and unions."""

    def is_type_of(cls: type, obj: Any, info: Info) -> bool:
        return isinstance(obj, record)

    def decorate(cls: type) -> type:
        cls.is_type_of = classmethod(is_type_of)  # type: ignore[attr-defined]
        return cls

    return decorate


def record_type(record: type, name: str, description: str, **fields: Any) -> Any:
    """A GraphQL object type whose fields are the record's own (a dataclass of `resolvers/`), so a record
    is declared once: `fields` only adds what the record cannot say (GraphQL names, descriptions,
    properties), as `(annotation, strawberry.field(...))` or a bare `strawberry.field(...)`."""
    hints = get_type_hints(record)
    annotations = {f.name: hints[f.name] for f in dataclasses.fields(record)}
    namespace: dict[str, Any] = {}
    for attr, spec in fields.items():
        annotation, field = spec if isinstance(spec, tuple) else (annotations[attr], spec)
        annotations[attr] = annotation
        namespace[attr] = field
    cls = type(name, (), {"__annotations__": annotations, "__module__": record.__module__, **namespace})
    return strawberry.type(cls, name=name, description=description)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list: edges in a stable order, and the total count matching the filter.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, page: Any) -> Connection[Any]:
        edges = [Edge(cursor=cursor, node=item) for cursor, item in zip(page.cursors, page.items, strict=True)]
        end = page.cursors[-1] if page.cursors else None
        return cls(edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=end), total_count=page.total)


async def related(info: Info, name: str, parent_id: str, first: int | None, after: str | None) -> Connection[Any]:
    """The connection `name` (`Label.field`, a kind's `many` link) of one parent, batched per level."""
    return Connection.of(await read.related(info.context, name, parent_id, first, after))


async def root_list(info: Info, name: str, first: int | None, after: str | None, filter_: object) -> Connection[Any]:
    return Connection.of(await read.list_page(info.context, name, first, after, as_dict(filter_)))


@strawberry.type(name="GeoPoint", description="A WGS84 point.")
class GeoPointType:
    latitude: float
    longitude: float


def as_dict(value: Any) -> Any:
    """An input object as plain data for validation: nested inputs as dicts, enums as their values,
    fields left out (or null) left out."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [as_dict(item) for item in value]
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    out: dict[str, Any] = {}
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if item is None or item is strawberry.UNSET:
            continue
        out[f.name] = as_dict(item)
    return out


def _parse_fen(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("amounts are whole fen (1/100 yuan), e.g. 150000 for 1,500.00 yuan")
    return value


Fen = NewType("Fen", int)

DATETIME_SCALAR = strawberry.scalar(
    name="DateTime",
    description="An instant, ISO 8601. Answers are always UTC; an input without an offset is Beijing time (UTC+8).",
    serialize=utc_text,
    parse_value=utc_instant,
)

FEN_SCALAR = strawberry.scalar(
    name="Fen",
    description="An amount of money in fen (1/100 yuan), as a whole number; 64-bit, unlike Int.",
    serialize=int,
    parse_value=_parse_fen,
)

SCALARS = {Fen: FEN_SCALAR, datetime: DATETIME_SCALAR}


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any node by its id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await read.node(info.context, id)
