"""Compiling a GraphQL read into one Cypher statement per root field.

The validated selection of a query operation is walked once (fragments, aliases, `@skip`/`@include`,
`__typename`), with the kinds' declarations (graph/<domain>/kinds.py) saying what each field is: a
property (formatted in Cypher as the interpreter would serialise it), a link (a map projection for a
to-one link, a pattern comprehension or `COLLECT` subquery for a list, a page with its count for a
connection), or a computed field (its declared Cypher). The statement returns the response's JSON
shape itself, keyed by the response keys, so nothing is resolved field by field afterwards.

What the compiler does not know (a field without a declaration, a kind whose `interpreted` fields are
asked for, a root field that is not `node` or a root list) raises `NotCompilable`; the caller then
lets the interpreter answer. Arguments are read per request (`Compiled.params`), so one compilation
serves every request of the same document, operation and directive variables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    get_named_type,
    is_abstract_type,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values

from graph.kernel import registry
from graph.kernel.ids import label_of
from graph.kernel.kinds import LISTED_LIMIT, Kind, Link, RootList, bind_expression, camel, plain
from graph.kernel.listing import Window, cursor_of, keyset_and_order, order_hint, page_calls, page_of, window
from graph.kernel.records import GeoPoint


@dataclass(frozen=True)
class Shape:
    map: str  # the connection's JSON shape
    row: str  # the `{cursor, node}` expression a page's rows are collected from
    uses_rows: bool
    uses_total: bool


# A GeoPoint's fields, as the coordinates of a Neo4j point.
AXES = {"latitude": "y", "longitude": "x"}


class NotCompilable(Exception):
    """The selection holds something only the interpreter answers; the message says what."""


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _key(key: str) -> str:
    return "`" + key.replace("`", "``") + "`"


def _map(entries: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{_key(key)}: {expression}" for key, expression in entries) + "}"


def utc_text(var: str) -> str:
    """A DateTime as the API answers it (`2026-11-30T00:00:00.123456+00:00`: UTC, microseconds only
    when there are some), written by Cypher."""
    d = "d"
    two = lambda part: f"right('0' + toString({d}.{part}), 2)"  # noqa: E731
    text = (
        f"toString({d}.year) + '-' + {two('month')} + '-' + {two('day')} + 'T' + {two('hour')} + ':' "
        f"+ {two('minute')} + ':' + {two('second')} + CASE {d}.microsecond WHEN 0 THEN '' "
        f"ELSE '.' + right('00000' + toString({d}.microsecond), 6) END + '+00:00'"
    )
    utc = f"datetime({{datetime: {var}, timezone: 'UTC'}})"
    return f"CASE WHEN {var} IS NULL THEN null ELSE [{d} IN [{utc}] | {text}][0] END"


@dataclass
class ArgumentReader:
    """Turns one field's arguments into statement parameters, per request."""

    field_def: GraphQLField
    node: FieldNode
    make: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]  # (args, request) → params


@dataclass
class Compiled:
    """One root field's statement, and how a request fills its parameters."""

    key: str
    field: str
    # A callable: the statement depends on the request; None: the answer is `constant`, no statement.
    cypher: str | Callable[[dict[str, Any]], str] | None
    readers: list[ArgumentReader] = field(default_factory=list)
    # node(id:): the statement is the label's; chosen per request from the id.
    by_label: dict[str, Compiled] | None = None
    node_id: ArgumentReader | None = None
    constant: Any = None

    def params(self, variables: VariableValues, request: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for reader in self.readers:
            args = get_argument_values(reader.field_def, reader.node, variables)
            params.update(reader.make(args, {**request, **params}))
        return params


class Compiler:
    """Compiles the root fields of one query operation."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = {name: FragmentDetails(fragment) for name, fragment in fragments.items()}
        self.variables = variables
        self._counter = 0
        # What fills the parameters of the statement being compiled (one statement at a time).
        self._readers: list[ArgumentReader] = []

    # --- roots --------------------------------------------------------------------------------

    def compile(self) -> list[Compiled]:
        query = self.schema.query_type
        assert query is not None
        grouped = collect_fields(self.schema, self.fragments, self.variables, query, self.operation)
        return [self._root(key, details, query) for key, details in grouped.grouped_field_set.items()]

    def _root(self, key: str, details: list[FieldDetails], query: GraphQLObjectType) -> Compiled:
        name = details[0].node.name.value
        if name == "__typename":
            return Compiled(key, name, None, constant=query.name)
        if name.startswith("__"):
            raise NotCompilable(f"the introspection field {name} is answered by graphql-core")
        field_def = query.fields[name]
        if name == "node":
            return self._node_root(key, field_def, details)
        root = registry.root_list(name)
        if root is None:
            raise NotCompilable(f"the root field {name} is answered by its resolver")
        return self._list_root(key, root, field_def, details)

    def _node_root(self, key: str, field_def: GraphQLField, details: list[FieldDetails]) -> Compiled:
        by_label: dict[str, Compiled] = {}
        for kind in registry.kinds():
            if kind.reader is None or kind.graphql is None:
                continue
            if kind.reader == "staff":
                continue  # decided per request: the scope check needs the record's place
            runtime = self.schema.get_type(kind.graphql)
            assert isinstance(runtime, GraphQLObjectType)
            self._readers = []
            try:
                projection = self._project(kind, "x", runtime, details)
            except NotCompilable:
                continue  # asked for by id, this kind goes to the interpreter
            statement = f"MATCH (x:{kind.label} {{id: $id}}) RETURN {projection} AS v"
            by_label[kind.label] = Compiled(key, "node", statement, self._readers)
        node_id = ArgumentReader(field_def, details[0].node, lambda args, request: {"id": str(args["id"])})
        return Compiled(key, "node", "", by_label=by_label, node_id=node_id)

    def _list_root(self, key: str, root: RootList, field_def: GraphQLField, details: list[FieldDetails]) -> Compiled:
        connection = get_named_type(field_def.type)
        assert isinstance(connection, GraphQLObjectType)
        self._readers = []
        kind = registry.by_label(root.label)
        shape = self._connection(kind, "x", "rows", "total", connection, details, "", root.newest_first)

        def make(args: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
            chosen = _window(args)
            checked: dict[str, Any] = {}
            if root.filter is not None:
                given = plain(args.get("filter"), camel) or {}
                checked = root.filter.model_validate(given).model_dump(by_alias=True)
            checked["now"] = request["now"]
            checked["viewerRole"], checked["viewerScope"] = request.get("viewerRole"), request.get("viewerScope")
            source, source_params, distinct = root.source(checked)
            return {
                **checked,
                **source_params,
                **chosen.params(root.newest_first),
                "_source": (source, distinct, root.where(checked)),
            }

        self._readers.insert(0, ArgumentReader(field_def, details[0].node, make))

        def statement(params: dict[str, Any]) -> str:
            source, distinct, where = params.pop("_source")
            count, page = page_calls(root, source, distinct, where, params["backward"], shape.row)
            return (count if shape.uses_total else "") + (page if shape.uses_rows else "") + f"RETURN {shape.map} AS v"

        return Compiled(key, root.field, statement, self._readers)

    # --- projections --------------------------------------------------------------------------

    def fresh(self, stem: str) -> str:
        self._counter += 1
        return f"{stem}{self._counter}"

    def _selection(
        self, runtime: GraphQLObjectType, details: list[FieldDetails], answer: Callable[[str, list[FieldDetails]], str]
    ) -> str:
        """The map `{responseKey: expression}` of the fields selected on `runtime`, each answered by
        `answer(field name, its details)`; `__typename` is the type's name wherever it is asked."""
        collected = collect_subfields(self.schema, self.fragments, self.variables, self.operation, runtime, details)
        entries = []
        for key, sub in collected.grouped_field_set.items():
            name = sub[0].node.name.value
            entries.append((key, _literal(runtime.name) if name == "__typename" else answer(name, sub)))
        return _map(entries)

    def _project(self, kind: Kind, var: str, runtime: GraphQLObjectType, details: list[FieldDetails]) -> str:
        """The map of one node of `kind` bound to `var`."""
        return self._selection(runtime, details, lambda name, sub: self._field(kind, var, runtime, name, sub))

    def _field(self, kind: Kind, var: str, runtime: GraphQLObjectType, name: str, details: list[FieldDetails]) -> str:
        how = reading(kind, name)
        if how == "interpreted":
            raise NotCompilable(f"{runtime.name}.{name} is answered by its resolver")
        if how == "computed":
            return bind_expression(kind.computed.get(name) or kind.extra[name], var)
        field_def = runtime.fields[name]
        if how == "link":
            return self._link(kind.links[name], var, field_def, details)
        if how == "linked keys":
            link = next(link for link in kind.links.values() if link.attr == name)
            return link.comprehension(var, self.fresh("k"))
        if how == "property":
            return self._property(kind, var, name, kind.properties[name], field_def, details)
        raise NotCompilable(f"{runtime.name}.{name} has no declaration")

    def _property(
        self, kind: Kind, var: str, name: str, python: type, field_def: GraphQLField, details: list[FieldDetails]
    ) -> str:
        value = f"{var}.{name}"
        if python is datetime:
            return utc_text(value)
        if python is date:
            return f"toString({value})"
        if python is GeoPoint:
            point = get_named_type(field_def.type)
            assert isinstance(point, GraphQLObjectType)
            axes = self._selection(point, details, lambda axis, sub: f"{value}.{AXES[axis]}")
            return f"CASE WHEN {value} IS NULL THEN null ELSE {axes} END"
        if python is float:
            value = f"toFloat({value})"
        default = _default(kind, name)
        return value if default is None else f"coalesce({value}, {default})"

    def _targets(self, link: Link, var: str, field_def: GraphQLField, details: list[FieldDetails]) -> str:
        """The projection of the linked node bound to `var`, by its label when there are several."""
        branches = []
        for label in link.targets:
            kind = registry.by_label(label)
            if kind.graphql is None:
                raise NotCompilable(f"{label} has no GraphQL type")
            runtime = self.schema.get_type(kind.graphql)
            assert isinstance(runtime, GraphQLObjectType)
            named = get_named_type(field_def.type)
            if is_abstract_type(named) and not self.schema.is_sub_type(named, runtime):  # type: ignore[arg-type]
                raise NotCompilable(f"{runtime.name} is not a {named.name}")
            branches.append((label, self._project(kind, var, runtime, details)))
        if len(branches) == 1:
            return branches[0][1]
        cases = " ".join(f"WHEN {var}:{label} THEN {projection}" for label, projection in branches)
        return f"CASE {cases} END"

    def _link(self, link: Link, var: str, field_def: GraphQLField, details: list[FieldDetails]) -> str:
        if link.many:
            return self._nested_connection(link, var, field_def, details)
        target = self.fresh("n")
        pattern, where = link.bind(var, target)
        projection = self._targets(link, target, field_def, details)
        if link.single:
            if link.order:
                order = Link(link.order, link.target).bind(var, target)[0]
                expression = (
                    f"COLLECT {{ MATCH {pattern} WHERE {where} WITH {target} ORDER BY {order} LIMIT 1 "
                    f"RETURN {projection} }}[0]"
                )
            else:
                expression = f"[{pattern} WHERE {where} | {projection}][0]"
            empty = "null"
        else:
            # A listed link answers LISTED_LIMIT items at most, as the interpreter does (schema/relay.py).
            if link.order:
                order = Link(link.order, link.target).bind(var, target)[0]
                expression = (
                    f"COLLECT {{ MATCH {pattern} WHERE {where} WITH {target} ORDER BY {order} "
                    f"LIMIT {LISTED_LIMIT} RETURN {projection} }}"
                )
            else:
                expression = f"[{pattern} WHERE {where} | {projection}][0..{LISTED_LIMIT}]"
            empty = "[]"
        if link.gate == "signed-in":
            return f"CASE WHEN $signedIn THEN {expression} ELSE {empty} END"
        return expression

    # --- connections --------------------------------------------------------------------------

    def _connection(
        self,
        kind: Kind,
        var: str,
        rows: str,
        total: str,
        connection: GraphQLObjectType,
        details: list[FieldDetails],
        prefix: str,
        newest_first: bool,
    ) -> Shape:
        """The connection's map over `rows` (the page's `{cursor, node}` rows in walking order, one more
        than the page) and `total`, and the row expression over `var` that fills `rows`."""
        page, has_next, has_previous = page_of(rows, prefix)
        row = self.fresh("r")
        used: set[str] = set()  # which of the page's rows and its count the selection reads
        projections: set[str] = set()

        def edge_field(name: str, sub: list[FieldDetails]) -> str:
            if name == "cursor":
                return f"{row}.cursor"
            node_type = get_named_type(edge.fields["node"].type)
            assert isinstance(node_type, GraphQLObjectType)
            projections.add(self._project(kind, var, node_type, sub))
            if len(projections) > 1:
                raise NotCompilable("two different selections of one connection's nodes")
            return f"{row}.node"

        def page_info_field(name: str, sub: list[FieldDetails]) -> str:
            if name == "hasNextPage":
                return has_next
            if name == "hasPreviousPage":
                return has_previous
            if name in ("startCursor", "endCursor"):
                return f"({page})[{0 if name == 'startCursor' else -1}].cursor"
            raise NotCompilable(f"PageInfo.{name} is answered by its resolver")

        def connection_field(name: str, sub: list[FieldDetails]) -> str:
            if name == "totalCount":
                used.add("total")
                return total
            used.add("rows")
            if name == "edges":
                return f"[{row} IN {page} | {self._selection(edge, sub, edge_field)}]"
            if name == "pageInfo":
                info = get_named_type(connection.fields["pageInfo"].type)
                assert isinstance(info, GraphQLObjectType)
                return self._selection(info, sub, page_info_field)
            raise NotCompilable(f"{connection.name}.{name} has no declaration")

        edge = get_named_type(connection.fields["edges"].type)
        assert isinstance(edge, GraphQLObjectType)
        shape = self._selection(connection, details, connection_field)
        node_projection = next(iter(projections), "null")
        cursor_row = f"{{cursor: {cursor_of(var, newest_first)}, node: {node_projection}}}"
        return Shape(shape, cursor_row, "rows" in used, "total" in used)

    def _nested_connection(self, link: Link, var: str, field_def: GraphQLField, details: list[FieldDetails]) -> str:
        (label,) = link.targets
        kind = registry.by_label(label)
        connection = get_named_type(field_def.type)
        assert isinstance(connection, GraphQLObjectType)
        target, rows = self.fresh("n"), self.fresh("page")
        prefix = self.fresh("c") + "_"
        pattern, where = link.bind(var, target)
        total = f"COUNT {{ MATCH {pattern} WHERE {where} RETURN DISTINCT {target} }}"
        shape = self._connection(kind, target, rows, total, connection, details, prefix, link.newest_first)

        def make(args: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
            chosen = _window(args)
            if chosen.backward:
                # Its ORDER BY is written into the plan: the interpreter reads a nested list backward.
                raise NotCompilable("a nested list read with last/before")
            return chosen.params(link.newest_first, prefix)

        self._readers.append(ArgumentReader(field_def, details[0].node, make))
        if not shape.uses_rows:
            return shape.map
        keyset, order = keyset_and_order(link.newest_first, target, prefix)
        page = (
            f"COLLECT {{ MATCH {pattern} WHERE {where} WITH DISTINCT {target} "
            f"WHERE {order_hint(link.newest_first, target)} AND {keyset} "
            f"WITH {target} ORDER BY {order} LIMIT ${prefix}limit RETURN {shape.row} }}"
        )
        return f"[{rows} IN [{page}] | {shape.map}][0]"


def reading(kind: Kind, name: str) -> str | None:
    """How the compiler answers the field `name` of `kind`: "interpreted" (it declines), "computed"
    (the declared Cypher: a computed field, or an extra the record is read with), "link", "linked keys"
    (a link's `attr`), "property" (the node's property, read raw), or None (no declaration: it declines)."""
    if name in kind.interpreted:
        return "interpreted"
    if name in kind.computed or name in kind.extra:
        return "computed"
    if name in kind.links:
        return "link"
    if any(link.attr == name for link in kind.links.values()):
        return "linked keys"
    if name in kind.properties:
        return "property"
    return None


def raw_reads_of_resolved_fields(resolved: dict[str, set[str]]) -> list[str]:
    """`Type.field` for each field with its own resolver (`resolved`: GraphQL type name → those fields)
    that the compiler would answer with the node's raw property: a masked or derived value leaking."""
    found = []
    for type_name, fields in sorted(resolved.items()):
        kind = registry.by_graphql(type_name)
        if kind is None:
            continue
        found += [f"{type_name}.{name}" for name in sorted(fields) if reading(kind, name) == "property"]
    return found


def _window(args: dict[str, Any]) -> Window:
    return window(args.get("first"), args.get("after"), args.get("last"), args.get("before"))


def _default(kind: Kind, name: str) -> str | None:
    """The record's default for a property the node may lack, as a Cypher literal (the interpreter
    answers the record's default there)."""
    assert kind.record is not None
    for f in dataclasses.fields(kind.record):
        if camel(f.name) != name:
            continue
        if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            return "[]"
        value = f.default
        if value is dataclasses.MISSING or value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        return _literal(str(value))
    return None


def node_statement(compiled: Compiled, node_id: str, signed_in: bool) -> Compiled | None:
    """The label's statement for `node(id:)`; None when that kind is not served to this viewer (null)."""
    assert compiled.by_label is not None
    label = label_of(node_id)
    kind = registry.by_label(label)
    if kind.reader is None or (kind.reader != "public" and not signed_in):
        return None
    if kind.reader == "staff" or label not in compiled.by_label:
        raise NotCompilable(f"node(id:) of a {label}")
    return compiled.by_label[label]


__all__ = [
    "Compiled",
    "Compiler",
    "NotCompilable",
    "node_statement",
    "raw_reads_of_resolved_fields",
    "reading",
    "utc_text",
]
