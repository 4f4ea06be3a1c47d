"""The compiled read path: a query operation answered by one Cypher statement per root field.

A step of the one request pipeline (server/pipeline.py), between the checked variables and the
interpreter: `plan` looks up (or builds, once per query text, operation and values of the variables
`@skip`/`@include` read) the operation's compilation (graph/kernel/compiler.py); `answer` fills its
parameters from this request's arguments and viewer, runs the statements in one read transaction
and returns the data. What the compiler does not handle, or an argument the resolvers would
refuse, is declined (None) before any statement is sent, and the interpreter answers it exactly as
before, errors included. Once statements are sent, their outcome is the answer: an Unavailable (the
database is down, the request's deadline passed) is not retried by the interpreter. How often each
path answered, and why the compiler declined, is counted in `STATS`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from graphql import FragmentDefinitionNode, GraphQLError, GraphQLSchema, OperationDefinitionNode
from graphql.execution.values import VariableValues, get_argument_values

from graph.kernel.compiler import Compiled, Compiler, NotCompilable, node_statement, raw_reads_of_resolved_fields
from graph.kernel.db import Tx
from graph.kernel.errors import DomainError
from resolvers.kernel.context import Context
from resolvers.kernel.documents import Document

log = logging.getLogger("minhu.compiled")


@dataclass
class ReadStats:
    """How reads were answered since the process started (for tests and /metrics)."""

    compiled: int = 0
    interpreted: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def fell_back(self, reason: str) -> None:
        self.interpreted += 1
        self.reasons[reason] += 1


STATS = ReadStats()


@dataclass(frozen=True)
class Plan:
    roots: list[Compiled] | None
    reason: str | None = None  # why the compiler declined, when it did


def plan(
    schema: GraphQLSchema,
    document: Document,
    operation: OperationDefinitionNode,
    variables: VariableValues,
    directive_key: tuple,
) -> Plan:
    """The operation's compilation for these variables, built once per text and plan key: the
    operation's own name and `directive_key` (Document.directive_key), so an omitted variable and an
    explicit null get plans of their own, and so do two operations of one text."""
    name = operation.name.value if operation.name else None

    def build() -> Plan:
        assert document.node is not None
        fragments = {d.name.value: d for d in document.node.definitions if isinstance(d, FragmentDefinitionNode)}
        try:
            return Plan(Compiler(schema, operation, fragments, variables).compile())
        except NotCompilable as exc:
            return Plan(None, str(exc))
        except GraphQLError:
            # A directive refused these values (`@skip(if: $s)` with `s` null): the interpreter says so.
            return Plan(None, "a directive refused its variables")
        except Exception:
            # A shape the compiler does not know must never cost the client its answer.
            log.exception("compiling a query failed; answering with the interpreter")
            return Plan(None, "compiler failed")

    return document.derive(("plan", name, directive_key), build)


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


async def answer(compiled: Plan, variables: VariableValues, ctx: Context) -> dict[str, Any] | None:
    """The data of a query operation by its plan, or None when the interpreter is to answer.

    Raises the DomainError a statement met (UNAVAILABLE, the deadline): that is the answer.
    """
    if compiled.roots is None:
        STATS.fell_back(compiled.reason or "not compilable")
        return None
    try:
        statements = _statements(compiled.roots, variables, _request_params(ctx))
    except (DomainError, NotCompilable, ValueError, GraphQLError) as exc:
        # An argument the resolvers refuse, a bad token: nothing was sent; the interpreter says what is wrong.
        STATS.fell_back(type(exc).__name__)
        return None
    except Exception:
        log.exception("compiling the request's parameters failed; answering with the interpreter")
        STATS.fell_back("compiling the request's parameters failed")
        return None
    try:
        if all(cypher is None for _, cypher, _ in statements):
            data = _constants(statements)  # `{ __typename }`, ids no viewer may read: nothing to ask Neo4j
        else:
            data = await ctx.graph.read_tx(lambda tx: _run(tx, statements))
    except DomainError:
        raise
    except Exception:
        # A statement the compiler wrote wrong must never cost the client its answer.
        log.exception("a compiled statement failed; answering with the interpreter")
        STATS.fell_back("a compiled statement failed")
        return None
    STATS.compiled += 1
    return data


# Response key, Cypher (None: the answer is params["constant"], or null), parameters.
Statement = tuple[str, str | None, dict[str, Any]]


def _statements(roots: list[Compiled], variables: VariableValues, request: dict[str, Any]) -> list[Statement]:
    """Each root field's statement with this request's parameters."""
    statements: list[Statement] = []
    for root in roots:
        if root.by_label is not None:
            assert root.node_id is not None
            arguments = get_argument_values(root.node_id.field_def, root.node_id.node, variables)
            node_id = root.node_id.make(arguments, request)["id"]
            chosen = node_statement(root, node_id, request["signedIn"])
            if chosen is None:
                statements.append((root.key, None, {}))
                continue
            params = {**chosen.params(variables, request), "id": node_id}
            statements.append((root.key, chosen.cypher, {**request, **params}))
        elif root.cypher is None:
            statements.append((root.key, None, {"constant": root.constant}))
        else:
            params = root.params(variables, request)
            cypher = root.cypher(params) if callable(root.cypher) else root.cypher
            statements.append((root.key, cypher, {**request, **params}))
    return statements


def _constants(statements: list[Statement]) -> dict[str, Any]:
    return {key: params.get("constant") for key, _, params in statements}


async def _run(tx: Tx, statements: list[Statement]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, cypher, params in statements:
        if cypher is None:
            data[key] = params.get("constant")
            continue
        rows = await tx.run(cypher, f"compiled.{key}", **params)
        data[key] = rows[0]["v"] if rows else None
    return data


__all__ = ["STATS", "Plan", "answer", "plan", "raw_reads_of_resolved_fields"]
