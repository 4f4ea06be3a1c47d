"""The HTTP surface: health, the GraphiQL page, UNAVAILABLE when Neo4j is gone, the committed schema."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from graph.kernel.db import Graph
from graph.local import server as local_neo4j
from schema import sdl
from server.app import create_app

ROOT = Path(__file__).resolve().parents[2]


def _client(graph: Graph) -> httpx.AsyncClient:
    app = create_app(graph=graph, run_migrations=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://minhu.test")


async def test_health_is_ok_with_neo4j_reachable(graph: Graph) -> None:
    async with _client(graph) as http:
        response = await http.get("/health")
    assert response.status_code == 200
    assert response.json()["neo4j"] == "reachable"


async def test_graphiql_is_served_to_a_browser(graph: Graph) -> None:
    async with _client(graph) as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_unreachable_neo4j_gives_503_health_and_unavailable_errors() -> None:
    dead = Graph.connect(f"bolt://127.0.0.1:{local_neo4j.free_port()}", None, None, "neo4j")
    try:
        async with _client(dead) as http:
            health = await http.get("/health")
            body = (await http.post("/graphql", json={"query": "{ districts { totalCount } }"})).json()
    finally:
        await dead.close()
    assert health.status_code == 503
    assert "cannot be reached" in health.json()["reason"]
    error = body["errors"][0]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert "bolt" not in error["message"].lower() and "Traceback" not in str(body)


def test_committed_schema_matches_the_code() -> None:
    committed = (ROOT / "schema" / "schema.graphql").read_text()
    assert committed == sdl(), "the API changed: run `make schema` and commit schema/schema.graphql"


def test_a_taken_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(local_neo4j.LocalNeo4jError, match=f"port {port}"):
            local_neo4j.start(tmp_path, port=port, verbose=False)
