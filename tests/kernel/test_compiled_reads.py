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

    async def both(
        self, query: str, variables: dict | None = None, token: str | None = None, operation: str | None = None
    ) -> tuple[dict, dict]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload = {"query": query, "variables": variables or {}, "operationName": operation}
        a = (await self.compiled.post("/graphql", json=payload, headers=headers)).json()
        b = (await self.interpreted.post("/graphql", json=payload, headers=headers)).json()
        # Again: the plan made for the first request (cached with the text) answers the same.
        again = (await self.compiled.post("/graphql", json=payload, headers=headers)).json()
        assert _unordered(again) == _unordered(a), ("the cached plan's answer differs from the first", query, variables)
        return a, b


def _unordered(answer: dict) -> dict:
    """An answer with its statements in sorted order: the interpreter's DataLoaders run concurrently.
    An answer whose data is null for an error has no statements to compare: root fields run at once, and
    which of them reached Neo4j before the error ended the request is a matter of scheduling."""
    statements = (answer.get("extensions") or {}).get("statements")
    if statements is None:
        return answer
    if answer.get("data") is None and answer.get("errors"):
        return {**answer, "extensions": {k: v for k, v in answer["extensions"].items() if k != "statements"}}
    return {**answer, "extensions": {**answer["extensions"], "statements": sorted(statements["names"])}}


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
    before = STATS.compiled
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
    # Each request twice (Pair.both), every one by the compiled path.
    assert STATS.compiled == before + 8


@pytest.mark.demo(NOW)
async def test_a_compiled_read_has_the_request_facts_and_refusals_of_any_other(
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
        compiled = STATS.compiled
        again = await http.post("/graphql", json=payload, headers={**coordinator, "X-Request-ID": "again"})
        assert STATS.compiled == compiled + 1, "the second request went by the cached plan"
        assert again.content == first.content and again.headers["content-type"] == first.headers["content-type"]
        modern = await http.post("/graphql", json=payload, headers={**coordinator, "Accept": GRAPHQL_RESPONSE})
        assert modern.headers["content-type"].startswith(GRAPHQL_RESPONSE) and modern.json() == first.json()

        # Input the resolvers refuse is refused once, by the one pipeline, before any statement.
        declined = STATS.compiled
        bad = (await http.post("/graphql", json={**payload, "variables": {"first": "five"}})).json()
        assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and "data" not in bad
        forged = await http.post("/graphql", json=payload, headers={"Authorization": "Bearer forged"})
        assert forged.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert STATS.compiled == declined

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


# --- the differential test: generated queries, dressed as clients send them, many viewers -------

import asyncio  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import zlib  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import timedelta  # noqa: E402

import graphql  # noqa: E402
from graphql.utilities import TypeInfo, TypeInfoVisitor, value_from_ast_untyped  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis_graphql import nodes, queries  # noqa: E402

from schema import build_schema  # noqa: E402
from server.auth import issue_token  # noqa: E402

COMPILED_ROOTS = [
    "node", "needs", "units", "members", "venues", "fundingPrograms", "districts", "streets",
    "communities", "categories", "skills", "practicalMatters", "jointMeetings",
]  # fmt: skip
UNIT = "unit:demo-state-enterprise"
PLUMBER = "member:demo-plumber"


def _expired(role: str, scope: str | None, subject: str) -> str:
    long_ago = datetime.now(UTC) - timedelta(hours=3)  # expired two hours ago, whatever today is
    return issue_token(role, scope, subject, timedelta(hours=1), get_settings(), now=long_ago)


def _forged(role: str, scope: str | None, subject: str) -> str:
    other = get_settings().model_copy(update={"jwt_secret": "not-our-secret-" * 3})
    return issue_token(role, scope, subject, timedelta(hours=1), other)


# Every role, several scopes for the scoped ones, and tokens that do not verify.
VIEWERS = {
    "anonymous": lambda: None,
    "resident": lambda: token("RESIDENT", None, "resident:demo-wang"),
    "another resident": lambda: token("RESIDENT", None, "resident:demo-li"),
    "member": lambda: token("MEMBER", None, PLUMBER),
    "unit admin": lambda: token("UNIT_ADMIN", UNIT, "user:unit-admin-demo"),
    "another unit's admin": lambda: token("UNIT_ADMIN", "unit:demo-hospital", "user:unit-admin-hospital"),
    "coordinator": lambda: token("COORDINATOR", "community:610103001009"),
    "street coordinator": lambda: token("COORDINATOR", "street:610103001"),
    "district admin": lambda: token("DISTRICT_ADMIN", "district:610103"),
    "another district's admin": lambda: token("DISTRICT_ADMIN", "district:610113"),
    "city admin": lambda: token("CITY_ADMIN"),
    "expired token": lambda: _expired("MEMBER", None, PLUMBER),
    "forged token": lambda: _forged("CITY_ADMIN", None, "user:intruder"),
}
UNVERIFIED = {"expired token", "forged token"}  # the compiled path declines them: the interpreter says why
EXAMPLES = 200  # per viewer: 2,600 generated reads in all, each answered twice by the compiled path
GATED = {"history", "assignments", "currentAssignment", "grants"}  # links empty for anonymous viewers
# Fields the dresser adds to a selection of these types, half the time.
NEED_TRAIL = "history { type toState } currentAssignment { status }"
SENSITIVE = {
    "Member": "phone",
    "Need": NEED_TRAIL,
    "Node": f"... on Member {{ phone }} ... on Need {{ {NEED_TRAIL} }}",
}


def _scalars() -> dict:
    moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)).map(
        lambda d: nodes.String(d.isoformat())
    )
    return {"DateTime": moments, "Fen": st.integers(0, 10**9).map(nodes.Int)}


class Realistic(graphql.Visitor):
    """Points generated queries at the demo: ids at real nodes (mostly at those the viewer is closest
    to: their own record, their unit and its members), page sizes and cursors mostly valid,
    so most cases reach data (the rest still check that both paths refuse alike)."""

    def __init__(self, ids: list[str], favoured: list[str], rng: random.Random) -> None:
        super().__init__()
        self.ids, self.favoured, self.rng = ids, favoured, rng

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
            pool = self.favoured if self.favoured and self.rng.random() < 0.6 else self.ids
            return graphql.ArgumentNode(name=node.name, value=graphql.StringValueNode(value=self.rng.choice(pool)))
        if name in ("first", "last") and self.rng.random() < 0.9:
            return graphql.ArgumentNode(name=node.name, value=graphql.IntValueNode(value=str(self.rng.randint(0, 8))))
        if name in ("after", "before") and self.rng.random() < 0.8:
            return graphql.REMOVE
        if name == "text" and self.rng.random() < 0.7:
            return graphql.ArgumentNode(name=node.name, value=graphql.StringValueNode(value="噪音"))
        return None


@dataclass
class Dressed:
    """A request as a client sends it: the document, its variables, the operation it names."""

    query: str
    variables: dict = field(default_factory=dict)
    operation: str | None = None
    features: set[str] = field(default_factory=set)


_SCALAR_VALUES = (graphql.IntValueNode, graphql.StringValueNode, graphql.BooleanValueNode, graphql.EnumValueNode)


class Dress(graphql.Visitor):
    """Rewrites a generated query as clients write theirs: arguments as variables (sent, left to
    their default, omitted, or null), `@skip`/`@include` (literal or by a variable), selections in
    named fragments; `dress` then names the operation and sometimes puts another one beside it."""

    def __init__(self, type_info: TypeInfo, rng: random.Random) -> None:
        super().__init__()
        self.type_info, self.rng = type_info, rng
        self.definitions: list[str] = []  # `$v1: Int = 3`
        self.variables: dict = {}
        self.fragments: list[str] = []
        self.features: set[str] = set()

    def _variable(
        self, type_: str, literal: graphql.ValueNode, nullable: bool, defaulted: bool = False
    ) -> graphql.VariableNode:
        """A variable standing for `literal`; `defaulted`: declared with it as its default whatever
        is sent (a nullable variable may stand where a non-null one is expected only so)."""
        name = f"v{len(self.definitions) + 1}"
        ways = ["given", "default"] + (["omitted", "null"] if nullable and not defaulted else [])
        ways += ["null"] if nullable and defaulted else []
        way = self.rng.choice(ways)
        value = literal.value if isinstance(literal, graphql.StringValueNode) else value_from_ast_untyped(literal)
        if way == "default" or defaulted:
            self.definitions.append(f"${name}: {type_} = {graphql.print_ast(literal)}")
        else:
            self.definitions.append(f"${name}: {type_}")
        if way == "given":
            self.variables[name] = value
        elif way == "null":
            self.variables[name] = None
        self.features.add(f"variable {way}")
        return graphql.VariableNode(name=graphql.NameNode(value=name))

    def enter_argument(self, node: graphql.ArgumentNode, *_: object) -> graphql.ArgumentNode | None:
        input_type = self.type_info.get_input_type()
        if input_type is None or not isinstance(node.value, _SCALAR_VALUES) or self.rng.random() > 0.4:
            return None
        nullable = not graphql.is_non_null_type(input_type)
        return graphql.ArgumentNode(name=node.name, value=self._variable(str(input_type), node.value, nullable))

    def leave_selection_set(self, node: graphql.SelectionSetNode, *_: object) -> graphql.SelectionSetNode | None:
        """Asks, more often than chance would, for what only some viewers may read: a member's phone
        (masked but for themselves, their unit's admin and city admins), a need's gated links."""
        parent = self.type_info.get_parent_type()
        extra = SENSITIVE.get(parent.name) if parent is not None else None
        if extra is None or self.rng.random() > 0.5:
            return None
        added = graphql.parse(f"{{ {extra} }}").definitions[0].selection_set.selections  # type: ignore[attr-defined]
        self.features.add(f"asked on {parent.name}")  # type: ignore[union-attr]
        return graphql.SelectionSetNode(selections=(*node.selections, *added))

    def leave_field(self, node: graphql.FieldNode, *_: object) -> graphql.FieldNode | None:
        directives = tuple(node.directives or ())
        selection_set = node.selection_set
        if self.rng.random() < 0.15:
            which = self.rng.choice(["skip", "include"])
            condition: graphql.ValueNode
            condition = graphql.BooleanValueNode(value=self.rng.random() < 0.5)
            if self.rng.random() < 0.5:
                # A nullable Boolean may be sent as null, which the directive's `Boolean!` refuses.
                nullable = self.rng.random() < 0.3
                condition = self._variable("Boolean" if nullable else "Boolean!", condition, nullable, nullable)
            directive = graphql.DirectiveNode(
                name=graphql.NameNode(value=which),
                arguments=(graphql.ArgumentNode(name=graphql.NameNode(value="if"), value=condition),),
            )
            directives += (directive,)
            self.features.add(f"@{which}")
        output = self.type_info.get_type()
        if selection_set is not None and output is not None and self.rng.random() < 0.2:
            named = graphql.get_named_type(output)
            fragment = f"F{len(self.fragments) + 1}"
            self.fragments.append(f"fragment {fragment} on {named.name} {graphql.print_ast(selection_set)}")
            spread = graphql.FragmentSpreadNode(name=graphql.NameNode(value=fragment), directives=())
            selection_set = graphql.SelectionSetNode(selections=(spread,))
            self.features.add("named fragment")
        if directives == tuple(node.directives or ()) and selection_set is node.selection_set:
            return None
        return graphql.FieldNode(
            alias=node.alias, name=node.name, arguments=node.arguments, directives=directives,
            selection_set=selection_set,
        )  # fmt: skip


def dress(schema: graphql.GraphQLSchema, text: str, rng: random.Random) -> Dressed:
    document = graphql.parse(text)
    (operation,) = document.definitions
    assert isinstance(operation, graphql.OperationDefinitionNode)
    type_info = TypeInfo(schema)
    dresser = Dress(type_info, rng)
    selection = graphql.visit(operation, TypeInfoVisitor(type_info, dresser)).selection_set
    header = f"({', '.join(dresser.definitions)})" if dresser.definitions else ""
    features = set(dresser.features)
    if rng.random() < 0.4:
        name = rng.choice(["Main", "Page", "Read"])
        main = f"query {name}{header} {graphql.print_ast(selection)}"
        parts = [main, *dresser.fragments]
        operation_name: str | None = name if rng.random() < 0.7 else None
        if rng.random() < 0.5:
            other = rng.choice(
                ["query Other { __typename }", 'query Other($x: ID = "district:610103") { node(id: $x) { id } }']
            )
            parts.insert(rng.randrange(len(parts) + 1), other)
            operation_name = name
            features.add("several operations")
        return Dressed("\n".join(parts), dresser.variables, operation_name, features)
    if header:
        return Dressed("\n".join([f"query{header} {graphql.print_ast(selection)}", *dresser.fragments]),
                       dresser.variables, None, features)  # fmt: skip
    return Dressed("\n".join([graphql.print_ast(selection), *dresser.fragments]), {}, None, features)


async def sample_ids(graph: Graph) -> list[str]:
    rows = await graph.read(
        "MATCH (n) WHERE n.id IS NOT NULL AND NOT n:Migration AND NOT n:IdempotencyRecord "
        "WITH labels(n)[0] AS label, collect(n.id)[0..6] AS ids RETURN label, ids"
    )
    found = [i for row in rows for i in row["ids"]]
    return sorted({*found, "need:demo-sewer", PLUMBER, "community:610103001009", "unit:demo-hospital", UNIT})


@dataclass
class Demo:
    pair: Pair
    ids: list[str]
    loop: asyncio.AbstractEventLoop
    own_phone: str  # the plumber's, unmasked
    unit_phones: set[str]  # the unit's members', unmasked
    unit_members: list[str]


@pytest.fixture
async def demo(graph: Graph, pair: Pair) -> Demo:
    members = await graph.read(
        "MATCH (m:Member)-[:BELONGS_TO]->(:Unit {id: $unit}) WHERE m.phone IS NOT NULL "
        "RETURN m.id AS id, m.phone AS phone",
        unit=UNIT,
    )
    (own,) = await graph.read("MATCH (m:Member {id: $id}) RETURN m.phone AS phone", id=PLUMBER)
    assert members and own["phone"], "the demo has the contacts this test looks for"
    return Demo(
        pair, await sample_ids(graph), asyncio.get_running_loop(), own["phone"],
        {row["phone"] for row in members}, [row["id"] for row in members],
    )  # fmt: skip


FAVOURED = {
    "member": [PLUMBER],
    "anonymous": ["need:demo-sewer", "need:demo-noise", "project:demo-chargers"],
}


@functools.cache
def schema() -> graphql.GraphQLSchema:
    return build_schema()._schema


@functools.cache
def strategy() -> st.SearchStrategy[str]:
    """Every compiled root, and half the time the roots that reach people and needs by id or in lists;
    built when the test runs, not when the suite is collected (seconds)."""
    return st.one_of(
        queries(schema(), fields=COMPILED_ROOTS, custom_scalars=_scalars(), allow_x00=False),
        queries(schema(), fields=["node", "members", "units", "needs"], custom_scalars=_scalars(), allow_x00=False),
    )


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for item in value.values() for k in _keys(item)}
    if isinstance(value, list):
        return {k for item in value for k in _keys(item)}
    return set()


def _checker(demo: Demo, viewer: str, bearer: str | None, seen: Counter[str]):
    favoured = FAVOURED.get(viewer, [])
    if viewer == "unit admin":
        favoured = [UNIT, *demo.unit_members]

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
        pointed = graphql.print_ast(graphql.visit(graphql.parse(query), Realistic(demo.ids, favoured, rng)))
        request = dress(schema(), pointed, rng)
        a, b = demo.loop.run_until_complete(demo.pair.both(request.query, request.variables, bearer, request.operation))
        a.pop("extensions", None), b.pop("extensions", None)
        assert a == b, (viewer, request)
        seen.update(request.features)
        answer = json.dumps(a.get("data"), ensure_ascii=False)
        if viewer == "member" and demo.own_phone in answer:
            seen["a member reading their own contact"] += 1
        if viewer == "unit admin" and any(phone in answer for phone in demo.unit_phones):
            seen["a unit admin reading their members' contacts"] += 1
        if viewer == "anonymous" and _keys(a.get("data")) & GATED:
            seen["gated links read anonymously"] += 1
        if "errors" not in a:
            seen["answered with data"] += 1

    return same_answer


# Why the compiled path leaves a request to the interpreter when its input, not its shape, is wrong.
REFUSED_INPUT = {"BadUserInput", "ValidationError", "a directive refused its variables"}
MUST_SEE = (
    "variable given", "variable default", "variable omitted", "variable null", "@skip", "@include",
    "named fragment", "several operations", "a member reading their own contact",
    "a unit admin reading their members' contacts", "gated links read anonymously",
)  # fmt: skip


@pytest.mark.slow
@pytest.mark.demo(NOW)
def test_compiled_answers_equal_interpreted_ones(demo: Demo) -> None:
    """Generated reads of every compiled root field, dressed as clients send them, answered by both
    paths for each viewer: equal data and errors. Most of them must be compiled, or the comparison
    would say little, and the cases that matter must have been among them."""
    seen: Counter[str] = Counter()
    for viewer, sign in VIEWERS.items():
        compiled, reasons = STATS.compiled, Counter(STATS.reasons)
        same_answer = _checker(demo, viewer, sign(), seen)
        same_answer()
        by_compiler, declined = STATS.compiled - compiled, STATS.reasons - reasons
        if viewer in UNVERIFIED:
            assert by_compiler == 0, "a token that does not verify is never answered by the compiled path"
            continue
        # Input the resolvers refuse is declined before any statement, for the interpreter to say why;
        # of the rest, most must be compiled, or the comparison would say little.
        shapes = sum(count for reason, count in declined.items() if reason not in REFUSED_INPUT)
        assert by_compiler > 2 * shapes, (viewer, by_compiler, declined.most_common(8))
    missing = [case for case in MUST_SEE if not seen[case]]
    assert not missing, (missing, seen)
    assert seen["answered with data"] > len(VIEWERS) * EXAMPLES * 2 // 5, ("too few cases reached data", seen)
