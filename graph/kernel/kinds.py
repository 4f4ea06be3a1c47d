"""One declaration per node kind, and what is derived from it.

A `Kind` says, once, everything the rest of the code needs to know about a label: its id prefix,
the record it is read into (a dataclass whose fields are the node's properties, plus the ids of the
nodes it links to), its relationships as fields (`Link`), whether it is locked before checks, which
properties are indexed, and which GraphQL type shows it. Ids, projections, locks, `node(id:)`, the
nested lists, the migrations' expectations and the compiled read path all read these declarations
(each domain registers its own with graph/kernel/registry.py), so adding a kind is one declaration plus
its domain's files.

Cypher fragments here are fixed text written by us, never user input.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from types import MappingProxyType, NoneType, UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict

# The value types a record's field may have besides Python's own (schema/ shows them as GeoPoint, Fen).
from graph.kernel.records import Fen as Fen
from graph.kernel.records import GeoPoint as GeoPoint

# The most items a listed link (`listed(...)`, a plain list, not a paged connection) answers with,
# on either read path; the cost limit counts this much for each (resolvers/kernel/cost.py).
LISTED_LIMIT = 100

_CAMEL = re.compile(r"_([a-z0-9])")
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")
# The two variables of a link's fixed Cypher: `x` (this kind's node) and `y` (the linked one).
_ENDS = re.compile(r"(?<![A-Za-z0-9_`'])([xy])(?![A-Za-z0-9_`'])")


def snake(name: str) -> str:
    """`districtId` → `district_id`: record attributes are snake_case."""
    return _SNAKE.sub("_", name).lower()


def camel(name: str) -> str:
    """`district_id` → `districtId`: graph properties and GraphQL fields are camelCase."""
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


@dataclass(frozen=True, slots=True)
class Link:
    """A relationship seen as a field of the kind.

    `pattern` binds the related node `y` starting from `x` (the node of this kind). A to-one or
    list link may be copied onto the record as `attr` (the linked nodes' `key`, e.g. `districtId`),
    so nested fields load in one batch per level; a `many` link is a paged connection.
    """

    pattern: str
    target: str | tuple[str, ...]  # label(s) of y
    many: bool = False  # a Relay connection (first/after, totalCount)
    single: bool = True  # to-one (first match) unless a list
    attr: str | None = None  # record attribute (camelCase) carrying the linked key(s)
    key: str = "id"  # the property of y that `attr` carries
    newest_first: bool = False  # connection order: createdAt DESC, id DESC; else id ASC
    where: str = "true"  # fixed Cypher predicate over y
    order: str | None = None  # ORDER BY over y of a to-one or list link (else the pattern's own order)
    gate: str | None = None  # "signed-in": the field is empty (null, []) for anonymous viewers

    @property
    def targets(self) -> tuple[str, ...]:
        return self.target if isinstance(self.target, tuple) else (self.target,)

    def bind(self, source: str, target: str) -> tuple[str, str]:
        """(pattern, where) with `x` renamed to `source` and `y` to `target`, for nesting in bigger queries."""
        names = {"x": source, "y": target}
        return (
            _ENDS.sub(lambda m: names[m.group(1)], self.pattern),
            _ENDS.sub(lambda m: names[m.group(1)], self.where),
        )

    def comprehension(self, source: str = "x", target: str = "y") -> str:
        """The linked key(s) as one Cypher expression over `source`."""
        pattern, where = self.bind(source, target)
        listed = f"[{pattern} WHERE {where} | {target}.{self.key}]"
        return f"{listed}[0]" if self.single else listed


def cypher_strings(values: Iterable[str]) -> str:
    """A fixed value set as a Cypher list literal, e.g. `['ACCEPTED', 'DISPATCHED']` (sorted, stable)."""
    return "[" + ", ".join(f"'{value!s}'" for value in sorted(values)) + "]"


def one(pattern: str, target: str | tuple[str, ...], attr: str | None = None, key: str = "id", **how: Any) -> Link:
    return Link(pattern, target, attr=attr, key=key, **how)


def listed(pattern: str, target: str | tuple[str, ...], attr: str | None = None, key: str = "id", **how: Any) -> Link:
    return Link(pattern, target, single=False, attr=attr, key=key, **how)


def bind_expression(expression: str, var: str) -> str:
    """A Cypher expression over `x` (a kind's `computed` field) rewritten over `var`."""
    return _ENDS.sub(lambda m: var if m.group(1) == "x" else m.group(1), expression)


def many(pattern: str, target: str, *, newest_first: bool = False, where: str = "true") -> Link:
    return Link(pattern, target, many=True, single=False, newest_first=newest_first, where=where)


@dataclass(frozen=True)
class Where:
    """A filter field's predicate, fixed Cypher over `x` and the field's `$parameter` (camelCase), used
    when the field is given: `status: Annotated[list[NeedStatus] | None, Where("x.status IN $status")]`.
    A field without one narrows the list through the list's `select` instead."""

    cypher: str


class ListFilter(BaseModel):
    """The base of a root list's filter, the one declaration of it (the GraphQL filter input is derived
    from it): camelCase names, unknown ones refused, value sets as their plain strings."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=camel, use_enum_values=True)

    @classmethod
    def predicates(cls) -> dict[str, str]:
        """Filter name (camelCase) → its predicate, in declaration order."""
        return {
            info.alias or name: mark.cypher
            for name, info in cls.model_fields.items()
            for mark in info.metadata
            if isinstance(mark, Where)
        }


@dataclass(frozen=True)
class Listed:
    """A kind's root list declared with the kind (the registry makes it a `RootList`): every node of
    the kind, narrowed by the predicates of `filter`, by id or newest first."""

    field: str  # the GraphQL root field
    filter: type[ListFilter] | None = None
    newest_first: bool = False


# (source Cypher binding `x`, its parameters, whether one node can come out of it twice)
Source = tuple[str, dict[str, Any], bool]


def label_scan(label: str) -> Source:
    """Every node of `label`: what a list starts from when no filter narrows where its nodes are."""
    return f"MATCH (x:{label}) ", {}, False


@dataclass(frozen=True, eq=False)  # one object per list, hashed by identity (its statements are cached)
class RootList:
    field: str  # the GraphQL root field
    label: str  # what it lists
    # Chooses the source from the checked filter (camelCase keys); None: always the label scan.
    select: Callable[[dict[str, Any]], Source] | None = None
    filter: type[ListFilter] | None = None
    newest_first: bool = False

    @cached_property
    def predicates(self) -> Mapping[str, str]:
        """Filter name → predicate over x and $name: the filter's `Where`s."""
        return self.filter.predicates() if self.filter is not None else {}

    def source(self, params: dict[str, Any]) -> Source:
        return label_scan(self.label) if self.select is None else self.select(params)

    def where(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        """The predicates of the filters given (in declaration order)."""
        return tuple(predicate for name, predicate in self.predicates.items() if params.get(name) is not None)


READERS = ("public", "signed-in", "staff", None)


@dataclass(frozen=True)
class Kind:
    label: str
    prefix: str  # ids look like `prefix:key`
    record: type | None = None  # the dataclass a node is read into; None: never read as a record
    graphql: str | None = None  # the GraphQL object type that shows it
    # Who `node(id:)` serves it to: "public", "signed-in", "staff" (coordinators and admins whose
    # scope holds the record's `scope_attr` place; CITY_ADMIN always); None: never by id.
    reader: str | None = None
    scope_attr: str | None = None
    # With reader "staff": a record attribute holding the id (or ids) of the parties to the record, whose
    # own viewers (a token scoped to one of them, as a department's staff) are served it too.
    party_attr: str | None = None
    links: Mapping[str, Link] = field(default_factory=dict)  # by field name (GraphQL, camelCase)
    extra: Mapping[str, str] = field(default_factory=dict)  # record attrs computed in Cypher over x
    lockable: bool = False  # mutations take its write lock before checking (graph/kernel/locks.py)
    indexes: tuple[str, ...] = ()  # range-indexed properties (filters, sort keys)
    point: bool = False  # a point index on `location`
    fulltext: tuple[str, ...] = ()  # properties in the `<label>_text` cjk full-text index
    catalog: bool = False  # also found by `code` (categories, skills, facilities)
    # GraphQL fields computed from the node: a Cypher expression over `x` and the request's parameters
    # ($now, $signedIn, $viewerRole, $viewerSubject, $viewerScope), equal to the field's Python resolver
    # (the compiled read path uses the first, the interpreter the second; a differential test compares).
    computed: Mapping[str, str] = field(default_factory=dict)
    interpreted: frozenset[str] = frozenset()  # fields only the interpreter answers (the compiler falls back)
    listing: Listed | None = None  # its root list, when declared with the kind (`listed`)

    def __post_init__(self) -> None:
        if self.reader not in READERS:
            raise ValueError(f"{self.label}: reader must be one of {READERS}, not {self.reader!r}")
        if self.reader is not None and (self.record is None or self.graphql is None):
            raise ValueError(f"{self.label}: a kind served by id needs a record and a GraphQL type")
        object.__setattr__(self, "links", MappingProxyType(dict(self.links)))
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))
        object.__setattr__(self, "computed", MappingProxyType(dict(self.computed)))
        if self.record is not None:
            names = {camel(f.name) for f in dataclasses.fields(self.record)}
            for name, link in self.links.items():
                if link.attr is not None and link.attr not in names:
                    raise TypeError(f"{self.label}.{name}: {self.record.__name__} has no field for {link.attr!r}")

    @property
    def properties(self) -> dict[str, type]:
        """The node's own properties (camelCase) and their Python types: the record's fields that
        are neither linked keys nor computed."""
        if self.record is None:
            return {}
        derived = {link.attr for link in self.links.values() if link.attr} | set(self.extra)
        hints = get_type_hints(self.record)
        return {
            camel(f.name): _bare(hints[f.name]) for f in dataclasses.fields(self.record) if camel(f.name) not in derived
        }

    @property
    def projection(self) -> str:
        """The map projection (variable `x`) that fills the record: all properties, linked keys, extras."""
        parts = [".*"]
        parts += [f"{link.attr}: {link.comprehension()}" for link in self.links.values() if link.attr]
        parts += [f"{name}: {expression}" for name, expression in self.extra.items()]
        return "x {" + ", ".join(parts) + "}"

    def linking(self, **links: Link) -> Kind:
        """This kind with these links (by field name), so a declaration names its scalar facts first and its
        relationships below them: `declare(Street, "street", ...).linking(district=one(...), ...)`."""
        return dataclasses.replace(self, links={**self.links, **links})

    def listed(self, field: str, filter: type[ListFilter] | None = None, *, newest_first: bool = False) -> Kind:
        """This kind listed at the root as `field`, filtered by `filter` (a `ListFilter` whose fields carry
        their `Where`), when a label scan is where the list starts: `declare(...).listed("departments", …)`."""
        return dataclasses.replace(self, listing=Listed(field, filter, newest_first))

    def link(self, name: str) -> Link:
        try:
            return self.links[name]
        except KeyError:
            raise KeyError(f"{self.label} has no link {name!r}") from None


def declare(record: type, prefix: str, *, graphql: str | None = None, **how: Any) -> Kind:
    """The kind whose label is its record's name, shown as the GraphQL type of that name unless
    `graphql` names another: `declare(Venue, "venue", reader="public", ...)`."""
    return Kind(record.__name__, prefix, record, graphql=graphql or record.__name__, **how)


def _bare(hint: Any) -> type:
    """`datetime | None` → `datetime`; `list[str]` → `list`."""
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        args = [a for a in get_args(hint) if a is not NoneType]
        return _bare(args[0]) if len(args) == 1 else object
    return origin or hint


def plain(value: Any, key: Callable[[str], str] = str) -> Any:
    """Input as plain data: an input object (strawberry hands them over as dataclasses) or a dict as a
    dict whose keys pass through `key`, without the fields left out or null; enums as their values;
    lists item by item."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [plain(item, key) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items: Iterable[tuple[str, Any]] = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
    elif isinstance(value, dict):
        items = value.items()
    else:
        return value
    # strawberry's UNSET (a field left out) is known by its type's name: graph/ does not import strawberry.
    return {key(k): plain(v, key) for k, v in items if v is not None and type(v).__name__ != "UnsetType"}
