"""Live events: each subscriber gets its own queue on the bus and sees only what its role may see."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError

from graph.kernel.errors import DomainError
from graph.kernel.records import from_row
from graph.needs.kinds import Event
from resolvers.kernel.authz import require_role, require_scope
from resolvers.kernel.context import Context
from resolvers.kernel.events import BUS, Published
from resolvers.kernel.viewer import Role, handler_ids


async def need_events(ctx: Context, scope_id: str) -> AsyncIterator[Any]:
    """Events of needs at or below `scope_id`, which must lie inside the caller's own scope."""
    try:
        await require_scope(ctx.graph, ctx.viewer, scope_id)
    except DomainError as exc:
        raise _refusal(exc) from exc
    async for item in _listen(ctx, lambda item: scope_id in item.place_ids):
        yield item


async def my_assignments(ctx: Context) -> AsyncIterator[Any]:
    try:
        viewer = require_role(ctx.viewer, Role.MEMBER, Role.UNIT_ADMIN, Role.DEPARTMENT_STAFF)
    except DomainError as exc:
        raise _refusal(exc) from exc
    mine = handler_ids(viewer)
    async for item in _listen(ctx, lambda item: bool(mine & item.audience)):
        yield item


async def my_needs(ctx: Context) -> AsyncIterator[Any]:
    """Events of needs the resident raised, or follows because their own was merged into it."""
    try:
        viewer = require_role(ctx.viewer, Role.RESIDENT)
    except DomainError as exc:
        raise _refusal(exc) from exc
    async for item in _listen(ctx, lambda item: viewer.subject in item.residents):
        yield item


async def _listen(ctx: Context, wanted: Any) -> AsyncIterator[Event]:
    async with BUS.subscribe() as queue:
        while True:
            item: Published = await queue.get()
            if wanted(item):
                ctx.renew()
                yield from_row(Event, item.event)


def _refusal(exc: DomainError) -> GraphQLError:
    """The error as the client must see it (with extensions.code).

    Errors raised inside a subscription's generator bypass the ErrorCodes extension in strawberry
    0.341, so the code is attached here; the original stays attached for any formatter that runs.
    """
    return GraphQLError(exc.message, original_error=exc, extensions={"code": exc.code})
