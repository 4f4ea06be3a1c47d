"""API keys for partner systems (the Open311 door): issuing, revoking, and the viewer a key acts as.

A key is its own kind of credential: it is accepted only at /open311/v2/ (never as a GraphQL
token), stored as the sha256 of its secret, revocable, and carries a place scope. At the door it
acts with the rights of staff of that scope (CITY_ADMIN for a city-wide key, DISTRICT_ADMIN for a
district, COORDINATOR for a street or community), which is what filing a need on a resident's
behalf through submitNeed asks; nothing else is reachable through the door.
"""

from __future__ import annotations

import hashlib
import secrets

from graph.accounts import apikeys
from graph.kernel.db import Graph
from graph.kernel.errors import BadUserInput, NotFound, Unauthenticated
from graph.kernel.ids import label_of, new_id
from resolvers.kernel.viewer import Role, Viewer

PREFIX = "mhk_"
_ROLE_OF_SCOPE = {
    None: Role.CITY_ADMIN,
    "District": Role.DISTRICT_ADMIN,
    "Street": Role.COORDINATOR,
    "Community": Role.COORDINATOR,
}


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue(graph: Graph, name: str, scope_id: str | None) -> tuple[str, str]:
    """A new key for partner `name`, scoped to a district, street or community (None: the whole city);
    returns (key id, secret). The secret is not stored and cannot be shown again."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise BadUserInput("name the partner the key is for (1 to 100 characters), e.g. --name 长安E格")
    if scope_id in ("", "city"):
        scope_id = None
    if scope_id is not None:
        label_of(scope_id, expected=("District", "Street", "Community"), field="scope")
        if not await apikeys.place_exists(graph, scope_id):
            raise NotFound(f"no district, street or community {scope_id!r}", field="scope")
    key_id = new_id("apikey")
    secret = PREFIX + secrets.token_urlsafe(32)
    await apikeys.create(graph, key_id, name, digest(secret), scope_id)
    return key_id, secret


async def revoke(graph: Graph, key_id: str) -> bool:
    """True when the key was live and is now revoked; False when it already was."""
    outcome = await apikeys.revoke(graph, key_id)
    if outcome is None:
        raise NotFound(f"no API key {key_id!r}; `minhu apikey list` shows them", id=key_id)
    return outcome


async def viewer_for(graph: Graph, secret: str | None) -> Viewer:
    """Who a key acts as; Unauthenticated for a missing, unknown or revoked key."""
    if not secret:
        raise Unauthenticated("send your API key as the api_key parameter; ask the city for one")
    found = await apikeys.by_hash(graph, digest(secret.strip()))
    if found is None:
        raise Unauthenticated("the api_key is unknown or revoked; ask the city for a new one")
    scope = found["scopeId"]
    role = _ROLE_OF_SCOPE[label_of(scope) if scope else None]
    return Viewer(subject=found["id"], role=role, scope_id=scope)
