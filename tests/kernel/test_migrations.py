"""Migrations are append-only and complete: stores stopped at any earlier version end up like a fresh
one, a changed applied migration is refused, and everything the kinds declare exists after migrating."""

from __future__ import annotations

import pytest

from graph.kernel.db import Graph
from graph.kernel.migrations import MIGRATIONS, MigrationError, checksum, migrate, missing_statements


async def describe(graph: Graph) -> set[tuple]:
    """The store's schema as comparable facts (names, kinds, labels, properties, options)."""
    constraints = await graph.read(
        "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties RETURN name, type, labelsOrTypes, properties"
    )
    indexes = await graph.read(
        "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, options WHERE type <> 'LOOKUP' "
        "RETURN name, type, labelsOrTypes, properties, options.indexConfig.`fulltext.analyzer` AS analyzer"
    )
    return {("constraint", *map(_freeze, row.values())) for row in constraints} | {
        ("index", *map(_freeze, row.values())) for row in indexes
    }


def _freeze(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


async def drop_schema(graph: Graph) -> None:
    """Back to an unmigrated store: no constraints, no indexes, no migration records."""
    for row in await graph.read("SHOW CONSTRAINTS YIELD name RETURN name"):
        await graph.write(f"DROP CONSTRAINT `{row['name']}`")
    for row in await graph.read("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"):
        await graph.write(f"DROP INDEX `{row['name']}`")
    await graph.write("MATCH (m:Migration) DELETE m")


@pytest.mark.smoke
async def test_what_the_kinds_declare_is_migrated(graph: Graph) -> None:
    missing = await missing_statements(graph)
    assert not missing, "append a migration to graph/kernel/migrations/history.py with:\n" + "\n".join(missing)


async def test_a_store_stopped_at_any_version_migrates_to_the_fresh_schema(graph: Graph) -> None:
    fresh = await describe(graph)
    try:
        # Versions may skip a number (13 was given to a branch that landed after 14 as 15).
        versions = [m.version for m in MIGRATIONS]
        for stopped_at in [0, *versions[:-1]]:
            await drop_schema(graph)
            await migrate(graph, upto=stopped_at)
            assert len(await graph.read("MATCH (m:Migration) RETURN m")) == sum(v <= stopped_at for v in versions)
            await migrate(graph)
            assert await describe(graph) == fresh, f"a store stopped at version {stopped_at}"
    finally:
        await migrate(graph)


async def test_migrating_twice_changes_nothing(graph: Graph) -> None:
    before = await describe(graph)
    assert await migrate(graph) == []
    assert await describe(graph) == before


async def test_a_changed_applied_migration_is_refused(graph: Graph) -> None:
    second = MIGRATIONS[1]
    await graph.write("MATCH (m:Migration {version: 2}) SET m.checksum = 'edited'")
    try:
        with pytest.raises(MigrationError, match=r"migration 2 \(range indexes.*append the change as a new migration"):
            await migrate(graph)
    finally:
        await graph.write("MATCH (m:Migration {version: 2}) SET m.checksum = $c", c=checksum(second))


async def test_a_store_from_a_newer_release_is_refused(graph: Graph) -> None:
    await graph.write("CREATE (:Migration {id: 'migration:999', version: 999, checksum: 'x'})")
    try:
        with pytest.raises(MigrationError, match=r"\[999\].*newer Minhu"):
            await migrate(graph)
    finally:
        await graph.write("MATCH (m:Migration {version: 999}) DELETE m")


async def test_records_from_before_checksums_are_adopted(graph: Graph) -> None:
    await graph.write("MATCH (m:Migration) REMOVE m.checksum")
    assert await migrate(graph) == []
    rows = await graph.read("MATCH (m:Migration) RETURN m.version AS v, m.checksum AS c")
    assert {row["v"]: row["c"] for row in rows} == {m.version: checksum(m) for m in MIGRATIONS}
