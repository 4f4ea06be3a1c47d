"""The driver's lifecycle and the only doors through which Cypher reaches Neo4j.

Reads go through read transactions so a cluster can serve them from followers; writes through
write transactions, one transaction per call. Every statement is counted and named after the
`graph/` function that sent it (`needs.write.set_status`), in the log of the request it belongs to
(a context variable, so concurrent requests keep separate logs): tests and the request log can say
exactly which statements a request ran (no N+1).

Failing fast: a `Breaker` stands in front of the driver. The first request that finds Neo4j
unreachable opens it; from then on every transaction is refused at once with UNAVAILABLE, without
touching the driver, while one background task probes the server (`RETURN 1`) until it answers
and closes the breaker again. The driver's own retry loop (which retries a dead server for
`max_transaction_retry_time`) is not used: `_execute` retries only what is worth retrying —
deadlocks and other transient errors, with a short backoff — and a broken connection once, since
a pooled connection can outlive a restarted server.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import neo4j
import neo4j.spatial
import neo4j.time
from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncTransaction
from neo4j._data import RecordExporter  # what record.data() uses; the driver is pinned
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConnectionAcquisitionTimeoutError,
    DriverError,
    IncompleteCommit,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from graph.kernel.errors import BadUserInput, Conflict, Unavailable

T = TypeVar("T")
Rows = list[dict[str, Any]]

log = logging.getLogger("minhu.graph")

UNREACHABLE = "the graph database cannot be reached right now; try again in a moment"
# Transient errors that mean "the database is not serving", not "two writers collided".
_UNAVAILABLE_CODES = frozenset(
    {
        "Neo.TransientError.General.DatabaseUnavailable",
        "Neo.TransientError.Database.DatabaseUnavailable",
        "Neo.TransientError.General.OutOfMemoryError",
    }
)

# A bookmark the client sent that the server does not accept (malformed, or of another database).
_BOOKMARK_REFUSED = frozenset(
    {"Neo.ClientError.Transaction.InvalidBookmark", "Neo.ClientError.Transaction.InvalidBookmarkMixture"}
)


# The server ended a transaction that outlived its timeout (the request's deadline).
_TIMED_OUT = frozenset(
    {
        "Neo.ClientError.Transaction.TransactionTimedOut",
        "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
    }
)
# Less than this left of a request's deadline: no transaction is begun (Neo4j counts milliseconds,
# and a timeout of 0 would mean none).
MIN_TIMEOUT = 0.001

# What `graph.kernel.locks.still(...)` fails a statement with: a division by zero, on purpose (Cypher has no
# way to raise an error of one's own), in a statement that carries the marker below.
MOVED_CODE = "Neo.ClientError.Statement.ArithmeticError"
MOVED_MARK = "/* minhu: moved while waiting for the lock */"
# How many times a transaction whose state moved under its lock is run again (each time refused or
# let through on the state it then finds; more than once only when that state keeps moving).
MOVED_RETRIES = 5


class MovedWhileWaiting(Exception):
    """A statement took a lock and found, under it, that what it came for was gone (locks.still). Neo4j
    has already ended the transaction and released its locks; the transaction is run again."""


def _moved(exc: ClientError, cypher: str) -> bool:
    return exc.code == MOVED_CODE and MOVED_MARK in cypher


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


@dataclass
class RequestBookmarks:
    """Read-your-writes across processes: the bookmarks a client sent (what it has seen, from any
    process), and the one this request's last write left (what it will have seen once answered)."""

    sent: tuple[str, ...] = ()
    latest: tuple[str, ...] | None = None


_REQUEST_BOOKMARKS: ContextVar[RequestBookmarks | None] = ContextVar("minhu_bookmarks", default=None)


def begin_bookmarks(sent: tuple[str, ...] = ()) -> RequestBookmarks:
    """Every transaction of the current request waits until the server has seen `sent`."""
    held = RequestBookmarks(sent=sent)
    _REQUEST_BOOKMARKS.set(held)
    return held


@dataclass(frozen=True)
class Deadline:
    """When the request this code runs for must be answered (monotonic clock), and its length."""

    at: float
    seconds: float

    def left(self) -> float:
        return self.at - time.monotonic()

    def passed(self) -> Unavailable:
        return Unavailable(
            f"the request took longer than {self.seconds:g} s (the graph database is slow or restarting); "
            "try again in a moment"
        )


_DEADLINE: ContextVar[Deadline | None] = ContextVar("minhu_deadline", default=None)


def begin_deadline(seconds: float) -> Deadline:
    """Every transaction of the current request gets what is left of `seconds` as its timeout, so
    Neo4j stops working on it when the client has been answered."""
    deadline = Deadline(time.monotonic() + seconds, seconds)
    _DEADLINE.set(deadline)
    return deadline


def statements_in_this_request() -> int:
    """The statements sent so far by the request this code runs for (0 outside a request)."""
    log = _REQUEST_LOG.get()
    return log.count if log is not None else 0


# Spans per transaction, only when the server switched tracing on (`enable_tracing`).
_tracer: Any = None


def enable_tracing(tracer: Any) -> None:
    """Gives every transaction an OpenTelemetry span from `tracer` (None switches spans off)."""
    global _tracer
    _tracer = tracer


# Values `record.data()` would hand back unchanged. Its exporter asks isinstance of abstract classes
# (Sequence, Mapping) for every nested value, about 1.5 µs each: a few hundred candidate rows cost
# milliseconds per request. `_export` gives the same result, and leaves the exporter only the rest
# (nodes, relationships, paths, tuples).
_PLAIN = frozenset(
    {str, int, float, bool, type(None), neo4j.time.DateTime, neo4j.time.Date, neo4j.time.Time, neo4j.time.Duration}
    | {neo4j.spatial.WGS84Point, neo4j.spatial.CartesianPoint, neo4j.spatial.Point}
)
_EXPORTER = RecordExporter()


def _export(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {key: _export(item) for key, item in value.items()}
    if kind is list:
        return [_export(item) for item in value]
    return _EXPORTER.transform(value)


def record_data(record: neo4j.Record) -> dict[str, Any]:
    """`record.data()`, faster."""
    return {key: _export(value) for key, value in zip(record.keys(), record.values(), strict=True)}


class Tx:
    """One transaction; `run` sends a statement and returns its rows as dicts."""

    def __init__(self, tx: AsyncTransaction, counter: StatementCounter, write: bool = False) -> None:
        self._tx = tx
        self._counter = counter
        self._write = write

    async def run(self, cypher: str, /, _name: str | None = None, **params: Any) -> Rows:
        """`_name` names a statement sent by a shared helper (`list.Need`); others are named after
        the function that sends them."""
        _count(self._counter, _name, self._write)
        try:
            result = await self._tx.run(cypher, params)
            return [record_data(record) for record in await result.fetch(1_000_000)]
        except ClientError as exc:
            if _moved(exc, cypher):
                raise MovedWhileWaiting from exc
            raise

    async def single(self, cypher: str, /, _name: str | None = None, **params: Any) -> dict[str, Any] | None:
        rows = await self.run(cypher, _name, **params)
        return rows[0] if rows else None

    async def collected(self, cypher: str, /, _name: str | None = None, **params: Any) -> Rows:
        """The rows of a statement that returns them as one list (`RETURN collect({...}) AS rows`).

        The driver builds a record per row at about 40 µs each: a venue pool of 200 rows costs 12 ms as
        records and 5.5 ms as one list. The maps come back as Neo4j sent them (as `run` gives them).
        """
        rows = await self.values(cypher, _name, **params)
        return rows[0][0] if rows else []

    async def values(self, cypher: str, /, _name: str | None = None, **params: Any) -> list[list[Any]]:
        """Rows as value lists in RETURN order, for bulk reads: `record.data()` walks every nested value
        (about 1.5 µs each), which alone takes seconds on a city's worth of candidates."""
        _count(self._counter, _name, self._write)
        result = await self._tx.run(cypher, params)
        return await result.values()


@dataclass
class Breaker:
    """Open while Neo4j is known to be unreachable; closed again by a background probe."""

    probe_interval: float = 0.5
    max_probe_interval: float = 2.0
    opened_at: float | None = None
    reason: str = UNREACHABLE
    # What tests and /metrics read: how often the breaker opened, how many calls it refused
    # without contacting Neo4j, how many probes it sent.
    trips: int = 0
    refused: int = 0
    probes: int = 0
    _probe: asyncio.Task | None = field(default=None, repr=False)

    @property
    def open(self) -> bool:
        return self.opened_at is not None

    def refuse(self) -> None:
        """Raises UNAVAILABLE at once while the breaker is open."""
        if self.opened_at is not None:
            self.refused += 1
            raise Unavailable(self.reason)

    def trip(self, reason: str, probe: Callable[[], Awaitable[None]]) -> None:
        if self.opened_at is None:
            self.opened_at = time.monotonic()
            self.reason = reason
            self.trips += 1
            log.error("Neo4j unreachable: answering UNAVAILABLE until it is back", extra={"reason": reason})
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self._until_back(probe))

    def close(self) -> None:
        if self.opened_at is not None:
            log.warning("Neo4j reachable again", extra={"outage_seconds": round(time.monotonic() - self.opened_at, 3)})
        self.opened_at = None

    async def _until_back(self, probe: Callable[[], Awaitable[None]]) -> None:
        delay = self.probe_interval
        while self.opened_at is not None:
            await asyncio.sleep(delay)
            self.probes += 1
            try:
                await probe()
            except Exception:
                delay = min(delay * 1.5, self.max_probe_interval)
                continue
            self.close()

    async def stop(self) -> None:
        if self._probe is not None and not self._probe.done():
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe


_HOLD, _FREE = "hold", "free"


@dataclass
class _Line:
    """The requests for one contended lock: whether one of them holds the turn, and who waits for it."""

    held: bool = False
    waiting: collections.deque[asyncio.Future[str]] = field(default_factory=collections.deque)


class Turn:
    """One request's place in a line (`Turns`): holding the turn, or let go with everyone (`free`)."""

    def __init__(self, turns: Turns | None, key: str, holding: bool) -> None:
        self._turns = turns
        self._key = key
        self.holding = holding

    def free(self) -> None:
        """The committed state answered this request without the lock: it takes none, and those
        waiting behind it go on together, each to be answered the same way (or, if the state lets it
        through, to queue on the lock in Neo4j as any caller from another process would)."""
        if self.holding and self._turns is not None:
            self.holding = False
            self._turns._release(self._key, everyone=True)

    def done(self) -> None:
        """Gives the turn to the next request in line, if this one still holds it."""
        if self.holding and self._turns is not None:
            self.holding = False
            self._turns._release(self._key, everyone=False)


# The turn of the request being answered (graph.kernel.locks.answered_without_lock frees it).
_TURN: ContextVar[Turn | None] = ContextVar("minhu_turn", default=None)


def current_turn() -> Turn | None:
    return _TURN.get()


class Turns:
    """Requests of this process that would queue on the same Neo4j lock wait their turn here instead.

    Neo4j's lock manager spins while it waits: a hundred transactions queued on one need's lock
    burnt about 70 % of a core on the two-core development machine (issue 20), starving the
    winner they were waiting for; waiting on an asyncio future costs nothing. One request at a time
    holds the turn for a key, until its transaction ends; then the next in line gets it. A request
    whose locking statement finds, from the committed state, that it cannot win takes no lock
    (graph/kernel/locks.py `lock_if`) and frees the line (`Turn.free`): everyone waiting goes on at
    once, to be refused on that state in parallel. So a race costs its winners' transactions one
    after another, one refusal, then the other refusals together: a first accept one winner, a grant
    budget the grants it admits. Only a way to keep the queue out of Neo4j: its locks stay what
    makes a race safe, between processes too."""

    def __init__(self) -> None:
        self._lines: dict[str, _Line] = {}
        self.waited = 0  # how many requests waited for a turn (tests read it)

    def waiting(self, key: str) -> int:
        line = self._lines.get(key)
        return sum(not f.done() for f in line.waiting) if line is not None else 0

    def waiting_now(self) -> int:
        """How many requests wait for a turn now, all keys together."""
        return sum(self.waiting(key) for key in self._lines)

    @contextlib.asynccontextmanager
    async def __call__(self, key: str | None) -> AsyncIterator[Turn]:
        if key is None:
            yield Turn(None, "", holding=False)
            return
        line = self._lines.setdefault(key, _Line())
        if not line.held:
            line.held = True
            turn = Turn(self, key, holding=True)
        else:
            self.waited += 1
            ticket: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            line.waiting.append(ticket)
            try:
                given = await ticket
            except asyncio.CancelledError:
                # Cancelled (its deadline) while waiting: out of the line; a turn given to it passes on.
                if ticket.done() and not ticket.cancelled() and ticket.result() == _HOLD:
                    self._release(key, everyone=False)
                raise
            turn = Turn(self, key, holding=given == _HOLD)
        reset = _TURN.set(turn)
        try:
            yield turn
        finally:
            _TURN.reset(reset)
            turn.done()

    def _release(self, key: str, *, everyone: bool) -> None:
        line = self._lines[key]
        while line.waiting:
            ticket = line.waiting.popleft()
            if ticket.done():  # cancelled while waiting
                continue
            ticket.set_result(_FREE if everyone else _HOLD)
            if not everyone:
                return  # the turn is passed on: the line stays held
        line.held = False
        del self._lines[key]


class Graph:
    # Deadlocks and lock timeouts are retried for this long at most (a request deadline bounds it too).
    max_retry_time = 10.0

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self.driver = driver
        self.database = database
        self.counter = StatementCounter()
        self.breaker = Breaker()
        self.turns = Turns()
        # Transactions holding a pooled connection right now (the pool's "in use"), and the pool's size.
        self.in_flight = 0
        self.pool_size = 100
        # Sessions opened on the driver: a test proves the open breaker sends nothing.
        self.sessions_opened = 0
        # Shared by every session: on a cluster, each transaction of this process sees every write
        # this process committed before (a follower serving a read waits until it has caught up).
        self.bookmarks = AsyncGraphDatabase.bookmark_manager()

    @classmethod
    def connect(
        cls,
        uri: str,
        user: str | None,
        password: str | None,
        database: str,
        *,
        connection_timeout: float = 1.5,
        acquisition_timeout: float = 10.0,
        pool_size: int = 100,
    ) -> Graph:
        """A graph over a new driver; the timeouts bound how long one attempt may take to fail."""
        auth = (user, password) if user and password else None
        driver = AsyncGraphDatabase.driver(
            uri,
            auth=auth,
            max_connection_pool_size=pool_size,
            # A new connection that is neither refused nor accepted within this is given up.
            connection_timeout=connection_timeout,
            # Waiting for a free pooled connection (or a new one) is bounded as well.
            connection_acquisition_timeout=acquisition_timeout,
            # Our own loop (`_execute`) decides what is retried; the driver's is only for auto-commit reads.
            max_transaction_retry_time=0,
            # A pooled connection idle for a while is checked before use, so one left over from a
            # restarted server fails here instead of in the middle of a transaction.
            liveness_check_timeout=30,
            # Notifications ("label does not exist yet") are noise on an empty graph.
            notifications_min_severity="OFF",
        )
        graph = cls(driver, database)
        graph.pool_size = pool_size
        return graph

    async def close(self) -> None:
        await self.breaker.stop()
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

    @contextlib.asynccontextmanager
    async def _span(self, mode: str) -> AsyncIterator[Any]:
        if _tracer is None:
            yield None
            return
        name = "neo4j.read" if mode == neo4j.READ_ACCESS else "neo4j.write"
        with _tracer.start_as_current_span(name, attributes={"db.system": "neo4j", "db.name": self.database}) as span:
            yield span

    async def _attempt(self, mode: str, work: Callable[[Tx], Awaitable[T]]) -> T:
        deadline = _DEADLINE.get()
        timeout = None
        if deadline is not None:
            timeout = deadline.left()
            if timeout < MIN_TIMEOUT:
                raise deadline.passed()
        self.sessions_opened += 1
        self.in_flight += 1
        try:
            held = _REQUEST_BOOKMARKS.get()
            sent = neo4j.Bookmarks.from_raw_values(held.sent) if held is not None and held.sent else None
            async with self.driver.session(
                database=self.database, default_access_mode=mode, bookmark_manager=self.bookmarks, bookmarks=sent
            ) as session:
                # Leaving the transaction block without an exception commits; with one, rolls back.
                # The server ends the transaction itself once the request's deadline has passed.
                async with await session.begin_transaction(timeout=timeout) as tx:
                    result = await work(Tx(tx, self.counter, mode == neo4j.WRITE_ACCESS))
                if held is not None and mode == neo4j.WRITE_ACCESS:
                    held.latest = tuple(sorted((await session.last_bookmarks()).raw_values))
                return result
        finally:
            self.in_flight -= 1

    async def _execute(self, mode: str, work: Callable[[Tx], Awaitable[T]]) -> T:
        self.breaker.refuse()
        started = time.monotonic()
        delay = 0.05
        reconnected = False
        moved = 0
        async with self._span(mode) as span:
            while True:
                try:
                    result = await self._attempt(mode, work)
                except MovedWhileWaiting as exc:
                    # Lost a race while queued on a lock: run again at once, no backoff. The state that
                    # moved is committed now, so the next attempt is refused (or let through) on it
                    # without taking the lock.
                    moved += 1
                    if moved > MOVED_RETRIES:
                        raise Conflict("the data kept changing while we were writing; please retry") from exc
                    continue
                except IncompleteCommit as exc:
                    # The connection broke during COMMIT: the write may or may not have landed.
                    self._trip(UNREACHABLE)
                    raise Unavailable(
                        "the graph database went away while saving; the change may or may not have been made: "
                        "retry with the same idempotencyKey to be sure it is made once"
                    ) from exc
                except (ServiceUnavailable, SessionExpired) as exc:
                    if not reconnected and not self.breaker.open:
                        # A pooled connection may have died with a restarted server: one fresh try.
                        reconnected = True
                        continue
                    self._trip(UNREACHABLE)
                    raise Unavailable(UNREACHABLE) from exc
                except AuthError as exc:
                    raise Unavailable(
                        "the graph database refused our credentials; check NEO4J_USER/NEO4J_PASSWORD"
                    ) from exc
                except TransientError as exc:
                    if exc.code == "Neo.TransientError.Transaction.BookmarkTimeout":
                        raise Unavailable(
                            "the database has not yet caught up with your last change; try again in a moment"
                        ) from exc
                    if exc.code in _UNAVAILABLE_CODES:
                        # Starting, stopping or out of memory: not worth retrying request by request.
                        self._trip("the graph database is starting or stopping; try again in a moment")
                        raise Unavailable("the graph database is starting or stopping; try again in a moment") from exc
                    if exc.is_retryable() and time.monotonic() - started + delay < self.max_retry_time:
                        # A deadlock or lock timeout: another writer holds what we need; wait a little.
                        await asyncio.sleep(delay * (0.5 + random.random()))
                        delay = min(delay * 2, 1.0)
                        continue
                    raise Conflict("the data changed while we were writing; please retry") from exc
                except ClientError as exc:
                    if exc.code in _TIMED_OUT:
                        deadline = _DEADLINE.get()
                        raise (deadline.passed() if deadline else Unavailable(UNREACHABLE)) from exc
                    if exc.code in _BOOKMARK_REFUSED:
                        raise BadUserInput(
                            "the X-Minhu-Bookmark header is not a bookmark this database issued; send the one "
                            "the last response carried, or none",
                            field="X-Minhu-Bookmark",
                        ) from exc
                    if exc.code == "Neo.ClientError.Schema.ConstraintValidationFailed":
                        raise Conflict("that record already exists (an id or key is taken)") from exc
                    raise
                except ConnectionAcquisitionTimeoutError as exc:
                    # Every pooled connection is busy: the server is up, this process is overloaded.
                    raise Unavailable("the server is too busy to take this request now; try again in a moment") from exc
                except DriverError as exc:
                    if isinstance(exc, neo4j.exceptions.ConfigurationError):
                        raise
                    self._trip(UNREACHABLE)
                    raise Unavailable(UNREACHABLE) from exc
                else:
                    if span is not None and reconnected:
                        span.set_attribute("minhu.reconnected", True)
                    return result

    def _trip(self, reason: str) -> None:
        self.breaker.trip(reason, self._probe)

    async def _probe(self) -> None:
        async with self.driver.session(database=self.database) as session:
            await (await session.run("RETURN 1")).consume()

    async def ping(self) -> None:
        """One quick round trip, without retries: readiness must answer fast."""
        self.breaker.refuse()
        try:
            await self._probe()
            _count(self.counter, "ping")
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            self._trip(UNREACHABLE)
            raise Unavailable(UNREACHABLE) from exc
        except AuthError as exc:
            raise Unavailable("the graph database refused our credentials; check NEO4J_USER/NEO4J_PASSWORD") from exc
        except TransientError as exc:
            raise Unavailable("the graph database is starting or stopping; try again in a moment") from exc
