"""The demo shared by the tests marked `pytest.mark.demo` (tests/conftest.py) is never handed on
changed: a write from any client makes the next holder load it afresh, equal to the first load."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from neo4j import AsyncGraphDatabase

from graph.kernel.db import Graph
from tests.conftest import checksum, hold_demo, last_commit

NOW = datetime(2026, 11, 29, tzinfo=UTC)


@pytest.mark.demo(NOW)
async def test_a_write_from_anywhere_makes_the_next_holder_reload_the_demo(graph: Graph, neo4j_uri: str) -> None:
    loaded = await checksum(graph)
    marked = await last_commit(graph)
    await graph.read("MATCH (n:Need) RETURN count(n) AS n")
    assert not await hold_demo(graph, NOW), "kept: only reads since it was loaded"
    assert await last_commit(graph) == marked

    # Another client (as a server process the tests start would) changes one property.
    async with AsyncGraphDatabase.driver(neo4j_uri) as other:
        await other.execute_query(
            "MATCH (n:Need {id: 'need:demo-sewer'}) SET n.title = 'changed'", database_=graph.database
        )
    assert await last_commit(graph) != marked
    assert await checksum(graph) != loaded

    assert await hold_demo(graph, NOW), "reloaded after the write"
    assert await checksum(graph) == loaded
    assert not await hold_demo(graph, NOW)
