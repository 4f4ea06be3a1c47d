"""One pipeline for every GraphQL request over HTTP, each step in one place.

1. `read_envelope`: the request's envelope (POST JSON body, or GET parameters) parsed by one JSON
   parser (orjson: RFC 8259, so `NaN` or an unpaired surrogate is refused, never half-accepted) and
   checked once: `query` a string, `variables` and `extensions` objects or null, `operationName` a
   string or null. What fails is an HTTP refusal (`Refusal`) with its status and code.
2. The document: the query text parsed and validated once, from the bounded cache of texts
   (`schema.documents`, resolvers/kernel/documents.py); its operation by `operationName`.
3. The door: a mutation over GET (405), a subscription over HTTP (400), variables coerced once
   (graphql-core's `get_variable_values`; a refused value is a request error), over-long lists, the
   cost limit (estimated rows, resolvers/kernel/cost.py), the mutation rate limits.
4. Execution, under the request's one deadline (set by the view before this pipeline runs): a query
   by its compiled plan when there is one (resolvers/kernel/compiled.py; the plan's key is the text,
   the operation's own name and the values the directives read), else — and every mutation — by
   graphql-core's executor over strawberry's resolvers. An Unavailable from the compiled step is the
   answer: nothing is run twice.
5. Errors with their codes (resolvers/kernel/errors.py `to_client`), the statement report and the
   bookmark in `extensions`, the request log's facts.

Operations sent over WebSocket (subscriptions) run through strawberry's own handler, with the same
document cache, error codes, statement logs, bookmarks and rate limits as extensions (schema/).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import ExecutionResult, GraphQLError, OperationType, execute
from graphql.execution.values import get_variable_values
from strawberry.execution import optimized_is_awaitable

from graph.kernel.db import begin_bookmarks, begin_statement_log
from graph.kernel.errors import DomainError
from resolvers.kernel import compiled
from resolvers.kernel.context import Context
from resolvers.kernel.cost import estimate
from resolvers.kernel.documents import UnknownOperation
from resolvers.kernel.errors import REQUEST_ERROR_CODES, to_client
from resolvers.kernel.statements import statement_report
from schema import MinhuSchema
from server.bookmarks import BOOKMARK_HEADER
from server.bookmarks import parse as parse_bookmarks
from server.door import RATE_LIMITED, MutationLimits, oversized_list, refused_mutation
from server.observability import current_request

QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
_ENVELOPE = ("query", "variables", "operationName", "extensions")


class Refusal(Exception):
    """A request refused before GraphQL: an HTTP status, a code and what to do instead."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


@dataclass(frozen=True)
class Envelope:
    """What a request asks, checked: the query text, its variables as sent, which operation."""

    query: str
    variables: dict[str, Any]
    operation_name: str | None
    extensions: dict[str, Any] | None


def read_envelope(method: str, content_type: str | None, body: bytes, params: Mapping[str, str]) -> Envelope:
    """The envelope of a GET (its parameters) or POST (its JSON body), or a `Refusal` saying what is wrong."""
    if method == "GET":
        fields: dict[str, Any] = {name: params[name] for name in _ENVELOPE if name in params}
        for name in ("variables", "extensions"):
            if fields.get(name):  # an empty parameter is left for the checks below to refuse
                fields[name] = _json(fields[name].encode(), f"the `{name}` parameter")
    else:
        media = (content_type or "").split(";")[0].strip().lower()
        if media != "application/json":
            raise Refusal(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "send the request as application/json (a JSON object with query, variables, operationName)",
            )
        fields = _json(body, "the request body")
        if not isinstance(fields, dict):
            raise Refusal(
                400,
                "BAD_REQUEST",
                "the request body must be a JSON object such as "
                '{"query": "{ __typename }", "variables": {}}, not a JSON ' + _json_type(fields),
            )
    query = fields.get("query")
    if query is None:
        raise Refusal(400, "BAD_REQUEST", 'the request has no `query`: send {"query": "{ __typename }"} at least')
    if not isinstance(query, str):
        raise Refusal(
            400, "BAD_REQUEST", f"`query` must be a string (a GraphQL document), not a JSON {_json_type(query)}"
        )
    variables = fields.get("variables")
    if not isinstance(variables, dict | None):
        raise Refusal(
            400, "BAD_REQUEST", f"`variables` must be a JSON object or null, not a JSON {_json_type(variables)}"
        )
    name = fields.get("operationName")
    if not isinstance(name, str | None):
        raise Refusal(400, "BAD_REQUEST", f"`operationName` must be a string or null, not a JSON {_json_type(name)}")
    extensions = fields.get("extensions")
    if not isinstance(extensions, dict | None):
        raise Refusal(
            400, "BAD_REQUEST", f"`extensions` must be a JSON object or null, not a JSON {_json_type(extensions)}"
        )
    return Envelope(query, variables or {}, name, extensions)


def _json(text: bytes, what: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise Refusal(
            400,
            "BAD_REQUEST",
            f"{what} is not JSON ({exc}); NaN, Infinity and unpaired surrogates such as \\ud800 are not JSON "
            "values either: send null or a string instead",
        ) from None


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


@dataclass
class Answer:
    """A GraphQL response: `data` absent (`request_error`) when the request was refused before execution."""

    data: Any = None
    errors: list[GraphQLError] = field(default_factory=list)
    extensions: dict[str, Any] = field(default_factory=dict)
    request_error: bool = False

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.request_error else {"data": self.data}
        if self.errors:
            out["errors"] = [error.formatted for error in self.errors]
        if self.extensions:
            out["extensions"] = self.extensions
        return out

    @property
    def codes(self) -> list[str]:
        return [str((error.extensions or {}).get("code")) for error in self.errors]


def _refused(*errors: GraphQLError) -> Answer:
    return Answer(errors=list(errors), request_error=True)


class Pipeline:
    """Runs one request's envelope through the steps above (the view sets the deadline around it)."""

    def __init__(
        self,
        schema: MinhuSchema,
        *,
        compiled_reads: bool,
        max_list_items: int,
        max_rows: int,
        expose_statements: bool,
        hide_suggestions: bool,
        limits: MutationLimits | None = None,
        on_rate_limited: Callable[[str], None] = lambda which: None,
        tracer: Any = None,
    ) -> None:
        self.schema = schema
        self.compiled_reads = compiled_reads
        self.max_list_items = max_list_items
        self.max_rows = max_rows
        self.expose_statements = expose_statements
        self.hide_suggestions = hide_suggestions
        self.limits = limits
        self.on_rate_limited = on_rate_limited
        self.tracer = tracer

    async def run(self, envelope: Envelope, context: Context, method: str) -> Answer:
        info = current_request()
        if info is not None:
            info.operation_type = "unknown"  # until the document says which operation runs
        document = self.schema.documents.get(envelope.query)
        operation, unknown = None, None
        if document.node is not None:
            try:
                operation = document.operation(envelope.operation_name)
            except UnknownOperation as exc:
                unknown = str(exc)
        if operation is not None and info is not None:
            info.operation = operation.name.value if operation.name else None
            info.operation_type = operation.operation.value
        if document.errors:
            return _refused(*document.errors)
        if operation is None:
            raise Refusal(400, "BAD_REQUEST", unknown or "the document holds no operation")
        kind = operation.operation
        name = operation.name.value if operation.name else None
        if kind is OperationType.SUBSCRIPTION:
            raise Refusal(
                400,
                "BAD_REQUEST",
                "subscriptions are served over WebSocket at /graphql (graphql-transport-ws), not over HTTP",
            )
        if kind is OperationType.MUTATION and method != "POST":
            raise Refusal(405, "METHOD_NOT_ALLOWED", "mutations are sent with POST, not GET", {"Allow": "POST"})

        too_long = oversized_list(envelope.variables, self.max_list_items)
        if too_long:
            return _refused(GraphQLError(too_long, extensions={"code": "BAD_USER_INPUT"}))
        schema = self.schema._schema
        variables = get_variable_values(
            schema, operation.variable_definitions or (), envelope.variables, 50, self.hide_suggestions
        )
        if isinstance(variables, list):
            return _refused(*(to_client(e, hide_suggestions=self.hide_suggestions) for e in variables))
        directive_key = document.directive_key(variables)
        plan = None
        if kind is OperationType.QUERY and self.compiled_reads:
            plan = compiled.plan(schema, document, operation, variables, directive_key)
        cost = estimate(schema, document, operation, variables, directive_key)
        if cost.rows > self.max_rows:
            return _refused(self._too_costly(cost))

        statements = begin_statement_log()
        context.statements = statements
        held = begin_bookmarks(parse_bookmarks(context.request.headers.get(BOOKMARK_HEADER)))
        with self._span(kind, name):
            if kind is OperationType.MUTATION and self.limits is not None and self.limits.enabled:
                refused = await refused_mutation(
                    self.limits, context, len(operation.selection_set.selections), self.on_rate_limited
                )
                if refused is not None:
                    return _refused(refused)
            answer = await self._execute(envelope, context, document.node, plan, variables)
        if info is not None and context.known_viewer is not None:
            info.role, info.subject = context.known_viewer.role.value, context.known_viewer.subject
        if self.expose_statements:
            answer.extensions["statements"] = statement_report(statements)
        if held.latest:
            answer.extensions["bookmark"] = ",".join(held.latest)
        return answer

    async def _execute(
        self, envelope: Envelope, context: Context, node: Any, plan: compiled.Plan | None, variables: Any
    ) -> Answer:
        if plan is not None:
            try:
                data = await compiled.answer(plan, variables, context)
            except DomainError as exc:
                return Answer(data=None, errors=[GraphQLError(exc.message, extensions={"code": exc.code})])
            if data is not None:
                return Answer(data=data)
        result = execute(
            self.schema._schema,
            node,
            context_value=context,
            variable_values=envelope.variables,
            operation_name=envelope.operation_name,
            executor_class=self.schema.execution_context_class,
            is_awaitable=optimized_is_awaitable,
            hide_suggestions=self.hide_suggestions,
            operation_extensions=envelope.extensions,
        )
        if inspect.isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        errors = [to_client(e, hide_suggestions=self.hide_suggestions) for e in result.errors or ()]
        # An error no field is behind (a directive refusing a variable): a request error, answered without data.
        before = result.data is None and bool(errors) and all(_is_request_error(e) for e in errors)
        return Answer(data=result.data, errors=errors, request_error=before)

    def _too_costly(self, cost: Any) -> GraphQLError:
        return GraphQLError(
            f"this query may answer with about {cost.rows:,} rows, over the limit of {self.max_rows:,} per "
            f"request; the most from {cost.path} ({cost.path_rows:,}). Ask for fewer items per list (a smaller "
            "`first`; a listed link without one counts 100), or split the query: fetch the outer page first, then "
            "each item's nested list in requests of their own (`node(id:)`)",
            extensions={"code": QUERY_TOO_COSTLY, "rows": cost.rows, "limit": self.max_rows},
        )

    def _span(self, kind: OperationType, name: str | None) -> contextlib.AbstractContextManager[Any]:
        if self.tracer is None:
            return contextlib.nullcontext()
        title = f"GraphQL {kind.value.capitalize()}" + (f": {name}" if name else "")
        return self.tracer.start_as_current_span(title, attributes={"graphql.operation.type": kind.value})


def _is_request_error(error: GraphQLError) -> bool:
    code = (error.extensions or {}).get("code")
    if code in REQUEST_ERROR_CODES or code in (RATE_LIMITED, QUERY_TOO_COSTLY):
        return True
    return code == "BAD_USER_INPUT" and not error.path


__all__ = ["QUERY_TOO_COSTLY", "Answer", "Envelope", "Pipeline", "Refusal", "read_envelope"]
