"""The Cypher of webhooks: registering and removing them, turning outbox entries into deliveries, the
deliveries due, claiming a try (one relay per try), recording how it went, replays and the partner's key.

Times are the caller's clock (`$now`, ISO 8601), so the relay's schedule can be pinned in tests."""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Graph, Tx
from graph.needs.open311 import FILED_BY
from graph.webhooks.kinds import WEBHOOK

_KEY = """
MATCH (k:ApiKey {id: $id})
RETURN k.id AS id, k.name AS name, k.revokedAt IS NULL AS live,
  COUNT { (w:Webhook {apiKeyId: k.id}) WHERE w.removedAt IS NULL } AS webhooks
"""


async def api_key(tx: Tx, key_id: str) -> dict[str, Any] | None:
    """The partner's key: whether it is live, and how many webhooks it has."""
    return await tx.single(_KEY, id=key_id)


# Under the key's write lock: two registrations at once count one after the other (the limit holds).
_LOCKED_KEY = """
MATCH (k:ApiKey {id: $id}) SET k._lock = true REMOVE k._lock
WITH k
RETURN k.id AS id, k.name AS name, k.revokedAt IS NULL AS live,
  COUNT { (w:Webhook {apiKeyId: k.id}) WHERE w.removedAt IS NULL } AS webhooks
"""


async def locked_api_key(tx: Tx, key_id: str) -> dict[str, Any] | None:
    """`api_key`, read under the key's write lock."""
    return await tx.single(_LOCKED_KEY, id=key_id)


_WEBHOOKS = f"""
MATCH (x:Webhook) WHERE $apiKeyId IS NULL OR x.apiKeyId = $apiKeyId
RETURN {WEBHOOK.projection} AS row
ORDER BY x.createdAt, x.id
LIMIT $limit
"""


async def webhooks(graph: Graph, api_key_id: str | None, limit: int) -> list[dict[str, Any]]:
    """The webhooks of one partner (None: of every partner), oldest first, removed ones too (their logs)."""
    return [r["row"] for r in await graph.read(_WEBHOOKS, apiKeyId=api_key_id, limit=limit)]


# --- from the outbox to deliveries --------------------------------------------------------------------

_SUBSCRIBERS = f"""
UNWIND $needIds AS needId
MATCH (n:Need {{id: needId}})
WITH n, {FILED_BY} AS partner
MATCH (k:ApiKey {{id: partner}}) WHERE k.revokedAt IS NULL
MATCH (w:Webhook {{apiKeyId: partner}}) WHERE w.removedAt IS NULL
RETURN n.id AS needId, w.id AS webhookId, w.events AS events, [(n)-[:MERGED_INTO]->(m:Need) | m.id][0] AS mergedInto
ORDER BY w.id
"""


async def subscribers(tx: Tx, need_ids: list[str]) -> list[dict[str, Any]]:
    """For each need, the live webhooks of the live partner that filed it (and what it was merged into)."""
    return await tx.run(_SUBSCRIBERS, needIds=need_ids)


_CREATE = """
UNWIND $rows AS r
MATCH (w:Webhook {id: r.webhookId})
CREATE (d:WebhookDelivery {id: r.id, type: r.type, needId: r.needId, eventId: r.eventId, payload: r.payload,
  status: 'PENDING', attemptCount: 0, attemptBudget: $attempts, replays: 0, at: r.at, seq: r.seq,
  nextAttemptAt: datetime($now), createdAt: datetime($now)})-[:FOR]->(w)
"""


async def create(tx: Tx, rows: list[dict[str, Any]], attempts: int, now: str) -> None:
    """Deliveries ({id, webhookId, type, needId, eventId, payload, at, seq}), due now, with `attempts` tries."""
    if rows:
        await tx.run(_CREATE, rows=rows, attempts=attempts, now=now)


# --- trying ---------------------------------------------------------------------------------------------

# The deliveries to try now, at most `perWebhook` per webhook (so no partner's backlog fills the batch),
# each only when no earlier delivery of the same request to the same webhook is still pending.
_DUE = """
MATCH (d:WebhookDelivery {status: 'PENDING'})
WHERE d.nextAttemptAt <= datetime($now) AND (d.leaseUntil IS NULL OR d.leaseUntil <= datetime($now))
MATCH (d)-[:FOR]->(w:Webhook) WHERE w.removedAt IS NULL
  AND EXISTS { MATCH (k:ApiKey {id: w.apiKeyId}) WHERE k.revokedAt IS NULL }
  AND NOT EXISTS {
    MATCH (e:WebhookDelivery {needId: d.needId, status: 'PENDING'})-[:FOR]->(w)
    WHERE e.at < d.at OR (e.at = d.at AND e.seq < d.seq)
  }
WITH w, d ORDER BY d.at, d.seq
WITH w, collect(d)[..$perWebhook] AS due
UNWIND due AS d
RETURN d.id AS id, w.id AS webhookId, w.apiKeyId AS apiKeyId, w.url AS url, w.secret AS secret,
  d.payload AS payload, d.attemptCount AS attemptCount
ORDER BY d.at, d.seq
LIMIT $limit
"""


async def due(graph: Graph, now: str, per_webhook: int, limit: int) -> list[dict[str, Any]]:
    return await graph.read(_DUE, now=now, perWebhook=per_webhook, limit=limit)


# Under the delivery's write lock: a second relay with the same read waits, then finds the try taken.
_CLAIM = """
MATCH (d:WebhookDelivery {id: $id})
SET d._lock = true REMOVE d._lock
WITH d WHERE d.status = 'PENDING' AND d.attemptCount = $seen AND d.nextAttemptAt <= datetime($now)
  AND (d.leaseUntil IS NULL OR d.leaseUntil <= datetime($now))
SET d.attemptCount = d.attemptCount + 1, d.leaseUntil = datetime($now) + duration({milliseconds: $leaseMillis})
WITH d
CREATE (a:WebhookAttempt {id: $prefix + right('000' + toString(d.attemptCount), 4), attemptNumber: d.attemptCount,
  at: datetime($now), outcome: 'SENDING', createdAt: datetime($now)})-[:OF]->(d)
RETURN a.id AS attemptId, a.attemptNumber AS number
"""


async def claim(graph: Graph, delivery_id: str, seen: int, now: str, lease_millis: int) -> dict[str, Any] | None:
    """Try number `seen + 1` of the delivery, for this caller alone; None when another relay has it (or
    it is no longer due)."""
    key = delivery_id.split(":", 1)[1]
    rows = await graph.write(
        _CLAIM, id=delivery_id, seen=seen, now=now, leaseMillis=lease_millis, prefix=f"attempt:{key}-"
    )
    return rows[0] if rows else None


# How a try went. The delivery follows its latest try (a try outrun by a later one, its lease having
# run out, changes the delivery only by having delivered it).
_OUTCOME = """
MATCH (a:WebhookAttempt {id: $attemptId})-[:OF]->(d:WebhookDelivery)
SET d._lock = true REMOVE d._lock
WITH a, d WHERE a.outcome = 'SENDING'
SET a.outcome = $outcome, a.statusCode = $statusCode, a.error = $error, a.durationMs = $durationMs
WITH a, d, d.status = 'PENDING' AND ($outcome = 'DELIVERED' OR a.attemptNumber = d.attemptCount) AS latest
FOREACH (_ IN CASE WHEN latest THEN [1] ELSE [] END |
  SET d.leaseUntil = null, d.lastError = $error,
      d.status = CASE WHEN $outcome = 'DELIVERED' THEN 'DELIVERED'
                      WHEN d.attemptCount >= d.attemptBudget THEN 'DEAD' ELSE 'PENDING' END,
      d.deliveredAt = CASE WHEN $outcome = 'DELIVERED' THEN datetime($now) END,
      d.nextAttemptAt = CASE WHEN $outcome = 'DELIVERED' THEN d.nextAttemptAt ELSE datetime($next) END)
RETURN d.status AS status
"""


async def outcome(
    graph: Graph,
    attempt_id: str,
    *,
    delivered: bool,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    now: str,
    next_at: str,
) -> str | None:
    """Records how the try went; the delivery's status after it (None: the try was recorded already)."""
    rows = await graph.write(
        _OUTCOME,
        attemptId=attempt_id,
        outcome="DELIVERED" if delivered else "FAILED",
        statusCode=status_code,
        error=error,
        durationMs=duration_ms,
        now=now,
        next=next_at,
    )
    return rows[0]["status"] if rows else None


# --- replays --------------------------------------------------------------------------------------------

_LOCKED_DELIVERY = """
MATCH (d:WebhookDelivery {id: $id})-[:FOR]->(w:Webhook)
SET d._lock = true REMOVE d._lock
RETURN d.id AS id, d.status AS status, w.id AS webhookId, w.apiKeyId AS apiKeyId, w.removedAt IS NOT NULL AS removed
"""


async def locked_delivery(tx: Tx, delivery_id: str) -> dict[str, Any] | None:
    return await tx.single(_LOCKED_DELIVERY, id=delivery_id)


_REPLAY = """
UNWIND $ids AS id
MATCH (d:WebhookDelivery {id: id}) WHERE d.status <> 'PENDING'
SET d.status = 'PENDING', d.nextAttemptAt = datetime($now), d.leaseUntil = null,
  d.attemptBudget = d.attemptCount + $attempts, d.replays = d.replays + 1
RETURN count(d) AS replayed
"""


async def replay(tx: Tx, delivery_ids: list[str], attempts: int, now: str) -> int:
    """Sends these deliveries again (each with `attempts` more tries), under the same `webhook-id`."""
    row = await tx.single(_REPLAY, ids=delivery_ids, attempts=attempts, now=now)
    return row["replayed"] if row else 0


_DEAD = """
MATCH (w:Webhook {id: $webhookId})
SET w._lock = true REMOVE w._lock
WITH w
MATCH (d:WebhookDelivery {status: 'DEAD'})-[:FOR]->(w)
SET d._lock = true REMOVE d._lock
RETURN d.id AS id ORDER BY d.at, d.seq LIMIT $limit
"""


async def dead(tx: Tx, webhook_id: str, limit: int) -> list[str]:
    """The webhook's dead letters, oldest first, locked."""
    return [row["id"] for row in await tx.run(_DEAD, webhookId=webhook_id, limit=limit)]
