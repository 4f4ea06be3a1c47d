"""The driver's lifecycle and the only doors through which Cypher reaches Neo4j.

Reads go through managed read transactions (`execute_read`) so a cluster can serve them from
followers; writes through `execute_write`, one transaction per call. Every statement is counted and
named after the `graph/` function that sent it (`needs.write.set_status`), in the log of the request
it belongs to (a context variable, so concurrent requests keep separate logs): tests and the request
log can say exactly which statements a request ran (no N+1).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import neo4j
from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from graph.kernel.errors import Conflict, Unavailable

T = TypeVar("T")
Rows = list[dict[str, Any]]


@dataclass
class StatementCounter:
    """How many Cypher statements this process sent, all requests together."""

    count: int = 0


@dataclass
class StatementLog:
    """The statements one request sent, by name, in order."""

    names: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # those sent inside write transactions

    @property
    def count(self) -> int:
        return len(self.names)


_REQUEST_LOG: ContextVar[StatementLog | None] = ContextVar("minhu_statement_log", default=None)


def begin_statement_log() -> StatementLog:
    """Starts the log of the current request (task and what it spawns): call once per request."""
    log = StatementLog()
    _REQUEST_LOG.set(log)
    return log


def current_statement_log() -> StatementLog | None:
    return _REQUEST_LOG.get()


def _caller() -> str:
    """The graph function that sent the statement: the first frame outside this module."""
    frame = sys._getframe(2)
    while frame.f_code.co_filename == __file__ and frame.f_back is not None:
        frame = frame.f_back
    module = frame.f_globals.get("__name__", "?").removeprefix("graph.")
    return f"{module}.{frame.f_code.co_name}"


def _count(counter: StatementCounter, name: str | None, write: bool = False) -> None:
    counter.count += 1
    log = _REQUEST_LOG.get()
    if log is not None:
        named = name or _caller()
        log.names.append(named)
        if write:
            log.written.append(named)


class Tx:
    """One transaction; `run` sends a statement and returns its rows as dicts."""

    def __init__(self, tx: AsyncManagedTransaction, counter: StatementCounter, write: bool = False) -> None:
        self._tx = tx
        self._counter = counter
        self._write = write

    async def run(self, cypher: str, /, _name: str | None = None, **params: Any) -> Rows:
        """`_name` names a statement sent by a shared helper (`list.Need`); others are named after
        the function that sends them."""
        _count(self._counter, _name, self._write)
        result = await self._tx.run(cypher, params)
        return [record.data() for record in await result.fetch(1_000_000)]

    async def single(self, cypher: str, /, _name: str | None = None, **params: Any) -> dict[str, Any] | None:
        rows = await self.run(cypher, _name, **params)
        return rows[0] if rows else None

    async def values(self, cypher: str, /, _name: str | None = None, **params: Any) -> list[list[Any]]:
        """Rows as value lists in RETURN order, for bulk reads: `record.data()` walks every nested value
        (about 1.5 µs each), which alone takes seconds on a city's worth of candidates."""
        _count(self._counter, _name, self._write)
        result = await self._tx.run(cypher, params)
        return await result.values()


class Graph:
    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self.driver = driver
        self.database = database
        self.counter = StatementCounter()

    @classmethod
    def connect(cls, uri: str, user: str | None, password: str | None, database: str) -> Graph:
        auth = (user, password) if user and password else None
        driver = AsyncGraphDatabase.driver(
            uri,
            auth=auth,
            max_connection_pool_size=100,
            connection_acquisition_timeout=30,
            connection_timeout=5,
            # Transient failures are retried for this long; past it the client gets UNAVAILABLE/CONFLICT.
            max_transaction_retry_time=10,
            # Notifications ("label does not exist yet") are noise on an empty graph.
            notifications_min_severity="OFF",
        )
        return cls(driver, database)

    async def close(self) -> None:
        await self.driver.close()

    async def read(self, cypher: str, /, _name: str | None = None, **params: Any) -> Rows:
        return await self.read_tx(lambda tx: tx.run(cypher, _name, **params))

    async def read_values(self, cypher: str, /, _name: str | None = None, **params: Any) -> list[list[Any]]:
        """`read` returning value lists (`Tx.values`) instead of dicts: for bulk reads."""
        return await self.read_tx(lambda tx: tx.values(cypher, _name, **params))

    async def write(self, cypher: str, /, _name: str | None = None, **params: Any) -> Rows:
        return await self.write_tx(lambda tx: tx.run(cypher, _name, **params))

    async def read_tx(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        return await self._execute(neo4j.READ_ACCESS, work)

    async def write_tx(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        """Runs `work` in one write transaction: it commits whole or rolls back whole."""
        return await self._execute(neo4j.WRITE_ACCESS, work)

    async def _execute(self, mode: str, work: Callable[[Tx], Awaitable[T]]) -> T:
        async def unit(tx: AsyncManagedTransaction) -> T:
            return await work(Tx(tx, self.counter, mode == neo4j.WRITE_ACCESS))

        try:
            async with self.driver.session(database=self.database, default_access_mode=mode) as session:
                if mode == neo4j.READ_ACCESS:
                    return await session.execute_read(unit)
                return await session.execute_write(unit)
        except (ServiceUnavailable, SessionExpired) as exc:
            raise Unavailable("the graph database cannot be reached right now; try again in a moment") from exc
        except AuthError as exc:
            raise Unavailable("the graph database refused our credentials; check NEO4J_USER/NEO4J_PASSWORD") from exc
        except TransientError as exc:
            # Deadlocks and lock timeouts survive the driver's own retries only under heavy contention.
            raise Conflict("the data changed while we were writing; please retry") from exc
        except ClientError as exc:
            if exc.code == "Neo.ClientError.Schema.ConstraintValidationFailed":
                raise Conflict("that record already exists (an id or key is taken)") from exc
            raise

    async def ping(self) -> None:
        """One quick round trip, without the managed-transaction retries: health must answer fast."""
        try:
            async with self.driver.session(database=self.database) as session:
                await (await session.run("RETURN 1")).consume()
            _count(self.counter, "ping")
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise Unavailable("the graph database cannot be reached right now; try again in a moment") from exc
        except AuthError as exc:
            raise Unavailable("the graph database refused our credentials; check NEO4J_USER/NEO4J_PASSWORD") from exc
