"""What a query may cost, in rows, estimated before anything runs (the door's cost limit).

The estimate is the number of objects the answer may hold in its lists: each list counts its
slice — `first` or `last` (the argument's default, or a page of `DEFAULT_PAGE` when a connection is
given neither), or `LISTED_LIMIT` for a list without a slice, which is what the graph answers at
most (graph/kernel/kinds.py) — times the slices of every list above it. `needs(first: 100)` with
each need's `history` is 100 + 100 × 100 rows. Fragments and `@skip`/`@include` count as they
apply; on an interface or union, the costliest of its types counts. Introspection is free: its
size is the schema's. The walk is made once per text, operation and `@skip`/`@include` values (the
cached `Formula`); each request only reads its own slice arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    get_named_type,
    is_abstract_type,
    is_list_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values

from graph.kernel.kinds import LISTED_LIMIT
from graph.kernel.listing import DEFAULT_PAGE
from resolvers.kernel.documents import Document

SLICES = ("first", "last")


@dataclass(frozen=True)
class Cost:
    rows: int
    path: str  # the costliest list, as response keys (`communities.edges.node.members.edges`)
    path_rows: int  # what that list alone counts


# A formula: this request's variables → (rows, costliest path, its rows).
Formula = Callable[[VariableValues], Cost]
_FREE = Cost(0, "", 0)


def estimate(
    schema: GraphQLSchema,
    document: Document,
    operation: OperationDefinitionNode,
    variables: VariableValues,
    directive_key: tuple,
) -> Cost:
    """The rows this request may answer with; `directive_key` says which @skip/@include values it has."""
    name = operation.name.value if operation.name else None
    formula = document.derive(("cost", name, directive_key), lambda: _formula(schema, document, operation, variables))
    return formula(variables)


def _formula(
    schema: GraphQLSchema, document: Document, operation: OperationDefinitionNode, variables: VariableValues
) -> Formula:
    assert document.node is not None
    fragments = {
        d.name.value: FragmentDetails(d) for d in document.node.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    if root is None:
        return lambda _: _FREE
    walker = _Walker(schema, fragments, variables, operation)
    try:
        grouped = collect_fields(schema, fragments, variables, root, operation).grouped_field_set
        return walker.selection(root, grouped, pending=None, path="")
    except GraphQLError:
        return lambda _: _FREE  # a directive refuses these values: the answer is that error, at no cost


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDetails],
        variables: VariableValues,
        operation: OperationDefinitionNode,
    ) -> None:
        self.schema, self.fragments, self.variables, self.operation = schema, fragments, variables, operation

    def selection(
        self, parent: GraphQLObjectType, grouped: dict[str, list[FieldDetails]], pending: _Slice | None, path: str
    ) -> Formula:
        """The fields `grouped` of an object of type `parent`; `pending` is the slice of the connection
        (or page object) they belong to, which its lists (edges, nodes) take as theirs."""
        parts: list[Formula] = []
        for key, details in grouped.items():
            name = details[0].node.name.value
            if name.startswith("__"):
                continue  # __typename and introspection: no rows
            field_def = parent.fields[name]
            parts.append(self.field(field_def, details, pending, f"{path}.{key}" if path else key))
        return _sum(parts)

    def field(self, field_def: GraphQLField, details: list[FieldDetails], pending: _Slice | None, path: str) -> Formula:
        output = field_def.type.of_type if isinstance(field_def.type, GraphQLNonNull) else field_def.type
        named = get_named_type(output)
        if not (is_object_type(named) or is_abstract_type(named)):
            return lambda _: _FREE  # a scalar or enum (lists of them are values, not rows)
        sliced = any(arg in field_def.args for arg in SLICES)
        listed = is_list_type(output) or isinstance(output, GraphQLList)
        own = _Slice(field_def, details[0], listed) if sliced else None
        if listed:
            size = own or pending or _Slice(None, None, True)
            below = self.children(named, details, None, path)
            return _times(size, below, path)
        # An object: a connection or page passes its slice on to its lists.
        return self.children(named, details, own, path)

    def children(self, named: object, details: list[FieldDetails], pending: _Slice | None, path: str) -> Formula:
        types = self.schema.get_possible_types(named) if is_abstract_type(named) else [named]  # type: ignore[arg-type]
        branches = []
        for runtime in types:
            assert isinstance(runtime, GraphQLObjectType)
            grouped = collect_subfields(
                self.schema, self.fragments, self.variables, self.operation, runtime, details
            ).grouped_field_set
            branches.append(self.selection(runtime, grouped, pending, path))
        return _max(branches)


@dataclass(frozen=True)
class _Slice:
    """How many items one list answers at most: its `first`/`last` as this request gives them."""

    field_def: GraphQLField | None
    details: FieldDetails | None
    listed: bool  # a list itself (its slice unset: LISTED_LIMIT), else a connection (DEFAULT_PAGE)

    def size(self, variables: VariableValues) -> int:
        if self.field_def is None or self.details is None:
            return LISTED_LIMIT
        try:
            args = get_argument_values(self.field_def, self.details.node, variables)
        except GraphQLError:
            return 0  # a value the arguments refuse: answered as an error, at no cost
        for name in SLICES:
            value = args.get(name)
            if isinstance(value, int):
                return max(0, value)
        return LISTED_LIMIT if self.listed else DEFAULT_PAGE


def _sum(parts: list[Formula]) -> Formula:
    if not parts:
        return lambda _: _FREE

    def total(variables: VariableValues) -> Cost:
        costs = [part(variables) for part in parts]
        top = max(costs, key=lambda c: c.path_rows)
        return Cost(sum(c.rows for c in costs), top.path, top.path_rows)

    return total


def _max(branches: list[Formula]) -> Formula:
    if len(branches) == 1:
        return branches[0]

    def costliest(variables: VariableValues) -> Cost:
        return max((branch(variables) for branch in branches), key=lambda c: c.rows, default=_FREE)

    return costliest


def _times(size: _Slice, below: Formula, path: str) -> Formula:
    def rows(variables: VariableValues) -> Cost:
        count = size.size(variables)
        inner = below(variables)
        mine = Cost(count + count * inner.rows, path, count)
        if inner.path_rows * count > count:
            return Cost(mine.rows, inner.path, inner.path_rows * count)
        return mine

    return rows


__all__ = ["Cost", "estimate"]
