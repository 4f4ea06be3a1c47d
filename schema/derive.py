"""GraphQL types derived from the declarations they show, so that each fact is written once.

- A mutation's input is its pydantic form (`resolvers/<domain>/`): `input_of(Form)` shows the form's
  fields camelCase, with the form's nullability and defaults. A field is an `ID` when its name says
  so (`…_id`, `…_ids`), an enum when the form holds one, `Fen`, `DateTime`, `Date` as the form's
  type says; a nested form is its own input; a field the form fills itself (`Field(exclude=True)`)
  is not shown, and a field the form insists on even when left out (`validate_default`, as
  `required_text`) is required. Validation stays the form's: the input only carries the data.
- A mutation field hands its input as plain data to its resolver (`resolvers/`), whose result becomes
  the payload; its input is its form's, named after it (`mutation_field`).
- Enums are the declarations' `StrEnum`s, described by their docstrings.

Descriptions come from the declarations (docstrings, `Field(description=…)`) or, for the words used
everywhere, from the glossary (`schema/glossary.py`), which fills what is still undescribed.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from enum import Enum
from types import NoneType, UnionType
from typing import Annotated, Any, Optional, Union, get_args, get_origin, get_type_hints

import strawberry
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from strawberry.types import Info
from strawberry.types.enum import has_enum_definition

from graph.kernel.kinds import Fen, GeoPoint, Kind, Link, camel, snake
from resolvers.kernel import read
from resolvers.kernel.mutations import Mutation
from resolvers.kernel.mutations import declared as declared_mutations
from schema.relay import KEY, NODES, GeoPointType, Node, as_dict, connection, in_nodes, listed_at_most

_SCALARS = (str, int, float, bool, datetime, date, Fen)


def enum_type(values: type[Enum]) -> Any:
    """The GraphQL enum of a declaration's value set, described by its docstring."""
    if not has_enum_definition(values):
        strawberry.enum(values, description=values.__dict__.get("__doc__"))
    return values


def is_id(name: str) -> bool:
    """Ids are named so: `id`, `…_id`, `…_ids` (snake or camel)."""
    return name in ("id", "ids") or name.endswith(("_id", "_ids", "Id", "Ids"))


def shown(hint: Any, name: str, nested: Any = None, *, ids: bool | None = None) -> Any:
    """The strawberry annotation of a declared Python type. A str is an ID when `ids` says so, else
    when `name` is an id's name; `nested` turns a nested pydantic model into its input type."""
    origin = get_origin(hint)
    if origin is Annotated:
        return shown(get_args(hint)[0], name, nested, ids=ids)
    if origin in (Union, UnionType):
        args = [arg for arg in get_args(hint) if arg is not NoneType]
        if len(args) != 1:
            raise TypeError(f"{name}: a union of {args} has no GraphQL type")
        inner = shown(args[0], name, nested, ids=ids)
        return Optional[inner] if len(args) < len(get_args(hint)) else inner  # noqa: UP045
    if origin is list:
        (item,) = get_args(hint)
        return list[shown(item, name, nested, ids=ids)]  # type: ignore[misc]
    if hint is str and (is_id(name) if ids is None else ids):
        return strawberry.ID
    if isinstance(hint, type) and issubclass(hint, Enum):
        return enum_type(hint)
    if hint is GeoPoint:
        return GeoPointType
    if isinstance(hint, type) and issubclass(hint, BaseModel) and nested is not None:
        return nested(hint)
    if hint in _SCALARS:
        return hint
    raise TypeError(f"{name}: {hint!r} has no GraphQL type; declare it as a plain type, an enum or a form")


# --- node types from kinds' declarations -------------------------------------------------------


def _doc(declared: Any) -> str | None:
    """A class's or function's own docstring (not the signature a dataclass is given without one)."""
    doc = declared.__doc__ if declared is not None else None
    return None if doc is None or doc.startswith(f"{declared.__name__}(") else inspect.cleandoc(doc)


def _graphql(label: str) -> str:
    name = read.declared(label).graphql
    if name is None:
        raise TypeError(f"{label} is not shown in GraphQL: hide the links to it")
    return name


def _link_field(kind: Kind, name: str, link: Link) -> Any:
    """The field showing a link: a Relay connection for `many`, else the linked node(s) read by the
    keys the record carries (one batch per level of the query)."""
    if link.many:
        return connection(f"{kind.label}.{name}", _graphql(link.target))
    if link.attr is None or len(link.targets) != 1 or link.key not in ("id", "code"):
        raise TypeError(
            f"{kind.graphql}.{name}: a link without one target and the keys on the record cannot be derived; "
            "write its field in schema/ or hide it"
        )
    (label,) = link.targets
    target, attr = _graphql(label), snake(link.attr)
    if link.single:
        find = read.by_id if link.key == "id" else read.by_code
        returns = f"{target} | None"
    else:
        find = read.by_ids if link.key == "id" else read.by_codes
        returns = f"list[{target}]"

    async def resolve(self: Any, info: Info) -> Any:
        return await find(info.context, label, listed_at_most(getattr(self, attr)))

    return strawberry.field(resolver=in_nodes(resolve, returns))


def node_type(
    kind: Kind, *, hide: Iterable[str] = (), ids: Iterable[str] = (), description: str | None = None
) -> Callable[[type], Any]:
    """`@node_type(KIND)` over a class: the GraphQL type of `kind`, named as the kind says, derived from
    its declaration, with what the class adds. Derived: the record's fields (camelCase; an `ID` for
    `id` and for the linked keys named in `ids`, the others as their Python type says) and its links
    (`one`/`listed` with keys on the record: the linked nodes; `many`: a connection), less the fields
    named in `hide`. The class adds what is not data (computed fields, masking, resolvers) and replaces
    any derived field it declares itself. A kind served by id (`reader`) must be a `Node`. Described
    by `description`, else by the record's docstring, else by the glossary."""
    # As registered: with the links other domains lend it (a community's open needs).
    kind = read.declared(kind.label)
    if kind.record is None or kind.graphql is None:
        raise TypeError(f"{kind.label} is not shown in GraphQL")
    record, hidden, shown_ids = kind.record, set(hide), set(ids)

    def make(cls: type) -> Any:
        if kind.reader is not None and not issubclass(cls, Node):
            raise TypeError(f"{kind.graphql} is served by id (reader={kind.reader!r}): make it a Node")
        written = inspect.get_annotations(cls)
        own = {**vars(cls), **written}
        keys = {link.attr for link in kind.links.values() if link.attr} - shown_ids
        hints = get_type_hints(record)
        annotations: dict[str, Any] = {}
        for f in dataclasses.fields(record):
            name = camel(f.name)
            if name in hidden or name in keys or f.name in own:
                continue
            annotations[f.name] = shown(hints[f.name], name, ids=name == "id" or name in shown_ids)
        for name, link in kind.links.items():
            if name not in hidden and snake(name) not in own:
                setattr(cls, snake(name), _link_field(kind, name, link))
        cls.__annotations__ = {**annotations, **written}
        cls.is_type_of = classmethod(lambda _, obj, info: isinstance(obj, record))  # type: ignore[attr-defined]
        made = strawberry.type(cls, name=kind.graphql, description=description or _doc(record))
        setattr(NODES, kind.graphql, made)
        return made

    return make


def derived_type(kind: Kind, **how: Any) -> Any:
    """The GraphQL type of a kind that shows nothing but its declaration (see `node_type`)."""
    return node_type(kind, **how)(type(kind.graphql or kind.label, (Node,) if kind.reader else (), {}))


# --- root lists and their filters --------------------------------------------------------------


def filter_input(filter_: type[BaseModel]) -> Any:
    """The GraphQL input of a root list's filter (graph/<domain>/lists.py), named as the filter."""
    return input_of(filter_, filter_.__name__)


def root_list(name: str, description: str | None = None) -> Any:
    """The connection field of the root list `name` (as registered): its kind's nodes, filtered by
    the list's filter (its input derived from it)."""
    root = read.root_list(name)
    return connection(name, _graphql(root.label), description, root.filter and filter_input(root.filter))


# --- inputs from forms -------------------------------------------------------------------------

_INPUTS: dict[tuple[type, str], type] = {}


def _input_field(name: str, info: FieldInfo) -> tuple[Any, Any]:
    """(annotation, strawberry field) of one form field as an input field."""
    annotation = shown(info.annotation, name, nested=_nested)
    # A field checked even when left out (`required_text`) must be sent: its check says why.
    insisted = info.validate_default and info.default is None
    if insisted and get_origin(annotation) is Union:
        (annotation,) = [arg for arg in get_args(annotation) if arg is not NoneType]
    description = info.description
    if info.is_required() or insisted:
        return annotation, strawberry.field(description=description)
    if get_origin(annotation) is Union:  # nullable: left out is null, and the form says what null means
        return annotation, strawberry.field(default=None, description=description)
    if info.default_factory is not None:
        return annotation, strawberry.field(default_factory=info.default_factory, description=description)  # type: ignore[arg-type]
    default = None if info.default is PydanticUndefined else info.default
    return annotation, strawberry.field(default=default, description=description)


def _nested(form: type[BaseModel]) -> Any:
    """The input of a form nested in another: the one it was named as, else `<Form>Input`."""
    named = [made for (of, _), made in _INPUTS.items() if of is form]
    return named[0] if named else input_of(form)


def input_of(form: type[BaseModel], name: str | None = None, *, base: type = object) -> Any:
    """The GraphQL input of `form`, named `name` (`<Form>Input` by default), with the fields of `base`
    (a strawberry input, e.g. the idempotency key of mutations) first. One type per form and name;
    a nested form is named before the forms holding it are shown."""
    name = name or f"{form.__name__}Input"
    key = (form, name)
    if key in _INPUTS:
        return _INPUTS[key]
    if base is object and any(of is form for of, _ in _INPUTS):
        raise TypeError(f"{form.__name__} is shown already under another name: name {name} before it is used")
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for attr, info in form.model_fields.items():
        if info.exclude:  # filled by the server (e.g. the request's day), never sent by a client
            continue
        annotations[attr], namespace[attr] = _input_field(attr, info)
    cls = type(name, (base,), {"__annotations__": annotations, "__module__": __name__, **namespace})
    made = strawberry.input(cls, name=name)
    _INPUTS[key] = made
    return made


# --- mutations: the one shape of a mutation field --------------------------------------------


@strawberry.input
class MutationInput:
    """What every mutation's input has: its idempotency key."""

    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


def mutation_input(form: type, name: str | None = None) -> Any:
    """The input of a mutation whose form is `form`: the form's fields and the idempotency key."""
    return input_of(form, name, base=MutationInput)


def input_name(mutation: str) -> str:
    """`dispatchNeed` → `DispatchNeedInput`: a mutation's own input is named after it."""
    return f"{mutation[0].upper()}{mutation[1:]}Input"


def input_for(mutation: Mutation[Any]) -> Any:
    """A mutation's own input: its form's, named after it."""
    return mutation_input(mutation.form, input_name(mutation.name))


Builder = Callable[[Info, dict[str, Any]], Awaitable[Any]]


def mutation_field(build: Builder, resolve: Mutation[Any], about: str, *, input: type | None = None) -> Any:
    """The one shape of a mutation field: its input as plain data to its resolver (`resolvers/`), whose
    result `build` turns into the payload (the type `build` returns); `about` describes it. The input
    is the resolver's form, named after the mutation, unless `input` names one several share."""
    if input is None:
        input = input_for(resolve)

    async def run(self: Any, info: Info, input: Any) -> Any:
        return await build(info, await resolve(info.context, as_dict(input)))

    run.__annotations__ = {"info": Info, "input": input, "return": get_type_hints(build)["return"]}
    return strawberry.mutation(resolver=run, description=about)


def record_payload(
    name: str, field: str, record: Any, key: str, *, optional: bool = False, about: str | None = None
) -> Any:
    """The payload type of a mutation that writes one record: that record (read back by the `key` id of
    the resolver's result), null when `optional` and it cannot be read, and `replayed`. Its `build` turns
    the resolver's result into it; `about` describes the record's field."""
    label = record.__strawberry_definition__.name
    namespace = {
        "__annotations__": {field: record | None if optional else record, "replayed": bool},
        field: strawberry.field(description=about),
        "replayed": False,
    }
    payload = strawberry.type(type(name, (), {**namespace, "__module__": record.__module__}), name=name)

    async def build(info: Info, result: dict[str, Any]) -> Any:
        found = await read.by_id(info.context, label, result[key])
        return payload(**{field: found}, replayed=bool(result.get("replayed")))

    build.__annotations__["return"] = payload
    payload.build = staticmethod(build)
    return payload


# --- what no schema module writes: derived whole --------------------------------------------------


def _lower(name: str) -> str:
    return name[0].lower() + name[1:]


def derived_types() -> tuple[Any, ...]:
    """The GraphQL types of the kinds no schema module shows: each its declaration, nothing hidden."""
    return tuple(
        derived_type(kind)
        for kind in read.kinds()
        if kind.graphql is not None and kind.record is not None and not hasattr(NODES, kind.graphql)
    )


def _fields(types: Iterable[type]) -> set[str]:
    """The GraphQL names of the fields of these strawberry types."""
    return {
        field.graphql_name or camel(field.python_name)
        for cls in types
        for field in cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
    }


def derived_query(written: Iterable[type]) -> tuple[type, ...]:
    """The root lists no schema module shows, as one query type (none when there are none)."""
    taken = _fields(written)
    missing = [root for name, root in read.root_lists().items() if name not in taken]
    if not missing:
        return ()
    fields = {
        snake(root.field): root_list(
            root.field, f"Every {_graphql(root.label)}, {'newest first' if root.newest_first else 'by id'}."
        )
        for root in missing
    }
    return (strawberry.type(type("DerivedQuery", (), fields)),)


def derived_mutation(written: Iterable[type]) -> tuple[type, ...]:
    """The mutations no schema module shows, as one mutation type: each takes its form's input and
    answers the node it `returns` (read back after the commit), described by its work's docstring."""
    taken = _fields(written)
    fields = {}
    for name, declared in declared_mutations().items():
        if name in taken:
            continue
        if declared.returns is None:
            raise TypeError(f"{name}: declare what it returns (`returns=`) or write its field in schema/")
        node = getattr(NODES, _graphql(declared.returns))
        payload = record_payload(
            f"{name[0].upper()}{name[1:]}Payload",
            _lower(node.__strawberry_definition__.name),
            node,
            f"{_lower(declared.returns)}Id",
            about=f"The {node.__strawberry_definition__.name} as the change left it.",
        )
        fields[snake(name)] = mutation_field(payload.build, declared, _doc(declared.work) or "")
    return (strawberry.type(type("DerivedMutation", (), fields)),) if fields else ()
