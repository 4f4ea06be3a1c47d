"""Reads as fast as the graph: GraphQL over HTTP against the best hand-written Cypher, on the city seed.

The API runs in its own process (bench/candidates.api: uvicorn on loopback, one keep-alive client); the
raw side is one map-projection statement per read through the same driver, its rows JSON-encoded,
which is what no API layer can beat. Each sample runs one GraphQL request and one raw run in turn, so
both see the same machine. Printed: p50 of each and their ratio (compiled read path, and with
`MINHU_COMPILED_READS=false` the interpreter), page 10 against page 100, and throughput with 16
concurrent clients on the 100-needs page. Goals (issue 9): ≤ 1.5× the driver (reach for 1.2×),
throughput ≥ 0.5× the driver's.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import orjson

from bench.candidates import api, pct
from graph.kernel.compiler import utc_text
from graph.kernel.db import Graph
from server.auth import issue_token
from server.settings import get_settings

SAMPLES = 120
WARMUP = 15
CLIENTS = 16
THROUGHPUT_SECONDS = 8.0

NEEDS = """query($first: Int!) { needs(first: $first) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id number title status createdAt
    category { name } community { name street { name district { name } } }
    currentAssignment { status handler { ... on Member { name } ... on Offering { title } } } } } } }"""
COMMUNITY = """query($id: ID!) { node(id: $id) { ... on Community { name
  members(first: 50) { totalCount edges { node { name skills(first: 10) { edges { node { name } } } } } } } } }"""
STATS = """query($id: ID!) { stats(scopeId: $id) { received responseRate completionRate satisfactionRate } }"""

_DT = utc_text("x.createdAt")
RAW_NEEDS = f"""
CALL {{ MATCH (x:Need) RETURN count(x) AS total }}
CALL {{
  MATCH (x:Need) WHERE x.createdAt IS NOT NULL
  WITH x ORDER BY x.createdAt DESC, x.id DESC LIMIT $limit
  RETURN collect({{cursor: toString(x.createdAt) + '~' + x.id, node: x {{.id, .number, .title, .status,
    createdAt: {_DT},
    category: [(x)-[:OF]->(k:Category) | k {{.name}}][0],
    community: [(x)-[:AT]->(:Compound|Community)-[:IN*0..1]->(c:Community) | c {{.name,
      street: [(c)-[:IN]->(s:Street) | s {{.name, district: [(s)-[:IN]->(d:District) | d {{.name}}][0]}}][0]}}][0],
    currentAssignment: COLLECT {{ MATCH (x)<-[:OF]-(a:Assignment)-[:TO]->(t)
      WHERE a.status IN ['ACTIVE', 'INVITED', 'OPEN_CLAIM']
      WITH a, t ORDER BY CASE WHEN a.status = 'ACTIVE' THEN 0 ELSE 1 END, a.createdAt DESC, a.id DESC LIMIT 1
      RETURN {{status: a.status, handler: CASE WHEN t:Member THEN {{name: t.name}}
        WHEN t:Offering THEN {{title: t.title}} ELSE {{}} END}} }}[0]}}}}) AS rows
}}
RETURN {{totalCount: total, pageInfo: {{hasNextPage: size(rows) > $first, endCursor: rows[$first - 1].cursor}},
  edges: rows[0..$first]}} AS v
"""
RAW_COMMUNITY = """
MATCH (c:Community {id: $id})
RETURN c {.name, members: {
  totalCount: COUNT { (c)<-[:REGISTERED_WITH]-(:Member) },
  edges: COLLECT { MATCH (c)<-[:REGISTERED_WITH]-(m:Member) WITH m ORDER BY m.id LIMIT 50
    RETURN {node: m {.name, skills: {edges: COLLECT { MATCH (m)-[:HAS_SKILL]->(s:Skill) WITH s ORDER BY s.id LIMIT 10
      RETURN {node: s {.name}} }}}} }}} AS v
"""


async def _raw(graph: Graph, cypher: str, params: dict[str, Any]) -> bytes:
    rows = await graph.read(cypher, "bench.raw", **params)
    return orjson.dumps({"data": rows[0]["v"] if rows else None})


def _post(http: httpx.AsyncClient, token: str) -> Callable[[str, dict[str, Any]], Awaitable[bytes]]:
    async def post(query: str, variables: dict[str, Any]) -> bytes:
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
        )
        body = response.json()
        if "errors" in body:
            raise RuntimeError(f"bench request failed: {body['errors'][0]}")
        return response.content

    return post


async def _interleaved(
    post: Callable[[str, dict[str, Any]], Awaitable[bytes]],
    graph: Graph,
    query: str,
    raw: str | None,
    variables: list[dict[str, Any]],
    raw_params: list[dict[str, Any]],
) -> tuple[list[float], list[float]]:
    http_ms: list[float] = []
    raw_ms: list[float] = []
    for i, (v, p) in enumerate(zip(variables, raw_params, strict=True)):
        started = time.perf_counter()
        await post(query, v)
        middle = time.perf_counter()
        if raw is not None:
            await _raw(graph, raw, p)
        ended = time.perf_counter()
        if i >= WARMUP:
            http_ms.append((middle - started) * 1000)
            raw_ms.append((ended - middle) * 1000)
    return http_ms, raw_ms


async def _throughput(call: Callable[[], Awaitable[Any]]) -> float:
    """Requests per second with CLIENTS callers in a loop for THROUGHPUT_SECONDS."""
    done = 0
    deadline = time.perf_counter() + THROUGHPUT_SECONDS

    async def client() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return done / (time.perf_counter() - started)


def _line(name: str, http: list[float], raw: list[float]) -> str:
    h50, r50 = statistics.median(http), statistics.median(raw) if raw else 0.0
    ratio = f"{h50 / r50:>7.2f}×" if raw else ""
    raw_text = f"{r50:>9.1f}" if raw else f"{'':>9}"
    return f"{name:<44}{h50:>9.1f}{pct(http, 0.95):>9.1f}{raw_text}{ratio}"


async def run(graph: Graph, neo4j_uri: str) -> None:
    token = issue_token("CITY_ADMIN", None, "user:bench", timedelta(hours=1), get_settings())
    communities = [
        row["id"]
        for row in await graph.read(
            "MATCH (c:Community)<-[:REGISTERED_WITH]-(m:Member) WITH c, count(m) AS n WHERE n >= 50 "
            "RETURN c.id AS id ORDER BY c.id LIMIT $n",
            n=SAMPLES + WARMUP,
        )
    ]
    district = (await graph.read("MATCH (d:District) RETURN d.id AS id ORDER BY d.id LIMIT 1"))[0]["id"]
    n = SAMPLES + WARMUP
    print(f"\nReads, city seed, {SAMPLES} samples each (GraphQL over HTTP vs the raw driver + JSON), p50/p95 ms")
    print(f"{'read':<44}{'GraphQL':>9}{'p95':>9}{'driver':>9}{'ratio':>8}")
    for label, compiled in (("compiled", "true"), ("interpreted", "false")):
        async with api(neo4j_uri, {"MINHU_COMPILED_READS": compiled}) as http:
            post = _post(http, token)
            for first in (100, 10):
                h, r = await _interleaved(
                    post, graph, NEEDS, RAW_NEEDS, [{"first": first}] * n, [{"first": first, "limit": first + 1}] * n
                )
                print(_line(f"{first} needs + category, places, handler ({label})", h, r))
            cycle = [communities[i % len(communities)] for i in range(n)]
            h, r = await _interleaved(
                post, graph, COMMUNITY, RAW_COMMUNITY, [{"id": c} for c in cycle], [{"id": c} for c in cycle]
            )
            print(_line(f"a community, 50 members + skills ({label})", h, r))
            h, _ = await _interleaved(post, graph, STATS, None, [{"id": district}] * n, [{}] * n)
            print(_line(f"a district's stats ({label})", h, []))
            graphql_rate = await _throughput(lambda post=post: post(NEEDS, {"first": 100}))
            if compiled == "true":
                raw_rate = await _throughput(lambda: _raw(graph, RAW_NEEDS, {"first": 100, "limit": 101}))
                print(
                    f"throughput, 100-needs page, {CLIENTS} clients: GraphQL {graphql_rate:.1f}/s, "
                    f"driver {raw_rate:.1f}/s = {graphql_rate / raw_rate:.2f}× (goal ≥ 0.5×)"
                )
            else:
                print(f"throughput, 100-needs page, {CLIENTS} clients, interpreter: {graphql_rate:.1f}/s")
