"""Each request counts and names its own Cypher statements, whatever runs beside it."""

from __future__ import annotations

import asyncio

from tests.support.factories import SHUYUANMEN, make_places

PAGE = "{ needs(first: 5) { totalCount edges { node { id category { name } community { name street { name } } } } } }"
COMMUNITY = '{ node(id: "' + SHUYUANMEN + '") { ... on Community { name members(first: 3) { totalCount } } } }'


async def test_statements_are_named_after_what_they_read(graph, graphql_client, interpreted_client) -> None:
    await make_places(graph)
    await graphql_client(COMMUNITY)
    assert graphql_client.last_statement_names == ["compiled.node"]
    await interpreted_client(COMMUNITY)
    assert interpreted_client.last_statement_names == ["byId.Community", "related.Community.members"]


async def test_concurrent_requests_keep_their_own_logs(graph, interpreted_client) -> None:
    await make_places(graph)

    async def one(query: str) -> list[str]:
        body = await interpreted_client.http.post("/graphql", json={"query": query})
        return body.json()["extensions"]["statements"]["names"]

    results = await asyncio.gather(*(one(COMMUNITY if i % 2 else PAGE) for i in range(20)))
    for i, names in enumerate(results):
        if i % 2:
            assert names == ["byId.Community", "related.Community.members"]
        else:
            assert names == ["list.Need"], names
