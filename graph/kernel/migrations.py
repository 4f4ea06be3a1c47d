"""Numbered, idempotent schema migrations, recorded in the graph as `(:Migration)` nodes.

Each step only uses `IF NOT EXISTS`, so running it twice is harmless even if the record of it
was lost; the record tells `minhu db migrate` what it may skip.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.kernel.db import Graph, Tx

LABELS = (
    "District",
    "Street",
    "Community",
    "Compound",
    "Resident",
    "Need",
    "Category",
    "Skill",
    "Unit",
    "Member",
    "Offering",
    "Venue",
    "Facility",
    "Booking",
    "FundingProgram",
    "Grant",
    "Assignment",
    "Evaluation",
    "User",
    "Event",
    "DispatchPlan",
    "IdempotencyRecord",
)

# (label, property) pairs that lists filter or sort by.
RANGE_INDEXES = (
    ("Need", "status"),
    ("Need", "createdAt"),
    ("Need", "channel"),
    ("Need", "urgency"),
    ("Need", "responseDeadline"),
    ("Need", "completionDeadline"),
    ("Need", "level"),
    ("Need", "number"),
    ("Category", "code"),
    ("Skill", "code"),
    ("Facility", "code"),
    ("District", "code"),
    ("Street", "code"),
    ("Community", "code"),
    ("Unit", "kind"),
    ("Unit", "name"),
    ("Member", "name"),
    ("Venue", "kind"),
    ("Venue", "capacity"),
    ("Offering", "status"),
    ("Booking", "start"),
    ("Booking", "end"),
    ("Booking", "status"),
    ("Grant", "status"),
    ("Assignment", "status"),
    ("Event", "at"),
    ("User", "role"),
    ("FundingProgram", "periodEnd"),
)
POINT_INDEXED = ("District", "Street", "Community", "Compound", "Need", "Unit", "Member", "Venue")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def _constraints() -> tuple[str, ...]:
    return tuple(
        f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE" for label in LABELS
    )


def _range_indexes() -> tuple[str, ...]:
    return tuple(
        f"CREATE INDEX {label.lower()}_{prop.lower()} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"
        for label, prop in RANGE_INDEXES
    )


def _point_indexes() -> tuple[str, ...]:
    return tuple(
        f"CREATE POINT INDEX {label.lower()}_location IF NOT EXISTS FOR (n:{label}) ON (n.location)"
        for label in POINT_INDEXED
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "unique ids for every label", _constraints()),
    Migration(2, "range indexes for filters and sort keys", _range_indexes()),
    Migration(3, "point indexes on locations", _point_indexes()),
    Migration(
        4,
        "full-text (cjk) over needs and offerings",
        (
            "CREATE FULLTEXT INDEX need_text IF NOT EXISTS FOR (n:Need) ON EACH [n.title, n.description] "
            "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}",
            "CREATE FULLTEXT INDEX offering_text IF NOT EXISTS FOR (n:Offering) ON EACH [n.title, n.description] "
            "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}",
        ),
    ),
    Migration(
        5,
        "relationship index for booking overlap and assignment lookups",
        (
            "CREATE INDEX assignment_createdat IF NOT EXISTS FOR (n:Assignment) ON (n.createdAt)",
            "CREATE INDEX idempotency_key IF NOT EXISTS FOR (n:IdempotencyRecord) ON (n.key)",
        ),
    ),
    Migration(
        6,
        "idempotency records expire: the sweep finds old ones by createdAt",
        ("CREATE INDEX idempotencyrecord_createdat IF NOT EXISTS FOR (n:IdempotencyRecord) ON (n.createdAt)",),
    ),
)


async def applied_versions(graph: Graph) -> set[int]:
    rows = await graph.read("MATCH (m:Migration) RETURN m.version AS version")
    return {row["version"] for row in rows}


async def migrate(graph: Graph) -> list[Migration]:
    """Applies the migrations not yet recorded; returns those it applied."""
    done = await applied_versions(graph)
    applied = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        # Schema statements cannot share a transaction with data writes, so each gets its own.
        for statement in migration.statements:
            await graph.write(statement)
        await graph.write_tx(lambda tx, m=migration: _record(tx, m))
        applied.append(migration)
    await graph.read("CALL db.awaitIndexes(300)")
    return applied


async def _record(tx: Tx, migration: Migration) -> None:
    await tx.run(
        "MERGE (m:Migration {id: $id}) "
        "ON CREATE SET m.version = $version, m.name = $name, m.appliedAt = datetime(), m.createdAt = datetime()",
        id=f"migration:{migration.version}",
        version=migration.version,
        name=migration.name,
    )
