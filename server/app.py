"""The Starlette application: POST/GET /graphql (GraphiQL in a browser), GET /health."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from graph.kernel.db import Graph
from graph.kernel.errors import DomainError
from graph.kernel.migrations import migrate
from resolvers.kernel.context import Context
from resolvers.needs.sweep import sweep_forever
from schema import build_schema
from server.settings import Settings, get_settings

log = logging.getLogger("minhu")


def _authenticator(settings: Settings):
    def authenticate(header: str | None) -> Any:
        from server.auth import viewer_from_header

        return viewer_from_header(header, settings)

    return authenticate


class MinhuGraphQL(GraphQL):
    def __init__(self, graph_ref: dict[str, Graph], settings: Settings) -> None:
        super().__init__(
            build_schema(
                max_depth=settings.minhu_max_query_depth,
                max_aliases=settings.minhu_max_aliases,
                introspection=settings.minhu_introspection,
                expose_statements=settings.minhu_expose_statements,
                compiled_reads=settings.minhu_compiled_reads,
            ),
            graphql_ide="graphiql",
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        )
        self._graph_ref = graph_ref
        self._settings = settings
        self._authenticate = _authenticator(settings)

    async def get_context(self, request: Any, response: Any = None) -> Context:
        return Context(
            graph=self._graph_ref["graph"],
            settings=self._settings,
            request=request,
            response=response,
            authorization=request.headers.get("authorization"),
            authenticate=self._authenticate,
        )


def create_app(graph: Graph | None = None, settings: Settings | None = None, run_migrations: bool = True) -> Starlette:
    """The app; with `graph` given (tests), it uses that graph and leaves closing it to the caller."""
    settings = settings or get_settings()
    graph_ref: dict[str, Graph] = {}
    if graph is not None:
        graph_ref["graph"] = graph

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = "graph" not in graph_ref
        if owned:
            if not settings.neo4j_uri:
                raise RuntimeError("NEO4J_URI is not set: start the API with `minhu serve`, which starts Neo4j")
            graph_ref["graph"] = Graph.connect(
                settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database
            )
        if run_migrations:
            await migrate(graph_ref["graph"])
        # The overdue sweep (escalation of needs past their deadline); interval 0 turns it off.
        sweeper = None
        if settings.minhu_sweep_interval_seconds > 0:
            sweeper = asyncio.create_task(
                sweep_forever(lambda: graph_ref["graph"], settings.minhu_sweep_interval_seconds)
            )
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with suppress(asyncio.CancelledError):
                    await sweeper
            if owned:
                await graph_ref["graph"].close()

    async def health(request: Request) -> JSONResponse:
        try:
            await graph_ref["graph"].ping()
        except DomainError as exc:
            return JSONResponse({"status": "unavailable", "reason": exc.message}, status_code=503)
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "reason": f"Neo4j: {type(exc).__name__}"}, status_code=503)
        return JSONResponse({"status": "ok", "neo4j": "reachable", "database": graph_ref["graph"].database})

    graphql = MinhuGraphQL(graph_ref, settings)
    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            # Subscriptions (graphql-transport-ws) on the same path; the token travels in connection_init.
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )
    app.state.graph_ref = graph_ref
    return app
