"""A body over the size limit, over a real socket against uvicorn: the client that sends it whole reads
the 413 and its code (docs/ERRORS.md), and a body past the discard bound is cut off with the connection.

Clients: httpx (keeps its connection), Python's urllib (sends `Connection: close`, as many scripts'
HTTP libraries do), and a raw socket for what no library lets a test control (the same connection
reused, `Expect: 100-continue`, a length past the bound that is never sent).
"""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request

import httpx

from graph.kernel.db import Graph
from server.settings import Settings
from tests.server.test_server_door import app_client
from tests.support import workflow_helpers as w

CAP = 1000
BOUND = 8 * 1024 * 1024
# Several megabytes: far more than the sockets buffer, so a server that answers and closes before
# reading it resets the connection under the client's feet.
WHOLE = 6 * 1024 * 1024
SETTINGS = {"minhu_max_body_bytes": CAP, "minhu_max_discard_bytes": BOUND, "minhu_sweep_interval_seconds": 0}


def _body(size: int) -> bytes:
    """A JSON document of `size` bytes (the server must refuse it for its size, not its shape)."""
    head = b'{"query": "{ __typename }", "variables": {"pad": "'
    return head + b"x" * (size - len(head) - 3) + b'"}}'


def _too_large(status: int, body: bytes) -> None:
    assert status == 413, (status, body[:200])
    error = json.loads(body)["errors"][0]
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE" and f"{CAP} bytes" in error["message"]


def _request(size: int, *, close: bool = False, expect: bool = False) -> bytes:
    """The head of a POST announcing a body of `size` bytes."""
    headers = [
        "POST /graphql HTTP/1.1",
        "Host: minhu.test",
        "Content-Type: application/json",
        f"Content-Length: {size}",
    ]
    headers += ["Connection: close"] if close else []
    headers += ["Expect: 100-continue"] if expect else []
    return ("\r\n".join(headers) + "\r\n\r\n").encode()


def _responses(sock: socket.socket, count: int) -> list[tuple[int, dict[str, str], bytes]]:
    """`count` HTTP responses read off `sock` (status, headers, body by Content-Length)."""
    data = b""
    out = []
    while len(out) < count:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"the server closed the connection after {len(out)} responses"
            data += chunk
        head, data = data.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        size = int(headers["content-length"])
        while len(data) < size:
            data += sock.recv(65536)
        out.append((int(lines[0].split()[1]), headers, data[:size]))
        data = data[size:]
    return out


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(30)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def _connect(address: str) -> socket.socket:
    host, port = address.split(":")
    return socket.create_connection((host, int(port)), timeout=60)


async def test_a_client_sending_a_large_body_whole_reads_the_413(graph: Graph) -> None:
    async with w.live_server(graph, Settings(**SETTINGS)) as address:
        url = f"http://{address}/graphql"

        def by_urllib() -> tuple[int, bytes]:
            request = urllib.request.Request(url, data=_body(WHOLE), headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as refused:
                return refused.code, refused.read()

        _too_large(*await asyncio.to_thread(by_urllib))

        async with httpx.AsyncClient(timeout=60) as http:
            refused = await http.post(url, content=_body(WHOLE), headers={"Content-Type": "application/json"})
            _too_large(refused.status_code, refused.content)
            assert refused.headers.get("connection") != "close"
            fine = await http.post(url, json={"query": "{ __typename }"})
            assert fine.json() == {"data": {"__typename": "Query"}}

        def on_one_connection() -> list[tuple[int, dict[str, str], bytes]]:
            # The body is read to its end, so the connection carries the next request.
            with _connect(address) as sock:
                small = json.dumps({"query": "{ __typename }"}).encode()
                sock.sendall(_request(WHOLE) + _body(WHOLE) + _request(len(small)) + small)
                return _responses(sock, 2)

        (status, kept, body), (second, _, answer) = await asyncio.to_thread(on_one_connection)
        _too_large(status, body)
        assert kept.get("connection") != "close"
        assert second == 200 and json.loads(answer) == {"data": {"__typename": "Query"}}

        def closing() -> tuple[int, bytes]:
            with _connect(address) as sock:
                sock.sendall(_request(WHOLE, close=True) + _body(WHOLE))
                [(status, _, body)] = _responses(sock, 1)
                return status, body

        _too_large(*await asyncio.to_thread(closing))


async def test_past_the_discard_bound_the_413_comes_at_once_and_the_connection_closes(graph: Graph) -> None:
    async with w.live_server(graph, Settings(**SETTINGS)) as address:

        def announced(length: int, expect: bool = False) -> tuple[int, dict[str, str], bytes, bool]:
            # Only the headers are sent: the answer must not wait for a body that is never read.
            with _connect(address) as sock:
                sock.sendall(_request(length, expect=expect))
                [(status, headers, body)] = _responses(sock, 1)
                return status, headers, body, _closed(sock)

        status, headers, body, closed = await asyncio.to_thread(announced, BOUND + 1)
        _too_large(status, body)
        assert headers["connection"] == "close" and closed

        # A client that waits to be told to send the body is told no instead (no 100 Continue first).
        status, headers, body, closed = await asyncio.to_thread(announced, WHOLE, True)
        _too_large(status, body)
        assert headers["connection"] == "close" and closed


async def test_a_streamed_body_is_read_up_to_the_bound_then_cut_off(graph: Graph) -> None:
    async def chunks(total: int):
        for _ in range(total // 65536):
            yield b" " * 65536

    async with app_client(graph, **SETTINGS) as http:
        within = await http.post("/graphql", content=chunks(BOUND // 2), headers={"Content-Type": "application/json"})
        past = await http.post("/graphql", content=chunks(BOUND * 2), headers={"Content-Type": "application/json"})
    _too_large(within.status_code, within.content)
    assert within.headers.get("connection") is None
    _too_large(past.status_code, past.content)
    assert past.headers["connection"] == "close"
