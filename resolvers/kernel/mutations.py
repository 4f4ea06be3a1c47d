"""The one way mutations write: authenticate → role → validate → idempotency → one transaction (the
work: read facts under lock, authorise on them, write, record the audit trail) → publish after commit.

A mutation is declared once with `@mutation(name, roles=…, form=…)` over its work; the schema calls
it with the input as a dict. Anonymous callers get UNAUTHENTICATED before any input is looked at;
callers of another role get FORBIDDEN before validation (the rules of an input are not shown to
someone who may never send it). With an idempotency key, a replay by the same caller returns the
first result without running the work again (the payload is then read from the current graph).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import Field

from graph.kernel import idempotency
from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput
from resolvers.kernel import events
from resolvers.kernel.authz import require_role
from resolvers.kernel.context import Context
from resolvers.kernel.events import Published
from resolvers.kernel.validation import Form, validate
from resolvers.kernel.viewer import Role, Viewer

F = TypeVar("F", bound=Form)
Result = dict[str, Any]


class Outbox:
    """Events a mutation's transaction recorded, published once it has committed (and only then)."""

    def __init__(self) -> None:
        self.items: list[Published] = []

    def add(self, item: Published) -> None:
        self.items.append(item)

    def clear(self) -> None:
        self.items = []

    async def record(self, tx: Tx) -> None:
        """Writes the events into the transaction when the outbox is consumed (the broker, webhooks)."""
        await events.record(tx, self.items)

    def publish(self) -> None:
        events.committed(self.items)
        self.items = []


Work = Callable[[Tx, Viewer, F, Outbox], Awaitable[Result]]
Prepare = Callable[[Context, Viewer, F], Awaitable[F]]


class Dated(Form):
    """A form that writes instants: `now` is the request's clock (`prepare=dated`, never sent by clients),
    so a test that pins "now" pins what the mutation writes."""

    now: datetime | None = Field(default=None, exclude=True)


D = TypeVar("D", bound=Dated)


async def dated(ctx: Context, viewer: Viewer, form: D) -> D:
    """`prepare=` for a `Dated` form: the request's clock into the form."""
    return form.model_copy(update={"now": ctx.now})


# The lock a raced mutation contends for ("Need:need:1a2b…"): this process's requests for it wait their
# turn before their transaction (graph/kernel/db.py `Turns`).
Contended = Callable[[F], str]


def check_key(key: str | None) -> str | None:
    if key is not None and not (1 <= len(key) <= 128):
        raise BadUserInput("idempotencyKey must be 1 to 128 characters", field="idempotencyKey")
    return key


@dataclass(frozen=True)
class Mutation(Generic[F]):
    name: str  # the GraphQL field; also what an idempotency key is bound to
    roles: tuple[Role, ...]
    form: type[F]
    work: Work[F]
    # Reads before the transaction (a dispatch plan is built from many reads, then stored).
    prepare: Prepare[F] | None = None
    # Raced mutations: what they contend for (None: nothing, no turn to wait for).
    race: Contended[F] | None = None
    # The label of the node it writes, named in its result as `<label>Id` (`departmentId`): the schema
    # then derives its field and payload (the node as it is after the change) with nothing written there.
    returns: str | None = None

    async def __call__(self, ctx: Context, data: dict[str, Any]) -> Result:
        viewer = require_role(ctx.viewer, *self.roles)
        fields = dict(data)
        key = check_key(fields.pop("idempotency_key", None))
        form = validate(self.form, fields, prefix="input.")
        if self.prepare is not None:
            form = await self.prepare(ctx, viewer, form)
        outbox = Outbox()

        async def unit(tx: Tx) -> Result:
            outbox.clear()  # a transaction the driver retries must not announce twice
            if key is not None:
                earlier = await idempotency.claim(tx, viewer.subject, key, self.name)
                if earlier is not None:
                    return {**earlier, "replayed": True}
            result = await self.work(tx, viewer, form, outbox)
            if key is not None:
                await idempotency.store(tx, viewer.subject, key, result)
            await outbox.record(tx)
            return result

        async with ctx.graph.turns(self.race(form) if self.race is not None else None):
            result = await ctx.graph.write_tx(unit)
        if not result.get("replayed"):
            outbox.publish()
        return result


# Every mutation declared, by name (a module of resolvers/ declares its own when imported).
DECLARED: dict[str, Mutation[Any]] = {}


def mutation(
    name: str,
    *,
    roles: tuple[Role, ...],
    form: type[F],
    prepare: Prepare[F] | None = None,
    race: Contended[F] | None = None,
    returns: str | None = None,
) -> Callable[[Work[F]], Mutation[F]]:
    def declare(work: Work[F]) -> Mutation[F]:
        if name in DECLARED and DECLARED[name].work.__qualname__ != work.__qualname__:
            raise RuntimeError(f"two mutations are named {name}")
        DECLARED[name] = Mutation(name, tuple(roles), form, work, prepare, race, returns)
        return DECLARED[name]

    return declare


def declared() -> dict[str, Mutation[Any]]:
    """Every mutation of resolvers/: its modules are imported, so a domain's new module declares its
    mutations without being listed anywhere."""
    import resolvers

    for module in pkgutil.walk_packages(resolvers.__path__, "resolvers."):
        importlib.import_module(module.name)
    return dict(DECLARED)
