"""Refused at the door: bodies over the size limit, over-long lists, too many mutations.

- `BodyLimit` (ASGI middleware): a body over `MINHU_MAX_BODY_BYTES` gets HTTP 413 before any of
  it is parsed, whether it announces its length or streams it; up to `MINHU_MAX_DISCARD_BYTES` of it
  is read and dropped first, so a client that sends it whole can read the answer.
- `list_cap_rule` (a validation rule) and `oversized_list` (for variables): no list input of any
  argument, filters included, may hold more than `MINHU_MAX_LIST_ITEMS` items; BAD_USER_INPUT,
  naming where.
- `MutationLimits` + `RateLimitMutations`: mutations per subject and per client address with the
  `limits` library (sliding windows, in memory by default, a shared store via
  `MINHU_RATE_LIMIT_STORAGE`); a refused operation gets RATE_LIMITED with `retryAfter` seconds.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from graphql import GraphQLError, ValidationContext, ValidationRule
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from graphql.language import ListValueNode, OperationDefinitionNode
from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graph.kernel.errors import DomainError

RATE_LIMITED = "RATE_LIMITED"

log = logging.getLogger("minhu.door")


class BodyLimit:
    """HTTP 413 for a request body over `max_bytes` (read whole here, then handed on).

    A client that sends its whole body before reading the answer (most do) sees a connection reset
    instead of the 413 when the server answers early and closes with the body still arriving. So an
    over-long body is read and thrown away up to `discard_bytes` and then answered, on a connection
    that stays open. Past that bound, or when the client waits to be told to send it (`Expect:
    100-continue`), the 413 goes at once with `Connection: close`, and the rest is never read.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, discard_bytes: int = 0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.discard_bytes = max(discard_bytes, max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            waits = _header(scope, b"expect") == b"100-continue"  # it sends nothing unless told to
            read = not waits and declared <= self.discard_bytes and await self._discard(receive, 0)
            await self._refuse(send, close=not read)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                read = not message.get("more_body", False) or await self._discard(receive, size)
                await self._refuse(send, close=not read)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _discard(self, receive: Receive, size: int) -> bool:
        """Reads the rest of the body and drops it: True once it ended within `discard_bytes`, False
        when it ran past them (the caller then closes) or the client went away."""
        while size <= self.discard_bytes:
            message = await receive()
            if message["type"] == "http.disconnect":
                return False
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                return size <= self.discard_bytes
        return False

    async def _refuse(self, send: Send, *, close: bool) -> None:
        text = (
            f'{{"errors":[{{"message":"the request body is larger than {self.max_bytes} bytes; '
            'send a shorter document (use variables and fragments) or split the request",'
            '"extensions":{"code":"PAYLOAD_TOO_LARGE"}}]}'
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(text)).encode())]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": text})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.strip().lower()
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _too_long(where: str, count: int, cap: int) -> str:
    return f"{where} has {count} items; at most {cap} are accepted in one list: split the request"


def list_cap_rule(cap: int) -> type[ValidationRule]:
    """A validation rule refusing list literals of more than `cap` items (BAD_USER_INPUT)."""

    class ListCap(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._argument: str | None = None

        def enter_argument(self, node: Any, *_args: Any) -> None:
            self._argument = node.name.value

        def enter_list_value(self, node: ListValueNode, *_args: Any) -> None:
            if len(node.values) > cap:
                where = f"argument {self._argument!r}" if self._argument else "a list"
                self.report_error(
                    GraphQLError(_too_long(where, len(node.values), cap), node, extensions={"code": "BAD_USER_INPUT"})
                )

    return ListCap


def oversized_list(value: Any, cap: int, where: str = "variables") -> str | None:
    """Where in `value` (variables, as sent) a list holds more than `cap` items, if anywhere."""
    if isinstance(value, list):
        if len(value) > cap:
            return _too_long(where, len(value), cap)
        for index, item in enumerate(value):
            found = oversized_list(item, cap, f"{where}[{index}]")
            if found:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            found = oversized_list(item, cap, f"{where}.{key}")
            if found:
                return found
    return None


class MutationLimits:
    """Sliding-window limits per subject (the token's `sub`) and per client address.

    The sliding window counter (the previous window's count, weighted by how much of it the window still
    covers, plus the current one), not `limits`' moving window: in memory, the moving window keeps every
    hit and sweeps all keys with a thread hop per key whenever a hit comes, which with a few hundred
    subjects in the last hour took half a core at 90 mutations a second (issue 20). The counter's sweep is
    a dictionary walk, and its answers differ from the exact moving window by at most the weighting.
    """

    def __init__(self, per_subject: str, per_address: str, storage_uri: str) -> None:
        self.per_subject: list[RateLimitItem] = parse_many(per_subject) if per_subject.strip() else []
        self.per_address: list[RateLimitItem] = parse_many(per_address) if per_address.strip() else []
        uri = storage_uri if storage_uri.startswith("async+") else f"async+{storage_uri}"
        # Redis through redis-py (a dependency, for the broker) rather than limits' default coredis.
        options = {"implementation": "redispy"} if uri.startswith(("async+redis", "async+rediss")) else {}
        self.limiter = SlidingWindowCounterRateLimiter(storage_from_string(uri, **options))
        self.store_errors = 0

    @property
    def enabled(self) -> bool:
        return bool(self.per_subject or self.per_address)

    async def refuse(self, subject: str | None, address: str | None, cost: int) -> tuple[int, str] | None:
        """(seconds to wait, which limit) when `cost` more mutations are refused, else None (and counted).

        A shared store that cannot be reached (the broker is down) lets the mutation through: a
        limit is a guard against floods, not a reason to refuse every change while Redis restarts.
        """
        try:
            return await self._refuse(subject, address, cost)
        except Exception as exc:  # the store's client errors (redis-py's, OSError…) have no common base
            self.store_errors += 1
            log.warning("rate limits not counted: their store is unreachable (%s)", type(exc).__name__)
            return None

    async def _refuse(self, subject: str | None, address: str | None, cost: int) -> tuple[int, str] | None:
        checks = [(item, "subject", subject) for item in self.per_subject if subject]
        checks += [(item, "address", address) for item in self.per_address if address]
        for item, kind, who in checks:
            if not await self.limiter.test(item, kind, who, cost=cost):
                stats = await self.limiter.get_window_stats(item, kind, who)
                return max(1, math.ceil(stats.reset_time - time.time())), f"{kind} {item}"
        for item, kind, who in checks:
            await self.limiter.hit(item, kind, who, cost=cost)
        return None


async def refused_mutation(
    limits: MutationLimits, context: Any, root_fields: int, on_refused: Callable[[str], None]
) -> GraphQLError | None:
    """RATE_LIMITED, with `retryAfter`, when a mutation operation of `root_fields` fields is over its
    caller's limits; None (and counted) when it may run."""
    refused = await limits.refuse(_subject(context), _address(context), max(1, root_fields))
    if refused is None:
        return None
    retry_after, which = refused
    on_refused(which.split(" ")[0])
    return GraphQLError(
        f"too many changes in a short time ({which}); try again in {retry_after} s",
        extensions={"code": RATE_LIMITED, "retryAfter": retry_after},
    )


def rate_limit_extension(limits: MutationLimits, on_refused: Callable[[str], None]) -> Callable[[], SchemaExtension]:
    class RateLimitMutations(SchemaExtension):
        """The mutation limits for operations sent over WebSocket (HTTP: server/pipeline.py)."""

        async def on_execute(self) -> AsyncIterator[None]:
            ctx = self.execution_context
            if ctx.operation_type is OperationType.MUTATION and ctx.graphql_document is not None:
                refused = await refused_mutation(limits, ctx.context, _root_fields(ctx), on_refused)
                if refused is not None:
                    ctx.result = GraphQLExecutionResult(data=None, errors=[refused])
            yield

    return RateLimitMutations


def _root_fields(ctx: Any) -> int:
    for definition in ctx.graphql_document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            ctx.operation_name is None or (definition.name and definition.name.value == ctx.operation_name)
        ):
            return max(1, len(definition.selection_set.selections))
    return 1


def _subject(context: Any) -> str | None:
    try:
        viewer = context.viewer
    except DomainError:
        return None  # a bad token: the resolver answers UNAUTHENTICATED; the address limit still counts
    return viewer.subject if viewer is not None else None


def _address(context: Any) -> str | None:
    request = getattr(context, "request", None)
    client = getattr(request, "client", None)
    return client.host if client is not None else None
