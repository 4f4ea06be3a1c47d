"""At the door: what the HTTP endpoint refuses, how, and with which code (docs/ERRORS.md).

Body size, JSON that is not an object, parse and validation errors, list caps, rate limits,
the GraphQL-over-HTTP media types and status codes, hidden suggestions, the request deadline.
"""

from __future__ import annotations

import httpx
import pytest

from graph.kernel.db import Graph
from server.app import create_app
from server.settings import Settings
from tests.support import workflow_helpers as w
from tests.support.factories import SHUYUANMEN, make_places

GRAPHQL_RESPONSE = "application/graphql-response+json"
REGISTER_UNIT = """mutation($input: RegisterUnitInput!) { registerUnit(input: $input) { unit { id name } } }"""


def app_client(graph: Graph, **settings: object) -> httpx.AsyncClient:
    app = create_app(graph=graph, settings=Settings(**settings), run_migrations=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://minhu.test")


def unit_input(name: str) -> dict:
    return {"name": name, "kind": "COMPANY", "communityIds": [SHUYUANMEN]}


async def test_a_body_over_the_limit_is_413_before_parsing(graph: Graph) -> None:
    async with app_client(graph, minhu_max_body_bytes=1000) as http:
        big = await http.post("/graphql", json={"query": "{ __typename }", "variables": {"x": "y" * 2000}})
        small = await http.post("/graphql", json={"query": "{ __typename }"})

        async def chunks():
            # No Content-Length: the limit holds for a streamed body too.
            for _ in range(10):
                yield b" " * 200

        streamed = await http.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and big.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "1000 bytes" in big.json()["errors"][0]["message"]
    assert streamed.status_code == 413
    assert small.status_code == 200 and small.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("body", ['"{ __typename }"', "[1, 2]", "42", "null", "{not json"])
async def test_a_body_that_is_not_a_json_object_is_400_with_a_code(graph: Graph, body: str) -> None:
    async with app_client(graph) as http:
        response = await http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "Traceback" not in response.text


async def test_other_http_refusals_carry_codes(graph: Graph) -> None:
    async with app_client(graph) as http:
        text = await http.post("/graphql", content="{ __typename }", headers={"Content-Type": "text/plain"})
        mutation = await http.get("/graphql", params={"query": "mutation { __typename }"})
    assert text.status_code == 415 and text.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert mutation.status_code == 405 and mutation.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_parse_and_validation_errors_have_their_codes(graph: Graph) -> None:
    long_document = "{ " + " ".join(f"a{i}: __typename" for i in range(3000)) + " }"
    cases = [
        ("{ districts { totalCount ", "GRAPHQL_PARSE_FAILED", "Syntax Error"),
        ("{ nosuchfield }", "GRAPHQL_VALIDATION_FAILED", "nosuchfield"),
        (long_document, "GRAPHQL_VALIDATION_FAILED", "more than 5000 tokens"),
        ("{ " + "a: districts { totalCount } " * 40 + "}", "GRAPHQL_VALIDATION_FAILED", "aliases"),
    ]
    async with app_client(graph, minhu_max_body_bytes=1_000_000) as http:
        for document, code, fragment in cases:
            legacy = await http.post("/graphql", json={"query": document})
            modern = await http.post("/graphql", json={"query": document}, headers={"Accept": GRAPHQL_RESPONSE})
            for response in (legacy, modern):
                body = response.json()
                assert body["errors"][0]["extensions"]["code"] == code, (document[:40], body)
                assert fragment in body["errors"][0]["message"]
                assert "data" not in body, "a request error is answered before execution: no data"
            # application/json keeps 200 for old clients; graphql-response+json says 400 (the spec's SHOULD).
            assert legacy.status_code == 200 and legacy.headers["content-type"].startswith("application/json")
            assert modern.status_code == 400 and modern.headers["content-type"].startswith(GRAPHQL_RESPONSE)


async def test_a_query_text_is_validated_once_and_its_limits_still_hold(
    graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    from strawberry.schema import schema as strawberry_schema

    validated: list[str] = []
    validate = strawberry_schema.validate_document

    def counting(schema: object, document: object, rules: object) -> object:
        validated.append("once")
        return validate(schema, document, rules)  # type: ignore[arg-type]

    monkeypatch.setattr(strawberry_schema, "validate_document", counting)
    too_deep = "{ districts { edges { node { streets { edges { node { district { streets { edges { node { id }"
    too_deep += " } } } } } } } } } }"
    async with app_client(graph, minhu_max_query_depth=6) as http:
        for _ in range(3):
            refused = (await http.post("/graphql", json={"query": too_deep})).json()
            assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", refused
            assert "exceeds maximum operation depth" in refused["errors"][0]["message"]
        assert len(validated) == 1, "the depth limit's rule is made once, so its verdict is cached"
        for _ in range(3):
            answered = (await http.post("/graphql", json={"query": "{ districts { totalCount } }"})).json()
            assert "errors" not in answered, answered
        assert len(validated) == 2


async def test_graphql_response_json_is_answered_when_accepted(graph: Graph) -> None:
    async with app_client(graph) as http:
        for accept, expected in [
            (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
            (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
            (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
            ("application/json", "application/json"),
            ("*/*", "application/json"),
        ]:
            response = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"Accept": accept})
            assert response.status_code == 200
            assert response.headers["content-type"].startswith(expected), (accept, response.headers)
        # A field error during execution is still a 200 with data, under either media type.
        found = await http.post(
            "/graphql", json={"query": '{ node(id: "nonsense") { id } }'}, headers={"Accept": GRAPHQL_RESPONSE}
        )
    assert found.status_code == 200 and found.json()["data"] == {"node": None}
    assert found.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_variable_a_type_refuses_is_a_request_error(graph: Graph) -> None:
    async with app_client(graph) as http:
        response = await http.post(
            "/graphql",
            json={"query": "query($n: Int) { needs(first: $n) { totalCount } }", "variables": {"n": "many"}},
            headers={"Accept": GRAPHQL_RESPONSE},
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "data" not in response.json()


async def test_every_list_input_is_capped(graph: Graph) -> None:
    await make_places(graph)
    many = [f"C{i}" for i in range(101)]
    literal = "{ needs(filter: {category: [" + ", ".join(f'"{c}"' for c in many) + "]}) { totalCount } }"
    async with app_client(graph, minhu_max_body_bytes=1_000_000) as http:
        as_variable = (
            await http.post(
                "/graphql",
                json={
                    "query": "query($f: NeedFilter) { needs(filter: $f) { totalCount } }",
                    "variables": {"f": {"category": many}},
                },
            )
        ).json()
        as_literal = (await http.post("/graphql", json={"query": literal})).json()
        at_cap = (
            await http.post(
                "/graphql",
                json={
                    "query": "query($f: NeedFilter) { needs(filter: $f) { totalCount } }",
                    "variables": {"f": {"status": ["SUBMITTED"] * 100}},
                },
            )
        ).json()
    for body in (as_variable, as_literal):
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert "101 items; at most 100" in error["message"]
    assert "variables.f.category" in as_variable["errors"][0]["message"]
    assert "'filter'" in as_literal["errors"][0]["message"]
    assert "errors" not in at_cap and at_cap["data"]["needs"]["totalCount"] == 0


async def test_suggestions_are_hidden_when_introspection_is_off(graph: Graph) -> None:
    document = "{ district { id } }"
    async with app_client(graph, minhu_introspection=False) as http:
        hidden = (await http.post("/graphql", json={"query": document})).json()["errors"][0]["message"]
        enum = await http.post("/graphql", json={"query": "{ needs(filter: {status: [SUBMITTE]}) { totalCount } }"})
    async with app_client(graph) as http:
        shown = (await http.post("/graphql", json={"query": document})).json()["errors"][0]["message"]
    assert "Did you mean" in shown and "districts" in shown
    assert "Did you mean" not in hidden and "districts" not in hidden, hidden
    assert "Did you mean" not in enum.json()["errors"][0]["message"]


async def test_mutations_are_rate_limited_per_subject_with_a_retry_time(graph: Graph) -> None:
    await make_places(graph)
    admin = w.token("CITY_ADMIN")
    other = w.token("CITY_ADMIN", subject="user:another-admin")
    async with app_client(graph, minhu_rate_limit_subject="2/minute", minhu_rate_limit_address="") as http:
        answers = []
        for i in range(3):
            answers.append(
                await http.post(
                    "/graphql",
                    json={"query": REGISTER_UNIT, "variables": {"input": unit_input(f"单位{i}")}},
                    headers={"Authorization": f"Bearer {admin}"},
                )
            )
        others = await http.post(
            "/graphql",
            json={"query": REGISTER_UNIT, "variables": {"input": unit_input("别人的单位")}},
            headers={"Authorization": f"Bearer {other}"},
        )
        reads = await http.post(
            "/graphql", json={"query": "{ districts { totalCount } }"}, headers={"Authorization": f"Bearer {admin}"}
        )
        metrics = (await http.get("/metrics")).text
    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[2].json()
    error = refused["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= error["extensions"]["retryAfter"] <= 60
    assert answers[2].headers["retry-after"] == str(error["extensions"]["retryAfter"])
    assert "data" not in refused
    assert "errors" not in others.json(), "another subject has its own budget"
    assert "errors" not in reads.json(), "reads are not rate limited"
    rows = await graph.read("MATCH (u:Unit) RETURN count(u) AS n")
    assert rows[0]["n"] == 3, "the refused mutation wrote nothing"
    assert 'minhu_rate_limited_total{limit="subject"} 1.0' in metrics


async def test_mutations_are_rate_limited_per_address_even_without_a_token(graph: Graph) -> None:
    async with app_client(graph, minhu_rate_limit_subject="", minhu_rate_limit_address="3/minute") as http:
        codes = []
        for i in range(4):
            body = (
                await http.post("/graphql", json={"query": REGISTER_UNIT, "variables": {"input": unit_input(f"u{i}")}})
            ).json()
            codes.append(body["errors"][0]["extensions"]["code"])
    # Anonymous callers are refused by the resolver, but they still spend the address's budget.
    assert codes == ["UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]


async def test_the_limits_memory_does_not_grow_with_hits() -> None:
    """In memory, a moving window kept an entry per hit for as long as its window (2,000 an hour per
    subject) and swept them all, with a thread hop per key, after every hit: half a core with a few
    hundred subjects. The sliding window counter keeps two counters per key however many hits it counts."""
    from server.door import MutationLimits

    limits = MutationLimits("1000/hour", "1000/minute", "memory://")
    for _ in range(300):
        assert await limits.refuse("member:w1", "127.0.0.1", 1) is None
    storage = limits.limiter.storage
    kept = sum(len(entries) for entries in getattr(storage, "events", {}).values()) + len(storage.storage)
    assert kept <= 4, f"{kept} entries kept for 300 hits of one subject and one address"
    assert await limits.refuse("member:w1", "127.0.0.1", 701) is not None, "the address's 1000 a minute still hold"


async def test_a_request_past_its_deadline_is_unavailable(graph: Graph) -> None:
    await make_places(graph)
    async with app_client(graph, minhu_request_deadline_seconds=1e-9) as http:
        body = (await http.post("/graphql", json={"query": "{ districts { totalCount } }"})).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert "longer than" in body["errors"][0]["message"]
