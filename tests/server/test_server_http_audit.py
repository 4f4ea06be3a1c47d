"""The GraphQL-over-HTTP spec authors' own audit (npm `graphql-http`, run with node) passes in full
against the real app under uvicorn on loopback: every MUST and every SHOULD/MAY."""

from __future__ import annotations

from bench.http_audit import audit
from graph.kernel.db import Graph
from tests.server.test_server_ops import _live


async def test_graphql_over_http_audit(graph: Graph) -> None:
    server, task, port = await _live(graph)
    try:
        results = await audit(f"http://127.0.0.1:{port}/graphql")
    finally:
        server.should_exit = True
        await task
    failed = [f"{r['status']} {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    assert len(results) >= 60 and not failed, failed
