"""The HTTP surface: health, the GraphiQL page (its files served from this server only), UNAVAILABLE
when Neo4j is gone, the committed schema."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import httpx
import pytest

from graph.kernel.db import Graph
from graph.local import server as local_neo4j
from schema import sdl
from server.app import create_app
from server.ide.examples import readme_examples
from server.pages import PinnedPage

ROOT = Path(__file__).resolve().parents[2]


def _client(graph: Graph) -> httpx.AsyncClient:
    app = create_app(graph=graph, run_migrations=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://minhu.test")


async def test_health_is_ok_with_neo4j_reachable(graph: Graph) -> None:
    async with _client(graph) as http:
        response = await http.get("/health")
    assert response.status_code == 200
    assert response.json()["neo4j"] == "reachable"


IDE_SCRIPTS = {
    "/ide/vendor/react.production.min.js",
    "/ide/vendor/react-dom.production.min.js",
    "/ide/vendor/graphiql.min.js",
    "/ide/vendor/plugin-explorer.umd.js",
    "/ide/ide.js",
}


async def test_graphiql_is_served_to_a_browser_from_this_server_only(graph: Graph) -> None:
    """GET /graphql in a browser: Minhu's GraphiQL page, every file it names served by the app itself
    (strawberry's page loads them from unpkg.com, so it never loads on a closed network), all under a
    Content-Security-Policy that names no other host, with the README's examples in it."""
    async with _client(graph) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        named = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        files = {path: await http.get(path) for path in named if not path.startswith("data:")}
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = dict(part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert all(source in ("'self'", "'none'", "data:") for sources in policy.values() for source in sources.split())
    assert "://" not in page.text and "unpkg" not in page.text
    # Only files of this origin, and no inline script but the examples' data block.
    assert all(path.startswith("/") and not path.startswith("//") for path in files)
    assert {path for path in files if path.endswith(".js")} == IDE_SCRIPTS
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) == ['<script type="application/json" id="examples">']
    for path, response in files.items():
        assert response.status_code == 200, (path, response.text[:200])
        kind = "text/javascript" if path.endswith(".js") else "text/css"
        assert response.headers["content-type"].startswith(kind), path
        assert response.headers["content-security-policy"] == page.headers["content-security-policy"]
    graphiql = files["/ide/vendor/graphiql.min.js"].text
    assert graphiql.startswith("!function(e,t)") and ".GraphiQL=t(e.React,e.ReactDOM)" in graphiql[:600]
    assert "createFetcher" in graphiql and len(graphiql) > 500_000
    block = re.search(r'<script type="application/json" id="examples">(.*?)</script>', page.text, flags=re.S)
    assert block is not None
    examples = json.loads(block.group(1))
    assert len(examples) >= 4 and [e["query"] for e in examples] == [e.query for e in readme_examples()]


async def test_a_page_whose_libraries_are_not_installed_says_what_to_run(tmp_path: Path) -> None:
    page = PinnedPage("The IDE", "/ide", tmp_path, own=("ide.js",), vendor={"graphiql.min.js": "graphiql/x.js"})
    answer = page.file(page.vendored()["graphiql.min.js"])
    assert not page.installed() and answer.status_code == 503
    assert b"make setup" in answer.body and b"default-src 'none'" in answer.headers["content-security-policy"].encode()


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
