"""The webhook relay: from the events outbox to the partners' endpoints, signed (Standard Webhooks).

1. Fan-out. With webhooks on (`MINHU_WEBHOOKS`), every change writes the events a partner may be sent
   (`wanted`) into the outbox in its own transaction (resolvers/kernel/events.py `use_consumer`), so
   such an event exists for the relay exactly when its change committed; a change with none pays no
   statement for webhooks. The relay takes the entries waiting for it under their locks (two relays
   at once: each entry to one of them), makes one delivery per event per live webhook of the partner that
   filed the need and wants that kind of event, and strikes the entries off, in one transaction.
2. Tries. A delivery is due when its next try's time has come, no earlier delivery of the same request
   to the same webhook is pending (so each request's events arrive in order), and no relay holds it.
   A try is claimed under the delivery's lock (`graph/webhooks/deliveries.py` `claim`): of two relays
   (two processes) reading the same due delivery, one records try n and sends it, the other finds it
   taken. The claim holds a lease past the timeout, so a relay that dies mid-try leaves the delivery
   to the next try once the lease runs out: at least once, never lost.
3. Isolation. Each partner has its own in-flight set, at most `concurrency` tries at once, and each
   round asks for at most that many due deliveries per webhook; rounds never wait for tries, and every
   try ends by its timeout: a partner whose endpoint hangs or fails holds only its own slots.
4. Failures. A non-2xx answer, no connection or no answer within the timeout is a failed try; the next
   comes after an exponential backoff with jitter (`backoff`); after the last try the delivery is dead
   (the webhook's `deadLetters`) until replayed (`replayWebhookDelivery`, `replayDeadLetters`).

`clock` (the schedule) and `rand` (the jitter) are injected, so tests pin them; the `webhook-timestamp`
is the real time of sending (`stamp`), as receivers check it against their own clocks.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import random
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import floor
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from standardwebhooks import Webhook as Signer

from graph.kernel import cluster
from graph.kernel.db import Graph, Tx
from graph.kernel.errors import DomainError
from graph.kernel.ids import new_id
from graph.needs.kinds import OPEN_STATES, EventType
from graph.webhooks import deliveries
from graph.webhooks.kinds import WebhookEvent
from resolvers.kernel import events
from resolvers.needs.open311 import STATUS_NOTES
from resolvers.webhooks import urls
from resolvers.webhooks.policy import Policy

log = logging.getLogger("minhu.webhooks")

CONSUMER = "webhooks"
USER_AGENT = "Minhu-Webhooks/1"
# What each kind of event is called in a delivery's `type` (Standard Webhooks: dotted, lower case).
TYPES = {
    WebhookEvent.STATUS: "need.status_changed",
    WebhookEvent.EVALUATION: "need.evaluated",
    WebhookEvent.MERGE: "need.merged",
}


_policy = Policy()


def policy() -> Policy:
    return _policy


def configure(chosen: Policy | None) -> None:
    """Sets how deliveries are tried and which URLs are accepted (None: the defaults)."""
    global _policy
    _policy = chosen if chosen is not None else Policy()


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def backoff(failed: int, chosen: Policy, rand: Callable[[], float]) -> timedelta:
    """The wait after try number `failed` failed: `backoff_seconds` doubled per earlier failure, at most
    `backoff_cap_seconds`, jittered to between half and all of it (so partners' retries spread out)."""
    full = min(chosen.backoff_cap_seconds, chosen.backoff_seconds * 2 ** max(0, failed - 1))
    return timedelta(seconds=full * (0.5 + 0.5 * rand()))


def event_kind(event: dict[str, Any]) -> WebhookEvent | None:
    """Which kind of webhook event an audit Event is (None: none a partner is sent)."""
    kind = event.get("type")
    if kind in (EventType.EVALUATE, EventType.EVALUATE_HANDLING):
        return WebhookEvent.EVALUATION
    if kind == EventType.MERGE:
        return WebhookEvent.MERGE
    if event.get("toState") and (kind == EventType.SUBMIT or event.get("toState") != event.get("fromState")):
        return WebhookEvent.STATUS
    return None


def wanted(event: dict[str, Any]) -> bool:
    """Whether an event may become a delivery (its need and id known, a kind partners are sent): only
    these are written into the outbox for the relay (`events.use_consumer`)."""
    return bool(event.get("needId") and event.get("id")) and event_kind(event) is not None


def body(kind: WebhookEvent, event: dict[str, Any], merged_into: str | None) -> str:
    """The JSON a partner is sent: the Standard Webhooks envelope (`type`, `timestamp`, `data`) around the
    request's new state in Open311's words. No free text and no person: notes may name residents."""
    at = event.get("at")
    status = event.get("toState")
    data: dict[str, Any] = {
        "service_request_id": event["needId"],
        "event_id": event["id"],
        "event": event.get("type"),
        "from_status": event.get("fromState"),
        "status": status,
        "open311_status": None if status is None else ("open" if status in OPEN_STATES else "closed"),
        "status_notes": STATUS_NOTES.get(status) if status else None,
    }
    if kind is WebhookEvent.MERGE:
        data["merged_into"] = merged_into
    envelope = {"type": TYPES[kind], "timestamp": at.isoformat() if isinstance(at, datetime) else at, "data": data}
    return orjson.dumps(envelope).decode()


def _real_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Tried:
    delivered: bool
    status_code: int | None
    error: str | None


class Relay:
    """Fans the outbox out into deliveries and tries them; one per process (`start`/`stop`), or driven by
    a test (`run_once`, `settle`)."""

    def __init__(
        self,
        get_graph: Callable[[], Graph],
        chosen: Policy | None = None,
        *,
        clock: Callable[[], datetime] = _real_clock,
        rand: Callable[[], float] = random.random,
        stamp: Callable[[], datetime] = _real_clock,
        interval: float = 1.0,
    ) -> None:
        self._get_graph = get_graph
        self.policy = chosen or policy()
        self.clock = clock
        self.rand = rand
        self.stamp = stamp
        self.interval = interval
        self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self._wake = asyncio.Event()
        self._loop: asyncio.Task | None = None
        # By partner (API key): the deliveries it has tries of under way, and those tries.
        self._in_flight: dict[str, set[str]] = defaultdict(set)
        self._tries: dict[str, set[asyncio.Task]] = defaultdict(set)

    def wake(self) -> None:
        self._wake.set()

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC)

    # --- fan-out ---------------------------------------------------------------------------------------

    async def _fan_out_batch(self, tx: Tx) -> int:
        entries = await cluster.claim(tx, CONSUMER, self.policy.batch)
        if not entries:
            return 0
        items = []
        for entry in entries:
            try:
                event = events.decode(entry["payload"]).event
            except Exception:
                log.exception("webhooks: an unreadable outbox entry %s, skipped", entry["id"])
                continue
            kind = event_kind(event)
            if kind is not None and wanted(event):
                items.append((entry, event, kind))
        rows = []
        if items:
            found = await deliveries.subscribers(tx, sorted({event["needId"] for _, event, _ in items}))
            by_need: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for row in found:
                by_need[row["needId"]].append(row)
            for entry, event, kind in items:
                for hook in by_need.get(event["needId"], ()):
                    if kind.value in hook["events"]:
                        rows.append(
                            {
                                "id": new_id("delivery"),
                                "webhookId": hook["webhookId"],
                                "type": TYPES[kind],
                                "needId": event["needId"],
                                "eventId": event["id"],
                                "payload": body(kind, event, hook["mergedInto"]),
                                "at": entry["at"],
                                "seq": entry["seq"],
                            }
                        )
        await deliveries.create(tx, rows, self.policy.attempts, self._now().isoformat())
        await cluster.taken(tx, [entry["id"] for entry in entries], CONSUMER)
        return len(entries)

    async def fan_out(self) -> int:
        """Turns every outbox entry waiting for webhooks into deliveries; how many entries it took."""
        taken = 0
        while True:
            done = await self._get_graph().write_tx(self._fan_out_batch)
            taken += done
            if done < self.policy.batch:
                return taken

    # --- tries -----------------------------------------------------------------------------------------

    async def dispatch(self) -> int:
        """Starts a try of every due delivery whose partner has a free slot; how many it started. Never
        waits for them (`settle` does)."""
        limit = self.policy.concurrency
        rows = await deliveries.due(self._get_graph(), self._now().isoformat(), limit, self.policy.batch)
        started = 0
        for row in rows:
            mine = self._in_flight[row["apiKeyId"]]
            if row["id"] in mine or len(mine) >= limit:
                continue
            mine.add(row["id"])
            task = asyncio.get_running_loop().create_task(self._try(row))
            tries = self._tries[row["apiKeyId"]]
            tries.add(task)
            task.add_done_callback(tries.discard)
            started += 1
        return started

    async def run_once(self) -> int:
        """One round: fan out, then start the due tries; how many tries it started."""
        await self.fan_out()
        return await self.dispatch()

    async def settle(self, partner: str | None = None) -> None:
        """Waits for the tries under way to end (each ends by its timeout): every partner's, or one's."""
        while True:
            tries = [t for p, ts in self._tries.items() if partner in (None, p) for t in ts]
            if not tries:
                return
            await asyncio.gather(*tries, return_exceptions=True)

    async def _try(self, row: dict[str, Any]) -> None:
        graph = self._get_graph()
        partner = row["apiKeyId"]
        try:
            now = self._now()
            lease = int(self.policy.lease.total_seconds() * 1000)
            claimed = await deliveries.claim(graph, row["id"], row["attemptCount"], now.isoformat(), lease)
            if claimed is None:
                return  # another relay has this try
            started = time.perf_counter()
            tried = await self.send(row)
            took = int((time.perf_counter() - started) * 1000)
            now = self._now()
            wait = backoff(claimed["number"], self.policy, self.rand)
            status = await deliveries.outcome(
                graph,
                claimed["attemptId"],
                delivered=tried.delivered,
                status_code=tried.status_code,
                error=tried.error,
                duration_ms=took,
                now=now.isoformat(),
                next_at=(now + wait).isoformat(),
            )
            if status == "DEAD":
                log.warning("webhooks: delivery %s is dead after %d tries", row["id"], claimed["number"])
        except asyncio.CancelledError:
            raise
        except DomainError as exc:
            log.warning("webhooks: try of %s waits for the graph: %s", row["id"], exc.message)
        except Exception:
            log.exception("webhooks: try of %s failed", row["id"])
        finally:
            self._in_flight[partner].discard(row["id"])
            self._wake.set()  # the request's next event may go now

    async def send(self, row: dict[str, Any]) -> Tried:
        """One signed POST of the delivery's body to its webhook, connecting to the checked address."""
        try:
            target = await urls.resolve(row["url"], self.policy.allow_private)
        except DomainError as exc:
            return Tried(False, None, exc.message)
        content = row["payload"].encode()
        stamp = self.stamp()
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": row["id"],
            "webhook-timestamp": str(floor(stamp.timestamp())),
            "webhook-signature": Signer(row["secret"]).sign(row["id"], stamp, content),
        }
        parts = urlsplit(target.url)
        address = f"[{target.address}]" if ":" in target.address else target.address
        pinned = urlunsplit(
            (parts.scheme, address + (f":{parts.port}" if parts.port else ""), parts.path or "/", parts.query, "")
        )
        headers["host"] = parts.netloc
        extensions = {"sni_hostname": target.host} if parts.scheme.lower() == "https" else {}
        try:
            async with asyncio.timeout(self.policy.timeout_seconds):
                request = self._client.build_request(
                    "POST", pinned, content=content, headers=headers, extensions=extensions,
                    timeout=self.policy.timeout_seconds,
                )  # fmt: skip
                response = await self._client.send(request, stream=True)
                await response.aclose()  # the answer's body is not read: its status is the answer
        except TimeoutError:
            return Tried(False, None, f"no answer within {self.policy.timeout_seconds:g} s")
        except httpx.HTTPError as exc:
            return Tried(False, None, f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__)
        code = response.status_code
        if 200 <= code < 300:
            return Tried(True, code, None)
        return Tried(False, code, f"the endpoint answered {code}")

    # --- the loop ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        events.use_consumer(CONSUMER, self.wake, wanted)
        self._loop = asyncio.get_running_loop().create_task(self._forever())

    async def stop(self) -> None:
        events.drop_consumer(CONSUMER)
        tasks = [t for t in (self._loop, *(t for ts in self._tries.values() for t in ts)) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop = None
        await self._client.aclose()

    async def _forever(self) -> None:
        pause = 0.2
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.run_once()
                pause = 0.2
            except asyncio.CancelledError:
                raise
            except DomainError as exc:
                log.warning("webhooks relay waits for the graph: %s", exc.message)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
            except Exception:
                log.exception("webhooks relay failed; retrying")
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
