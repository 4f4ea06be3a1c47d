"""Every node kind of the graph, each declared once in its domain's `kinds.py`, and the tables
derived from them. Adding a kind: declare it in its domain and list its module here
(docs/ARCHITECTURE.md, "Adding a kind")."""

from __future__ import annotations

from graph.accounts import kinds as accounts
from graph.departments import kinds as departments
from graph.funding import kinds as funding
from graph.kernel.kinds import Kind
from graph.needs import kinds as needs
from graph.partners import kinds as partners
from graph.places import kinds as places
from graph.plans import kinds as plans
from graph.venues import kinds as venues

# Kernel bookkeeping: nodes the API never shows.
# Idempotency records expire: the sweep finds old ones by createdAt (migration 7).
IDEMPOTENCY_RECORD = Kind("IdempotencyRecord", "idem", indexes=("createdAt",))
MIGRATION = Kind("Migration", "migration")
# Several API processes (graph/kernel/cluster.py): events waiting for the broker, in commit order
# (migration 9), and the leases that let one process of many run a periodic job.
OUTBOX_ENTRY = Kind("OutboxEntry", "outbox", indexes=("at",))
LEASE = Kind("Lease", "lease")

KINDS: tuple[Kind, ...] = (
    *places.KINDS,
    *needs.KINDS,
    *partners.KINDS,
    *venues.KINDS,
    *funding.KINDS,
    *plans.KINDS,
    *accounts.KINDS,
    *departments.KINDS,
    IDEMPOTENCY_RECORD,
    MIGRATION,
    OUTBOX_ENTRY,
    LEASE,
)

BY_LABEL: dict[str, Kind] = {kind.label: kind for kind in KINDS}
BY_PREFIX: dict[str, Kind] = {kind.prefix: kind for kind in KINDS}
BY_GRAPHQL: dict[str, Kind] = {kind.graphql: kind for kind in KINDS if kind.graphql}
if len(BY_LABEL) != len(KINDS) or len(BY_PREFIX) != len(KINDS) or len(BY_GRAPHQL) != sum(1 for k in KINDS if k.graphql):
    raise RuntimeError("two kinds share a label, an id prefix or a GraphQL type")


def kind(label: str) -> Kind:
    return BY_LABEL[label]
