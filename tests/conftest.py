"""One real Neo4j for the whole test session, started by the project; a clean graph per test.

With NEO4J_URI set the suite uses that server instead (it is wiped between tests, so never point
it at data you care about). Without Java/Maven the session fails loudly: tests never skip.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from graph.kernel.db import Graph
from graph.kernel.migrations import migrate
from graph.local import server as local_neo4j
from seeds.loader import load_preset
from tests.support.factories import make_places
from tests.support.workflow_helpers import make_people

# No test may depend on the machine's speed: the production request deadline (10 s) would fail a
# 100-way race or a cold first query on a busy 2-core machine. Tests of the deadline set their own.
os.environ.setdefault("MINHU_REQUEST_DEADLINE_SECONDS", "600")


@pytest.fixture(scope="session")
def neo4j_uri() -> Iterator[str]:
    if os.environ.get("NEO4J_URI"):
        if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
            pytest.fail("NEO4J_URI names one server, which parallel workers would wipe under each other: add -n 0")
        yield os.environ["NEO4J_URI"]
        return
    # Each xdist worker is a session of its own, with its own Neo4j (Community has one user database).
    with tempfile.TemporaryDirectory(prefix="minhu-test-neo4j-") as home:
        try:
            server = local_neo4j.start(Path(home), heap="1g", pagecache="128m")
        except local_neo4j.LocalNeo4jError:
            # Two workers may draw the same free port between its probe and Neo4j's bind: once more.
            server = local_neo4j.start(Path(home) / "again", heap="1g", pagecache="128m")
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


async def last_commit(graph: Graph) -> frozenset[str]:
    """The bookmark of the last transaction the database committed, whoever sent it.

    A read transaction's bookmark names the newest committed transaction the server has; it moves
    with every commit that changed something (a node, a property, the schema) from any client or
    process, and never with a read. Equal bookmarks: the store is as it was.
    """
    async with graph.driver.session(database=graph.database) as session:
        async with await session.begin_transaction() as tx:
            await (await tx.run("RETURN 1")).consume()
        return frozenset((await session.last_bookmarks()).raw_values)


async def checksum(graph: Graph) -> str:
    """A digest of every data node (labels, properties) and relationship (type, ends, properties)."""
    import hashlib

    nodes = await graph.read_values(
        "MATCH (n) WHERE NOT n:Migration RETURN elementId(n), labels(n), properties(n)", _name="test.checksum"
    )
    ids = {element: props.get("id") for element, _, props in nodes}
    rels = await graph.read_values(
        "MATCH (a)-[r]->(b) RETURN elementId(a), type(r), elementId(b), properties(r)", _name="test.checksum"
    )
    digest = hashlib.sha256()
    for row in sorted(repr((sorted(labels), sorted(props.items()))) for _, labels, props in nodes):
        digest.update(row.encode())
    for row in sorted(repr((ids.get(a), kind, ids.get(b), sorted(props.items()))) for a, kind, b, props in rels):
        digest.update(row.encode())
    return digest.hexdigest()


@dataclass
class Held:
    """The world the session's graph holds (None: whatever the last test left) and the bookmark it was
    built at. It is reused only while the bookmark is unchanged, so a test that writes to a shared world
    costs the next one a rebuild, never a wrong answer. With MINHU_TEST_AUDIT_WORLDS=1 every reuse is
    also checked against the checksum taken when it was built."""

    world: tuple | None = None
    bookmark: frozenset[str] = frozenset()
    digest: str | None = None
    builds: int = 0


HELD = Held()
AUDIT_WORLDS = bool(os.environ.get("MINHU_TEST_AUDIT_WORLDS"))


async def hold_demo(graph: Graph, now: datetime) -> bool:
    """The demo preset as of `now` in the graph: kept if nothing was committed since it was loaded,
    else wiped and loaded again. Returns whether it was (re)loaded."""
    wanted = ("demo", now)
    if HELD.world == wanted and await last_commit(graph) == HELD.bookmark:
        if AUDIT_WORLDS:
            assert await checksum(graph) == HELD.digest, "the shared demo changed without a commit"
        return False
    HELD.world = None
    await wipe(graph)
    await load_preset(graph, "demo", now=now)
    HELD.world, HELD.bookmark = wanted, await last_commit(graph)
    HELD.digest = await checksum(graph) if AUDIT_WORLDS else None
    HELD.builds += 1
    return True


@pytest.fixture
async def graph(graph_session: Graph, request: pytest.FixtureRequest) -> AsyncIterator[Graph]:
    """The session's graph, wiped; or, for a test marked `@pytest.mark.demo(NOW)`, holding the demo
    preset as of NOW (loaded once and shared by the tests that follow while none of them writes)."""
    demo = request.node.get_closest_marker("demo")
    if demo is None:
        HELD.world = None
        await wipe(graph_session)
    else:
        await hold_demo(graph_session, *demo.args)
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


# --- order, and what runs in parallel -------------------------------------------------------------
# `make test` runs the suite in two xdist workers (`-n 2`), each a session with its own Neo4j. A unit
# of work is a module (its module fixtures and its shared demo stay in one process) or a test listed
# alone below; units go to the workers in collection order, the longest first, so the two end
# together. Measured in docs/NOTES.md ("A fast inner loop").
LONGEST = (
    "tests/seeds/test_demo_any_date.py::test_the_dated_stories_hold_on_every_day_of_a_year",
    "tests/server/test_outage.py",
    "tests/kernel/test_compiled_reads.py",
    "tests/kernel/test_dump.py",
    "tests/seeds/test_bulk_import.py",
    "tests/server/test_scaleout.py",
    "tests/seeds/test_demo_any_date.py",
    "tests/needs/test_dispatch.py",
)


def work_unit(nodeid: str) -> str:
    """The module of a test, or the test itself when it is listed alone in LONGEST."""
    return nodeid if nodeid in LONGEST else nodeid.split("::")[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {unit: i for i, unit in enumerate(LONGEST)}
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        first_seen.setdefault(work_unit(item.nodeid), index)
    position = {id(item): index for index, item in enumerate(items)}

    def order(item: pytest.Item) -> tuple:
        unit = work_unit(item.nodeid)
        demo = item.get_closest_marker("demo")
        # In a module, the tests on the demo first, by date: the demo is loaded once for them.
        shared = (0, str(demo.args[0])) if demo else (1, "")
        return (rank.get(unit, len(rank)), first_seen[unit], shared, position[id(item)])

    items.sort(key=order)
    for item in items:
        if "neo4j_uri" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.neo4j)


class ByUnitScheduling:
    """xdist's scope scheduling with our units, handed out in collection order, one at a time
    (registered only where xdist is: `-p no:xdist` knows no such hook)."""

    @staticmethod
    def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
        from xdist.scheduler import LoadScopeScheduling

        class ByUnit(LoadScopeScheduling):
            def _split_scope(self, nodeid: str) -> str:
                return work_unit(nodeid)

            def _reschedule(self, node: Any) -> None:
                # A worker runs a test once it knows the next one: a unit more only when one is left.
                if node.shutting_down or not self.workqueue:
                    super()._reschedule(node)
                elif self._pending_of(self.assigned_work[node]) <= 1:
                    self._assign_work_unit(node)

        config.option.loadscopereorder = False
        return ByUnit(config, log)


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(ByUnitScheduling(), "minhu-by-unit-scheduling")
