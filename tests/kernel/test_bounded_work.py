"""Bounded work (issue 20 §3): the cost limit at the door, a LIMIT on every listed link, a
transaction timeout that is what is left of the request's deadline, and a schema that refuses to
build when the compiled path would read a resolver's field raw."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import httpx
import neo4j
import pytest
from graphql.execution.values import get_variable_values

from graph.kernel import registry
from graph.kernel.db import Graph, begin_deadline
from graph.kernel.errors import Unavailable
from graph.kernel.kinds import LISTED_LIMIT, Kind
from resolvers.kernel.cost import estimate
from schema import build_schema
from server.app import create_app
from server.settings import Settings
from tests.support.factories import make_places

FAN_OUT = """query FanOut { communities(first: 100) { edges { node { name
  members(first: 100) { edges { node { name communities(first: 100) { edges { node { name
    members(first: 100) { edges { node { name } } } } } } } } } } } } }"""
COMMUNITY = """query($id: ID!) { node(id: $id) { ... on Community { name
  members(first: 50) { totalCount edges { node { name skills(first: 10) { edges { node { name } } } } } } } } }"""


def client(graph: Graph, **settings: object) -> httpx.AsyncClient:
    settings = {"minhu_expose_statements": True, **settings}
    app = create_app(graph=graph, settings=Settings(**settings), run_migrations=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://minhu.test")


# --- the estimate ------------------------------------------------------------------------------

SCHEMA = build_schema()


def rows(query: str, variables: dict | None = None, name: str | None = None) -> tuple[int, str]:
    document = SCHEMA.documents.get(query)
    assert not document.errors, document.errors
    operation = document.operation(name)
    values = get_variable_values(SCHEMA._schema, operation.variable_definitions or (), variables or {})
    assert not isinstance(values, list), values
    cost = estimate(SCHEMA._schema, document, operation, values, document.directive_key(values))
    return cost.rows, cost.path


def test_the_estimate_is_the_product_of_the_slices_along_each_list() -> None:
    assert rows(COMMUNITY, {"id": "community:x"}) == (50 + 50 * 10, "node.members.edges.node.skills.edges")
    assert rows(FAN_OUT)[0] == 100 + 100**2 + 100**3 + 100**4
    # A slice given by a variable is read per request from the same cached formula.
    paged = "query($n: Int) { needs(first: $n) { edges { node { title history { type } } } } }"
    assert rows(paged, {"n": 10}) == (10 + 10 * LISTED_LIMIT, "needs.edges.node.history")
    assert rows(paged, {"n": 100})[0] == 100 + 100 * LISTED_LIMIT
    assert rows(paged)[0] == 20 + 20 * LISTED_LIMIT, "a connection without a slice is a page of 20"
    # Skipped selections cost nothing; an interface costs its costliest type; introspection is free.
    skipped = """query($s: Boolean!) { communities(first: 10) { edges { node {
      members(first: 10) @skip(if: $s) { totalCount edges { node { name } } } } } } }"""
    assert rows(skipped, {"s": True})[0] == 10
    assert rows(skipped, {"s": False})[0] == 10 + 100
    either = """{ node(id: "x") { ... on Community { members(first: 30) { edges { node { name } } } }
      ... on Unit { members(first: 40) { edges { node { name } } }
        offerings(first: 5) { edges { node { title } } } } } }"""
    assert rows(either)[0] == 45
    introspection = "{ __schema { types { name fields { name args { name type { name ofType { name } } } } } } }"
    assert rows(introspection)[0] == 0
    # A page object passes its slice to its lists (the console's neighbourhood: 80 nodes, 80 links).
    walk = '{ neighbourhood(id: "community:x", hops: 2, first: 80) { nodes { __typename } relationships { type } } }'
    assert rows(walk)[0] == 160
    # A list a resolver makes of its row (a candidate's score parts) counts once, not as a graph link.
    scored = '{ matchCandidates(needId: "need:x", first: 10) { score parts { factor } resource { __typename } } }'
    assert rows(scored)[0] == 10 + 10


# --- the door ----------------------------------------------------------------------------------


async def test_a_costly_query_is_refused_at_the_door_with_how_to_split_it(graph: Graph) -> None:
    await make_places(graph)
    before = graph.counter.count
    async with client(graph) as http:
        legacy = await http.post("/graphql", json={"query": FAN_OUT})
        modern = await http.post(
            "/graphql", json={"query": FAN_OUT}, headers={"Accept": "application/graphql-response+json"}
        )
        fine = await http.post("/graphql", json={"query": COMMUNITY, "variables": {"id": "community:610103001009"}})
        narrow = FAN_OUT.replace("first: 100", "first: 9")  # 9 + 81 + 729 + 6,561 = 7,380 rows: allowed
        allowed = await http.post("/graphql", json={"query": narrow})
    assert graph.counter.count - before == 2, "the refused queries sent nothing to Neo4j"
    assert legacy.status_code == 200 and modern.status_code == 400
    for response in (legacy, modern):
        body = response.json()
        assert "data" not in body, "refused before execution: no data"
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
        assert error["extensions"]["limit"] == 10_000 and error["extensions"]["rows"] == 101_010_100
        assert "split" in error["message"] and "first" in error["message"]
        assert "communities.edges.node.members.edges.node.communities.edges.node.members.edges" in error["message"]
    assert "errors" not in fine.json() and "errors" not in allowed.json(), allowed.json()


async def test_the_cost_limit_is_a_setting(graph: Graph) -> None:
    await make_places(graph)
    async with client(graph, minhu_max_query_rows=100) as http:
        page = await http.post("/graphql", json={"query": "{ districts(first: 100) { totalCount } }"})
        over = await http.post("/graphql", json={"query": "{ districts(first: 101) { edges { node { name } } } }"})
    assert "errors" not in page.json(), "a count alone answers no rows"
    assert over.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


# --- a LIMIT on every listed link ---------------------------------------------------------------


async def test_a_listed_link_answers_at_most_its_limit_on_both_paths(graph: Graph) -> None:
    """A skill serving 120 categories: both read paths answer the same first LISTED_LIMIT of them."""
    await graph.write(
        """
        CREATE (s:Skill {id: 'skill:MANY', code: 'MANY', name: '多面手', createdAt: datetime()})
        WITH s UNWIND range(1, 120) AS i
        CREATE (s)-[:SERVES]->(:Category {id: 'category:C' + i, code: 'C' + i, name: '类' + i, createdAt: datetime()})
        """
    )
    query = '{ node(id: "skill:MANY") { ... on Skill { code categories { code } } } }'
    answers = []
    for compiled in (True, False):
        async with client(graph, minhu_compiled_reads=compiled) as http:
            body = (await http.post("/graphql", json={"query": query})).json()
        assert "errors" not in body, body
        answers.append(body)
    compiled_answer, interpreted_answer = answers
    assert compiled_answer["extensions"]["statements"]["names"] == ["compiled.node"]
    assert compiled_answer["data"] == interpreted_answer["data"]
    assert len(compiled_answer["data"]["node"]["categories"]) == LISTED_LIMIT


# --- the deadline reaches Neo4j -----------------------------------------------------------------

SLOW = "UNWIND range(1, 1000000000000) AS i WITH i WHERE i % 7 = 3 RETURN count(*) AS n"
RUNNING = (
    "SHOW TRANSACTIONS YIELD transactionId, currentQuery WHERE currentQuery CONTAINS $marker "
    "AND NOT currentQuery STARTS WITH 'SHOW' RETURN transactionId"
)


async def _still_running(graph: Graph, marker: str) -> list[str]:
    return [row["transactionId"] for row in await graph.read(RUNNING, marker=marker)]


async def test_a_slow_statement_stops_in_neo4j_when_the_request_deadline_passes(graph: Graph) -> None:
    """A statement that would run for days, sent under a request deadline of one second: Neo4j ends
    the transaction itself (its timeout is what was left of the deadline) and the caller is told
    UNAVAILABLE, in words, without the client having to give up first."""
    marker = f"/* slow-{time.monotonic_ns()} */"

    async def request() -> None:
        begin_deadline(1.0)  # what the HTTP view does for each request (in this task's own context)
        await graph.read(marker + SLOW, "test.slow")

    try:
        with pytest.raises(Unavailable, match=r"longer than 1 s"):
            async with asyncio.timeout(120):  # far beyond the deadline: only a missing timeout reaches it
                await asyncio.create_task(request())
        assert not await _still_running(graph, marker), "Neo4j still runs the statement"
    finally:
        leftover = await _still_running(graph, marker)
        if leftover:
            await graph.write("TERMINATE TRANSACTIONS $ids", ids=leftover)


async def test_each_request_gives_its_transactions_what_is_left_of_its_own_deadline(
    graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The timeout each transaction is begun with (seen on the driver's real session, which then runs
    it): never more than the request's deadline, and a new request starts a deadline of its own."""
    await make_places(graph)
    timeouts: list[float | None] = []
    begin = neo4j.AsyncSession.begin_transaction

    async def recording(self: neo4j.AsyncSession, *args: object, **kwargs: object) -> object:
        timeouts.append(kwargs.get("timeout"))  # type: ignore[arg-type]
        return await begin(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(neo4j.AsyncSession, "begin_transaction", recording)
    async with client(graph, minhu_request_deadline_seconds=30) as http:
        for query in ("{ districts { totalCount } }", "{ streets { totalCount } }"):
            assert "errors" not in (await http.post("/graphql", json={"query": query})).json()
    assert len(timeouts) == 2 and all(t is not None and 0 < t <= 30 for t in timeouts), timeouts

    async with client(graph, minhu_request_deadline_seconds=1e-9) as http:
        late = (await http.post("/graphql", json={"query": "{ communities { totalCount } }"})).json()
    assert late["errors"][0]["extensions"]["code"] == "UNAVAILABLE" and len(timeouts) == 2, "no transaction begun"


# --- the compiled path never reads a resolver's field raw ---------------------------------------


def test_a_field_with_its_own_resolver_must_be_declared_computed_or_interpreted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registered = registry.by_graphql
    member = registered("Member")
    assert member is not None and "phone" in member.computed, "the masked phone is declared (its own resolver)"
    undeclared = dataclasses.replace(member, computed={k: v for k, v in member.computed.items() if k != "phone"})

    def instead(kind: Kind) -> None:
        monkeypatch.setattr(registry, "by_graphql", lambda name: kind if name == "Member" else registered(name))

    instead(undeclared)
    with pytest.raises(TypeError, match=r"Member\.phone: .*computed.*interpreted"):
        build_schema()
    instead(dataclasses.replace(undeclared, interpreted=frozenset({"phone"})))
    build_schema()  # left to the interpreter: the resolver answers it
