"""Events between API processes through Redis (or Valkey): the outbox relay and the stream reader.

With `MINHU_BROKER_URL` set, `RedisBroker` is the events' `Delivery` (resolvers/kernel/events.py):

- a mutation's events are written into the graph's outbox (graph/kernel/cluster.py) inside the
  mutation's transaction (`events.record`, for the consumer "broker"); `committed` only wakes the relay.
- The relay (one at a time across all processes, under a Redis lock) reads the outbox in commit
  order, appends each entry to the Redis stream and deletes it from the graph. A Lua script
  appends an entry only if its id was never appended before, so an entry relayed but not yet
  deleted (a crash, Neo4j gone between the two steps) is not appended twice.
- The reader (one per process) follows the stream from the moment the process started, puts each
  event on this process's bus, and remembers the last stream id it delivered: after a broker
  restart it goes on from there, so subscribers get every event once and in the stream's order.

A broker that is down blocks nothing: mutations commit (their events wait in the outbox), the
relay and the reader retry with a backoff, and everything waiting is delivered once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from graph.kernel import cluster
from graph.kernel.db import Graph
from graph.kernel.errors import DomainError
from resolvers.kernel.events import BUS, Published, decode

log = logging.getLogger("minhu.broker")

STREAM = "minhu:events"
# Stream entries kept: far more than any subscriber falls behind (the bus drops beyond 1000 anyway).
STREAM_LENGTH = 100_000
# An entry id once appended is remembered this long: only a relay that crashed between its append
# and its delete replays an entry, and the next relay round (seconds later) does.
DEDUPE_SECONDS = 3_600
BATCH = 200
# Outbox ids each reader remembers, so an entry appended twice is still delivered once.
SEEN = 10_000

_APPEND = f"""
local appended = 0
for i = 1, #ARGV, 2 do
  if redis.call('SET', KEYS[2] .. ARGV[i], '1', 'NX', 'EX', {DEDUPE_SECONDS}) then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', {STREAM_LENGTH}, '*', 'id', ARGV[i], 'payload', ARGV[i + 1])
    appended = appended + 1
  end
end
return appended
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


async def _back_off(backoff: float) -> float:
    """Waits `backoff` seconds after a failure; the next wait is twice as long, at most 5 s."""
    await asyncio.sleep(backoff)
    return min(backoff * 2, 5.0)


class RedisBroker:
    def __init__(
        self,
        url: str,
        get_graph: Callable[[], Graph],
        *,
        stream: str = STREAM,
        relay_interval: float = 1.0,
        lock_seconds: float = 15.0,
    ) -> None:
        self.url = url
        self._get_graph = get_graph
        self.stream = stream
        self.relay_interval = relay_interval
        self.lock_seconds = lock_seconds
        self._redis = aioredis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=2)
        self._append = self._redis.register_script(_APPEND)
        self._release = self._redis.register_script(_RELEASE)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        # The reader starts at the process's start: whatever is appended from then on reaches this bus.
        self.last_id = f"{int(time.time() * 1000)}-0"
        # What tests and /metrics read.
        self._seen: set[str] = set()
        self._seen_order: deque[str] = deque()
        self.relayed = 0
        self.delivered = 0
        self.broker_errors = 0

    # The Delivery protocol: its relay consumes the outbox.
    consumers: tuple[str, ...] = (cluster.BROKER,)

    def committed(self, items: Sequence[Published]) -> None:
        if items:
            self._wake.set()

    async def start(self) -> None:
        # Stream ids are the broker's clock: start from its "now" when it answers (this host's
        # clock may differ), from ours when it does not (it is down: nothing is appended meanwhile).
        with contextlib.suppress(RedisError, OSError, TimeoutError):
            seconds, micros = await asyncio.wait_for(self._redis.time(), 2)
            self.last_id = f"{int(seconds) * 1000 + int(micros) // 1000}-0"
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._relay_forever()), loop.create_task(self._read_forever())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._redis.aclose()

    async def relay_once(self) -> int | None:
        """Relays what waits in the outbox; the number appended, or None when another process holds
        the relay lock (it relays then)."""
        token = uuid.uuid4().hex
        lock = f"{self.stream}:relay-lock"
        if not await self._redis.set(lock, token, nx=True, px=int(self.lock_seconds * 1000)):
            return None
        appended = 0
        try:
            graph = self._get_graph()
            for _ in range(50):  # bounded per lock hold; the rest goes in the next round
                rows = await cluster.pending(graph, BATCH)
                if not rows:
                    break
                args: list[Any] = []
                for row in rows:
                    args += [row["id"], row["payload"]]
                appended += await self._append(keys=[self.stream, f"{self.stream}:relayed:"], args=args)
                await cluster.relayed(graph, [row["id"] for row in rows])
        finally:
            with contextlib.suppress(RedisError, OSError):
                await self._release(keys=[lock], args=[token])
        self.relayed += appended
        return appended

    async def _relay_forever(self) -> None:
        backoff = 0.2
        while True:
            woken = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.relay_interval)
                woken = True
            self._wake.clear()
            try:
                done = await self.relay_once()
                # A commit of ours while another process held the lock: it may have read just
                # before our commit, so try again shortly rather than a whole interval later.
                tries = 0
                while done is None and woken and tries < 20:
                    await asyncio.sleep(0.025)
                    done = await self.relay_once()
                    tries += 1
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                backoff = await self._unreachable(exc, "events wait in the outbox", backoff)
            except DomainError as exc:
                log.warning("outbox relay waits for the graph: %s", exc.message)
                backoff = await _back_off(backoff)
            except Exception:
                log.exception("outbox relay failed; retrying")
                backoff = await _back_off(backoff)

    async def _unreachable(self, exc: Exception, who_waits: str, backoff: float) -> float:
        """A failed call to the broker: counted (`minhu_broker_errors`), logged, and waited out."""
        self.broker_errors += 1
        log.warning("broker unreachable, %s: %s", who_waits, exc)
        return await _back_off(backoff)

    def _first_time(self, entry_id: str) -> bool:
        if entry_id in self._seen:
            return False
        self._seen.add(entry_id)
        self._seen_order.append(entry_id)
        if len(self._seen_order) > SEEN:
            self._seen.discard(self._seen_order.popleft())
        return True

    async def _read_forever(self) -> None:
        backoff = 0.2
        while True:
            try:
                answer = await self._redis.xread({self.stream: self.last_id}, count=500, block=1000)
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                backoff = await self._unreachable(exc, "subscribers wait", backoff)
                continue
            for _stream, entries in answer or ():
                for stream_id, fields in entries:
                    self.last_id = stream_id
                    if not self._first_time(fields.get("id", stream_id)):
                        continue  # appended twice (a dedupe key that expired): delivered once all the same
                    try:
                        item = decode(fields["payload"])
                    except Exception:
                        log.exception("an unreadable event in the stream: %s", stream_id)
                        continue
                    self.delivered += 1
                    BUS.publish(item)
