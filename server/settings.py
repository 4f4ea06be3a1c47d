"""Configuration, read once from environment variables (see the table in README.md)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from matching.review.scorecards import BOTTOM, SATISFACTION_THRESHOLD, weights_from
from resolvers.webhooks.policy import Policy

# Published in this repository: fine on a developer's loopback, never on a reachable address.
DEV_JWT_SECRET = "minhu-dev-secret-change-me-in-production"
# How webhook deliveries are tried unless MINHU_WEBHOOK_* says otherwise.
_WEBHOOKS = Policy()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    # An external server or cluster; when unset, Minhu starts its own local Neo4j.
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"

    # The local (embedded) Neo4j.
    minhu_data_dir: Path = Field(default=Path(".minhu"), description="local Neo4j store and logs")
    minhu_neo4j_port: int = 0  # 0 = pick a free loopback port
    minhu_neo4j_heap: str = "1g"
    minhu_neo4j_pagecache: str = "256m"

    host: str = "127.0.0.1"
    port: int = 8000
    minhu_max_page_size: int = 100
    minhu_max_query_depth: int = 12
    minhu_max_aliases: int = 30
    minhu_introspection: bool = True
    # Answer which Cypher statements each operation ran (extensions.statements): tests and development.
    minhu_expose_statements: bool = False
    # Answer reads by the compiled path (one Cypher statement per root field); false: the interpreter only.
    minhu_compiled_reads: bool = True

    # Authentication (JWT). HS256 with a shared secret by default; RS256 with a public key or JWKS.
    jwt_algorithm: str = "HS256"
    jwt_secret: str = DEV_JWT_SECRET
    jwt_public_key_file: Path | None = None
    jwt_private_key_file: Path | None = None
    jwt_jwks_file: Path | None = None
    jwt_jwks_url: str | None = None  # an identity provider's published keys, fetched and cached
    jwt_jwks_cache_seconds: int = 300  # how long fetched keys are kept; an unknown `kid` refetches sooner
    jwt_jwks_min_refresh_seconds: float = 30  # at most one refetch per this for unknown `kid`s
    jwt_issuer: str = "minhu"
    jwt_audience: str | None = None  # when set, tokens must name it in `aud`
    jwt_key_id: str | None = None  # `kid` put in the header of tokens we issue (pick the key in a JWKS)
    jwt_leeway_seconds: int = 30  # clock skew tolerated on exp/iat
    # Where the role, scope and subject are in the claims; dotted paths reach nested claims
    # (Keycloak: JWT_ROLE_CLAIM=realm_access.roles, a list from which the first Minhu role is taken).
    jwt_role_claim: str = "role"
    jwt_scope_claim: str = "scope"
    jwt_subject_claim: str = "sub"

    # The overdue sweep (escalation of needs past their deadline) and the idempotency-record sweep.
    minhu_sweep_interval_seconds: int = 60
    minhu_idempotency_ttl_hours: float = 24.0  # a retried mutation is recognised for this long

    # Browsers: origins (scheme://host[:port]) whose pages may call the API and open subscriptions,
    # comma-separated; same-origin pages always may. E.g. http://localhost:5173 for a Vite dev server.
    minhu_allowed_origins: str = ""
    minhu_ws_keepalive_seconds: float = 15.0  # graphql-transport-ws ping interval; 0 sends none

    # The door: request body size, items in any list input, time a request may take.
    minhu_max_body_bytes: int = 256 * 1024
    # A body over the limit is read and dropped up to this, so a client sending it whole can read the
    # 413; past it the connection is closed.
    minhu_max_discard_bytes: int = 4 * 1024 * 1024
    minhu_max_list_items: int = 100
    minhu_duplicate_days: int = 7  # needs raised this many days apart may be duplicates
    # Property firms whose residents' satisfaction rate falls below this are flagged (propertyFirmReport).
    minhu_property_satisfaction_threshold: float = Field(default=SATISFACTION_THRESHOLD, ge=0.0, le=1.0)
    # Scorecards (issue 22 §4): communities below this residents' satisfaction rate are flagged, and the
    # `bottom` lowest communities and property firms of each ranking; weights override matching/review/scorecards.py.
    minhu_community_satisfaction_threshold: float = Field(default=SATISFACTION_THRESHOLD, ge=0.0, le=1.0)
    minhu_scorecard_bottom: int = Field(default=BOTTOM, ge=0, le=100)
    minhu_scorecard_weights: str = ""
    minhu_request_deadline_seconds: float = 10.0
    # Rows one query may answer with, estimated before it runs (resolvers/kernel/cost.py): QUERY_TOO_COSTLY past it.
    minhu_max_query_rows: int = 10_000
    # Query texts kept parsed, validated and compiled: at most this many, holding at most this much memory.
    minhu_cached_texts: int = 500
    minhu_cached_text_megabytes: int = 32

    # Mutation rate limits (the `limits` library's notation, `;` between several); empty = none.
    minhu_rate_limit_subject: str = "120/minute;2000/hour"
    minhu_rate_limit_address: str = "600/minute"
    minhu_rate_limit_storage: str = "memory://"  # a shared store such as redis://host:6379 for several servers

    # Observability.
    minhu_log_format: str = "json"  # json (one object per line) or text
    minhu_log_level: str = "INFO"
    minhu_tracing: str = ""  # "console" prints spans; OTEL_EXPORTER_OTLP_ENDPOINT sends them over OTLP/HTTP
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = "minhu"
    # Addresses whose X-Forwarded-For/-Proto uvicorn trusts (your reverse proxy), comma-separated.
    forwarded_allow_ips: str = "127.0.0.1"

    # Several API processes (docs/SCALING.md): the Redis/Valkey carrying events and rate limits
    # between them, e.g. redis://127.0.0.1:6379/0. Unset: one process, events in memory;
    # `minhu serve --workers N` starts a local one when N > 1.
    minhu_broker_url: str | None = None

    # Partners' webhooks (resolvers/webhooks/relay.py, README "Webhooks"): on, the events a partner may be
    # sent wait in the outbox for the webhook relay (one statement more per change with any), and partners
    # may register.
    minhu_webhooks: bool = False
    minhu_webhook_timeout_seconds: float = Field(default=_WEBHOOKS.timeout_seconds, gt=0, le=60)
    minhu_webhook_attempts: int = Field(default=_WEBHOOKS.attempts, ge=1, le=30)
    minhu_webhook_backoff_seconds: float = Field(default=_WEBHOOKS.backoff_seconds, gt=0)
    minhu_webhook_backoff_cap_seconds: float = Field(default=_WEBHOOKS.backoff_cap_seconds, gt=0)
    minhu_webhook_concurrency: int = Field(default=_WEBHOOKS.concurrency, ge=1, le=32)
    # Loopback and private callback addresses: for tests and labs only (docs/NOTES.md, issue 24 §2).
    minhu_webhook_allow_private: bool = _WEBHOOKS.allow_private

    # The local Neo4j under `minhu serve`: restarted when it dies.
    minhu_neo4j_watch_seconds: float = 2.0

    @property
    def allowed_origins(self) -> list[str]:
        return [origin.strip().rstrip("/") for origin in self.minhu_allowed_origins.split(",") if origin.strip()]

    @property
    def rate_limit_storage(self) -> str:
        """The rate limits' store: shared through the broker when there is one and none is named."""
        if self.minhu_broker_url and self.minhu_rate_limit_storage == "memory://":
            return self.minhu_broker_url
        return self.minhu_rate_limit_storage

    @property
    def uses_dev_secret(self) -> bool:
        return self.jwt_algorithm.upper() == "HS256" and self.jwt_secret == DEV_JWT_SECRET

    @field_validator("minhu_scorecard_weights")
    @classmethod
    def _weights(cls, value: str) -> str:
        weights_from(value)  # refused at start, with what is wrong, rather than on the first scorecard
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
