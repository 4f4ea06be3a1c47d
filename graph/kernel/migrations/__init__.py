"""Applying the migrations (history.py), recorded in the graph as `(:Migration)` nodes with a checksum.

Each statement uses `IF NOT EXISTS`, so applying one twice is harmless even if its record was lost.
The checksum (sha256 of the statements) makes the history append-only: a store whose recorded
checksum differs from the code's was migrated with other statements than the code now says, and
`migrate` refuses it with a message instead of silently leaving the two apart.

`expected_schema` derives from the kinds' declarations what the migrated store must hold; a test
compares it with the store and, when a declaration is ahead of the history, prints the migration
to append (`missing_statements`).
"""

from __future__ import annotations

import hashlib

from graph.kernel import registry
from graph.kernel.db import Graph, Tx
from graph.kernel.migrations.history import MIGRATIONS, Migration

__all__ = ["MIGRATIONS", "Migration", "MigrationError", "applied_versions", "expected_schema", "migrate"]


class MigrationError(RuntimeError):
    """The store's migration record disagrees with the code's history."""


def checksum(migration: Migration) -> str:
    return hashlib.sha256("\n".join(migration.statements).encode()).hexdigest()


async def applied(graph: Graph) -> dict[int, str | None]:
    """Applied versions and their recorded checksums (None for records older than checksums)."""
    rows = await graph.read("MATCH (m:Migration) RETURN m.version AS version, m.checksum AS checksum")
    return {row["version"]: row["checksum"] for row in rows}


async def applied_versions(graph: Graph) -> set[int]:
    return set(await applied(graph))


async def migrate(graph: Graph, upto: int | None = None) -> list[Migration]:
    """Applies the migrations not yet recorded (up to version `upto`); returns those it applied."""
    done = await applied(graph)
    known = {m.version for m in MIGRATIONS}
    unknown = sorted(set(done) - known)
    if unknown:
        raise MigrationError(
            f"the graph records migration(s) {unknown} that this code does not know: it was migrated by a "
            "newer Minhu; run that version (or restore a backup made before it)"
        )
    applied_now = []
    for migration in MIGRATIONS:
        if upto is not None and migration.version > upto:
            break
        if migration.version in done:
            recorded = done[migration.version]
            if recorded is None:
                await graph.write_tx(lambda tx, m=migration: _record(tx, m))
            elif recorded != checksum(migration):
                raise MigrationError(
                    f"migration {migration.version} ({migration.name}) was changed after this graph applied it: "
                    "applied migrations are never edited; restore graph/kernel/migrations/history.py and append "
                    "the change as a new migration"
                )
            continue
        # Schema statements cannot share a transaction with data writes, so each gets its own.
        for statement in migration.statements:
            await graph.write(statement)
        await graph.write_tx(lambda tx, m=migration: _record(tx, m))
        applied_now.append(migration)
    await graph.read("CALL db.awaitIndexes(300)")
    return applied_now


async def _record(tx: Tx, migration: Migration) -> None:
    await tx.run(
        "MERGE (m:Migration {id: $id}) "
        "ON CREATE SET m.version = $version, m.appliedAt = datetime(), m.createdAt = datetime() "
        "SET m.name = $name, m.checksum = $checksum",
        id=f"migration:{migration.version}",
        version=migration.version,
        name=migration.name,
        checksum=checksum(migration),
    )


# --- what the declarations ask of the store ----------------------------------------------------


def expected_schema() -> dict[str, str]:
    """Constraint and index name → the statement creating it, for everything the kinds declare."""
    wanted: dict[str, str] = {}
    for kind in registry.kinds():
        low = kind.label.lower()
        wanted[f"{low}_id"] = f"CREATE CONSTRAINT {low}_id IF NOT EXISTS FOR (n:{kind.label}) REQUIRE n.id IS UNIQUE"
        for prop in kind.indexes:
            name = f"{low}_{prop.lower()}"
            wanted[name] = f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{kind.label}) ON (n.{prop})"
        if kind.point:
            wanted[f"{low}_location"] = (
                f"CREATE POINT INDEX {low}_location IF NOT EXISTS FOR (n:{kind.label}) ON (n.location)"
            )
        if kind.fulltext:
            props = ", ".join(f"n.{prop}" for prop in kind.fulltext)
            wanted[f"{low}_text"] = (
                f"CREATE FULLTEXT INDEX {low}_text IF NOT EXISTS FOR (n:{kind.label}) ON EACH [{props}] "
                "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}"
            )
    return wanted


async def schema_names(graph: Graph) -> set[str]:
    """The names of the store's constraints and indexes (without the built-in token lookups)."""
    constraints = await graph.read("SHOW CONSTRAINTS YIELD name RETURN name")
    indexes = await graph.read("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name")
    return {row["name"] for row in constraints} | {row["name"] for row in indexes}


async def missing_statements(graph: Graph) -> list[str]:
    """Statements for what the kinds declare but the migrated store lacks: the next migration to append."""
    present = await schema_names(graph)
    return [statement for name, statement in expected_schema().items() if name not in present]
