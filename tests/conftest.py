"""One real Neo4j for the whole test session, started by the project; a clean graph per test.

With NEO4J_URI set the suite uses that server instead (it is wiped between tests, so never point
it at data you care about). Without Java/Maven the session fails loudly: tests never skip.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest

from graph.kernel.db import Graph
from graph.kernel.migrations import migrate
from graph.local import server as local_neo4j
from tests.support.factories import make_places
from tests.support.workflow_helpers import make_people

# No test may depend on the machine's speed: the production request deadline (10 s) would fail a
# 100-way race or a cold first query on a busy 2-core machine. Tests of the deadline set their own.
os.environ.setdefault("MINHU_REQUEST_DEADLINE_SECONDS", "600")


@pytest.fixture(scope="session")
def neo4j_uri() -> Iterator[str]:
    if os.environ.get("NEO4J_URI"):
        yield os.environ["NEO4J_URI"]
        return
    with tempfile.TemporaryDirectory(prefix="minhu-test-neo4j-") as home:
        server = local_neo4j.start(Path(home), heap="1g", pagecache="128m")
        try:
            yield server.uri
        finally:
            server.stop()


@pytest.fixture(scope="session")
async def graph_session(neo4j_uri: str) -> AsyncIterator[Graph]:
    graph = Graph.connect(
        neo4j_uri,
        os.environ.get("NEO4J_USER"),
        os.environ.get("NEO4J_PASSWORD"),
        os.environ.get("NEO4J_DATABASE", "neo4j"),
    )
    await migrate(graph)
    try:
        yield graph
    finally:
        await graph.close()


async def wipe(graph: Graph) -> None:
    """Deletes every data node but keeps the schema and its migration records."""
    while True:
        rows = await graph.write(
            "MATCH (n) WHERE NOT n:Migration WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS deleted"
        )
        if rows[0]["deleted"] == 0:
            return


@pytest.fixture
async def graph(graph_session: Graph) -> AsyncIterator[Graph]:
    await wipe(graph_session)
    graph_session.counter.count = 0
    yield graph_session


class GraphQLClient:
    """POSTs real requests to /graphql; `last_statements` and `last_statement_names` say which Cypher
    statements the last one ran (from its own log, whatever else runs at the same time)."""

    def __init__(self, http, graph: Graph) -> None:
        self.http = http
        self.graph = graph
        self.last_statements = 0
        self.last_statement_names: list[str] = []
        self.last_written: list[str] = []  # statements of its write transactions

    async def __call__(
        self, query: str, variables: dict | None = None, token: str | None = None, expect_errors: bool = False
    ) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body = response.json()
        report = (body.get("extensions") or {}).pop("statements", {"count": 0, "names": [], "written": []})
        if body.get("extensions") == {}:
            del body["extensions"]
        self.last_statements = report["count"]
        self.last_statement_names = report["names"]
        self.last_written = report["written"]
        if not expect_errors:
            assert "errors" not in body, body.get("errors")
        return body


@pytest.fixture
async def world(graph: Graph) -> Graph:
    """The hand-made places and people (tests/support: a resident, members, a unit, coordinators); a module
    that needs another world declares its own `world`."""
    await make_places(graph)
    await make_people(graph)
    return graph


@pytest.fixture
def now() -> datetime | None:
    """The instant the API's requests answer as (`Context.now`: overdue, funding periods, rankings).
    None here: the real clock. A module whose data is dated pins it (`now = pinned(NOW)`) and builds
    its data relative to it; the clients below then answer as of that instant."""
    return None


def pinned(instant: datetime) -> Callable[[], datetime]:
    """A module's `now` fixture, pinned to `instant` (assign it to the name `now`)."""

    @pytest.fixture
    def now() -> datetime:
        return instant

    return now


@asynccontextmanager
async def _client(graph: Graph, compiled_reads: bool, now: datetime | None) -> AsyncIterator[GraphQLClient]:
    import httpx

    from resolvers.kernel.context import real_clock
    from server.app import create_app
    from server.settings import get_settings

    settings = get_settings().model_copy(
        update={"minhu_expose_statements": True, "minhu_compiled_reads": compiled_reads}
    )
    clock = real_clock if now is None else lambda: now
    app = create_app(graph=graph, settings=settings, run_migrations=False, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://minhu.test") as http:
        yield GraphQLClient(http, graph)


@pytest.fixture
async def graphql_client(graph: Graph, now: datetime | None) -> AsyncIterator[GraphQLClient]:
    async with _client(graph, compiled_reads=True, now=now) as client:
        yield client


@pytest.fixture
async def interpreted_client(graph: Graph, now: datetime | None) -> AsyncIterator[GraphQLClient]:
    """The same API with the compiled read path off: strawberry's execution with DataLoaders."""
    async with _client(graph, compiled_reads=False, now=now) as client:
        yield client
