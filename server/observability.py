"""What an operator sees: one JSON log line per request, Prometheus metrics, OpenTelemetry traces.

- Logs: `configure_logging` makes every record one JSON object per line on stderr (or plain text
  with `MINHU_LOG_FORMAT=text`); fields passed with `extra=` become keys. The request line comes
  from `server.middleware`, filled in along the way through `current_request()`.
- Metrics: `Metrics` owns a registry per app (so two apps in one process, as in tests, do not
  collide); `/metrics` renders it in the Prometheus text format.
- Traces: `configure_tracing` is a no-op unless `OTEL_EXPORTER_OTLP_ENDPOINT` or
  `MINHU_TRACING=console` is set; then one span per GraphQL operation (server/pipeline.py;
  strawberry's OpenTelemetryExtension over WebSocket) and one span per Neo4j
  transaction (`graph.kernel.db.enable_tracing`) feed a tracer provider of this app's own.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from graph.kernel.db import Graph
from resolvers.kernel.compiled import STATS
from resolvers.kernel.documents import Documents
from resolvers.kernel.events import BUS

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}
        line = f"{datetime.fromtimestamp(record.created, UTC):%H:%M:%S} {record.levelname:<7} {record.name}: "
        line += record.getMessage()
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        if record.exc_info:
            line += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return line


def configure_logging(log_format: str = "json", level: str = "INFO") -> None:
    """One handler on the root logger; uvicorn's access log is replaced by our request line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format.lower() == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # The driver logs every failed connection attempt at WARNING; the breaker says it once.
    logging.getLogger("neo4j").setLevel(logging.ERROR)


@dataclass
class RequestInfo:
    """What the request log line says; the GraphQL view fills in what only it knows."""

    request_id: str
    method: str
    path: str
    client: str | None
    started: float = field(default_factory=time.perf_counter)
    operation: str | None = None
    operation_type: str | None = None
    role: str | None = None
    subject: str | None = None
    error_codes: list[str] = field(default_factory=list)
    outcome: str = "ok"

    def note_errors(self, codes: list[str]) -> None:
        self.error_codes.extend(codes)
        if codes:
            self.outcome = "error" if any(c in SERVER_FAULTS for c in codes) else "rejected"


# Codes that are the server's problem (logged at error level, counted as outcome="error").
SERVER_FAULTS = frozenset({"INTERNAL_SERVER_ERROR", "UNAVAILABLE"})

_current: ContextVar[RequestInfo | None] = ContextVar("minhu_request", default=None)


def current_request() -> RequestInfo | None:
    return _current.get()


def set_current_request(info: RequestInfo | None) -> None:
    _current.set(info)


# The two kinds of family /metrics shows, in the read path's table.
Counted, Gauged = CounterMetricFamily, GaugeMetricFamily


class ReadPathMetrics:
    """/metrics for the read path: queries answered by the compiled path and by the interpreter, with
    why the compiler declined (resolvers/kernel/compiled.py STATS), and the cache of query texts
    (resolvers/kernel/documents.py): how many it holds, the memory they hold, against their bounds."""

    def __init__(self, documents: Documents | None = None) -> None:
        self.documents = documents

    def describe(self) -> list:
        return []

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        reasons = {reason[:80]: count for reason, count in sorted(STATS.reasons.items())}
        # (kind, name, what it counts, label, values by label)
        families: list[tuple[type, str, str, str, dict[str, float]]] = [
            (Counted, "minhu_reads", "query operations by how they were answered", "path",
             {"compiled": STATS.compiled, "interpreted": STATS.interpreted}),
            (Counted, "minhu_reads_declined", "query operations the compiler left to the interpreter, by reason",
             "reason", reasons),
        ]  # fmt: skip
        cache = self.documents
        if cache is not None:
            families += [
                (Gauged, "minhu_query_texts_cached", "query texts kept parsed, validated and compiled, and the bound",
                 "of", {"held": len(cache), "limit": cache.max_entries}),
                (Gauged, "minhu_query_texts_cached_bytes",
                 "memory the cached query texts hold (estimated: text and parsed tokens), and the bound",
                 "of", {"held": cache.bytes, "limit": cache.max_bytes}),
                (Counted, "minhu_query_text_lookups", "query texts asked for: found, not found, evicted", "outcome",
                 {"hit": cache.hits, "miss": cache.misses, "evicted": cache.evicted}),
            ]  # fmt: skip
        for kind, name, documentation, label, values in families:
            family = kind(name, documentation, labels=[label])
            for value_label, value in values.items():
                family.add_metric([value_label], value)
            yield family


class Metrics:
    """The app's Prometheus metrics, in a registry of its own."""

    def __init__(self, graph: Graph) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.requests = Histogram(
            "minhu_request_duration_seconds",
            "GraphQL requests by operation name and outcome (ok, rejected: the caller's error, error: ours)",
            ["operation", "outcome"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
        )
        self.statements = Histogram(
            "minhu_request_statements",
            "Cypher statements sent per GraphQL request",
            registry=self.registry,
            buckets=(0, 1, 2, 3, 5, 8, 13, 21, 50, 100),
        )
        self.errors = Counter(
            "minhu_graphql_errors_total", "GraphQL errors by extensions.code", ["code"], registry=self.registry
        )
        self.rate_limited = Counter(
            "minhu_rate_limited_total", "Mutations refused by a rate limit", ["limit"], registry=self.registry
        )
        self.subscriptions = Gauge(
            "minhu_open_subscriptions", "Subscriptions open over WebSocket now", registry=self.registry
        )
        # Not the same as the above: a subscription is open before it listens (its scope is checked
        # first) and a refused one never listens. Read at scrape time from this process's bus.
        Gauge(
            "minhu_event_listeners",
            "Subscriptions listening on this process's event bus now (each hears every event published from then)",
            registry=self.registry,
        ).set_function(lambda: BUS.subscribers)
        self.sweeps = Counter(
            "minhu_sweep_runs_total",
            "Background sweep runs (overdue escalation and idempotency expiry) by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.registry.register(_GraphCollector(graph))

    def observe_request(self, info: RequestInfo, statements: int) -> None:
        if info.operation_type is None:
            return  # not a GraphQL operation (IDE page, refused at the door)
        self.requests.labels(info.operation or "anonymous", info.outcome).observe(time.perf_counter() - info.started)
        self.statements.observe(statements)
        for code in info.error_codes:
            self.errors.labels(code).inc()


class _GraphCollector:
    """Reads the graph's live state at scrape time: pool use and the circuit breaker."""

    def __init__(self, graph: Graph) -> None:
        self._graph = graph

    def describe(self) -> list:
        return []

    def collect(self):
        graph = self._graph
        in_use = GaugeMetricFamily("minhu_neo4j_pool_in_use", "Neo4j connections held by a transaction now")
        in_use.add_metric([], graph.in_flight)
        yield in_use
        size = GaugeMetricFamily("minhu_neo4j_pool_size", "Neo4j connections the pool may open")
        size.add_metric([], graph.pool_size)
        yield size
        up = GaugeMetricFamily("minhu_neo4j_up", "1 while Neo4j is reachable (the circuit breaker is closed)")
        up.add_metric([], 0 if graph.breaker.open else 1)
        yield up
        for name, text, value in (
            ("minhu_neo4j_outages_total", "Times the circuit breaker opened", graph.breaker.trips),
            ("minhu_neo4j_refused_total", "Transactions refused at once by the open breaker", graph.breaker.refused),
            ("minhu_neo4j_probes_total", "Probes sent while the breaker was open", graph.breaker.probes),
            ("minhu_neo4j_sessions_total", "Transaction attempts sent to the driver", graph.sessions_opened),
        ):
            family = CounterMetricFamily(name.removesuffix("_total"), text)
            family.add_metric([], value)
            yield family


def configure_tracing(settings: Any) -> Any:
    """A tracer provider when tracing is configured, else None (and nothing is traced)."""
    mode = (settings.minhu_tracing or "").strip().lower()
    if not mode and not settings.otel_exporter_otlp_endpoint:
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": settings.otel_service_name}))
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/")
        if not endpoint.endswith("/v1/traces"):
            endpoint += "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if mode == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    return provider
