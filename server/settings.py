"""Configuration, read once from environment variables (see the table in README.md)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    # Authentication (JWT). HS256 with a shared secret by default; RS256 with a public key or JWKS file.
    jwt_algorithm: str = "HS256"
    jwt_secret: str = "minhu-dev-secret-change-me-in-production"
    jwt_public_key_file: Path | None = None
    jwt_private_key_file: Path | None = None
    jwt_jwks_file: Path | None = None
    jwt_issuer: str = "minhu"
    jwt_key_id: str | None = None  # `kid` put in the header of tokens we issue (pick the key in a JWKS)
    jwt_leeway_seconds: int = 30  # clock skew tolerated on exp/iat

    # The overdue sweep (escalation of needs past their deadline).
    minhu_sweep_interval_seconds: int = 60


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
