"""Live updates: subscriptions listen on this process's bus; mutations' events reach it after commit.

Publishing happens only after the transaction committed (an event that was rolled back must never
reach a client). How events travel is the `Delivery` in use:

- `LocalDelivery` (the default, one process): the events go straight onto the bus after commit.
- with a broker (`MINHU_BROKER_URL`, resolvers/kernel/broker.py): each mutation writes its events
  into the graph's outbox inside its own transaction (`record`); a relay copies them to the broker
  after the commit, and every process's reader puts them on its own bus, in the broker's order.

Other consumers that must hear every committed event even across a crash (the partners' webhooks,
resolvers/webhooks/) are `use_consumer`ed: with one, every change writes the events it wants into the
outbox in its own transaction, each entry waiting for the broker (when there is one) and for each
consumer that wants it, and the consumer is woken after the commit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from neo4j.time import DateTime

from graph.kernel import cluster
from graph.kernel.db import Tx

log = logging.getLogger("minhu.events")

# A subscriber that falls this far behind loses events rather than growing memory without bound.
QUEUE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Published:
    event: dict[str, Any]  # the Event row (camelCase, with needId)
    place_ids: frozenset[str]  # the need's place and every place above it
    audience: frozenset[str]  # handlers concerned: members, units, offerings (and the units offering them)
    residents: frozenset[str] = frozenset()  # who raised the need and who follow it (merged duplicates)

    @classmethod
    def of_need(
        cls,
        event: dict[str, Any],
        place_ids: Iterable[str],
        resident_ids: Iterable[str],
        audience: Iterable[str] | None = None,
    ) -> Published:
        """An event of a need at `place_ids` (its place and every place above it), for whoever may hear it: its
        places' staff, the handlers in `audience`, and the residents who raised or follow it. Every domain that
        moves a need (its own mutations, the sweep, plans, duplicates) publishes so."""
        return cls(event, frozenset(place_ids), frozenset(audience or ()), frozenset(resident_ids))


class EventBus:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Published]] = set()

    def publish(self, item: Published) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                log.warning("a subscriber is %d events behind; dropping event %s", QUEUE_SIZE, item.event.get("id"))

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Published]]:
        queue: asyncio.Queue[Published] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._queues)


BUS = EventBus()


def encode(item: Published) -> str:
    """The event as the outbox and the broker carry it (JSON; instants tagged so they come back)."""

    def value(v: Any) -> Any:
        if isinstance(v, DateTime):
            v = v.to_native()
        if isinstance(v, dt.datetime):
            return {"$at": v.isoformat()}
        return v

    return orjson.dumps(
        {
            "event": {key: value(v) for key, v in item.event.items()},
            "placeIds": sorted(item.place_ids),
            "audience": sorted(item.audience),
            "residents": sorted(item.residents),
        }
    ).decode()


def decode(text: str | bytes) -> Published:
    data = orjson.loads(text)
    event = {
        key: dt.datetime.fromisoformat(v["$at"]) if isinstance(v, dict) and "$at" in v else v
        for key, v in data["event"].items()
    }
    # Entries appended before residents travelled have none.
    return Published(
        event, frozenset(data["placeIds"]), frozenset(data["audience"]), frozenset(data.get("residents", ()))
    )


class Delivery(Protocol):
    # The outbox consumers it needs (the broker's relay), beside those `use_consumer` adds.
    consumers: tuple[str, ...]

    def committed(self, items: Sequence[Published]) -> None:
        """After the transaction that made the change committed."""


class LocalDelivery:
    """One process: nothing to write, the events go onto the bus once committed."""

    consumers: tuple[str, ...] = ()

    def committed(self, items: Sequence[Published]) -> None:
        for item in items:
            BUS.publish(item)


_delivery: Delivery = LocalDelivery()


@dataclass(frozen=True, slots=True)
class Consumer:
    """An outbox consumer besides the broker: what wakes it after a commit, and which events it takes
    (the others are never written for it, so a change none of whose events it wants pays it nothing)."""

    wake: Callable[[], None]
    wants: Callable[[dict[str, Any]], bool]


_consumers: dict[str, Consumer] = {}


def use_consumer(name: str, wake: Callable[[], None], wants: Callable[[dict[str, Any]], bool]) -> None:
    """From now on every change's events that `wants` (called with the Event row) wait in the outbox for
    `name` too, and `wake` is called after each commit that wrote some."""
    _consumers[name] = Consumer(wake, wants)


def consuming(name: str) -> bool:
    """Whether changes' events wait in the outbox for `name` (its relay runs in this process)."""
    return name in _consumers


def drop_consumer(name: str) -> None:
    _consumers.pop(name, None)


def _waiting_for(item: Published) -> tuple[str, ...]:
    return (*_delivery.consumers, *(name for name, c in _consumers.items() if c.wants(item.event)))


async def record(tx: Tx, items: Sequence[Published]) -> None:
    """Inside the transaction that made the change: its events as outbox entries, each for the consumers
    waiting for it (nothing is written for an event nobody waits for)."""
    kept = [(item, names) for item in items if (names := _waiting_for(item))]
    if kept:
        await cluster.record(tx, [encode(item) for item, _ in kept], [names for _, names in kept])


def committed(items: Sequence[Published]) -> None:
    """After that transaction committed: to the subscribers, and a wake-up for each outbox consumer that
    takes some of them."""
    _delivery.committed(items)
    for consumer in list(_consumers.values()):
        if any(consumer.wants(item.event) for item in items):
            consumer.wake()


def use_delivery(chosen: Delivery | None) -> None:
    """Sets how events travel (None: back to the in-process default)."""
    global _delivery
    _delivery = chosen if chosen is not None else LocalDelivery()
