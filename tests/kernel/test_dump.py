"""Backups for real: `minhu db dump` a store holding data, `minhu db load` it into a fresh data
folder, start Neo4j there and read the data back. Both refuse while the store is in use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from neo4j import GraphDatabase

from graph.local import server as local_neo4j

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]  # `minhu neo4j start` and neo4j-admin, twice

ROOT = Path(__file__).resolve().parents[2]


def minhu(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(MINHU_DATA_DIR=str(data_dir), MINHU_NEO4J_HEAP="512m", MINHU_NEO4J_PAGECACHE="64m")
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], capture_output=True, text=True, env=env, timeout=600, cwd=ROOT
    )


def _query(uri: str, cypher: str, **params: object) -> list[dict]:
    with GraphDatabase.driver(uri) as driver:
        return [r.data() for r in driver.execute_query(cypher, params, database_="neo4j").records]


def test_dump_and_load_round_trip_a_store(tmp_path: Path) -> None:
    source, target, backup = tmp_path / "source", tmp_path / "target", tmp_path / "backups" / "minhu.dump"
    started = minhu(source, "neo4j", "start")
    assert started.returncode == 0, started.stderr
    running = local_neo4j.running(source / "neo4j")
    assert running is not None
    try:
        _query(
            running.uri,
            "UNWIND range(1, 500) AS i CREATE (:Need {id: 'need:d' + i, title: '下水道堵塞 ' + i})",
        )
        _query(running.uri, "CREATE (:Community {id: 'community:610103001009', name: '书院门社区'})")
        busy = minhu(source, "db", "dump", str(backup))
        assert busy.returncode == 2 and "stop it" in busy.stderr, "neo4j-admin needs the store to itself"
    finally:
        assert minhu(source, "neo4j", "stop").returncode == 0

    dumped = minhu(source, "db", "dump", str(backup))
    assert dumped.returncode == 0, dumped.stderr
    assert backup.stat().st_size > 0 and "dumped database 'neo4j'" in dumped.stdout

    loaded = minhu(target, "db", "load", str(backup))
    assert loaded.returncode == 0, loaded.stderr
    again = minhu(target, "db", "load", str(backup))
    assert again.returncode == 2 and "--force" in again.stderr, "an existing database is not replaced silently"
    assert minhu(target, "db", "load", "--force", str(backup)).returncode == 0

    assert minhu(target, "neo4j", "start").returncode == 0
    restored = local_neo4j.running(target / "neo4j")
    assert restored is not None
    try:
        rows = _query(restored.uri, "MATCH (n:Need) RETURN count(n) AS n, max(n.title) AS last")
        assert rows == [{"n": 500, "last": "下水道堵塞 99"}]
        assert _query(restored.uri, "MATCH (c:Community) RETURN c.name AS name") == [{"name": "书院门社区"}]
    finally:
        minhu(target, "neo4j", "stop")
