"""Shared GraphQL building blocks: the Node interface and `node(id:)`, Relay connections, scalars, points.

Node types are derived from their kinds' declarations (`schema/derive.py`), each bound to its record:
the record a resolver returns is recognised as that type in interfaces and unions, so records reach
GraphQL one way (`stands_for` binds a type of resolvers' records so).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from types import ModuleType
from typing import Annotated, Any, Generic, Optional, TypeVar, get_type_hints

import strawberry
from strawberry.types import Info

from graph.kernel.kinds import LISTED_LIMIT, Fen, plain
from resolvers.kernel import read
from resolvers.kernel.validation import utc_instant, utc_text

T = TypeVar("T")

KEY = "Send the same key again to retry safely: the first result is returned and nothing changes twice."
PAGE = "How many to return, at most 100."


@strawberry.interface(description="Anything with a Minhu id (`kind:key`, e.g. need:… or community:610103001009).")
class Node:
    id: strawberry.ID


# Every node type by its GraphQL name (`schema/derive.py` puts them here): the namespace the return
# types of fields over nodes are named in, so a type may link to one declared later or in another
# module (resolved when the schema is built).
NODES = ModuleType("schema.relay.nodes", "The node types, by GraphQL name.")
sys.modules[NODES.__name__] = NODES


def in_nodes(resolve: Any, returns: str, annotations: dict[str, Any] | None = None) -> Any:
    """`resolve` with its return type `returns` named in NODES."""
    resolve.__module__ = NODES.__name__
    resolve.__annotations__ = {**(annotations or {"info": Info}), "return": returns}
    return resolve


def stands_for(record: type) -> Any:
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


def lookup(
    find: Callable[..., Awaitable[Any]], label: str, attr: str, returns: Any, description: str | None = None
) -> Any:
    """A field that is the node(s) the record names by id or code in `attr`, read through the request's
    loaders with `find` (`read.by_id`, `by_ids`, `by_code`, `by_codes`): one batch per level of the query."""

    async def resolve(self: Any, info: Info) -> Any:
        return await find(info.context, label, listed_at_most(getattr(self, attr)))

    resolve.__annotations__ = {"info": Info, "return": returns}
    return strawberry.field(resolver=resolve, description=description)


def listed_at_most(items: Any) -> Any:
    """A listed link's items, LISTED_LIMIT at most, as the compiled read path answers them
    (graph/kernel/kinds.py); anything else unchanged."""
    return items[:LISTED_LIMIT] if isinstance(items, list) else items


def about_node(find: Callable[[Any, str], Awaitable[Any]], returns: str, description: str) -> Any:
    """A field that is what the resolver `find` answers for this node's id (`find(context, id)`).
    `returns` names node types (in NODES), so a type may return one declared after it."""

    async def resolve(self: Any, info: Info) -> Any:
        return listed_at_most(await find(info.context, self.id))

    return strawberry.field(resolver=in_nodes(resolve, returns), description=description)


@strawberry.type(description="Where a page lies in its list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    has_previous_page: bool = strawberry.field(
        description="Whether items come before this page (true whenever `after` was given)."
    )
    start_cursor: str | None = strawberry.field(description="The first item's cursor: pass it as `before`.")
    end_cursor: str | None = strawberry.field(description="The last item's cursor: pass it as `after`.")


@strawberry.type(description="One item of a page and its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Pass as `after` or `before` to page from this item.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list: edges in a stable order, and the total count matching the filter.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's items, in the list's order.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether there is more either way.")
    total_count: int = strawberry.field(description="How many items the whole list holds (with the filter).")

    @classmethod
    def of(cls, page: Any) -> Connection[Any]:
        edges = [Edge(cursor=cursor, node=item) for cursor, item in zip(page.cursors, page.items, strict=True)]
        info = PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        )
        return cls(edges=edges, page_info=info, total_count=page.total)


NODES.Connection = Connection  # type: ignore[attr-defined]

# The Relay arguments of every list: forward with first/after, or backward with last/before.
FIRST = "How many from the start or after `after` (20 when no slice is given, at most 100)."
First = Annotated[int | None, strawberry.argument(description=FIRST)]
After = Annotated[str | None, strawberry.argument(description="Page forward from this cursor (`endCursor`).")]
Last = Annotated[int | None, strawberry.argument(description="How many from the end or before `before` (at most 100).")]
Before = Annotated[str | None, strawberry.argument(description="Page backward from this cursor (`startCursor`).")]


def connection(list_name: str, node: str, description: str | None = None, filter_type: Any = None) -> Any:
    """A Relay connection field over `list_name`: a registered root list, or a kind's `many`
    link named `Label.field` (then the field sits on that kind's type), of the node type named `node`
    (in NODES, so a type may list one declared after it), filtered by the input `filter_type`."""
    annotations: dict[str, Any] = {"info": Info, "first": First, "after": After, "last": Last, "before": Before}
    if filter_type is None:

        async def resolve(self: Any, info: Info, first=None, after=None, last=None, before=None) -> Any:
            slice_ = {"first": first, "after": after, "last": last, "before": before}
            if "." in list_name:
                return Connection.of(await read.related(info.context, list_name, self.id, slice_))
            return Connection.of(await read.list_page(info.context, list_name, slice_, None))

    else:

        async def resolve(self: Any, info: Info, first=None, after=None, last=None, before=None, filter=None) -> Any:
            slice_ = {"first": first, "after": after, "last": last, "before": before}
            return Connection.of(await read.list_page(info.context, list_name, slice_, as_dict(filter)))

        described = strawberry.argument(description="Only the items matching all that is given.")
        annotations["filter"] = Annotated[Optional[filter_type], described]  # noqa: UP045
    # The return type is named in NODES, where every node type is (a lazy type would name the
    # connection after `Annotated`).
    return strawberry.field(in_nodes(resolve, f"Connection[{node}]", annotations), description=description)


@strawberry.type(name="GeoPoint", description="A WGS84 point.")
class GeoPointType:
    latitude: float
    longitude: float


def as_dict(value: Any) -> Any:
    """An input object as plain data for validation: nested inputs as dicts, enums as their values,
    fields left out (or null) left out; the names are the form's."""
    return plain(value)


def _parse_fen(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("amounts are whole fen (1/100 yuan), e.g. 150000 for 1,500.00 yuan")
    return value


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
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A Minhu id.")]
    ) -> Node | None:
        return await read.node(info.context, id)

    @strawberry.field(
        description="Nodes by id, in the order asked (at most 100); a node that does not exist or that the viewer "
        "may not see is null."
    )
    async def nodes(
        self, info: Info, ids: Annotated[list[strawberry.ID], strawberry.argument(description="Minhu ids.")]
    ) -> list[Node | None]:
        return await read.nodes(info.context, [str(i) for i in ids])
