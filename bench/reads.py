"""Reads as fast as the graph: GraphQL over HTTP against the best hand-written Cypher, on the city seed.

The API runs in its own process (bench/candidates.api: uvicorn on loopback); GraphQL is sent on one
keep-alive connection by a lean client (bench/serving.py Wire), since what the client spends counts
against the server here, and by httpx beside it for comparison. The raw side is one map-projection
statement per read through the same driver, its rows JSON-encoded, which is what no API layer can
beat. Each sample runs the GraphQL request, the raw run and the httpx request in turn, so all see
the same machine. Printed: p50 of each and their ratio (compiled read path, and with
`MINHU_COMPILED_READS=false` the interpreter), page 10 against page 100, and throughput with 16
concurrent clients on the 100-needs page. Goals (issue 9): ≤ 1.5× the driver (reach for 1.2×),
throughput ≥ 0.5× the driver's.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.candidates import api, pct
from bench.serving import Wire
from graph.kernel.compiler import utc_text
from graph.kernel.db import Graph
from server.auth import issue_token
from server.settings import get_settings

SAMPLES = 120
WARMUP = 15
CLIENTS = 16
THROUGHPUT_SECONDS = 8.0
PAGE = {"first": 100}

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


Post = Callable[[str, dict[str, Any]], Awaitable[bytes]]


def _checked(status: int, body: bytes) -> bytes:
    answer = orjson.loads(body)
    if status != 200 or "errors" in answer:
        raise RuntimeError(f"bench request failed ({status}): {answer.get('errors', [answer])[0]}")
    return body


def _wire_post(wire: Wire, token: str) -> Post:
    headers = {"Authorization": f"Bearer {token}"}

    async def post(query: str, variables: dict[str, Any]) -> bytes:
        return _checked(*await wire.post("/graphql", orjson.dumps({"query": query, "variables": variables}), headers))

    return post


def _httpx_post(http: httpx.AsyncClient, token: str) -> Post:
    async def post(query: str, variables: dict[str, Any]) -> bytes:
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
        )
        return _checked(response.status_code, response.content)

    return post


async def _interleaved(
    posts: tuple[Post, Post],
    graph: Graph,
    query: str,
    raw: str | None,
    variables: list[dict[str, Any]],
    raw_params: list[dict[str, Any]],
) -> tuple[list[float], list[float], list[float]]:
    """Milliseconds per sample: GraphQL (lean client), the raw driver, GraphQL (httpx), in turn."""
    wire, httpx_post = posts
    http_ms: list[float] = []
    raw_ms: list[float] = []
    httpx_ms: list[float] = []
    for i, (v, p) in enumerate(zip(variables, raw_params, strict=True)):
        started = time.perf_counter()
        await wire(query, v)
        middle = time.perf_counter()
        if raw is not None:
            await _raw(graph, raw, p)
        ended = time.perf_counter()
        await httpx_post(query, v)
        if i >= WARMUP:
            http_ms.append((middle - started) * 1000)
            raw_ms.append((ended - middle) * 1000)
            httpx_ms.append((time.perf_counter() - ended) * 1000)
    return http_ms, raw_ms, httpx_ms


async def _throughput(calls: list[Callable[[], Awaitable[Any]]]) -> float:
    """Requests per second with one caller per entry of `calls`, each in a loop for THROUGHPUT_SECONDS."""
    done = 0
    deadline = time.perf_counter() + THROUGHPUT_SECONDS

    async def client(call: Callable[[], Awaitable[Any]]) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(call) for call in calls))
    return done / (time.perf_counter() - started)


def _line(name: str, http: list[float], raw: list[float], by_httpx: list[float]) -> str:
    h50, r50 = statistics.median(http), statistics.median(raw) if raw else 0.0
    ratio = f"{h50 / r50:>7.2f}×" if raw else f"{'':>8}"
    raw_text = f"{r50:>9.1f}" if raw else f"{'':>9}"
    return f"{name:<50}{h50:>9.1f}{pct(http, 0.95):>9.1f}{raw_text}{ratio}{statistics.median(by_httpx):>9.1f}"


async def run(graph: Graph, neo4j_uri: str, source: Path | None = None) -> None:
    """The reads' table; `source`: serve that folder's code instead (a `git archive` of another commit)."""
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
    print(f"\nReads, city seed, {SAMPLES} samples each (GraphQL over HTTP vs the raw driver + JSON), p50/p95 ms;")
    print("GraphQL by a lean keep-alive client (bench/serving.py Wire), httpx's figure beside it for comparison")
    print(f"{'read':<50}{'GraphQL':>9}{'p95':>9}{'driver':>9}{'ratio':>8}{'httpx':>9}")
    for label, compiled in (("compiled", "true"), ("interpreted", "false")):
        async with api(neo4j_uri, {"MINHU_COMPILED_READS": compiled}, source) as http:
            wires = [await Wire.open(http.base_url) for _ in range(CLIENTS)]
            posts = (_wire_post(wires[0], token), _httpx_post(http, token))
            pages: dict[int, tuple[float, float]] = {}
            for first in (100, 10):
                h, r, x = await _interleaved(
                    posts, graph, NEEDS, RAW_NEEDS, [{"first": first}] * n, [{"first": first, "limit": first + 1}] * n
                )
                pages[first] = (statistics.median(h), statistics.median(r))
                print(_line(f"{first} needs + category, places, handler ({label})", h, r, x))
            # A page should cost what it returns: ten needs far less than a hundred, on both sides.
            print(
                f"{'':<4}page 10 against page 100 ({label}): GraphQL {pages[10][0] / pages[100][0]:.2f}×, "
                f"driver {pages[10][1] / pages[100][1]:.2f}×"
            )
            cycle = [communities[i % len(communities)] for i in range(n)]
            h, r, x = await _interleaved(
                posts, graph, COMMUNITY, RAW_COMMUNITY, [{"id": c} for c in cycle], [{"id": c} for c in cycle]
            )
            print(_line(f"a community, 50 members + skills ({label})", h, r, x))
            h, _, x = await _interleaved(posts, graph, STATS, None, [{"id": district}] * n, [{}] * n)
            print(_line(f"a district's stats ({label})", h, [], x))
            graphql_rate = await _throughput([partial(_wire_post(wire, token), NEEDS, PAGE) for wire in wires])
            if compiled == "true":
                raw_rate = await _throughput([partial(_raw, graph, RAW_NEEDS, {**PAGE, "limit": 101})] * CLIENTS)
                httpx_rate = await _throughput([partial(posts[1], NEEDS, PAGE)] * CLIENTS)
                print(
                    f"throughput, 100-needs page, {CLIENTS} clients: GraphQL {graphql_rate:.1f}/s, "
                    f"driver {raw_rate:.1f}/s = {graphql_rate / raw_rate:.2f}× (goal ≥ 0.5×); "
                    f"by httpx {httpx_rate:.1f}/s = {httpx_rate / raw_rate:.2f}×"
                )
            else:
                print(f"throughput, 100-needs page, {CLIENTS} clients, interpreter: {graphql_rate:.1f}/s")
            for wire in wires:
                await wire.close()


async def against(graph: Graph, neo4j_uri: str, source: Path, samples: int = SAMPLES) -> None:
    """This checkout and the code in `source`, both served at once, sample by sample in turn with the
    raw driver (alternating which goes first), so the machine's load falls on both alike: the fair
    before/after on a busy machine. p50 ms, and each side's ratio to the driver."""
    token = issue_token("CITY_ADMIN", None, "user:bench", timedelta(hours=1), get_settings())
    communities = [
        row["id"]
        for row in await graph.read(
            "MATCH (c:Community)<-[:REGISTERED_WITH]-(m:Member) WITH c, count(m) AS n WHERE n >= 50 "
            "RETURN c.id AS id ORDER BY c.id LIMIT 200"
        )
    ]
    reads = [
        ("100 needs", NEEDS, RAW_NEEDS, lambda i: ({"first": 100}, {"first": 100, "limit": 101})),
        ("10 needs", NEEDS, RAW_NEEDS, lambda i: ({"first": 10}, {"first": 10, "limit": 11})),
        ("a community, 50 members + skills", COMMUNITY, RAW_COMMUNITY, lambda i: ({"id": communities[i % 200]},) * 2),
    ]
    async with api(neo4j_uri, {}, source) as before_http, api(neo4j_uri, {}) as after_http:
        before = _wire_post(await Wire.open(before_http.base_url), token)
        after = _wire_post(await Wire.open(after_http.base_url), token)
        print(f"\nBefore ({source}) and after (this checkout) in turn, {samples} samples each, p50 ms")
        print(f"{'read':<36}{'before':>8}{'after':>8}{'driver':>8}{'before/driver':>15}{'after/driver':>14}")
        for name, query, raw, params in reads:
            times: dict[str, list[float]] = {"before": [], "after": [], "driver": []}
            for i in range(samples + WARMUP):
                variables, raw_params = params(i)
                sides = [("before", before), ("after", after)][:: 1 if i % 2 else -1]
                for side, post in sides:
                    started = time.perf_counter()
                    await post(query, variables)
                    if i >= WARMUP:
                        times[side].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                await _raw(graph, raw, raw_params)
                if i >= WARMUP:
                    times["driver"].append((time.perf_counter() - started) * 1000)
            b, a, d = (statistics.median(times[side]) for side in ("before", "after", "driver"))
            print(f"{name:<36}{b:>8.2f}{a:>8.2f}{d:>8.2f}{b / d:>14.2f}×{a / d:>13.2f}×")


async def _main(source: Path | None, interleaved: bool) -> None:
    from bench.setup import SERVED, bench_graph

    async with bench_graph() as graph:
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if interleaved and source is not None:
            await against(graph, SERVED["uri"], source)
        else:
            print(f"code served: {source or 'this checkout'}")
            await run(graph, SERVED["uri"], source)


if __name__ == "__main__":
    # `python -m bench.reads [folder]`: the reads alone, served from this checkout or from `folder`
    # (e.g. a `git archive` of main), for before/after figures on the same store;
    # `python -m bench.reads --against folder`: both at once, in turn (`against`).
    import sys

    args = [arg for arg in sys.argv[1:] if arg != "--against"]
    asyncio.run(_main(Path(args[0]) if args else None, "--against" in sys.argv))
