"""The kinds and root lists of the graph, as the domains register them at start-up.

The kernel derives ids, projections, locks, `node(id:)`, nested lists, migrations and the compiled
read path from the kinds' declarations, but it imports no domain: the domains hand their
declarations in here. Importing `graph` runs `graph/domains.py`, which registers every domain and
closes the registry before any other module of the graph is used; the kernel's modules read it at
call time, never at import time.

Reading before the registry is closed, registering after, and two kinds sharing a label, an id prefix
or a GraphQL type all raise `RegistryError`, which says which and where to look.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graph.kernel.kinds import Kind, Link, RootList

# Kernel bookkeeping: nodes the API never shows, in every registry.
# Idempotency records expire: the sweep finds old ones by createdAt (migration 7).
IDEMPOTENCY_RECORD = Kind("IdempotencyRecord", "idem", indexes=("createdAt",))
MIGRATION = Kind("Migration", "migration")
# Several API processes (graph/kernel/cluster.py): events waiting for the broker, in commit order
# (migration 9), and the leases that let one process of many run a periodic job.
OUTBOX_ENTRY = Kind("OutboxEntry", "outbox", indexes=("at",))
LEASE = Kind("Lease", "lease")
KERNEL_KINDS = (IDEMPOTENCY_RECORD, MIGRATION, OUTBOX_ENTRY, LEASE)


class RegistryError(RuntimeError):
    """The registry was read too early, written too late, or given two declarations of one thing."""


class Registry:
    """Kinds by label, id prefix and GraphQL type; root lists by GraphQL field. Open for `register`
    until `close`; readable only after."""

    def __init__(self) -> None:
        self._kinds: dict[str, Kind] = {kind.label: kind for kind in KERNEL_KINDS}
        self._lists: dict[str, RootList] = {}
        self._lent: list[tuple[str, str, Link]] = []
        self._by_prefix: dict[str, Kind] = {}
        self._by_graphql: dict[str, Kind] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def register(
        self,
        *kinds: Kind,
        lists: Iterable[RootList] = (),
        lends: Mapping[str, Mapping[str, Link]] | None = None,
    ) -> None:
        """A domain's kinds, its root lists, and the links it lends to other domains' kinds (by label,
        then field name): a link whose meaning belongs to this domain, shown on a kind of one below it."""
        if self._closed:
            raise RegistryError(
                f"the registry is closed: {', '.join(k.label for k in kinds) or 'these lists'} came too late; "
                "register every domain in graph/domains.py"
            )
        for kind in kinds:
            if kind.label in self._kinds:
                raise RegistryError(f"two kinds are labelled {kind.label!r}: each label is declared once")
            self._kinds[kind.label] = kind
        declared = (
            RootList(kind.listing.field, kind.label, filter=kind.listing.filter, newest_first=kind.listing.newest_first)
            for kind in kinds
            if kind.listing is not None
        )
        for root in (*lists, *declared):
            if root.field in self._lists:
                raise RegistryError(f"two root lists are named {root.field!r}")
            self._lists[root.field] = root
        for label, links in (lends or {}).items():
            self._lent += [(label, name, link) for name, link in links.items()]

    def close(self) -> None:
        """Adds the lent links, checks that every label a link or a list names is registered and that no
        two kinds share an id prefix or a GraphQL type; from now on the registry is read, never written."""
        if self._closed:
            raise RegistryError("the registry is already closed: graph/domains.py registers the domains once")
        for label, name, link in self._lent:
            kind = self._known(label, f"a link {name!r} is lent to")
            if name in kind.links:
                raise RegistryError(f"{label} already has a link {name!r}; a lent link needs a name of its own")
            self._kinds[label] = kind.linking(**{name: link})
        for kind in self._kinds.values():
            self._claim(self._by_prefix, kind.prefix, kind, "the id prefix")
            if kind.graphql:
                self._claim(self._by_graphql, kind.graphql, kind, "the GraphQL type")
            for name, link in kind.links.items():
                for target in link.targets:
                    self._known(target, f"{kind.label}.{name} links to")
        for root in self._lists.values():
            self._known(root.label, f"the root list {root.field!r} lists")
        self._closed = True

    def kinds(self) -> tuple[Kind, ...]:
        return tuple(self._read().values())

    def by_label(self, label: str) -> Kind:
        """The kind of `label`; KeyError when no such kind is registered."""
        try:
            return self._read()[label]
        except KeyError:
            raise KeyError(f"{label!r} is not a registered kind") from None

    def by_prefix(self, prefix: str) -> Kind | None:
        self._read()
        return self._by_prefix.get(prefix)

    def by_graphql(self, name: str) -> Kind | None:
        self._read()
        return self._by_graphql.get(name)

    def root_lists(self) -> dict[str, RootList]:
        """Every root list, by GraphQL field."""
        self._read()
        return dict(self._lists)

    def root_list(self, field: str) -> RootList | None:
        """The root list answering the GraphQL root field `field`; None when no list is named so."""
        self._read()
        return self._lists.get(field)

    def _read(self) -> dict[str, Kind]:
        if not self._closed:
            raise RegistryError(
                "the kinds are read before the domains registered them: read them at call time, not when a "
                "module is imported (graph/domains.py registers every domain when `graph` is first imported)"
            )
        return self._kinds

    def _known(self, label: str, what: str) -> Kind:
        if label not in self._kinds:
            raise RegistryError(f"{what} {label!r}, which no domain registers")
        return self._kinds[label]

    @staticmethod
    def _claim(index: dict[str, Kind], key: str, kind: Kind, what: str) -> None:
        if key in index:
            raise RegistryError(f"{index[key].label} and {kind.label} share {what} {key!r}")
        index[key] = kind


# The graph's one registry, filled by graph/domains.py. The functions below read whichever registry
# is current, so a test can put a fresh one in its place.
REGISTRY = Registry()


def register(
    *kinds: Kind, lists: Iterable[RootList] = (), lends: Mapping[str, Mapping[str, Link]] | None = None
) -> None:
    REGISTRY.register(*kinds, lists=lists, lends=lends)


def close() -> None:
    REGISTRY.close()


def kinds() -> tuple[Kind, ...]:
    return REGISTRY.kinds()


def by_label(label: str) -> Kind:
    return REGISTRY.by_label(label)


def by_prefix(prefix: str) -> Kind | None:
    return REGISTRY.by_prefix(prefix)


def by_graphql(name: str) -> Kind | None:
    return REGISTRY.by_graphql(name)


def root_lists() -> dict[str, RootList]:
    return REGISTRY.root_lists()


def root_list(field: str) -> RootList | None:
    return REGISTRY.root_list(field)
