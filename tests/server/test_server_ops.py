"""What an operator and a browser see: request ids and log lines, /metrics, health, CORS,
WebSocket origins and keep-alive pings, traces sent over OTLP to a receiver on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from graph.kernel import db
from graph.kernel.db import Graph
from server.app import create_app
from server.observability import JsonFormatter
from server.settings import Settings
from tests.server.test_server_door import REGISTER_UNIT, app_client, unit_input
from tests.support import workflow_helpers as w
from tests.support.factories import make_places

VITE = "http://localhost:5173"


async def test_request_id_is_echoed_and_logged_with_the_request_facts(
    graph: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    await make_places(graph)
    caplog.set_level(logging.INFO, logger="minhu")
    async with app_client(graph) as http:
        given = await http.post(
            "/graphql",
            json={"query": "query Districts { districts { totalCount } }", "operationName": "Districts"},
            headers={"X-Request-ID": "req-42", "Authorization": f"Bearer {w.token('CITY_ADMIN')}"},
        )
        made = await http.post("/graphql", json={"query": "{ __typename }"})
        hostile = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "a b\x01"})
    assert given.headers["x-request-id"] == "req-42"
    assert len(made.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != "a b\x01"
    lines = [r for r in caplog.records if r.name == "minhu.request"]
    first = next(r for r in lines if r.request_id == "req-42")
    assert first.operation == "Districts" and first.operation_type == "query"
    assert first.statements >= 1 and first.duration_ms > 0 and first.status == 200
    assert first.error_codes == []
    entry = json.loads(JsonFormatter().format(first))
    assert entry["request_id"] == "req-42" and entry["level"] == "info" and entry["msg"] == "POST /graphql 200"


async def test_expected_errors_are_not_logged_as_errors(graph: Graph, caplog: pytest.LogCaptureFixture) -> None:
    await make_places(graph)
    caplog.set_level(logging.DEBUG)
    async with app_client(graph) as http:
        for query in ('{ node(id: "nonsense") { id } }', "{ nosuchfield }", "{ broken "):
            await http.post("/graphql", json={"query": query})
        forbidden = await http.post(
            "/graphql",
            json={"query": REGISTER_UNIT, "variables": {"input": unit_input("x")}},
            headers={"Authorization": f"Bearer {w.resident()}"},
        )
    assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert loud == [], [(r.name, r.getMessage()) for r in loud]
    assert not [r for r in caplog.records if r.exc_info], "no traceback for the caller's mistakes"
    codes = [r.error_codes for r in caplog.records if r.name == "minhu.request"]
    assert codes == [["BAD_USER_INPUT"], ["GRAPHQL_VALIDATION_FAILED"], ["GRAPHQL_PARSE_FAILED"], ["FORBIDDEN"]]


async def test_metrics_count_requests_statements_and_the_pool(graph: Graph) -> None:
    await make_places(graph)
    async with app_client(graph) as http:
        await http.post("/graphql", json={"query": "query D { districts { totalCount } }"})
        await http.post("/graphql", json={"query": "{ nosuchfield }"})
        page = await http.get("/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    text = page.text
    assert 'minhu_request_duration_seconds_count{operation="D",outcome="ok"} 1.0' in text
    assert 'minhu_request_duration_seconds_count{operation="anonymous",outcome="rejected"} 1.0' in text
    assert "minhu_request_statements_count 2.0" in text
    assert 'minhu_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"} 1.0' in text
    assert "minhu_neo4j_pool_in_use 0.0" in text and "minhu_neo4j_up 1.0" in text
    assert "minhu_open_subscriptions 0.0" in text
    # How reads were answered (process-wide counts: other tests' reads are in them too).
    compiled = re.search(r'^minhu_reads_total\{path="compiled"\} (\d+)', text, re.M)
    assert compiled and int(compiled.group(1)) >= 1, "the districts query went by the compiled path"
    assert 'minhu_reads_total{path="interpreted"}' in text
    # The cache of query texts, against its bounds: the two texts above, each with what it holds.
    assert 'minhu_query_texts_cached{of="held"} 2.0' in text and 'minhu_query_texts_cached{of="limit"} 500.0' in text
    held = re.search(r'^minhu_query_texts_cached_bytes\{of="held"\} ([\d.e+]+)', text, re.M)
    assert held and 0 < float(held.group(1)) <= 32 * 1024 * 1024
    assert "process_resident_memory_bytes" in text


@pytest.mark.smoke
async def test_liveness_and_readiness(graph: Graph) -> None:
    async with app_client(graph) as http:
        live, ready, alias = [await http.get(p) for p in ("/health/live", "/health/ready", "/health")]
        await graph.write("MATCH (m:Migration {version: 1}) SET m.version = -1")
        try:
            unready = await http.get("/health/ready")
        finally:
            await graph.write("MATCH (m:Migration {version: -1}) SET m.version = 1")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    assert ready.status_code == 200 and ready.json()["neo4j"] == "reachable"
    assert alias.json() == ready.json()
    assert unready.status_code == 503 and "migrations not applied: [1]" in unready.json()["reason"]


async def test_cors_answers_allowed_origins_only(graph: Graph) -> None:
    async with app_client(graph, minhu_allowed_origins=f"{VITE}, https://app.minhu.example") as http:
        preflight = await http.options(
            "/graphql",
            headers={
                "Origin": VITE,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        simple = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": VITE})
        stranger = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
        )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == VITE
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert simple.headers["access-control-allow-origin"] == VITE
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in stranger.headers


async def _live(graph: Graph, **settings: object):
    return await w.start_server(graph, Settings(minhu_sweep_interval_seconds=0, **settings))


async def test_websocket_origins_and_keepalive_pings(graph: Graph) -> None:
    server, task, port = await _live(graph, minhu_allowed_origins=VITE, minhu_ws_keepalive_seconds=1.0)
    url = f"ws://127.0.0.1:{port}/graphql"
    try:
        with pytest.raises(InvalidStatus) as refused:
            await connect(url, subprotocols=["graphql-transport-ws"], origin="https://evil.example")  # type: ignore[list-item,arg-type]
        assert refused.value.response.status_code == 403

        async with connect(url, subprotocols=["graphql-transport-ws"], origin=VITE) as ws:  # type: ignore[list-item,arg-type]
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            # The server pings; answering keeps the connection open for the next ping.
            for _ in range(3):
                message = json.loads(await asyncio.wait_for(ws.recv(), 30))
                assert message["type"] == "ping"
                await ws.send(json.dumps({"type": "pong"}))

        async with connect(url, subprotocols=["graphql-transport-ws"]) as silent:  # type: ignore[list-item]
            await silent.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await silent.recv())["type"] == "connection_ack"
            # A client that never answers is let go after two unanswered pings.
            messages = [json.loads(await asyncio.wait_for(silent.recv(), 30)) for _ in range(2)]
            assert [m["type"] for m in messages] == ["ping", "ping"]
            await asyncio.wait_for(silent.wait_closed(), 30)
            assert silent.close_code == 4408
    finally:
        server.should_exit = True
        await task


class _Collector(BaseHTTPRequestHandler):
    """A minimal OTLP/HTTP receiver: keeps every ExportTraceServiceRequest it is sent."""

    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[str]:
    _Collector.received = []
    with w.http_server(_Collector) as base:
        yield base


async def test_traces_reach_an_otlp_endpoint_with_a_span_per_transaction(graph: Graph, collector: str) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    await make_places(graph)
    server, task, port = await _live(graph, otel_exporter_otlp_endpoint=collector)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            body = (await http.post("/graphql", json={"query": "query Places { districts { totalCount } }"})).json()
        assert "errors" not in body
    finally:
        server.should_exit = True
        await task  # the app's shutdown flushes the batch of spans
        db.enable_tracing(None)
    names = set()
    for payload in _Collector.received:
        request = ExportTraceServiceRequest()
        request.ParseFromString(payload)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                names.update(span.name for span in scope.spans)
    assert "GraphQL Query: Places" in names, names
    assert "neo4j.read" in names, names


async def test_tracing_is_off_unless_configured(graph: Graph) -> None:
    create_app(graph=graph, settings=Settings(), run_migrations=False)
    assert db._tracer is None
