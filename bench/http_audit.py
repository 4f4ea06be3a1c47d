"""The GraphQL-over-HTTP spec authors' audit (`graphql-http`'s auditServer) against Minhu on loopback.

`python -m bench.http_audit` (part of `make bench`): installs the npm package `graphql-http` once
into the cache (~/.cache/minhu/graphql-http, with npm), serves the real app under uvicorn on a
loopback port over a Neo4j of its own, runs the audit with node and prints MUST and SHOULD/MAY
counts and every item that is not ok.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from graph.kernel.db import Graph
from graph.kernel.migrations import migrate
from graph.local import server as local_neo4j
from server.settings import Settings

VERSION = "1.23.1"
AUDIT = """
const { auditServer } = require('graphql-http');
auditServer({ url: process.argv[2] }).then((results) => {
  process.stdout.write(JSON.stringify(results.map((r) => ({ id: r.id, name: r.name, status: r.status,
    reason: r.status === 'ok' ? undefined : r.reason }))));
});
"""


def _installed() -> Path:
    base = Path(os.environ.get("MINHU_CACHE_DIR") or Path.home() / ".cache" / "minhu") / "graphql-http"
    if not (base / "node_modules" / "graphql-http").exists():
        npm = shutil.which("npm")
        if not npm:
            raise SystemExit("npm is needed for the graphql-http audit (Debian: apt-get install npm)")
        base.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", f"graphql-http@{VERSION}", "graphql@16"],
            cwd=base,
            check=True,
        )
    return base


async def audit(url: str) -> list[dict]:
    base = _installed()
    (base / "audit.js").write_text(AUDIT)
    proc = await asyncio.create_subprocess_exec(
        "node", str(base / "audit.js"), url, cwd=base, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(err.decode())
    return json.loads(out)


async def main() -> None:
    import uvicorn

    from server.app import create_app

    with tempfile.TemporaryDirectory(prefix="minhu-audit-") as folder:
        neo4j = local_neo4j.start(Path(folder), heap="512m", pagecache="64m", verbose=False)
        graph = Graph.connect(neo4j.uri, None, None, "neo4j")
        try:
            await migrate(graph)
            settings = Settings(
                minhu_sweep_interval_seconds=0, minhu_rate_limit_address="", minhu_rate_limit_subject=""
            )
            app = create_app(graph=graph, settings=settings, run_migrations=False)
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
            task = asyncio.create_task(server.serve())
            while not server.started:
                await asyncio.sleep(0.05)
            port = server.servers[0].sockets[0].getsockname()[1]
            try:
                results = await audit(f"http://127.0.0.1:{port}/graphql")
            finally:
                server.should_exit = True
                await task
        finally:
            await graph.close()
            neo4j.stop()
    must = [r for r in results if r["name"].startswith("MUST")]
    rest = [r for r in results if not r["name"].startswith("MUST")]
    print("\ngraphql-http audit (GraphQL over HTTP spec) against Minhu")
    print(f"MUST: {sum(r['status'] == 'ok' for r in must)}/{len(must)} ok")
    print(f"SHOULD/MAY: {sum(r['status'] == 'ok' for r in rest)}/{len(rest)} ok")
    for r in results:
        if r["status"] != "ok":
            print(f"  {r['status']:<5} {r['name']}: {r['reason']}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
