"""The bulk load (neo4j-admin database import full) gives exactly the graph the transactional loader gives.

The demo preset is loaded both ways with the same seed and `now`: transactionally into the session's
Neo4j, and through the real neo4j-admin into a fresh store served by a second real Neo4j, migrated on
its first start. Every node (labels and all properties), every relationship (type and both ends),
the counts by label and type, the districts' need numbering and the schema must be equal.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graph.kernel.db import Graph
from graph.kernel.migrations import migrate
from graph.local import server as local_neo4j
from seeds.admin_import import BulkImportError, finish, import_preset
from seeds.loader import load_preset

NOW = datetime(2026, 11, 25, tzinfo=UTC)


async def _snapshot(graph: Graph) -> dict[str, Any]:
    nodes = await graph.read(
        "MATCH (n) WHERE NOT n:Migration RETURN labels(n) AS labels, n.id AS id, properties(n) AS props"
    )
    rels = await graph.read(
        "MATCH (a)-[r]->(b) WHERE NOT a:Migration "
        "RETURN labels(a) AS a_labels, a.id AS a, type(r) AS type, labels(b) AS b_labels, b.id AS b, "
        "properties(r) AS props"
    )
    schema = await graph.read(
        "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, state RETURN name, type, labelsOrTypes, "
        "properties, state ORDER BY name"
    )
    return {
        "nodes": {(tuple(row["labels"]), row["id"]): row["props"] for row in nodes},
        "node_count": len(nodes),
        "rels": Counter(
            (tuple(r["a_labels"]), r["a"], r["type"], tuple(r["b_labels"]), r["b"], tuple(sorted(r["props"].items())))
            for r in rels
        ),
        "labels": Counter(label for row in nodes for label in row["labels"]),
        "types": Counter(r["type"] for r in rels),
        "schema": schema,
    }


async def test_bulk_import_equals_the_transactional_load(graph: Graph) -> None:
    await load_preset(graph, "demo", now=NOW)
    expected = await _snapshot(graph)

    with tempfile.TemporaryDirectory(prefix="minhu-bulk-test-") as folder:
        home = Path(folder)
        counts = import_preset(home, "demo", now=NOW)
        server = local_neo4j.start(home, heap="512m", pagecache="64m", verbose=False)
        bulk = Graph.connect(server.uri, None, None, "neo4j")
        try:
            await migrate(bulk)
            await finish(bulk)
            actual = await _snapshot(bulk)
            seqs = await bulk.read("MATCH (d:District) RETURN d.id AS id, d.needSeq AS seq ORDER BY id")
        finally:
            await bulk.close()
            server.stop()

        # A second bulk import into the now filled store is refused, not merged.
        with pytest.raises(BulkImportError, match="already holds a database"):
            import_preset(home, "demo", now=NOW)

    assert actual["labels"] == expected["labels"]
    assert actual["types"] == expected["types"]
    assert counts == {label: n for label, n in expected["labels"].items()}
    assert actual["node_count"] == expected["node_count"] == len(expected["nodes"])  # ids unique per label
    assert actual["nodes"].keys() == expected["nodes"].keys()
    differing = [key for key, props in expected["nodes"].items() if actual["nodes"][key] != props]
    assert differing == [], f"{len(differing)} nodes differ, e.g. {differing[:3]}"
    assert actual["rels"] == expected["rels"]
    assert actual["schema"] == expected["schema"]
    # A few properties by name: a point, a datetime, a date, a list, a boolean, the numbering.
    need = actual["nodes"][(("Need",), "need:demo-sewer")]
    assert need["location"] == expected["nodes"][(("Need",), "need:demo-sewer")]["location"]
    assert need["createdAt"].tzinfo is not None
    program = actual["nodes"][(("FundingProgram",), "program:governance-610117")]
    assert (
        program["periodStart"] == expected["nodes"][(("FundingProgram",), "program:governance-610117")]["periodStart"]
    )
    plumber = actual["nodes"][(("Member",), "member:demo-plumber")]
    assert plumber["availability"] and isinstance(plumber["availability"], list)
    expected_seqs = await graph.read("MATCH (d:District) RETURN d.id AS id, d.needSeq AS seq ORDER BY id")
    assert seqs == expected_seqs
    assert any(row["seq"] for row in seqs)
