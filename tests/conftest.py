"""One real Neo4j for the whole test session, started by the project; a clean graph per test.

With NEO4J_URI set the suite uses that server instead (it is wiped between tests, so never point
it at data you care about). Without Java/Maven the session fails loudly: tests never skip.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from graph import local_neo4j
from graph.db import Graph
from graph.migrations import migrate


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
