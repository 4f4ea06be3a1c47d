"""The driver's lifecycle and the only doors through which Cypher reaches Neo4j.

Reads go through managed read transactions (`execute_read`) so a cluster can serve them from
followers; writes through `execute_write`, one transaction per call. Every statement is counted,
so tests can prove a request's round trips (no N+1).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
    """How many Cypher statements were sent; tests read it around a request."""

    count: int = 0


class Tx:
    """One transaction; `run` sends a statement and returns its rows as dicts."""

    def __init__(self, tx: AsyncManagedTransaction, counter: StatementCounter) -> None:
        self._tx = tx
        self._counter = counter

    async def run(self, cypher: str, **params: Any) -> Rows:
        self._counter.count += 1
        result = await self._tx.run(cypher, params)
        return [record.data() for record in await result.fetch(1_000_000)]

    async def single(self, cypher: str, **params: Any) -> dict[str, Any] | None:
        rows = await self.run(cypher, **params)
        return rows[0] if rows else None

    async def values(self, cypher: str, **params: Any) -> list[list[Any]]:
        """Rows as value lists in RETURN order, for bulk reads: `record.data()` walks every nested value
        (about 1.5 µs each), which alone takes seconds on a city's worth of candidates."""
        self._counter.count += 1
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

    async def read(self, cypher: str, **params: Any) -> Rows:
        return await self.read_tx(lambda tx: tx.run(cypher, **params))

    async def read_values(self, cypher: str, **params: Any) -> list[list[Any]]:
        """`read` returning value lists (`Tx.values`) instead of dicts: for bulk reads."""
        return await self.read_tx(lambda tx: tx.values(cypher, **params))

    async def write(self, cypher: str, **params: Any) -> Rows:
        return await self.write_tx(lambda tx: tx.run(cypher, **params))

    async def read_tx(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        return await self._execute(neo4j.READ_ACCESS, work)

    async def write_tx(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        """Runs `work` in one write transaction: it commits whole or rolls back whole."""
        return await self._execute(neo4j.WRITE_ACCESS, work)

    async def _execute(self, mode: str, work: Callable[[Tx], Awaitable[T]]) -> T:
        async def unit(tx: AsyncManagedTransaction) -> T:
            return await work(Tx(tx, self.counter))

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
            self.counter.count += 1
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise Unavailable("the graph database cannot be reached right now; try again in a moment") from exc
        except AuthError as exc:
            raise Unavailable("the graph database refused our credentials; check NEO4J_USER/NEO4J_PASSWORD") from exc
