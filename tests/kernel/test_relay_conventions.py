"""The API's conventions: Relay connections both ways, `nodes(ids:)`, `@oneOf`, and a description on
every type, field and argument."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLScalarType

from graph.kernel.db import Graph
from schema import build_schema, sdl

NOW = datetime(2026, 11, 29, tzinfo=UTC)
BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def test_every_type_field_and_argument_is_described() -> None:
    missing = []
    for named in build_schema()._schema.type_map.values():
        if named.name.startswith("__") or (isinstance(named, GraphQLScalarType) and named.name in BUILT_IN):
            continue
        if not named.description:
            missing.append(named.name)
        if isinstance(named, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for name, field in named.fields.items():
                if not field.description:
                    missing.append(f"{named.name}.{name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{named.name}.{name}({arg_name})")
    assert not missing, f"describe these in schema/glossary.py or where they are declared: {missing}"


def test_near_input_is_one_of() -> None:
    assert "input NearInput @oneOf" in sdl()


PAGE = """
query($first: Int, $after: String, $last: Int, $before: String) {
  needs(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
NESTED = """
query($first: Int, $after: String, $last: Int, $before: String) {
  node(id: "community:610103001009") { ... on Community {
    members(first: $first, after: $after, last: $last, before: $before) {
      totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  } }
}
"""


async def _walk(client, query: str, pick, forward: bool, size: int) -> list[str]:
    """Every id of a list, paging forward with first/after or backward with last/before."""
    ids: list[str] = []
    cursor = None
    while True:
        variables = {"first": size, "after": cursor} if forward else {"last": size, "before": cursor}
        connection = pick(await client(query, variables))
        page = [edge["node"]["id"] for edge in connection["edges"]]
        info = connection["pageInfo"]
        assert [e["cursor"] for e in connection["edges"][:1]] == ([info["startCursor"]] if page else [])
        assert [e["cursor"] for e in connection["edges"][-1:]] == ([info["endCursor"]] if page else [])
        assert info["hasPreviousPage"] == (
            cursor is not None if forward else len(ids) + len(page) < connection["totalCount"]
        )
        assert info["hasNextPage"] == (
            len(ids) + len(page) < connection["totalCount"] if forward else cursor is not None
        )
        ids = ids + page if forward else page + ids
        more = info["hasNextPage"] if forward else info["hasPreviousPage"]
        if not more:
            return ids
        cursor = info["endCursor"] if forward else info["startCursor"]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "interpreted"])
@pytest.mark.demo(NOW)
async def test_lists_page_backward_as_they_page_forward(
    graph: Graph, graphql_client, interpreted_client, compiled: bool
) -> None:
    client = graphql_client if compiled else interpreted_client
    cases = [
        (PAGE, lambda body: body["data"]["needs"], 7),
        (NESTED, lambda body: body["data"]["node"]["members"], 2),
    ]
    walked = []
    for query, pick, size in cases:
        forward = await _walk(client, query, pick, True, size)
        backward = await _walk(client, query, pick, False, size)
        assert len(forward) > size and backward == forward
        walked.append(forward)
    body = await client(PAGE, {"last": 3})
    assert [e["node"]["id"] for e in body["data"]["needs"]["edges"]] == walked[0][-3:]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 5, "last": 5}, "first"),
        ({"last": 5, "after": "need:x"}, "after"),
        ({"last": 101}, "last"),
        ({"last": -1}, "last"),
        ({"before": "not a cursor"}, "before"),
    ],
)
async def test_bad_slices_are_refused(graph: Graph, graphql_client, variables: dict, field: str) -> None:
    body = await graphql_client(PAGE, variables, expect_errors=True)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"].get("field") == field
    assert field in error["message"]


@pytest.mark.demo(NOW)
async def test_nodes_by_ids_in_order_with_nulls(graph: Graph, graphql_client) -> None:
    ids = ["community:610103001009", "need:does-not-exist", "district:610103", "member:demo-plumber"]
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
    anonymous = (await graphql_client(query, {"ids": ids}))["data"]["nodes"]
    assert [n and n["id"] for n in anonymous] == [ids[0], None, ids[2], ids[3]]
    assert anonymous[3] == {"__typename": "Member", "id": "member:demo-plumber"}
    too_many = await graphql_client(query, {"ids": ["district:610103"] * 101}, expect_errors=True)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_one_of_refuses_a_place_and_a_point(graph: Graph, graphql_client) -> None:
    query = """query($near: NearInput) { availableVenues(window: {start: "2026-12-01T10:00:00Z",
      end: "2026-12-01T12:00:00Z"}, near: $near) { venue { id } } }"""
    both = {"placeId": "community:610103001009", "point": {"latitude": 34.2, "longitude": 108.9}}
    body = await graphql_client(query, {"near": both}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"}
    assert "exactly one" in body["errors"][0]["message"]
