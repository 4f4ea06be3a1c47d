"""What every benchmark that serves the real app in a subprocess shares: a clean environment and
waiting until `/health/ready` answers (or saying why the server did not come up)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from pathlib import Path

import httpx

# Benchmarks measure requests, not the sweep, the rate limits or the log.
QUIET = {
    "MINHU_SWEEP_INTERVAL_SECONDS": "0",
    "MINHU_RATE_LIMIT_SUBJECT": "",
    "MINHU_RATE_LIMIT_ADDRESS": "",
    "MINHU_LOG_LEVEL": "WARNING",
}


def child_env(drop: tuple[str, ...] = ("NEO4J_", "JWT_", "MINHU_"), **extra: str) -> dict[str, str]:
    """This process's environment without the settings the benchmark decides, made quiet, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**env, **QUIET, **extra}


async def wait_ready(http: httpx.AsyncClient, proc: subprocess.Popen, log_path: Path, tries: int = 1200) -> None:
    """Until the server answers ready; RuntimeError with its log's tail if it exits or never does."""
    for _ in range(tries):
        if proc.poll() is not None:
            raise RuntimeError(f"minhu serve exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if (await http.get("/health/ready")).status_code == 200:
                return
        await asyncio.sleep(0.25)
    raise RuntimeError("minhu serve never became ready:\n" + log_path.read_text()[-3000:])


def stop(proc: subprocess.Popen, timeout: float = 60) -> None:
    """Stops a served app as Ctrl-C would (SIGINT: it shuts down cleanly); kills it after `timeout` s."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


class Wire:
    """One keep-alive HTTP/1.1 connection that sends a POST and reads the answer, and nothing more.

    The read benchmark compares the server with the raw driver, so what the client spends counts
    against the server: httpx spends 0.6–1.2 ms of Python per request on the same two cores, as much
    as Neo4j spends on a page of ten needs (a GET /health/live takes 0.77 ms by httpx, 0.17 ms by this
    client, the server's part included). It speaks only what
    uvicorn answers a POST with (a status line, headers, a body of Content-Length bytes).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self._reader = reader
        self._writer = writer
        self._host = host

    @classmethod
    async def open(cls, base_url: httpx.URL) -> Wire:
        reader, writer = await asyncio.open_connection(base_url.host, base_url.port)
        return cls(reader, writer, f"{base_url.host}:{base_url.port}")

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """The status and body of `POST path` with a JSON `body`."""
        lines = [f"POST {path} HTTP/1.1", f"Host: {self._host}", "Content-Type: application/json"]
        lines += [f"Content-Length: {len(body)}", *(f"{name}: {value}" for name, value in headers.items())]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ")[1])
        length = next(int(h.split(":", 1)[1]) for h in head[1:] if h.lower().startswith("content-length:"))
        return status, await self._reader.readexactly(length)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
