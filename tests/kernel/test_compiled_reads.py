"""The compiled read path answers exactly as the interpreter does, in one statement per root field."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest

from graph.kernel.db import Graph
from resolvers.kernel.compiled import STATS
from server.app import create_app
from server.settings import get_settings
from tests.support.workflow_helpers import token

NOW = datetime(2026, 11, 29, tzinfo=UTC)
GRAPHQL_RESPONSE = "application/graphql-response+json"


class Pair:
    """The same request to an app with the compiled path and to one without."""

    def __init__(self, compiled: httpx.AsyncClient, interpreted: httpx.AsyncClient) -> None:
        self.compiled = compiled
        self.interpreted = interpreted

    async def both(self, query: str, variables: dict | None = None, token: str | None = None) -> tuple[dict, dict]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload = {"query": query, "variables": variables or {}}
        a = (await self.compiled.post("/graphql", json=payload, headers=headers)).json()
        b = (await self.interpreted.post("/graphql", json=payload, headers=headers)).json()
        # Again: a text the compiled path answered once is answered by the view without strawberry.
        again = (await self.compiled.post("/graphql", json=payload, headers=headers)).json()
        assert again == a, ("the view's direct answer differs from the first one", query, variables)
        return a, b


@pytest.fixture
async def pair(graph: Graph):
    apps = []
    for compiled in (True, False):
        settings = get_settings().model_copy(update={"minhu_expose_statements": True, "minhu_compiled_reads": compiled})
        apps.append(create_app(graph=graph, settings=settings, run_migrations=False))
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[0]), base_url="http://c") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[1]), base_url="http://i") as b,
    ):
        yield Pair(a, b)


NEEDS_PAGE = """
query Page($first: Int, $after: String) {
  needs(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id number title status channel urgency createdAt overdue location { latitude longitude }
      category { code name } community { name street { name district { name } } }
      currentAssignment { status handler { __typename ... on Member { name } ... on Offering { title } } } } }
  }
}
"""


@pytest.mark.demo(NOW)
async def test_the_needs_page_is_one_statement_and_equal(graph: Graph, pair: Pair) -> None:
    coordinator = token("COORDINATOR", "community:610103001009")
    before, direct = STATS.compiled, STATS.direct
    for viewer in (None, coordinator):
        a, b = await pair.both(NEEDS_PAGE, {"first": 30}, viewer)
        statements = a.pop("extensions")["statements"]
        b.pop("extensions")
        assert a == b
        assert statements["names"] == ["compiled.needs"]
        after = a["data"]["needs"]["pageInfo"]["endCursor"]
        a, b = await pair.both(NEEDS_PAGE, {"first": 30, "after": after}, viewer)
        a.pop("extensions"), b.pop("extensions")
        assert a == b
    # Each request twice (Pair.both): the first text by strawberry, everything after it directly.
    assert STATS.compiled == before + 8
    assert STATS.direct == direct + 7


@pytest.mark.demo(NOW)
async def test_a_text_answered_once_is_answered_by_the_view_with_the_same_facts(
    graph: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    settings = get_settings().model_copy(update={"minhu_expose_statements": True})
    app = create_app(graph=graph, settings=settings, run_migrations=False)
    view = next(route.endpoint for route in app.routes if getattr(route, "path", None) == "/graphql")
    coordinator = {"Authorization": f"Bearer {token('COORDINATOR', 'community:610103001009', 'user:c-1')}"}
    payload = {"query": NEEDS_PAGE, "variables": {"first": 5}, "operationName": "Page"}
    caplog.set_level(logging.INFO, logger="minhu")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as http:
        first = await http.post("/graphql", json=payload, headers={**coordinator, "X-Request-ID": "first"})
        direct = STATS.direct
        again = await http.post("/graphql", json=payload, headers={**coordinator, "X-Request-ID": "again"})
        assert STATS.direct == direct + 1, "the second request skipped strawberry"
        assert again.content == first.content and again.headers["content-type"] == first.headers["content-type"]
        modern = await http.post("/graphql", json=payload, headers={**coordinator, "Accept": GRAPHQL_RESPONSE})
        assert modern.headers["content-type"].startswith(GRAPHQL_RESPONSE) and modern.json() == first.json()

        # Input the resolvers refuse goes to the full path, which says what is wrong, once.
        declined = STATS.direct, STATS.compiled
        bad = (await http.post("/graphql", json={**payload, "variables": {"first": "five"}})).json()
        assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and "data" not in bad
        forged = await http.post("/graphql", json=payload, headers={"Authorization": "Bearer forged"})
        assert forged.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert (STATS.direct, STATS.compiled) == declined

        view.deadline = 1e-9
        late = (await http.post("/graphql", json=payload, headers=coordinator)).json()
        assert (
            late["errors"][0]["extensions"]["code"] == "UNAVAILABLE" and "longer than" in late["errors"][0]["message"]
        )

    lines = {r.request_id: r for r in caplog.records if r.name == "minhu.request"}
    for request in ("first", "again"):
        line = lines[request]
        assert (line.operation, line.operation_type, line.role, line.subject) == (
            "Page",
            "query",
            "COORDINATOR",
            "user:c-1",
        )
        assert line.statements == 1 and line.status == 200 and line.error_codes == []
    assert first.json()["extensions"]["statements"]["names"] == ["compiled.needs"]


async def test_introspection_roots_are_left_to_graphql_core(graph: Graph, pair: Pair) -> None:
    query = "query Type($name: String!) { __type(name: $name) { name } needs(first: 1) { totalCount } }"
    before = dict(STATS.reasons)
    a, b = await pair.both(query, {"name": "Need"}, None)
    a.pop("extensions"), b.pop("extensions")
    assert a == b and "errors" not in a
    assert a["data"]["__type"] == {"name": "Need"}
    assert STATS.reasons != before


# --- the differential test: generated queries, several viewers ---------------------------------

import asyncio  # noqa: E402
import functools  # noqa: E402
import random  # noqa: E402
import zlib  # noqa: E402

import graphql  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis_graphql import nodes, queries  # noqa: E402

from schema import build_schema  # noqa: E402

COMPILED_ROOTS = [
    "node", "needs", "units", "members", "venues", "fundingPrograms", "districts", "streets",
    "communities", "categories", "skills",
]  # fmt: skip
VIEWERS = {
    "anonymous": lambda: None,
    "resident": lambda: token("RESIDENT", None, "resident:demo-wang"),
    "member": lambda: token("MEMBER", None, "member:demo-plumber"),
    "unit admin": lambda: token("UNIT_ADMIN", "unit:demo-state-enterprise", "user:unit-admin-demo"),
    "coordinator": lambda: token("COORDINATOR", "community:610103001009"),
    "city admin": lambda: token("CITY_ADMIN"),
}
EXAMPLES = 350  # per viewer: 2,100 generated reads in all, each answered twice by the compiled path


def _scalars() -> dict:
    moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)).map(
        lambda d: nodes.String(d.isoformat())
    )
    return {"DateTime": moments, "Fen": st.integers(0, 10**9).map(nodes.Int)}


class Realistic(graphql.Visitor):
    """Points generated queries at the demo: ids at real nodes, page sizes and cursors mostly valid, so
    most cases reach data (the rest still check that both paths refuse alike)."""

    def __init__(self, ids: list[str], rng: random.Random) -> None:
        super().__init__()
        self.ids, self.rng = ids, rng

    def enter_field(self, node: graphql.FieldNode, *_: object) -> graphql.FieldNode | None:
        names = {arg.name.value for arg in node.arguments or ()}
        if names & {"first", "after"} and names & {"last", "before"} and self.rng.random() < 0.9:
            # Mostly one direction, so most cases reach data (mixing them is refused alike on both paths).
            dropped = self.rng.choice([{"first", "after"}, {"last", "before"}])
            kept = tuple(arg for arg in node.arguments if arg.name.value not in dropped)
            return graphql.FieldNode(
                alias=node.alias, name=node.name, arguments=kept, directives=node.directives,
                selection_set=node.selection_set,
            )  # fmt: skip
        return None

    def enter_argument(self, node: graphql.ArgumentNode, *_: object) -> graphql.ArgumentNode | None:
        name = node.name.value
        if name == "id" or name.endswith("Id"):
            return graphql.ArgumentNode(name=node.name, value=graphql.StringValueNode(value=self.rng.choice(self.ids)))
        if name in ("first", "last") and self.rng.random() < 0.9:
            return graphql.ArgumentNode(name=node.name, value=graphql.IntValueNode(value=str(self.rng.randint(0, 8))))
        if name in ("after", "before") and self.rng.random() < 0.8:
            return graphql.REMOVE
        if name == "text" and self.rng.random() < 0.7:
            return graphql.ArgumentNode(name=node.name, value=graphql.StringValueNode(value="噪音"))
        return None


async def sample_ids(graph: Graph) -> list[str]:
    rows = await graph.read(
        "MATCH (n) WHERE n.id IS NOT NULL AND NOT n:Migration AND NOT n:IdempotencyRecord "
        "WITH labels(n)[0] AS label, collect(n.id)[0..6] AS ids RETURN label, ids"
    )
    found = [i for row in rows for i in row["ids"]]
    return sorted({*found, "need:demo-sewer", "member:demo-plumber", "community:610103001009", "unit:demo-hospital"})


@pytest.fixture
async def demo(graph: Graph, pair: Pair) -> tuple[Pair, list[str], asyncio.AbstractEventLoop]:
    return pair, await sample_ids(graph), asyncio.get_running_loop()


@functools.cache
def strategy() -> st.SearchStrategy[str]:
    """The generated reads; built when the test runs, not when the suite is collected (seconds)."""
    return queries(build_schema()._schema, fields=COMPILED_ROOTS, custom_scalars=_scalars(), allow_x00=False)


def _checker(pair: Pair, ids: list[str], loop: asyncio.AbstractEventLoop, viewer: str, bearer: str | None):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(query=strategy())
    def same_answer(query: str) -> None:
        rng = random.Random(zlib.crc32(query.encode()))
        text = graphql.print_ast(graphql.visit(graphql.parse(query), Realistic(ids, rng)))
        a, b = loop.run_until_complete(pair.both(text, token=bearer))
        a.pop("extensions", None), b.pop("extensions", None)
        assert a == b, (viewer, text)

    return same_answer


@pytest.mark.slow
@pytest.mark.demo(NOW)
def test_compiled_answers_equal_interpreted_ones(demo) -> None:
    """Generated reads of every compiled root field, answered by both paths for each viewer: equal data
    and errors. Most of them must be compiled, or the comparison would say little."""
    pair, ids, loop = demo
    for viewer, sign in VIEWERS.items():
        compiled, interpreted = STATS.compiled, STATS.interpreted
        same_answer = _checker(pair, ids, loop, viewer, sign())
        same_answer()
        by_compiler, by_interpreter = STATS.compiled - compiled, STATS.interpreted - interpreted
        assert by_compiler > 2 * by_interpreter, (viewer, STATS.reasons.most_common(8))
