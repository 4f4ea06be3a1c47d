"""Idempotency records expire: the sweep (background loop and `minhu sweep`) deletes those past
MINHU_IDEMPOTENCY_TTL_HOURS; a key is recognised until then and acts anew after."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from graph.kernel.db import Graph
from resolvers.needs.sweep import sweep_forever, sweep_idempotency
from tests.support import workflow_helpers as w
from tests.support.factories import make_places

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SUBMIT_KEYED = w.SUBMIT


async def _submit(graphql_client, key: str) -> dict:
    variables = {"input": {**w.SEWER_INPUT, "idempotencyKey": key}}
    return (await graphql_client(w.SUBMIT, variables, token=w.resident()))["data"]["submitNeed"]


async def _age(graph: Graph, created: datetime) -> None:
    """Pins every record's createdAt (the mutation stamps the real clock; the test pins `now`)."""
    await graph.write("MATCH (r:IdempotencyRecord) SET r.createdAt = $at", at=created)


async def test_expired_records_are_swept_and_their_keys_act_anew(graph: Graph, graphql_client) -> None:
    await make_places(graph)
    await w.make_people(graph)
    old = await _submit(graphql_client, "old-key")
    await _age(graph, NOW - timedelta(hours=25))
    fresh = await _submit(graphql_client, "fresh-key")
    await graph.write(
        "MATCH (r:IdempotencyRecord) WHERE r.createdAt > $cutoff SET r.createdAt = $at",
        cutoff=NOW - timedelta(hours=24),
        at=NOW - timedelta(hours=1),
    )
    assert await sweep_idempotency(graph, NOW, ttl_hours=24) == 1
    assert await sweep_idempotency(graph, NOW, ttl_hours=24) == 0, "sweeping twice deletes nothing more"
    again_fresh = await _submit(graphql_client, "fresh-key")
    assert again_fresh["replayed"] is True and again_fresh["need"]["id"] == fresh["need"]["id"]
    again_old = await _submit(graphql_client, "old-key")
    assert again_old["replayed"] is False and again_old["need"]["id"] != old["need"]["id"]


async def test_a_backlog_is_swept_in_batches(graph: Graph) -> None:
    from graph.kernel import idempotency

    count = idempotency.SWEEP_BATCH * 2 + 17
    await graph.write(
        "UNWIND range(1, $n) AS i CREATE (:IdempotencyRecord {id: 'idem:b' + i, createdAt: $at, result: '{}'})",
        n=count,
        at=NOW - timedelta(days=3),
    )
    graph.counter.count = 0
    assert await sweep_idempotency(graph, NOW, ttl_hours=24) == count
    assert graph.counter.count == 3, "one small transaction per batch"


async def test_the_background_loop_sweeps_idempotency_records(graph: Graph) -> None:
    await graph.write(
        "CREATE (:IdempotencyRecord {id: 'idem:ancient', createdAt: datetime('2020-01-01T00:00:00Z'), result: '{}'})"
    )
    runs: list[str] = []
    done = asyncio.Event()

    def on_run(outcome: str) -> None:
        runs.append(outcome)
        done.set()

    loop = asyncio.create_task(sweep_forever(lambda: graph, 0.01, idempotency_ttl_hours=24, on_run=on_run))
    try:
        await asyncio.wait_for(done.wait(), 60)
    finally:
        loop.cancel()
    assert runs[0] == "ok"
    assert (await graph.read("MATCH (r:IdempotencyRecord) RETURN count(r) AS n"))[0]["n"] == 0


async def test_minhu_sweep_expires_records(graph: Graph, neo4j_uri: str) -> None:
    await graph.write(
        "CREATE (:IdempotencyRecord {id: 'idem:cli', createdAt: datetime('2020-01-01T00:00:00Z'), result: '{}'})"
    )
    env = {**os.environ, "NEO4J_URI": neo4j_uri, "MINHU_IDEMPOTENCY_TTL_HOURS": "48"}
    proc = subprocess.run(
        [sys.executable, "-m", "server.cli", "sweep"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr
    assert "deleted 1 idempotency record(s) older than 48 h" in proc.stdout
