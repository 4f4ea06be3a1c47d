"""Real GraphQL clients subscribing over graphql-transport-ws, as front-end teams use them.

- `GraphqlWs`: npm `graphql-ws` (the reference client, under Apollo Client, urql and Relay), run by
  Node in a process of its own (tests/clients/subscribe.mjs, pinned by tests/clients/package-lock.json,
  installed by `make test`);
- `Gql`: Python `gql` with its websockets transport, speaking graphql-transport-ws.

Both open one connection per `Subscription` (the token travels in `connection_init`), answer the
server's pings (`pinged(name)` waits for the first), and hand what each one receives to
`next(name)`, in the order it arrived. Neither says when the server listens:
callers wait for that on the server's side (the bus's subscribers, or `minhu_event_listeners`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
SCRIPT = CLIENTS / "subscribe.mjs"


@dataclass(frozen=True)
class Subscription:
    name: str
    token: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)


class _Received:
    """What each subscription received, one queue per name; `next` returns a result's payload."""

    client = "client"

    def __init__(self, subscriptions: list[Subscription]) -> None:
        self.subscriptions = subscriptions
        self._queues: dict[str, asyncio.Queue[dict[str, Any]]] = {s.name: asyncio.Queue() for s in subscriptions}
        self._pinged: dict[str, asyncio.Event] = {s.name: asyncio.Event() for s in subscriptions}

    def _put(self, name: str, message: dict[str, Any]) -> None:
        if message["kind"] == "ping":
            self._pinged[name].set()  # the client answers it itself
            return
        self._queues[name].put_nowait(message)

    async def pinged(self, name: str, timeout: float = 60) -> None:
        """Until the server's first ping reached `name`'s client."""
        await asyncio.wait_for(self._pinged[name].wait(), timeout)

    async def next(self, name: str, timeout: float = 60) -> dict[str, Any]:
        """The next result (`{"data": …}`, with `errors` when refused); anything else fails the test."""
        while True:
            message = await asyncio.wait_for(self._queues[name].get(), timeout)
            if message["kind"] == "connected":
                continue
            if message["kind"] != "next":
                raise AssertionError(f"{self.client} subscription {name!r} received {message}{self._diagnosis()}")
            return message["payload"]

    async def data(self, name: str, timeout: float = 60) -> dict[str, Any]:
        """The next result's data under its one root field; a result with errors fails the test."""
        payload = await self.next(name, timeout)
        assert not payload.get("errors"), f"{self.client} {name}: {payload}"
        [value] = payload["data"].values()
        return value

    def _diagnosis(self) -> str:
        return ""


class GraphqlWs(_Received):
    """npm graphql-ws in a Node process: `async with GraphqlWs(url, [...]) as client`."""

    client = "graphql-ws"

    def __init__(self, url: str, subscriptions: list[Subscription]) -> None:
        super().__init__(subscriptions)
        self.url = url
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None
        self._stderr = b""

    async def __aenter__(self) -> Self:
        node = shutil.which("node")
        assert node, "Node.js is required for the graphql-ws client (Debian: apt-get install nodejs npm)"
        assert (CLIENTS / "node_modules" / "graphql-ws").is_dir(), (
            f"graphql-ws is not installed: `make test` runs `npm ci --prefix {CLIENTS}`"
        )
        spec = {"url": self.url, "subscriptions": [s.__dict__ for s in self.subscriptions]}
        self._process = await asyncio.create_subprocess_exec(
            node,
            str(SCRIPT),
            json.dumps(spec),
            cwd=CLIENTS,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        async for line in self._process.stdout:
            message = json.loads(line)
            self._put(message.pop("name"), message)

    def _diagnosis(self) -> str:
        process = self._process
        if process is None or process.returncode is None:
            return ""
        return f" (node exited {process.returncode}: {self._stderr.decode(errors='replace')[-2000:]})"

    async def __aexit__(self, *exc: object) -> None:
        process = self._process
        assert process is not None and process.stdin is not None and process.stderr is not None
        process.stdin.close()  # the script disposes its clients (each sends `complete`) and exits
        try:
            self._stderr = await asyncio.wait_for(process.stderr.read(), 60)
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if exc == (None, None, None):
            assert process.returncode == 0, f"graphql-ws client exited {process.returncode}: {self._stderr[-2000:]}"


class Gql(_Received):
    """Python gql over its websockets transport (graphql-transport-ws): `async with Gql(url, [...])`."""

    client = "gql"

    def __init__(self, url: str, subscriptions: list[Subscription]) -> None:
        super().__init__(subscriptions)
        self.url = url
        self._tasks: list[asyncio.Task] = []

    async def __aenter__(self) -> Self:
        from gql.transport.websockets import WebsocketsTransport

        for subscription in self.subscriptions:
            transport = WebsocketsTransport(
                url=self.url,
                init_payload={"Authorization": f"Bearer {subscription.token}"},
                subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],  # graphql-transport-ws
            )
            self._pinged[subscription.name] = transport.ping_received  # set on each ping gql answers
            self._tasks.append(asyncio.create_task(self._run(subscription, transport)))
        return self

    async def _run(self, subscription: Subscription, transport: Any) -> None:
        from gql import Client, GraphQLRequest
        from gql.transport.exceptions import TransportQueryError

        request = GraphQLRequest(subscription.query, variable_values=subscription.variables)
        name = subscription.name
        try:
            async with Client(transport=transport) as session:
                self._put(name, {"kind": "connected"})
                async for result in session.subscribe(request, get_execution_result=True):
                    self._put(name, {"kind": "next", "payload": {"data": result.data}})
        except TransportQueryError as exc:  # gql ends a subscription on its first error
            self._put(name, {"kind": "next", "payload": {"data": exc.data, "errors": exc.errors}})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._put(name, {"kind": "error", "error": repr(exc)})
        else:
            self._put(name, {"kind": "complete"})

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()  # leaving the session sends `complete` and closes the connection
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
