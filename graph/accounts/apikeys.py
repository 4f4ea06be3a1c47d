"""API keys: the credential of a partner system at the Open311 door (`minhu apikey create|revoke`).

`(:ApiKey {id, name, hash, scopeId, createdAt, revokedAt})`: only the sha256 of the secret is stored
(unique, migration 8), so the secret is shown once, at creation, and a leaked store leaks no key.
"""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Graph

_CREATE = """
CREATE (k:ApiKey {id: $id, name: $name, hash: $hash, scopeId: $scopeId, createdAt: datetime()})
RETURN k.id AS id
"""
_BY_HASH = """
MATCH (k:ApiKey {hash: $hash}) WHERE k.revokedAt IS NULL
RETURN k.id AS id, k.name AS name, k.scopeId AS scopeId
"""
_REVOKE = """
MATCH (k:ApiKey {id: $id})
WITH k, k.revokedAt IS NULL AS live
SET k.revokedAt = coalesce(k.revokedAt, datetime())
RETURN live
"""
_LIST = """
MATCH (k:ApiKey)
RETURN k.id AS id, k.name AS name, k.scopeId AS scopeId, toString(k.createdAt) AS createdAt,
  toString(k.revokedAt) AS revokedAt
ORDER BY k.createdAt, k.id
"""
_PLACE = "OPTIONAL MATCH (p:District|Street|Community {id: $id}) RETURN p.id AS id"


async def create(graph: Graph, key_id: str, name: str, digest: str, scope_id: str | None) -> None:
    await graph.write(_CREATE, id=key_id, name=name, hash=digest, scopeId=scope_id)


async def by_hash(graph: Graph, digest: str) -> dict[str, Any] | None:
    """The live key with this hash, or None (unknown or revoked)."""
    rows = await graph.read(_BY_HASH, hash=digest)
    return rows[0] if rows else None


async def revoke(graph: Graph, key_id: str) -> bool | None:
    """True when revoked now, False when it already was, None when there is no such key."""
    rows = await graph.write(_REVOKE, id=key_id)
    return bool(rows[0]["live"]) if rows else None


async def listed(graph: Graph) -> list[dict[str, Any]]:
    return await graph.read(_LIST)


async def place_exists(graph: Graph, place_id: str) -> bool:
    rows = await graph.read(_PLACE, id=place_id)
    return bool(rows and rows[0]["id"])
