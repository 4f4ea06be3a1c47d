"""Partners' webhooks: registering and removing them, replaying deliveries, and reading them with their
delivery logs. A partner (a PARTNER token for its API key) acts on its own webhooks; CITY_ADMIN, who
issues the keys, on anyone's. A revoked key's tokens may do nothing here, and its webhooks get nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from graph.kernel import writes
from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden, NotFound, Unauthenticated
from graph.kernel.ids import new_id
from graph.kernel.records import from_row
from graph.webhooks import deliveries
from graph.webhooks.kinds import WEBHOOK, WEBHOOK_DELIVERY, Webhook, WebhookEvent
from resolvers.kernel import events
from resolvers.kernel.authz import require_role
from resolvers.kernel.context import Context
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.validation import Form, id_of
from resolvers.kernel.viewer import Role, Viewer
from resolvers.webhooks import relay, urls

ROLES = (Role.PARTNER, Role.CITY_ADMIN)
# Dead letters replayed by one replayDeadLetters at most (the rest by calling it again).
REPLAY_AT_ONCE = 1000
MAX_LISTED = 100


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class Dated(Form):
    # The request's clock (not sent by clients), so a test that pins "now" pins the schedule it writes.
    now: datetime | None = Field(default=None, exclude=True)


async def _now(ctx: Context, viewer: Viewer, form: Any) -> Any:
    return form.model_copy(update={"now": ctx.now})


class RegisterWebhook(Form):
    url: str = Field(
        description="Where deliveries are POSTed: https:// (or http://) on a public host, at most 2,000 characters."
    )
    events: Annotated[list[WebhookEvent], Field(min_length=1, max_length=3), AfterValidator(_distinct)] = Field(
        description="What it is sent about the requests the partner filed: STATUS, EVALUATION, MERGE."
    )
    api_key_id: Annotated[str, id_of("ApiKey")] | None = Field(
        default=None, description="The partner's API key (CITY_ADMIN); a PARTNER's own when left out."
    )


async def _resolvable(ctx: Context, viewer: Viewer, form: RegisterWebhook) -> RegisterWebhook:
    if not events.consuming(relay.CONSUMER):
        # Registered while nothing relays, its partner would wait for deliveries that never come.
        raise Conflict("webhooks are off on this server: its operator turns them on with MINHU_WEBHOOKS=true")
    # Before the transaction: the URL's form, then its host, which must resolve to public addresses only
    # (docs/NOTES.md); BAD_USER_INPUT with `field: url` and a `reason` otherwise.
    checked = await urls.resolve(form.url, relay.policy().allow_private)
    return form.model_copy(update={"url": checked.url})


async def _live_partner(tx: Tx, key_id: str, viewer: Viewer) -> dict[str, Any]:
    key = await deliveries.locked_api_key(tx, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id!r}; `minhu apikey list` shows them", field="apiKeyId")
    if not key["live"]:
        if viewer.role is Role.PARTNER:
            raise Unauthenticated("your API key is revoked; ask the city for a new key and a token for it")
        raise Conflict(f"API key {key_id} is revoked: its partner can receive nothing", field="apiKeyId")
    return key


def _partner_of(viewer: Viewer, asked: str | None) -> str:
    if viewer.role is Role.PARTNER:
        if asked not in (None, viewer.subject):
            raise Forbidden("a partner registers webhooks for its own API key only; leave apiKeyId out")
        return viewer.subject
    if asked is None:
        raise BadUserInput("name the partner: apiKeyId (`minhu apikey list` shows them)", field="apiKeyId")
    return asked


@mutation("registerWebhook", roles=ROLES, form=RegisterWebhook, prepare=_resolvable)
async def register_webhook(tx: Tx, viewer: Viewer, form: RegisterWebhook, outbox: Outbox) -> Result:
    """Register a callback URL for a partner and the events it wants about the requests it filed
    (PARTNER for its own key, CITY_ADMIN for any). The answer holds the signing secret, shown only here."""
    key_id = _partner_of(viewer, form.api_key_id)
    key = await _live_partner(tx, key_id, viewer)
    limit = relay.policy().max_webhooks
    if key["webhooks"] >= limit:
        raise Conflict(f"a partner has at most {limit} webhooks; remove one first", field="url", limit=limit)
    webhook_id = new_id("webhook")
    props = {"url": form.url, "events": list(form.events), "apiKeyId": key_id, "secret": relay.new_secret()}
    await writes.create(tx, WEBHOOK, webhook_id, props, {})
    return {"webhookId": webhook_id}


class WebhookRef(Dated):
    webhook_id: Annotated[str, id_of("Webhook")] = Field(description="The webhook.")


async def _own_webhook(tx: Tx, viewer: Viewer, webhook_id: str) -> Webhook:
    found: Webhook = await writes.locked(tx, WEBHOOK, webhook_id)
    if viewer.role is Role.PARTNER:
        if found.api_key_id != viewer.subject:
            raise Forbidden(f"webhook {webhook_id} is another partner's")
        await _live_partner(tx, viewer.subject, viewer)
    if found.removed_at is not None:
        raise Conflict(f"webhook {webhook_id} was removed; register the URL again", webhookId=webhook_id)
    return found


@mutation("removeWebhook", roles=ROLES, form=WebhookRef, prepare=_now, returns=WEBHOOK.label)
async def remove_webhook(tx: Tx, viewer: Viewer, form: WebhookRef, outbox: Outbox) -> Result:
    """Remove a webhook (its partner, CITY_ADMIN): nothing more is sent to it; its log stays readable."""
    await _own_webhook(tx, viewer, form.webhook_id)
    await writes.update(tx, WEBHOOK, form.webhook_id, {"removedAt": form.now}, {})
    return {"webhookId": form.webhook_id}


class DeliveryRef(Dated):
    delivery_id: Annotated[str, id_of("WebhookDelivery")] = Field(description="The delivery to send again.")


@mutation("replayWebhookDelivery", roles=ROLES, form=DeliveryRef, prepare=_now, returns=WEBHOOK_DELIVERY.label)
async def replay_webhook_delivery(tx: Tx, viewer: Viewer, form: DeliveryRef, outbox: Outbox) -> Result:
    """Send a dead (or delivered) delivery again, now, under its own webhook-id, with a fresh round of
    tries (its partner, CITY_ADMIN); CONFLICT while it is still pending."""
    found = await deliveries.locked_delivery(tx, form.delivery_id)
    if found is None:
        raise NotFound(f"no webhook delivery {form.delivery_id!r}", field="deliveryId")
    await _own_webhook(tx, viewer, found["webhookId"])
    if found["status"] == "PENDING":
        raise Conflict(f"delivery {form.delivery_id} is still pending: its next try is on its way", field="deliveryId")
    assert form.now is not None
    await deliveries.replay(tx, [form.delivery_id], relay.policy().attempts, form.now.isoformat())
    return {"webhookDeliveryId": form.delivery_id}


@mutation("replayDeadLetters", roles=ROLES, form=WebhookRef, prepare=_now, returns=WEBHOOK.label)
async def replay_dead_letters(tx: Tx, viewer: Viewer, form: WebhookRef, outbox: Outbox) -> Result:
    """Send every dead delivery of a webhook again, oldest first, each with a fresh round of tries (its
    partner, CITY_ADMIN): its dead-letter list empties. At most 1,000 at once."""
    await _own_webhook(tx, viewer, form.webhook_id)
    assert form.now is not None
    dead = await deliveries.dead(tx, form.webhook_id, REPLAY_AT_ONCE)
    await deliveries.replay(tx, dead, relay.policy().attempts, form.now.isoformat())
    return {"webhookId": form.webhook_id}


async def webhooks(ctx: Context, api_key_id: str | None) -> list[Webhook]:
    """The webhooks a viewer may read, removed ones too (their logs stay): a PARTNER its own, CITY_ADMIN
    every partner's (or one's)."""
    viewer = require_role(ctx.viewer, *ROLES)
    if viewer.role is Role.PARTNER:
        if api_key_id not in (None, viewer.subject):
            raise Forbidden("a partner reads its own webhooks only; leave apiKeyId out")
        api_key_id = viewer.subject
        key = await ctx.graph.read_tx(lambda tx: deliveries.api_key(tx, viewer.subject))
        if key is None or not key["live"]:
            raise Unauthenticated("your API key is revoked; ask the city for a new key and a token for it")
    rows = await deliveries.webhooks(ctx.graph, api_key_id, MAX_LISTED)
    return [from_row(Webhook, row) for row in rows]
