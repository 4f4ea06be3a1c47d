"""The compiled read path: a query operation answered by one Cypher statement per root field.

`CompiledReads` is a schema extension: before strawberry executes a query, it looks up (or builds,
once per document, operation and directive variables) the operation's compilation
(graph/kernel/compiler.py), fills its parameters from this request's arguments and viewer, runs the
statements in one read transaction and sets the result; strawberry then skips its own execution.
Whatever the compiler does not handle — or any argument the resolvers would refuse — falls back to
normal execution, which answers exactly as before (errors included). How often each path answers,
and why the compiler declined, is counted in `STATS`.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableNode,
    visit,
)
from graphql.execution.values import get_variable_values
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from graph.kernel.compiler import Compiled, Compiler, NotCompilable, node_statement
from graph.kernel.db import Tx
from graph.kernel.errors import DomainError
from resolvers.kernel.context import Context

log = logging.getLogger("minhu.compiled")

CACHE_SIZE = 500


@dataclass
class ReadStats:
    """How reads were answered since the process started (for tests and /metrics)."""

    compiled: int = 0
    direct: int = 0  # of the compiled: answered by the HTTP view without strawberry (server/http.py)
    interpreted: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def fell_back(self, reason: str) -> None:
        self.interpreted += 1
        self.reasons[reason] += 1


STATS = ReadStats()


@dataclass(frozen=True)
class Plan:
    roots: list[Compiled] | None
    reason: str | None = None


class _Plans:
    """Compilations by (document text, operation name, values of the variables `@skip`/`@include` read)."""

    def __init__(self) -> None:
        self._plans: OrderedDict[tuple, Plan] = OrderedDict()
        self._directive_variables: dict[tuple[str, str | None], tuple[str, ...]] = {}

    def get(self, key: tuple, build: Any) -> Plan:
        plan = self._plans.get(key)
        if plan is None:
            plan = build()
            self._plans[key] = plan
            if len(self._plans) > CACHE_SIZE:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(key)
        return plan

    def directive_variables(self, query: str, name: str | None, document: DocumentNode) -> tuple[str, ...]:
        key = (query, name)
        if key not in self._directive_variables:
            found: set[str] = set()

            class Directives(Visitor):
                def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
                    for argument in node.arguments:
                        if isinstance(argument.value, VariableNode):
                            found.add(argument.value.name.value)

            visit(document, Directives())
            self._directive_variables[key] = tuple(sorted(found))
        return self._directive_variables[key]


PLANS = _Plans()


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request names, or its only one; None when the document does not say which."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _request_params(ctx: Context) -> dict[str, Any]:
    """What the declarations' Cypher may read of the request: its clock and its viewer."""
    viewer = ctx.viewer  # raises for a bad token: the interpreter then says so where it matters
    return {
        "now": ctx.now.isoformat(),
        "signedIn": viewer is not None,
        "viewerRole": viewer.role.value if viewer else None,
        "viewerSubject": viewer.subject if viewer else None,
        "viewerScope": viewer.scope_id if viewer else None,
    }


async def answer(execution: Any) -> dict[str, Any] | None:
    """The data of a query operation by the compiled path, or None to let the interpreter answer."""
    document = execution.graphql_document
    if document is None or execution.query is None:
        return None
    data = await answer_query(
        execution.schema._schema,
        document,
        execution.query,
        execution.operation_name,
        execution.variables or {},
        execution.context,
    )
    if data is not None and hasattr(execution.context, "compiled_document"):
        # The HTTP view answers this text without strawberry from now on (server/http.py).
        execution.context.compiled_document = document
    return data


async def answer_query(
    schema: GraphQLSchema,
    document: DocumentNode,
    query: str,
    operation_name: str | None,
    raw: dict[str, Any],
    ctx: Context,
) -> dict[str, Any] | None:
    """`answer` for a document already parsed and validated against `schema`."""
    operation = operation_of(document, operation_name)
    if operation is None:
        return None
    variables = get_variable_values(schema, operation.variable_definitions or (), raw)
    if isinstance(variables, list):
        return None  # the interpreter reports the variables' errors
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    directive_values = tuple(repr(raw.get(name)) for name in PLANS.directive_variables(query, operation_name, document))

    def build() -> Plan:
        try:
            return Plan(Compiler(schema, operation, fragments, variables).compile())
        except NotCompilable as exc:
            return Plan(None, str(exc))
        except Exception:
            # A shape the compiler does not know must never cost the client its answer.
            log.exception("compiling a query failed; answering with the interpreter")
            return Plan(None, "compiler failed")

    plan = PLANS.get((query, operation_name, directive_values), build)
    if plan.roots is None:
        STATS.fell_back(plan.reason or "not compilable")
        return None
    step = "compiling the request's parameters"
    try:
        statements = _statements(plan.roots, variables, _request_params(ctx))
        step = "a compiled statement"
        data = await ctx.graph.read_tx(lambda tx: _run(tx, statements))
    except (DomainError, NotCompilable, ValueError) as exc:
        STATS.fell_back(type(exc).__name__)
        return None
    except Exception:
        # What the compiler wrote wrong must never cost the client its answer.
        log.exception("%s failed; answering with the interpreter", step)
        STATS.fell_back(f"{step} failed")
        return None
    STATS.compiled += 1
    return data


Statement = tuple[str, str | None, dict[str, Any]]  # response key, Cypher (None: the answer is null), params


def _statements(roots: list[Compiled], variables: dict[str, Any], request: dict[str, Any]) -> list[Statement]:
    """Each root field's statement with this request's parameters."""
    statements: list[Statement] = []
    for root in roots:
        if root.by_label is not None:
            assert root.node_id is not None
            node_id = root.node_id.make(_arguments(root.node_id, variables), request)["id"]
            chosen = node_statement(root, node_id, request["signedIn"])
            if chosen is None:
                statements.append((root.key, None, {}))
                continue
            params = {**chosen.params(variables, request), "id": node_id}
            statements.append((root.key, chosen.cypher, {**request, **params}))
        else:
            params = root.params(variables, request)
            cypher = root.cypher(params) if callable(root.cypher) else root.cypher
            statements.append((root.key, cypher, {**request, **params}))
    return statements


async def _run(tx: Tx, statements: list[Statement]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, cypher, params in statements:
        if cypher is None:
            data[key] = None
            continue
        rows = await tx.run(cypher, f"compiled.{key}", **params)
        data[key] = rows[0]["v"] if rows else None
    return data


def _arguments(reader: Any, variables: Any) -> dict[str, Any]:
    from graphql.execution.values import get_argument_values

    return get_argument_values(reader.field_def, reader.node, variables)


class CompiledReads(SchemaExtension):
    """Answers query operations by the compiled path when it can (see the module's docstring)."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        declined = getattr(execution.context, "compiled_declined", False)
        if execution.operation_type is OperationType.QUERY and execution.result is None and not declined:
            data = await answer(execution)
            if data is not None:
                execution.result = ExecutionResult(data=data, errors=None)
        yield
