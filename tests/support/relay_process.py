"""Another API process's broker, for tests/server/test_outbox.py: relay rounds from a process of
its own (its own interpreter, Neo4j driver and Redis connections), raced against the test's.

    python -m tests.support.relay_process NEO4J_URI DATABASE REDIS_URL STREAM ROUNDS

Connects to both (and uses each once, so the race is not decided by who connects first), prints
`ready`, waits for a line on stdin, then runs ROUNDS relay rounds at once and prints their results
(entries appended, or null where another process held the relay lock) as one JSON list.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from graph.kernel.db import Graph
from resolvers.kernel.broker import RedisBroker


async def main(uri: str, database: str, redis_url: str, stream: str, rounds: int) -> None:
    graph = Graph.connect(uri, os.environ.get("NEO4J_USER"), os.environ.get("NEO4J_PASSWORD"), database)
    broker = RedisBroker(redis_url, lambda: graph, stream=stream)
    try:
        await graph.read("RETURN 1 AS one")
        await broker._redis.ping()
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        results = await asyncio.gather(*(broker.relay_once() for _ in range(rounds)))
        print(json.dumps(results), flush=True)
    finally:
        await broker.stop()
        await graph.close()


if __name__ == "__main__":
    uri, database, redis_url, stream, rounds = sys.argv[1:]
    asyncio.run(main(uri, database, redis_url, stream, int(rounds)))
