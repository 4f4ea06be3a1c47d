"""The webhook relay while the app runs (`MINHU_WEBHOOKS`): resolvers/webhooks/relay.py."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from graph.kernel.db import Graph
from resolvers.webhooks.relay import Policy, Relay, configure
from server.settings import Settings


def policy_of(settings: Settings) -> Policy:
    return Policy(
        timeout_seconds=settings.minhu_webhook_timeout_seconds,
        attempts=settings.minhu_webhook_attempts,
        backoff_seconds=settings.minhu_webhook_backoff_seconds,
        backoff_cap_seconds=settings.minhu_webhook_backoff_cap_seconds,
        concurrency=settings.minhu_webhook_concurrency,
        allow_private=settings.minhu_webhook_allow_private,
    )


@contextlib.asynccontextmanager
async def with_webhooks(settings: Settings, get_graph: Callable[[], Graph]) -> AsyncIterator[Relay | None]:
    """The relay, started (nothing without MINHU_WEBHOOKS); stopped before the graph closes."""
    if not settings.minhu_webhooks:
        yield None
        return
    chosen = policy_of(settings)
    configure(chosen)
    relay = Relay(get_graph, chosen)
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop()
        configure(None)
