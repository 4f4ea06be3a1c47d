"""The one shape of a mutation in the schema: an input carrying its idempotency key, handed as plain data
to its resolver (`resolvers/`), whose result becomes the payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, get_type_hints

import strawberry
from strawberry.types import Info

from resolvers.kernel import read
from schema.relay import KEY, as_dict


@strawberry.input
class MutationInput:
    """What every mutation's input has: its idempotency key."""

    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


Builder = Callable[[Info, dict[str, Any]], Awaitable[Any]]


def mutation_field(build: Builder, resolve: Callable[..., Awaitable[dict[str, Any]]], input: type, about: str) -> Any:
    """The one shape of a mutation field: `input` as plain data to its resolver (`resolvers/`), whose
    result `build` turns into the payload (the type `build` returns); `about` describes it."""

    async def run(self: Any, info: Info, input: Any) -> Any:
        return await build(info, await resolve(info.context, as_dict(input)))

    run.__annotations__ = {"info": Info, "input": input, "return": get_type_hints(build)["return"]}
    return strawberry.mutation(resolver=run, description=about)


def record_payload(name: str, field: str, record: Any, key: str, *, optional: bool = False) -> Any:
    """The payload type of a mutation that writes one record: that record (read back by the `key` id of
    the resolver's result), null when `optional` and it cannot be read, and `replayed`. Its `build` turns
    the resolver's result into it."""
    label = record.__strawberry_definition__.name
    namespace = {"__annotations__": {field: record | None if optional else record, "replayed": bool}, "replayed": False}
    payload = strawberry.type(type(name, (), {**namespace, "__module__": record.__module__}), name=name)

    async def build(info: Info, result: dict[str, Any]) -> Any:
        found = await read.by_id(info.context, label, result[key])
        return payload(**{field: found}, replayed=bool(result.get("replayed")))

    build.__annotations__["return"] = payload
    payload.build = staticmethod(build)
    return payload
