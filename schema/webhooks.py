"""Partners' webhooks (issue 24 §2): the webhook without its secret, the partner's own list, and the
registration, whose answer alone holds the signing secret. Removing and replaying are derived."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from graph.webhooks.kinds import WEBHOOK, WEBHOOK_DELIVERY
from resolvers.kernel import read
from resolvers.webhooks import webhooks
from schema.derive import mutation_field, node_type


@node_type(WEBHOOK, hide=("secret",))
class Webhook:
    pass


@node_type(WEBHOOK_DELIVERY, hide=("at", "seq", "leaseUntil"))
class WebhookDelivery:
    pass


@strawberry.type(description="A registered webhook and the secret its deliveries are signed with.")
class RegisterWebhookPayload:
    webhook: Webhook
    secret: str = strawberry.field(
        description="The Standard Webhooks signing secret (whsec_…): keep it, it is shown only in this answer "
        "(and in an idempotent replay of it)."
    )
    replayed: bool

    @staticmethod
    async def build(info: Info, result: dict) -> RegisterWebhookPayload:
        found = await read.by_id(info.context, WEBHOOK.label, result["webhookId"])
        return RegisterWebhookPayload(webhook=found, secret=found.secret, replayed=bool(result.get("replayed")))


@strawberry.type
class WebhooksQuery:
    @strawberry.field(
        description="Live webhooks with their delivery logs and dead letters: a PARTNER's own, CITY_ADMIN "
        "every partner's (or the one apiKeyId names)."
    )
    async def webhooks(self, info: Info, api_key_id: strawberry.ID | None = None) -> list[Webhook]:
        return await webhooks.webhooks(info.context, api_key_id)


@strawberry.type
class WebhooksMutation:
    register_webhook = mutation_field(
        RegisterWebhookPayload.build,
        webhooks.register_webhook,
        "Register a callback URL for a partner and the events it wants about the requests it filed "
        "(PARTNER for its own API key, CITY_ADMIN for any); deliveries are signed (Standard Webhooks).",
    )
