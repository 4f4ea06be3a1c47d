"""Webhooks of partner systems (issue 24 §2): a partner (an Open311 API key) registers callback URLs and
the events it wants about the requests it filed; each event becomes one delivery per webhook, tried until
the partner's endpoint takes it (or it is dead-lettered), every try recorded.

- `(:Webhook {apiKeyId, url, events, secret, removedAt})`: the secret is the Standard Webhooks signing
  key (`whsec_…`), kept because signing needs it, shown once at registration and never served again.
- `(:WebhookDelivery)-[:FOR]->(:Webhook)`: one event for one webhook; its `id` is the `webhook-id` header
  (the same on every try and replay, so the partner can drop what it already has). `at`/`seq` are the
  outbox entry's commit order: a delivery waits while an earlier one of the same request is pending.
- `(:WebhookAttempt)-[:OF]->(:WebhookDelivery)`: one try, numbered; its id is the delivery's and the
  number, unique, so two relays can never both record try n of one delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from graph.kernel.kinds import declare, many, one
from graph.kernel.records import NodeRecord


class WebhookEvent(StrEnum):
    """What a partner hears about the requests it filed (Open311 service requests)."""

    STATUS = "STATUS"  # `need.status_changed`: filed, dispatched, accepted, completed, escalated, …
    EVALUATION = "EVALUATION"  # `need.evaluated`: the resident (or the coordinator) rated the result
    MERGE = "MERGE"  # `need.merged`: merged into another need as a duplicate, or others merged into it


class DeliveryStatus(StrEnum):
    """Where a delivery stands."""

    PENDING = "PENDING"  # waiting for its (next) try
    DELIVERED = "DELIVERED"  # the endpoint answered 2xx
    DEAD = "DEAD"  # every try failed: in the dead-letter list until replayed


class AttemptOutcome(StrEnum):
    """How one try went."""

    SENDING = "SENDING"  # claimed and under way (or its relay died: the lease runs out, another try follows)
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"  # a refusal (non-2xx), no connection, or no answer within the timeout


@dataclass(slots=True)
class Webhook(NodeRecord):
    """A partner system's callback URL, signed with Standard Webhooks (`webhook-id`, `webhook-timestamp`,
    `webhook-signature`), and the events it is sent."""

    url: str
    events: list[WebhookEvent]
    api_key_id: str
    secret: str = ""
    removed_at: datetime | None = None


@dataclass(slots=True)
class WebhookDelivery(NodeRecord):
    """One event for one webhook: the JSON body exactly as signed, and how its tries went."""

    type: str
    need_id: str
    event_id: str
    payload: str
    status: DeliveryStatus
    attempt_count: int = 0
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None
    replays: int = 0
    webhook_id: str | None = None
    at: datetime | None = None
    seq: int = 0
    lease_until: datetime | None = None


@dataclass(slots=True)
class WebhookAttempt(NodeRecord):
    """One try of a delivery: when, how it ended, what the endpoint answered."""

    attempt_number: int
    at: datetime
    outcome: AttemptOutcome
    status_code: int | None = None
    error: str | None = None
    duration_ms: int | None = None
    delivery_id: str | None = None


WEBHOOK = declare(Webhook, "webhook", lockable=True, indexes=("apiKeyId",)).linking(
    deliveries=many("(x)<-[:FOR]-(y:WebhookDelivery)", "WebhookDelivery", newest_first=True),
    # The dead-letter list: deliveries every try of which failed, until replayed.
    **{
        "deadLetters": many(
            "(x)<-[:FOR]-(y:WebhookDelivery)", "WebhookDelivery", newest_first=True, where="y.status = 'DEAD'"
        )
    },
)
WEBHOOK_DELIVERY = declare(
    WebhookDelivery, "delivery", lockable=True, indexes=("status", "nextAttemptAt", "needId", "createdAt")
).linking(
    webhook=one("(x)-[:FOR]->(y:Webhook)", "Webhook", attr="webhookId"),
    attempts=many("(x)<-[:OF]-(y:WebhookAttempt)", "WebhookAttempt"),
)
WEBHOOK_ATTEMPT = declare(WebhookAttempt, "attempt").linking(
    delivery=one("(x)-[:OF]->(y:WebhookDelivery)", "WebhookDelivery", attr="deliveryId"),
)

KINDS = (WEBHOOK, WEBHOOK_DELIVERY, WEBHOOK_ATTEMPT)
