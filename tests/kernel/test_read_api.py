"""The read API through HTTP: connections, filters, nesting without N+1, and clear errors."""

from __future__ import annotations

import pytest

from graph.kernel.db import Graph
from tests.conftest import GraphQLClient
from tests.support.factories import BEILIN, COMPOUND, NANYUANMEN, SHUYUANMEN, YANTA, make_needs, make_places

NEEDS_WITH_PLACES = """
query($first: Int, $after: String, $filter: NeedFilter) {
  needs(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id title status createdAt overdue
      category { code name }
      community { id name street { id name district { id name } } }
    } }
  }
}"""


async def test_page_of_100_costs_the_same_statements_as_a_page_of_1(
    graph: Graph, graphql_client: GraphQLClient, interpreted_client: GraphQLClient
) -> None:
    await make_places(graph)
    await make_needs(graph, 120)

    one = await graphql_client(NEEDS_WITH_PLACES, {"first": 1})
    assert graphql_client.last_statement_names == ["compiled.needs"]
    hundred = await graphql_client(NEEDS_WITH_PLACES, {"first": 100})
    assert graphql_client.last_statement_names == ["compiled.needs"]
    assert hundred == await interpreted_client(NEEDS_WITH_PLACES, {"first": 100})
    # The interpreter: one statement for the page, one per nested level: category, community, street, district.
    assert interpreted_client.last_statements == 5
    await interpreted_client(NEEDS_WITH_PLACES, {"first": 1})
    assert interpreted_client.last_statements == 5

    assert len(one["data"]["needs"]["edges"]) == 1
    assert len(hundred["data"]["needs"]["edges"]) == 100
    node = hundred["data"]["needs"]["edges"][0]["node"]
    assert node["community"]["street"]["district"]["name"] == "碑林区"
    assert node["category"] == {"code": "SEWER", "name": "下水疏通"}


async def test_paging_is_stable_and_complete(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_places(graph)
    ids = await make_needs(graph, 45)
    seen: list[str] = []
    after = None
    while True:
        body = await graphql_client(NEEDS_WITH_PLACES, {"first": 20, "after": after})
        conn = body["data"]["needs"]
        assert conn["totalCount"] == 45
        seen += [edge["node"]["id"] for edge in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == list(reversed(ids)), "newest first, each need exactly once"


async def test_place_filter_covers_everything_below(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_places(graph)
    await make_needs(graph, 3)
    for place, expected in [(BEILIN, 3), (NANYUANMEN, 3), (SHUYUANMEN, 3), (COMPOUND, 3), (YANTA, 0)]:
        body = await graphql_client(NEEDS_WITH_PLACES, {"filter": {"placeId": place}})
        assert body["data"]["needs"]["totalCount"] == expected, place


@pytest.mark.smoke
async def test_filters_status_category_dates_and_text(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_places(graph)
    await make_needs(graph, 5)
    await graph.write("MATCH (n:Need {id: 'need:t0001'}) SET n.status = 'COMPLETED'")
    await graph.write(
        "MATCH (n:Need {id: 'need:t0002'}), (k:Category {code: 'NOISE'}) "
        "MATCH (n)-[r:OF]->() DELETE r CREATE (n)-[:OF]->(k) "
        "SET n.title = '夜间广场舞噪音扰民', n.description = '音响太大'"
    )
    await graph.read("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")

    async def count(filter_: dict) -> int:
        return (await graphql_client(NEEDS_WITH_PLACES, {"filter": filter_}))["data"]["needs"]["totalCount"]

    assert await count({"status": ["COMPLETED"]}) == 1
    assert await count({"category": ["NOISE"]}) == 1
    assert await count({"category": ["SEWER"], "status": ["SUBMITTED"]}) == 3
    assert await count({"createdAfter": "2026-11-01T08:03:00Z"}) == 2
    assert await count({"createdBefore": "2026-11-01T16:02:00+08:00"}) == 2
    assert await count({"text": "噪音"}) == 1
    assert await count({"text": "下水道", "placeId": SHUYUANMEN}) == 4
    assert await count({"text": "下水道", "placeId": YANTA}) == 0
    assert await count({"text": '") OR *:* ('}) == 0, "Lucene syntax in user text is searched, not run"


async def test_bad_input_gets_bad_user_input(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_places(graph)
    # Values the resolvers refuse are BAD_USER_INPUT; documents the schema refuses (an unknown enum
    # value or field) fail validation, with the code GraphQL clients know for that.
    cases = [
        ("{ needs(first: 101) { totalCount } }", "at most 100", "BAD_USER_INPUT"),
        ('{ needs(after: "not-a-cursor") { totalCount } }', "not a cursor", "BAD_USER_INPUT"),
        ('{ node(id: "nonsense") { id } }', "not a Minhu id", "BAD_USER_INPUT"),
        ('{ needs(filter: {placeId: "need:abc"}) { totalCount } }', "expected a", "BAD_USER_INPUT"),
        ("{ needs(filter: {status: [NOT_A_STATE]}) { totalCount } }", "NOT_A_STATE", "GRAPHQL_VALIDATION_FAILED"),
        ('{ needs(filter: {category: ["sewer pipes"]}) { totalCount } }', "category code", "BAD_USER_INPUT"),
        ("{ needs { edges { node { nosuchfield } } } }", "nosuchfield", "GRAPHQL_VALIDATION_FAILED"),
    ]
    for query, fragment, code in cases:
        body = await graphql_client(query, expect_errors=True)
        error = body["errors"][0]
        assert error["extensions"]["code"] == code, (query, error)
        assert fragment in error["message"], (query, error["message"])
        assert "Traceback" not in str(body) and "MATCH" not in str(body)


async def test_node_and_nested_relationships(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_places(graph)
    await make_needs(graph, 2)
    body = await graphql_client(
        """{ node(id: "community:610103001009") { id ... on Community { name officialName
              street { name } compounds { totalCount edges { node { name } } }
              openNeeds(first: 1) { totalCount edges { node { title } } pageInfo { hasNextPage } } } } }"""
    )
    community = body["data"]["node"]
    assert community["name"] == "书院门社区"
    assert community["street"]["name"] == "南院门街道"
    assert community["compounds"]["edges"][0]["node"]["name"] == "书院小区"
    assert community["openNeeds"]["totalCount"] == 2
    assert community["openNeeds"]["pageInfo"]["hasNextPage"] is True
    missing = await graphql_client('{ node(id: "need:doesnotexist") { id } }')
    assert missing["data"]["node"] is None


async def test_places_lists(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_places(graph)
    body = await graphql_client(
        """{ districts { totalCount edges { node { name streets { edges { node { name } } } } } }
             communities(filter: {placeId: "street:610103001"}) { totalCount }
             categories { totalCount } }"""
    )
    assert body["data"]["districts"]["totalCount"] == 2
    assert body["data"]["communities"]["totalCount"] == 2
    assert body["data"]["categories"]["totalCount"] == 3


async def test_member_phone_is_masked_except_for_the_member(graph: Graph, graphql_client: GraphQLClient) -> None:
    from datetime import timedelta

    from server.auth import issue_token
    from server.settings import get_settings

    await graph.write(
        "CREATE (:Member {id: 'member:p1', name: '赵建国', phone: '13812345678', availability: [], maxLoad: 3, "
        "openLoad: 0, ratingSum: 0, ratingCount: 0, completedCount: 0, assignedCount: 0, createdAt: datetime()})"
    )
    query = '{ node(id: "member:p1") { ... on Member { phone } } }'
    anonymous = await graphql_client(query)
    assert anonymous["data"]["node"]["phone"] == "138****5678"
    own = issue_token("MEMBER", None, "member:p1", timedelta(hours=1), get_settings())
    assert (await graphql_client(query, token=own))["data"]["node"]["phone"] == "13812345678"
