"""Shared GraphQL building blocks: the Node interface, Relay connections, points."""

from __future__ import annotations

from typing import Any, Generic, NewType, TypeVar

import strawberry
from strawberry.types import Info

from graph.kernel.listing import Page
from resolvers.kernel.validation import utc_instant, utc_text

T = TypeVar("T")


@strawberry.interface(description="Anything with a Minhu id (`kind:key`, e.g. need:… or community:610103001009).")
class Node:
    id: strawberry.ID


def model_type(model: type) -> Any:
    """Lets a strawberry type stand for a `graph.models` record in interfaces and unions."""

    def is_type_of(cls: type, obj: Any, info: Info) -> bool:
        return isinstance(obj, model)

    def decorate(cls: type) -> type:
        cls.is_type_of = classmethod(is_type_of)  # type: ignore[attr-defined]
        return cls

    return decorate


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
    def of(cls, page: Page) -> Connection[Any]:
        edges = [Edge(cursor=cursor, node=item) for cursor, item in zip(page.cursors, page.items, strict=True)]
        end = page.cursors[-1] if page.cursors else None
        return cls(edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=end), total_count=page.total)


@strawberry.type(name="GeoPoint", description="A WGS84 point.")
class GeoPointType:
    latitude: float
    longitude: float


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
