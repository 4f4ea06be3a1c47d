"""WebSocket messages as text frames, as graphql-transport-ws has them.

The view encodes JSON with orjson (bytes, for speed over HTTP), and strawberry sends bytes as binary
frames. Python clients parse either, but the protocol's messages are stringified JSON: browsers'
graphql-ws (GraphiQL's subscriptions, a front end's) gets a Blob it cannot read and drops the
connection ("Message is missing the 'type' property").
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected


class TextFrames(ASGIWebSocketAdapter):
    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
