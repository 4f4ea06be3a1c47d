"""`me`: who the caller is, and what is theirs; a partner system's webhooks (issue 24 §2): the webhook
without its secret, the partner's own list, and the registration, whose answer alone holds the signing
secret (removing and replaying are derived)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from graph.webhooks.kinds import WEBHOOK, WEBHOOK_DELIVERY
from resolvers.accounts import me
from resolvers.kernel import read
from resolvers.webhooks import webhooks
from schema.derive import mutation_field, node_type
from schema.relay import stands_for

if TYPE_CHECKING:
    from schema.needs import Assignment, Need
    from schema.partners import Member

AssignmentType = Annotated["Assignment", strawberry.lazy("schema.needs")]
NeedType = Annotated["Need", strawberry.lazy("schema.needs")]
MemberType = Annotated["Member", strawberry.lazy("schema.partners")]


@strawberry.type(description="Who you are, and what is yours.")
@stands_for(me.Me)
class Me:
    subject: str
    role: str
    scope_id: str | None
    member: MemberType | None = strawberry.field(description="Your member record (MEMBER).")
    open_assignments: list[AssignmentType] = strawberry.field(
        description="Offered to or held by you (MEMBER, UNIT_ADMIN)."
    )
    needs: list[NeedType] = strawberry.field(description="Needs you raised, newest first (RESIDENT).")


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
class AccountsQuery:
    @strawberry.field(description="Who you are (subject, role, scope) and what is yours.")
    async def me(self, info: Info) -> Me:
        return await me.me(info.context)

    @strawberry.field(
        description="Webhooks with their delivery logs and dead letters, removed ones too (see removedAt): a "
        "PARTNER's own, CITY_ADMIN every partner's (or the one apiKeyId names)."
    )
    async def webhooks(
        self,
        info: Info,
        api_key_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this partner's (CITY_ADMIN).")
        ] = None,
    ) -> list[Webhook]:
        return await webhooks.webhooks(info.context, api_key_id)


@strawberry.type
class AccountsMutation:
    register_webhook = mutation_field(
        RegisterWebhookPayload.build,
        webhooks.register_webhook,
        "Register a callback URL for a partner and the events it wants about the requests it filed "
        "(PARTNER for its own API key, CITY_ADMIN for any); deliveries are signed (Standard Webhooks).",
    )
