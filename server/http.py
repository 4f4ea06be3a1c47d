"""The GraphQL endpoint as the GraphQL-over-HTTP spec and browsers expect it.

- Answers `application/graphql-response+json` when the client accepts it (preferred over
  `application/json` at equal quality), with HTTP 400 and no `data` for a request error (parse,
  validation, variables); `application/json` clients get 200 as before. A wholly rate-limited
  request gets 429 with `Retry-After`. HTTP-level refusals (a body that is not a JSON object, a
  mutation over GET…) carry a JSON body with `extensions.code` too.
- Every request runs under `MINHU_REQUEST_DEADLINE_SECONDS`: past it, UNAVAILABLE.
- Subscriptions (graphql-transport-ws) get a `ping` every `MINHU_WS_KEEPALIVE_SECONDS`, so proxies
  keep idle sockets open and a client that stopped answering is let go; handshakes from origins
  other than the page's own and `MINHU_ALLOWED_ORIGINS` are refused (HTTP 403).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import DocumentNode, GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry import UNSET
from strawberry.asgi import GraphQL
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types import ExecutionResult

from graph.kernel.db import Graph, begin_bookmarks, current_statement_log
from resolvers.kernel.compiled import STATS as COMPILED
from resolvers.kernel.compiled import answer_query, operation_of
from resolvers.kernel.context import Clock, Context, real_clock
from resolvers.kernel.errors import PARSE_FAILED, REQUEST_ERROR_CODES, VALIDATION_FAILED, to_client
from resolvers.kernel.statements import statement_report
from schema import build_schema
from server.auth import cached_authenticator
from server.bookmarks import BOOKMARK_HEADER, Bookmarks
from server.bookmarks import parse as parse_bookmarks
from server.door import RATE_LIMITED, MutationLimits, list_cap_rule, oversized_list, rate_limit_extension
from server.frames import TextFrames
from server.ide import page as ide_page
from server.observability import Metrics, current_request
from server.settings import Settings

log = logging.getLogger("minhu.http")

COMPILED_TEXTS = 500  # query texts kept for the compiled fast path (the oldest goes first)

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
_HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def _quiet(errors: list[GraphQLError], execution_context: Any = None) -> None:
    """Strawberry logs every error with its traceback; ErrorCodes logs what deserves it instead."""


def response_media_type(accept: str | None) -> str:
    """graphql-response+json when accepted at least as well as application/json; else application/json."""
    if not accept:
        return JSON
    best: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best[media.lower()] = max(quality, best.get(media.lower(), 0.0))
    ours = best.get(GRAPHQL_RESPONSE_JSON, 0.0)
    legacy = max(best.get(JSON, 0.0), best.get("application/*", 0.0) * 0.99, best.get("*/*", 0.0) * 0.98)
    return GRAPHQL_RESPONSE_JSON if ours > 0 and ours >= legacy else JSON


def _codes(errors: list[Any] | None) -> list[str]:
    return [str((e.get("extensions") or {}).get("code")) for e in errors or () if isinstance(e, dict)]


class RequestFacts(SchemaExtension):
    """Tells the request log line which operation ran and who ran it."""

    def on_operation(self):
        yield
        info = current_request()
        if info is None:
            return
        ec = self.execution_context
        info.operation = ec.operation_name
        try:
            info.operation_type = ec.operation_type.value
        except Exception:
            info.operation_type = "unknown"  # the document did not parse, or names no operation
        viewer = getattr(ec.context, "known_viewer", None)
        if viewer is not None:
            info.role = viewer.role.value
            info.subject = viewer.subject


class KeepAliveTransportWS(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws with server pings after `connection_ack`, and a count of open operations."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pinger: asyncio.Task | None = None
        self._unanswered = 0

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        interval = getattr(self.view, "keepalive_seconds", 0)
        if self.connection_acknowledged and interval > 0 and self._pinger is None:
            self._pinger = asyncio.create_task(self._ping_forever(interval))

    async def handle_pong(self, message: Any) -> None:
        self._unanswered = 0

    async def _ping_forever(self, interval: float) -> None:
        try:
            while True:
                await asyncio.sleep(interval)
                if self._unanswered >= 2:
                    # Two pings without a pong: the client or the path to it is gone.
                    await self.websocket.close(code=4408, reason="keep-alive: no pong to two pings")
                    return
                self._unanswered += 1
                await self.send_message({"type": "ping", "payload": {}})
        except asyncio.CancelledError:
            raise
        except Exception:
            return  # the socket closed under us; the handler's own loop ends it

    async def run_operation(self, operation: Any) -> None:
        metrics: Metrics | None = getattr(self.view, "metrics", None)
        if metrics is not None:
            metrics.subscriptions.inc()
        try:
            await super().run_operation(operation)
        finally:
            if metrics is not None:
                metrics.subscriptions.dec()

    async def shutdown(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinger
        await super().shutdown()


class MinhuGraphQL(GraphQL):
    graphql_transport_ws_handler_class = KeepAliveTransportWS
    websocket_adapter_class = TextFrames  # browsers' graphql-ws reads text frames only

    def __init__(
        self,
        graph_ref: dict[str, Graph],
        settings: Settings,
        metrics: Metrics,
        tracer_provider: Any = None,
        clock: Clock = real_clock,
    ) -> None:
        schema = build_schema(
            max_depth=settings.minhu_max_query_depth,
            max_aliases=settings.minhu_max_aliases,
            introspection=settings.minhu_introspection,
            expose_statements=settings.minhu_expose_statements,
            compiled_reads=settings.minhu_compiled_reads,
        )
        schema.process_errors = _quiet  # type: ignore[method-assign]
        list_cap = list_cap_rule(settings.minhu_max_list_items)
        extra: list[Any] = [RequestFacts, Bookmarks, lambda: AddValidationRules([list_cap])]
        limits = MutationLimits(
            settings.minhu_rate_limit_subject, settings.minhu_rate_limit_address, settings.rate_limit_storage
        )
        if limits.enabled:
            extra.append(rate_limit_extension(limits, lambda which: metrics.rate_limited.labels(which).inc()))
        if tracer_provider is not None:
            from strawberry.extensions.tracing import OpenTelemetryExtension

            extra.append(lambda: OpenTelemetryExtension(tracer_provider=tracer_provider))
        schema.extensions = (*schema.extensions, *extra)
        super().__init__(
            schema,
            graphql_ide="graphiql",
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            allowed_origins=settings.allowed_origins,
        )
        self._graph_ref = graph_ref
        self._settings = settings
        self._clock = clock
        self._authenticate = cached_authenticator(settings)
        self.metrics = metrics
        self.keepalive_seconds = settings.minhu_ws_keepalive_seconds
        self.deadline = settings.minhu_request_deadline_seconds
        self.max_list_items = settings.minhu_max_list_items
        self.hide_suggestions = not settings.minhu_introspection
        # Query texts the compiled path answered, by (text, operation name): answered without strawberry.
        self._compiled = settings.minhu_compiled_reads and tracer_provider is None
        self._compiled_documents: dict[tuple[str, str | None], DocumentNode] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self._compiled_response(request) if self._compiled else None
            if response is None:
                response = await self.run(request, context=getattr(request.state, "minhu_context", UNSET))
                await self._remember_compiled(request)
        except HTTPException as exc:
            response = self._http_error(request, exc.status_code, exc.reason)
        await response(scope, receive, send)

    async def _compiled_response(self, request: Request) -> Response | None:
        """A query text the compiled path answered before, answered again without strawberry.

        Parsing, validation and the compilation are what that first answer did; what strawberry's
        pipeline adds per request (its extensions' hooks, the result's processing) cost about 0.3 ms,
        a fifth of what a page of ten needs takes in Neo4j. The request gets what the full path gives it: its
        statement log and bookmarks, its log line, the deadline. Anything else — not JSON, variables
        that fail, an argument the resolvers would refuse — goes to the full path, which answers it.
        """
        if not self._compiled_documents or request.method != "POST":
            return None
        if not request.headers.get("content-type", "").startswith(JSON):
            return None
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return None
        if not isinstance(body, dict) or set(body) - {"query", "variables", "operationName", "extensions"}:
            return None
        query, variables, name = body.get("query"), body.get("variables") or {}, body.get("operationName")
        if not isinstance(query, str) or not isinstance(variables, dict) or not isinstance(name, str | None):
            return None  # the full path says what is wrong
        document = self._compiled_documents.get((query, name))
        if document is None:
            return None
        if oversized_list(variables, self.max_list_items):
            return None
        context = await self.get_context(request)
        begin_bookmarks(parse_bookmarks(request.headers.get(BOOKMARK_HEADER)))
        info = current_request()
        if info is not None:
            operation = operation_of(document, name)
            info.operation = operation.name.value if operation and operation.name else None
            info.operation_type = "query"
        try:
            async with asyncio.timeout(self.deadline):
                data = await answer_query(self.schema._schema, document, query, name, variables, context)
        except TimeoutError:
            failed = await self.process_result(request, self._deadline_passed())
            return self.create_response(failed, await self.get_sub_response(request))
        if data is None:
            context.compiled_declined = True  # counted once: the full path does not try again
            return None
        COMPILED.direct += 1
        if info is not None and context.known_viewer is not None:
            info.role, info.subject = context.known_viewer.role.value, context.known_viewer.subject
        result: dict[str, Any] = {"data": data}
        log = current_statement_log()
        if self._settings.minhu_expose_statements and log is not None:
            result["extensions"] = {"statements": statement_report(log)}
        return Response(orjson.dumps(result), media_type=response_media_type(request.headers.get("accept")))

    async def _remember_compiled(self, request: Request) -> None:
        context = getattr(request.state, "minhu_context", None)
        document = getattr(context, "compiled_document", None)
        if document is None or request.method != "POST":
            return
        body = orjson.loads(await request.body())  # the full path read it (and starlette kept it)
        self._compiled_documents[(body.get("query"), body.get("operationName"))] = document
        if len(self._compiled_documents) > COMPILED_TEXTS:
            self._compiled_documents.pop(next(iter(self._compiled_documents)))

    def _http_error(self, request: Request, status: int, reason: str) -> Response:
        code = _HTTP_CODES.get(status, "BAD_REQUEST")
        if reason.startswith("Unsupported content type"):
            status, code = 415, "UNSUPPORTED_MEDIA_TYPE"
            reason = "send the request as application/json (a JSON object with query, variables, operationName)"
        if "mutation" in reason.lower() and request.method == "GET":
            status, code = 405, "METHOD_NOT_ALLOWED"
            reason = "mutations are sent with POST, not GET"
        info = current_request()
        if info is not None:
            info.note_errors([code])
        body = {"errors": [{"message": reason, "extensions": {"code": code}}]}
        headers = {"Allow": "POST"} if status == 405 else None
        return Response(
            json.dumps(body),
            status_code=status,
            media_type=response_media_type(request.headers.get("accept")),
            headers=headers,
        )

    async def get_context(self, request: Any, response: Any = None) -> Context:
        context = Context(
            graph=self._graph_ref["graph"],
            settings=self._settings,
            request=request,
            response=response,
            authorization=request.headers.get("authorization"),
            authenticate=self._authenticate,
            clock=self._clock,
        )
        if isinstance(request, Request):
            request.state.minhu_context = context  # read by _remember_compiled
        return context

    def encode_json(self, data: object) -> bytes:
        # orjson writes a page of 100 needs several times faster than json.dumps.
        return orjson.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        parsed = super().parse_json(data)
        if not isinstance(parsed, dict):
            raise HTTPException(
                400,
                "the request body must be a JSON object such as "
                '{"query": "{ __typename }", "variables": {}}, not a JSON '
                + type(parsed).__name__.replace("str", "string").replace("NoneType", "null"),
            )
        return parsed

    async def execute_single(
        self, request: Any, request_adapter: Any, sub_response: Any, context: Any, root_value: Any, request_data: Any
    ) -> ExecutionResult:
        too_long = oversized_list(request_data.variables, self.max_list_items)
        if too_long:
            return ExecutionResult(data=None, errors=[GraphQLError(too_long, extensions={"code": "BAD_USER_INPUT"})])
        try:
            async with asyncio.timeout(self.deadline):
                return await super().execute_single(
                    request=request,
                    request_adapter=request_adapter,
                    sub_response=sub_response,
                    context=context,
                    root_value=root_value,
                    request_data=request_data,
                )
        except TimeoutError:
            return self._deadline_passed()

    def _deadline_passed(self) -> ExecutionResult:
        log.error("request deadline passed", extra={"deadline_seconds": self.deadline})
        return ExecutionResult(
            data=None,
            errors=[
                GraphQLError(
                    f"the request took longer than {self.deadline:g} s (the graph database is slow or "
                    "restarting); try again in a moment",
                    extensions={"code": "UNAVAILABLE"},
                )
            ],
        )

    async def get_sub_response(self, request: Any) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = response_media_type(request.headers.get("accept"))
        return sub_response

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        if result.errors:
            # ParserCache parses outside the operation's hooks, so a syntax error (or the token
            # limit) reaches here without the code ErrorCodes gives every other error.
            result.errors = [
                e if (e.extensions or {}).get("code") else to_client(e, hide_suggestions=self.hide_suggestions)
                for e in result.errors
            ]
        response = process_result(result)
        codes = _codes(response.get("errors"))
        info = current_request()
        if info is not None:
            info.note_errors(codes)
        if response.get("data") is None and codes and all(_is_request_error(e) for e in response["errors"]):
            # An error before execution began: the spec's response has no `data` at all.
            response.pop("data", None)
        return response

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        status = sub_response.status_code or 200
        headers: dict[str, str] = {}
        if isinstance(response_data, Mapping) and "data" not in response_data:
            errors = response_data.get("errors") or []
            codes = set(_codes(errors))
            if codes == {RATE_LIMITED}:
                status = 429
                retry = max((e.get("extensions") or {}).get("retryAfter", 1) for e in errors)
                headers["Retry-After"] = str(retry)
            elif sub_response.media_type == GRAPHQL_RESPONSE_JSON and codes:
                status = 400
        if isinstance(response_data, Mapping):
            bookmark = (response_data.get("extensions") or {}).get("bookmark")
            if bookmark:
                headers[BOOKMARK_HEADER] = bookmark  # read-your-writes on another process (server/bookmarks.py)
        response = Response(self.encode_json(response_data), status_code=status, media_type=sub_response.media_type)
        for name, value in sub_response.headers.items():
            if name.lower() != "content-type":
                response.headers[name] = value
        response.headers.update(headers)
        if sub_response.background:
            response.background = sub_response.background
        return response

    async def get_root_value(self, request: Request | WebSocket) -> None:
        return None

    async def render_graphql_ide(self, request: Request) -> Response:
        # Minhu's own GraphiQL page (server/ide/): strawberry's loads its scripts from unpkg.com.
        return ide_page()


def _is_request_error(error: Any) -> bool:
    """Parse and validation errors, a refused variable (no path), a refused request (rate limit)."""
    code = (error.get("extensions") or {}).get("code")
    if code in REQUEST_ERROR_CODES or code == RATE_LIMITED:
        return True
    return code == "BAD_USER_INPUT" and not error.get("path")


__all__ = ["PARSE_FAILED", "VALIDATION_FAILED", "MinhuGraphQL", "response_media_type"]
