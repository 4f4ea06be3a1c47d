"""What a query may cost, in rows, estimated before anything runs (the door's cost limit).

The estimate is the number of objects the answer may hold in its lists: each list counts its
slice — `first` or `last` (the argument's default, or a page of `DEFAULT_PAGE` when a connection is
given neither); a kind's listed link without a slice, `LISTED_LIMIT`, what the graph answers at most
(graph/kernel/kinds.py); a list a resolver makes of its row (a score's parts), one — times the slices
of every list above it. `needs(first: 100)` with
each need's `history` is 100 + 100 × 100 rows. Fragments and `@skip`/`@include` count as they
apply; on an interface or union, the costliest of its types counts. Introspection is free: its
size is the schema's. The walk is made once per text, operation and `@skip`/`@include` values (the
cached `Formula`); each request only reads its own slice arguments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_list_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import VariableValues
from graphql.utilities import value_from_ast

from graph.kernel import registry
from graph.kernel.kinds import LISTED_LIMIT
from graph.kernel.listing import DEFAULT_PAGE
from resolvers.kernel.documents import Document

SLICES = ("first", "last")


@dataclass(frozen=True)
class Cost:
    rows: int
    path: str  # the costliest list, as response keys (`communities.edges.node.members.edges`)
    path_rows: int  # what that list alone counts


# A formula: this request's variables → (rows, costliest path, its rows); None: no rows whatever they are.
Formula = Callable[[VariableValues], tuple[int, str, int]]


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
    return Cost(0, "", 0) if formula is None else Cost(*formula(variables))


def _formula(
    schema: GraphQLSchema, document: Document, operation: OperationDefinitionNode, variables: VariableValues
) -> Formula | None:
    assert document.node is not None
    fragments = {
        d.name.value: FragmentDetails(d) for d in document.node.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    walker = _Walker(schema, fragments, variables, operation)
    try:
        grouped = collect_fields(schema, fragments, variables, root, operation).grouped_field_set
        return walker.selection(root, grouped, pending=None, path="")
    except GraphQLError:
        return None  # a directive refuses these values: the answer is that error, at no cost


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
    ) -> Formula | None:
        """The fields `grouped` of an object of type `parent`; `pending` is the slice of the connection
        (or page object) they belong to, which its lists (edges, nodes) take as theirs."""
        parts: list[Formula | None] = []
        for key, details in grouped.items():
            name = details[0].node.name.value
            if name.startswith("__"):
                continue  # __typename and introspection: no rows
            parts.append(self.field(parent, name, details, pending, f"{path}.{key}" if path else key))
        return _sum(parts)

    def field(
        self, parent: GraphQLObjectType, name: str, details: list[FieldDetails], pending: _Slice | None, path: str
    ) -> Formula | None:
        field_def = parent.fields[name]
        output = field_def.type.of_type if isinstance(field_def.type, GraphQLNonNull) else field_def.type
        named = get_named_type(output)
        if not (is_object_type(named) or is_abstract_type(named)):
            return None  # a scalar or enum (lists of them are values, not rows)
        own = _Slice.of(field_def, details[0].node) if any(arg in field_def.args for arg in SLICES) else None
        if is_list_type(output) or isinstance(output, GraphQLList):
            size = own.listed() if own else pending or _Slice.constant(_unsliced(parent, name))
            return _times(size, self.children(named, details, None, path), path)
        # An object: a connection or page passes its slice on to its lists.
        return self.children(named, details, own, path)

    def children(self, named: object, details: list[FieldDetails], pending: _Slice | None, path: str) -> Formula | None:
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
    """How many items one list answers at most: a constant, or a field's `first`/`last` as each
    request gives them (a literal, a variable, the argument's default)."""

    fixed: int | None = None
    reads: tuple[tuple[str | None, int | None], ...] = ()  # per slice argument: (its variable, else its value)
    unset: int = DEFAULT_PAGE  # neither given: a connection's page (a list's: LISTED_LIMIT)

    @classmethod
    def constant(cls, rows: int) -> _Slice:
        return cls(fixed=rows)

    @classmethod
    def of(cls, field_def: GraphQLField, node: FieldNode) -> _Slice:
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        reads = []
        for name in SLICES:
            if name not in field_def.args:
                continue
            value = given.get(name)
            if isinstance(value, VariableNode):
                reads.append((value.name.value, _int(field_def.args[name].default_value)))
            elif value is not None:
                reads.append((None, _int(value_from_ast(value, field_def.args[name].type))))
            else:
                reads.append((None, _int(field_def.args[name].default_value)))
        if all(variable is None for variable, _ in reads):
            chosen = next((value for _, value in reads if value is not None), None)
            return cls(reads=tuple(reads)) if chosen is None else cls(fixed=max(0, chosen))
        return cls(reads=tuple(reads))

    def listed(self) -> _Slice:
        """This slice on a list itself: unset, it counts LISTED_LIMIT."""
        return self if self.fixed is not None else dataclasses.replace(self, unset=LISTED_LIMIT)

    def size(self, variables: VariableValues) -> int:
        if self.fixed is not None:
            return self.fixed
        coerced = variables.coerced
        for variable, value in self.reads:
            if variable is not None:
                value = _int(coerced.get(variable, value))
            if value is not None:
                return max(0, value)
        return self.unset


def _unsliced(parent: GraphQLObjectType, name: str) -> int:
    """What a list without a slice counts: a kind's listed link, what the graph answers at most; a list
    a resolver makes of its row (a score's parts, a report's rows near a venue), one."""
    kind = registry.by_graphql(parent.name)
    link = kind.links.get(name) if kind is not None else None
    return LISTED_LIMIT if link is not None and not link.single else 1


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _sum(parts: list[Formula | None]) -> Formula | None:
    present = [part for part in parts if part is not None]
    if len(present) <= 1:
        return present[0] if present else None

    def total(variables: VariableValues) -> tuple[int, str, int]:
        rows, path, path_rows = 0, "", -1
        for part in present:
            part_rows, part_path, part_path_rows = part(variables)
            rows += part_rows
            if part_path_rows > path_rows:
                path, path_rows = part_path, part_path_rows
        return rows, path, path_rows

    return total


def _max(branches: list[Formula | None]) -> Formula | None:
    present = [branch for branch in branches if branch is not None]
    if len(present) <= 1:
        return present[0] if present else None

    def costliest(variables: VariableValues) -> tuple[int, str, int]:
        return max((branch(variables) for branch in present), key=lambda cost: cost[0])

    return costliest


def _times(size: _Slice, below: Formula | None, path: str) -> Formula:
    if below is None:
        if size.fixed is not None:
            fixed = (size.fixed, path, size.fixed)
            return lambda _: fixed

        def alone(variables: VariableValues) -> tuple[int, str, int]:
            count = size.size(variables)
            return count, path, count

        return alone

    def rows(variables: VariableValues) -> tuple[int, str, int]:
        count = size.size(variables)
        inner_rows, inner_path, inner_path_rows = below(variables)
        if inner_path_rows * count > count:
            return count + count * inner_rows, inner_path, inner_path_rows * count
        return count + count * inner_rows, path, count

    return rows


__all__ = ["Cost", "estimate"]
