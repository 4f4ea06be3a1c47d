"""The one way mutations write: authenticated, in one transaction, safe to retry with a key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from graph.kernel import idempotency
from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput
from resolvers.kernel.authz import require_viewer
from resolvers.kernel.context import Context
from resolvers.kernel.viewer import Viewer

Work = Callable[[Tx, Viewer], Awaitable[dict[str, Any]]]


def check_key(key: str | None) -> str | None:
    if key is not None and not (1 <= len(key) <= 128):
        raise BadUserInput("idempotencyKey must be 1 to 128 characters", field="idempotencyKey")
    return key


async def run_mutation(ctx: Context, operation: str, key: str | None, work: Work) -> dict[str, Any]:
    """Runs `work` in one write transaction for an authenticated caller.

    `work` returns a small JSON-able result (ids and facts the payload needs). With an
    idempotency key, a replay by the same caller returns that first result without running
    `work` again; the payload is then rebuilt from the current graph.
    """
    viewer = require_viewer(ctx.viewer)
    key = check_key(key)

    async def unit(tx: Tx) -> dict[str, Any]:
        if key is not None:
            earlier = await idempotency.claim(tx, viewer.subject, key, operation)
            if earlier is not None:
                return {**earlier, "replayed": True}
        result = await work(tx, viewer)
        if key is not None:
            await idempotency.store(tx, viewer.subject, key, result)
        return result

    return await ctx.graph.write_tx(unit)
