"""In-process pub/sub for live updates: subscriptions listen here, mutations publish after commit.

Publishing happens only after the transaction committed (an event that was rolled back must never
reach a client). One process only: with several API processes behind a balancer, a subscriber
sees the events of its own process; a broker (Redis, NATS) would replace this module then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("minhu.events")

# A subscriber that falls this far behind loses events rather than growing memory without bound.
QUEUE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Published:
    event: dict[str, Any]  # the Event row (camelCase, with needId)
    place_ids: frozenset[str]  # the need's place and every place above it
    audience: frozenset[str]  # handlers concerned: members, units, offerings (and the units offering them)


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
