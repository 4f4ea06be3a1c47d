"""One pipeline for every request (issue 20 §2): each probe that found the old direct path drifting
from strawberry's, asked of a text seen before and of one never seen, and answered alike."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from graph.kernel import compiler
from graph.kernel.db import Graph
from resolvers.kernel.compiled import STATS
from resolvers.kernel.documents import Documents
from schema import build_schema
from server.app import create_app
from server.settings import Settings
from tests.support.factories import make_places

DISTRICTS = "query Districts { districts(first: 5) { totalCount edges { node { name } } } }"
SKIPPED = "query($s: Boolean = false) { districts { totalCount @skip(if: $s) edges { node { name } } } }"


def client(graph: Graph, **settings: object) -> httpx.AsyncClient:
    app = create_app(graph=graph, settings=Settings(**settings), run_migrations=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://minhu.test")


@pytest.fixture
async def http(graph: Graph) -> AsyncIterator[httpx.AsyncClient]:
    await make_places(graph)
    async with client(graph) as http:
        yield http


def raw(body: str) -> dict:
    return {"content": body.encode(), "headers": {"Content-Type": "application/json"}}


@pytest.mark.parametrize(
    ("variables", "what"),
    [('{"x": NaN}', "NaN"), ('{"x": Infinity}', "Infinity"), ('{"x": "\\ud800"}', "lone surrogate")],
)
async def test_a_body_that_is_not_json_is_refused_whether_its_text_is_known_or_not(
    http: httpx.AsyncClient, variables: str, what: str
) -> None:
    body = f'{{"query": "{DISTRICTS}", "variables": {variables}}}'
    unknown = await http.post("/graphql", **raw(body))
    assert (await http.post("/graphql", json={"query": DISTRICTS})).status_code == 200  # the text is known now
    known = await http.post("/graphql", **raw(body))
    for response in (unknown, known):
        assert response.status_code == 400, (what, response.text)
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert "not JSON" in error["message"] and "NaN" in error["message"], error["message"]


@pytest.mark.parametrize(
    ("envelope", "named"),
    [
        ({"variables": []}, "`variables`"),
        ({"variables": False}, "`variables`"),
        ({"variables": 0}, "`variables`"),
        ({"variables": ""}, "`variables`"),
        ({"extensions": 5}, "`extensions`"),
        ({"extensions": []}, "`extensions`"),
        ({"operationName": 5}, "`operationName`"),
        ({"operationName": ["Districts"]}, "`operationName`"),
    ],
)
async def test_an_envelope_of_the_wrong_shape_is_refused_whether_its_text_is_known_or_not(
    http: httpx.AsyncClient, envelope: dict, named: str
) -> None:
    unknown = await http.post("/graphql", json={"query": DISTRICTS + " ", **envelope})
    assert (await http.post("/graphql", json={"query": DISTRICTS})).status_code == 200
    known = await http.post("/graphql", json={"query": DISTRICTS, **envelope})
    for response in (unknown, known):
        assert response.status_code == 400, (envelope, response.text)
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST" and named in error["message"], error


async def test_an_omitted_variable_and_an_explicit_null_get_plans_of_their_own(graph: Graph) -> None:
    """`@skip(if: $s)` with `$s: Boolean = false`: omitted, it is false; sent as null, the directive
    refuses it. Asked in either order, each answers as the interpreter does, and the omitted one stays
    compiled."""
    await make_places(graph)
    async with client(graph, minhu_compiled_reads=False) as interpreter:
        expected_data = (await interpreter.post("/graphql", json={"query": SKIPPED})).json()
        expected_error = (await interpreter.post("/graphql", json={"query": SKIPPED, "variables": {"s": None}})).json()
    assert expected_data["data"]["districts"]["totalCount"] == 2
    assert expected_error["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    for order in (("omitted", "null", "omitted"), ("null", "omitted", "null")):
        async with client(graph) as http:  # a fresh app: a cache of texts of its own
            for step in order:
                compiled = STATS.compiled
                variables = {} if step == "omitted" else {"s": None}
                body = (await http.post("/graphql", json={"query": SKIPPED, "variables": variables})).json()
                if step == "omitted":
                    assert body == expected_data, (order, body)
                    assert STATS.compiled == compiled + 1, ("the omitted variable's plan is compiled", order)
                else:
                    assert body == expected_error, (order, body)


async def test_one_plan_per_operation_whatever_the_request_calls_it(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[str | None] = []
    compile_ = compiler.Compiler.compile

    def counting(self: compiler.Compiler) -> list:
        compiled.append(self.operation.name.value if self.operation.name else None)
        return compile_(self)

    monkeypatch.setattr(compiler.Compiler, "compile", counting)
    for name in (None, "Districts", None, "Districts", None):
        body = {"query": DISTRICTS, **({"operationName": name} if name else {})}
        assert "errors" not in (await http.post("/graphql", json=body)).json()
    assert compiled == ["Districts"], "one text, one operation: one plan, named or not"

    two = "query A { districts { totalCount } } query B { streets { totalCount } }"
    for name in ("A", "B", "A", "B"):
        assert "errors" not in (await http.post("/graphql", json={"query": two, "operationName": name})).json()
    assert compiled == ["Districts", "A", "B"]
    unnamed = await http.post("/graphql", json={"query": two})
    assert unnamed.status_code == 400 and "operationName" in unnamed.json()["errors"][0]["message"]
    wrong = await http.post("/graphql", json={"query": two, "operationName": "C"})
    assert wrong.status_code == 400 and "no operation named 'C'" in wrong.json()["errors"][0]["message"]


async def test_the_cache_of_query_texts_is_bounded_by_entries_and_by_memory(graph: Graph) -> None:
    """Distinct 60 kB texts (a query and a comment) by the hundred: the cache keeps at most its bounds,
    and /metrics says what it holds."""
    padding = "#" + "注" * 20_000 + "\n"  # 60 kB of UTF-8
    async with client(graph, minhu_cached_texts=40, minhu_cached_text_megabytes=1) as http:
        for i in range(300):
            body = (await http.post("/graphql", json={"query": f"{padding}{{ a{i}: __typename }}"})).json()
            assert body == {"data": {f"a{i}": "Query"}}
        metrics = (await http.get("/metrics")).text
    held = _metric(metrics, 'minhu_query_texts_cached{of="held"}')
    held_bytes = _metric(metrics, 'minhu_query_texts_cached_bytes{of="held"}')
    assert 1 <= held <= 40 and held_bytes <= 1024 * 1024, (held, held_bytes)
    assert _metric(metrics, 'minhu_query_text_lookups_total{outcome="evicted"}') >= 260


def test_thousands_of_texts_stay_within_the_bounds_with_what_they_derive() -> None:
    schema = build_schema()
    documents = Documents(schema._schema, (), max_entries=500, max_bytes=4 * 1024 * 1024)
    for i in range(3000):
        document = documents.get(f"query Q{i}($s: Boolean = false) {{ __typename @skip(if: $s) }}")
        for n in range(40):  # more derived values than a text keeps
            document.derive(("test", n), lambda: "x" * 100)
        assert len(document.derived) <= 16
    assert 400 <= len(documents) <= 500 and documents.bytes <= 4 * 1024 * 1024
    big = "{ " + " ".join(f"a{i}: __typename" for i in range(1500)) + " }"
    for i in range(40):
        documents.get(big + " " * i)  # 6,000 tokens' worth of parsed document each
    assert documents.bytes <= 4 * 1024 * 1024 and len(documents) < 500


async def test_an_unavailable_compiled_read_is_the_answer_and_nothing_runs_twice(
    graph: Graph, http: httpx.AsyncClient
) -> None:
    assert "errors" not in (await http.post("/graphql", json={"query": DISTRICTS})).json()
    refused, interpreted = graph.breaker.refused, STATS.interpreted
    graph.breaker.opened_at = time.monotonic()  # Neo4j known unreachable: every transaction refused at once
    try:
        body = (await http.post("/graphql", json={"query": DISTRICTS})).json()
    finally:
        graph.breaker.opened_at = None
    assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE" and body["data"] is None
    assert graph.breaker.refused == refused + 1, "one transaction was tried: the interpreter did not try again"
    assert STATS.interpreted == interpreted


async def test_a_subscription_over_http_is_refused_with_where_to_send_it(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": 'subscription { needEvents(scopeId: "district:610103") { type } }'}
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST" and "WebSocket" in error["message"]


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")
