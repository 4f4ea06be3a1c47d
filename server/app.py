"""The Starlette application.

Routes: POST/GET /graphql (GraphiQL in a browser), WebSocket /graphql (subscriptions),
POST /import/{kind} (a roster upload, server/uploads.py), /open311/v2/… (Open311 GeoReport v2, server/open311.py),
GET /console (the coordinators' console, server/console/), GET /ide/… (the GraphQL IDE's files, server/ide/),
GET /health/live (the process answers), GET /health/ready (Neo4j answers and every migration is
applied; /health is the same), GET /metrics (Prometheus).

Around them, outermost first: the request log (request id, one JSON line per request), CORS for
the origins in MINHU_ALLOWED_ORIGINS, and the body size limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from graph.kernel import db
from graph.kernel.db import Graph
from graph.kernel.errors import DomainError
from graph.kernel.migrations import MIGRATIONS, applied_versions, migrate
from resolvers.kernel.context import Clock, real_clock
from resolvers.needs.sweep import sweep_forever
from resolvers.webhooks.relay import Policy, Relay, configure
from resolvers.whistle.sweep import sweep_whistles
from server.bookmarks import BOOKMARK_HEADER
from server.broker import BrokerMetrics, sweep_gate, with_broker
from server.console import routes as console_routes
from server.door import BodyLimit
from server.http import MinhuGraphQL
from server.ide import routes as ide_routes
from server.middleware import RequestLog
from server.observability import Metrics, ReadPathMetrics, configure_tracing
from server.open311 import routes as open311_routes
from server.settings import Settings, get_settings
from server.uploads import roster_upload

log = logging.getLogger("minhu")


def webhook_policy(settings: Settings) -> Policy:
    return Policy(
        timeout_seconds=settings.minhu_webhook_timeout_seconds,
        attempts=settings.minhu_webhook_attempts,
        backoff_seconds=settings.minhu_webhook_backoff_seconds,
        backoff_cap_seconds=settings.minhu_webhook_backoff_cap_seconds,
        concurrency=settings.minhu_webhook_concurrency,
        allow_private=settings.minhu_webhook_allow_private,
    )


@asynccontextmanager
async def with_webhooks(settings: Settings, get_graph: Callable[[], Graph]) -> AsyncIterator[Relay | None]:
    """The partners' webhook relay (resolvers/webhooks/relay.py) while the app runs; nothing without
    MINHU_WEBHOOKS. Stopped before the graph closes."""
    if not settings.minhu_webhooks:
        yield None
        return
    policy = webhook_policy(settings)
    configure(policy)
    relay = Relay(get_graph, policy)
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop()
        configure(None)


def create_app(
    graph: Graph | None = None,
    settings: Settings | None = None,
    run_migrations: bool = True,
    clock: Clock = real_clock,
) -> Starlette:
    """The app; with `graph` given (tests), it uses that graph and leaves closing it to the caller.
    `clock` is where each GraphQL request reads its "now" (tests pin it to the instant their data is
    dated from)."""
    settings = settings or get_settings()
    # The driver connects lazily, so the graph is made with the app and handed to every part of it.
    owned = graph is None
    if graph is None:
        if not settings.neo4j_uri:
            raise RuntimeError("NEO4J_URI is not set: start the API with `minhu serve`, which starts Neo4j")
        graph = Graph.connect(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database)
    served: Graph = graph
    metrics = Metrics(served)
    tracer_provider = configure_tracing(settings)
    if tracer_provider is not None:
        db.enable_tracing(tracer_provider.get_tracer("minhu.graph"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if run_migrations:
            await migrate(served)
        # Events between processes (MINHU_BROKER_URL); stopped before the graph closes.
        broker_scope = AsyncExitStack()
        app.state.broker = await broker_scope.enter_async_context(with_broker(settings, lambda: served))
        # Partners' webhooks (MINHU_WEBHOOKS): the relay from the outbox to their endpoints.
        await broker_scope.enter_async_context(with_webhooks(settings, lambda: served))
        # The background sweep: overdue needs escalate, expired idempotency records go; 0 turns it off.
        sweeper = None
        if settings.minhu_sweep_interval_seconds > 0:
            sweeper = asyncio.create_task(
                sweep_forever(
                    lambda: served,
                    settings.minhu_sweep_interval_seconds,
                    idempotency_ttl_hours=settings.minhu_idempotency_ttl_hours,
                    on_run=lambda outcome: metrics.sweeps.labels(outcome).inc(),
                    also=(sweep_whistles,),
                    # Several processes (a broker between them): once per interval across them all.
                    gate=sweep_gate(lambda: served, settings.minhu_sweep_interval_seconds)
                    if settings.minhu_broker_url
                    else None,
                )
            )
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with suppress(asyncio.CancelledError):
                    await sweeper
            await broker_scope.aclose()
            if tracer_provider is not None:
                tracer_provider.shutdown()
            if owned:
                await served.close()

    async def live(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> JSONResponse:
        try:
            await served.ping()
            missing = sorted({m.version for m in MIGRATIONS} - await applied_versions(served))
        except DomainError as exc:
            return JSONResponse({"status": "unavailable", "reason": exc.message}, status_code=503)
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "reason": f"Neo4j: {type(exc).__name__}"}, status_code=503)
        if missing:
            return JSONResponse(
                {"status": "unavailable", "reason": f"migrations not applied: {missing}; run `minhu db migrate`"},
                status_code=503,
            )
        return JSONResponse({"status": "ok", "neo4j": "reachable", "database": served.database})

    async def metrics_page(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    graphql = MinhuGraphQL(served, settings, metrics, tracer_provider, clock)
    app = Starlette(
        routes=[
            Route("/health/live", live),
            Route("/health/ready", ready),
            Route("/health", ready),
            Route("/metrics", metrics_page),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/import/{kind}", roster_upload(served, settings), methods=["POST"]),
            *open311_routes(served),
            *console_routes(),
            *ide_routes(),
            # Subscriptions (graphql-transport-ws) on the same path; the token travels in connection_init.
            WebSocketRoute("/graphql", graphql),
        ],
        middleware=[
            Middleware(RequestLog, metrics=metrics),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.allowed_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID", BOOKMARK_HEADER],
                expose_headers=["X-Request-ID", "Retry-After", BOOKMARK_HEADER],
                max_age=600,
            ),
            Middleware(
                BodyLimit, max_bytes=settings.minhu_max_body_bytes, discard_bytes=settings.minhu_max_discard_bytes
            ),
        ],
        lifespan=lifespan,
    )
    app.state.broker = None
    metrics.registry.register(BrokerMetrics(app.state))
    metrics.registry.register(ReadPathMetrics(graphql.schema.documents))
    app.state.metrics = metrics
    return app
