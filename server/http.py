"""The GraphQL endpoint as the GraphQL-over-HTTP spec and browsers expect it.

- Answers `application/graphql-response+json` when the client accepts it (preferred over
  `application/json` at equal quality), with HTTP 400 and no `data` for a request error (parse,
  validation, variables); `application/json` clients get 200 as before. A wholly rate-limited
  request gets 429 with `Retry-After`. HTTP-level refusals (a body that is not a JSON object, a
  mutation over GET…) carry a JSON body with `extensions.code` too.
- Every request goes through one pipeline (server/pipeline.py) under one deadline,
  `MINHU_REQUEST_DEADLINE_SECONDS`: past it, UNAVAILABLE, and every transaction it began has what
  was left of it as its timeout, so Neo4j stops too.
- Subscriptions (graphql-transport-ws) get a `ping` every `MINHU_WS_KEEPALIVE_SECONDS`, so proxies
  keep idle sockets open and a client that stopped answering is let go; handshakes from origins
  other than the page's own and `MINHU_ALLOWED_ORIGINS` are refused (HTTP 403).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from graph.kernel.db import Graph, begin_deadline
from resolvers.kernel.context import Clock, Context, real_clock
from resolvers.kernel.errors import PARSE_FAILED, VALIDATION_FAILED
from schema import MinhuSchema, build_schema
from server.auth import cached_authenticator
from server.bookmarks import BOOKMARK_HEADER, Bookmarks
from server.door import RATE_LIMITED, MutationLimits, list_cap_rule, rate_limit_extension
from server.frames import TextFrames
from server.ide import page as ide_page
from server.observability import Metrics, current_request
from server.pipeline import Answer, Pipeline, Refusal, read_envelope
from server.settings import Settings

log = logging.getLogger("minhu.http")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


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
        graph: Graph,
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
            rules=(list_cap_rule(settings.minhu_max_list_items),),
            cached_texts=settings.minhu_cached_texts,
            cached_bytes=settings.minhu_cached_text_megabytes * 1024 * 1024,
        )
        schema.process_errors = _quiet  # type: ignore[method-assign]
        limits = MutationLimits(
            settings.minhu_rate_limit_subject, settings.minhu_rate_limit_address, settings.rate_limit_storage
        )
        on_rate_limited = lambda which: metrics.rate_limited.labels(which).inc()  # noqa: E731
        # Operations over WebSocket run in strawberry's handler: these extensions give them what
        # the HTTP pipeline gives its requests.
        extra: list[Any] = [Bookmarks]
        if limits.enabled:
            extra.append(rate_limit_extension(limits, on_rate_limited))
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
        self.schema: MinhuSchema = schema
        self._graph = graph
        self._settings = settings
        self._clock = clock
        self._authenticate = cached_authenticator(settings)
        self.metrics = metrics
        self.keepalive_seconds = settings.minhu_ws_keepalive_seconds
        self.deadline = settings.minhu_request_deadline_seconds
        self.pipeline = Pipeline(
            schema,
            compiled_reads=settings.minhu_compiled_reads,
            max_list_items=settings.minhu_max_list_items,
            max_rows=settings.minhu_max_query_rows,
            expose_statements=settings.minhu_expose_statements,
            hide_suggestions=not settings.minhu_introspection,
            limits=limits if limits.enabled else None,
            on_rate_limited=on_rate_limited,
            tracer=tracer_provider.get_tracer("minhu.graphql") if tracer_provider is not None else None,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        response = await self._respond(request)
        await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        """The one way an HTTP request is answered: GraphiQL for a browser, else the pipeline."""
        if request.method == "GET" and "query" not in request.query_params and _wants_html(request):
            return await self.render_graphql_ide(request)
        deadline = begin_deadline(self.deadline)
        try:
            async with asyncio.timeout(self.deadline):
                body = await request.body() if request.method == "POST" else b""
                envelope = read_envelope(
                    request.method, request.headers.get("content-type"), body, request.query_params
                )
                context = await self.get_context(request)
                answer = await self.pipeline.run(envelope, context, request.method)
        except Refusal as refusal:
            return self._refusal(request, refusal)
        except TimeoutError:
            log.error("request deadline passed", extra={"deadline_seconds": self.deadline})
            passed = deadline.passed()
            answer = Answer(data=None, errors=[GraphQLError(passed.message, extensions={"code": passed.code})])
        return self._response(request, answer)

    def _response(self, request: Request, answer: Answer) -> Response:
        media_type = response_media_type(request.headers.get("accept"))
        codes = answer.codes
        info = current_request()
        if info is not None:
            info.note_errors(codes)
        status = 200
        headers: dict[str, str] = {}
        if answer.request_error and codes:
            if set(codes) == {RATE_LIMITED}:
                status = 429
                headers["Retry-After"] = str(
                    max((e.extensions or {}).get("retryAfter", 1) for e in answer.errors)  # type: ignore[type-var]
                )
            elif media_type == GRAPHQL_RESPONSE_JSON:
                status = 400
        bookmark = answer.extensions.get("bookmark")
        if bookmark:
            headers[BOOKMARK_HEADER] = bookmark  # read-your-writes on another process (server/bookmarks.py)
        return Response(orjson.dumps(answer.body()), status_code=status, media_type=media_type, headers=headers)

    def _refusal(self, request: Request, refusal: Refusal) -> Response:
        info = current_request()
        if info is not None:
            info.note_errors([refusal.code])
        body = {"errors": [{"message": refusal.message, "extensions": {"code": refusal.code}}]}
        return Response(
            orjson.dumps(body),
            status_code=refusal.status,
            media_type=response_media_type(request.headers.get("accept")),
            headers=refusal.headers,
        )

    async def get_context(self, request: Any, response: Any = None) -> Context:
        return Context(
            graph=self._graph,
            settings=self._settings,
            request=request,
            response=response,
            authorization=request.headers.get("authorization"),
            authenticate=self._authenticate,
            clock=self._clock,
        )

    def encode_json(self, data: object) -> bytes:
        # orjson writes a page of 100 needs several times faster than json.dumps.
        return orjson.dumps(data)

    async def get_root_value(self, request: Request | WebSocket) -> None:
        return None

    async def render_graphql_ide(self, request: Request) -> Response:
        # Minhu's own GraphiQL page (server/ide/): strawberry's loads its scripts from unpkg.com.
        return ide_page()


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "*/*" in accept


__all__ = ["PARSE_FAILED", "VALIDATION_FAILED", "MinhuGraphQL", "response_media_type"]
