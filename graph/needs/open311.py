"""What the Open311 door (server/open311.py) and the free-text intake read: the categories, the places
by point and by name, and needs as service requests (with who handles them and where they are)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graph.kernel.db import Graph, Tx

_CATEGORIES = """
MATCH (k:Category)
RETURN k.code AS code, k.name AS name, k.description AS description
ORDER BY k.code
"""


async def categories(graph: Graph) -> list[dict[str, Any]]:
    return await graph.read(_CATEGORIES)


# Every compound and community with the names a caller may use and where it lies (for the intake).
_PLACES = """
MATCH (c:Community)-[:IN]->(s:Street)-[:IN]->(d:District)
RETURN c.id AS id, 'Community' AS label, c.name AS name, c.officialName AS officialName, c.id AS communityId,
  s.name AS street, d.id AS districtId, d.name AS district
UNION ALL
MATCH (p:Compound)-[:IN]->(c:Community)-[:IN]->(s:Street)-[:IN]->(d:District)
RETURN p.id AS id, 'Compound' AS label, p.name AS name, null AS officialName, c.id AS communityId,
  s.name AS street, d.id AS districtId, d.name AS district
"""


async def places(graph: Graph) -> list[dict[str, Any]]:
    return await graph.read(_PLACES)


# The nearest compound or community with a location, within `radius` metres.
_NEAREST = """
WITH point({latitude: $lat, longitude: $lon}) AS here
MATCH (p:Compound|Community) WHERE p.location IS NOT NULL
WITH p, point.distance(p.location, here) AS metres
WHERE metres <= $radius
RETURN p.id AS id, labels(p)[0] AS label, metres
ORDER BY metres, p.id
LIMIT 1
"""


async def nearest_place(graph: Graph, lat: float, lon: float, radius: float) -> dict[str, Any] | None:
    rows = await graph.read(_NEAREST, lat=lat, lon=lon, radius=radius)
    return rows[0] if rows else None


# A need as a service request: its category, its place and the names above it, and its handler
# (the one handling it, else the last who completed it, else the newest still invited).
_REQUESTS = """
MATCH (n:Need)
WHERE ($ids IS NULL OR n.id IN $ids)
  AND ($codes IS NULL OR EXISTS { (n)-[:OF]->(k:Category) WHERE k.code IN $codes })
  AND ($start IS NULL OR n.createdAt >= datetime($start))
  AND ($end IS NULL OR n.createdAt <= datetime($end))
  AND ($statuses IS NULL OR n.status IN $statuses)
WITH n ORDER BY n.createdAt DESC, n.id DESC LIMIT $limit
MATCH (n)-[:OF]->(k:Category)
MATCH (n)-[:AT]->(p)-[:IN*0..3]->(d:District)
OPTIONAL MATCH (p)-[:IN*0..1]->(c:Community)-[:IN]->(s:Street)
WITH n, k, p, c, s, d,
  [(n)<-[:OF]-(a:Assignment)-[:TO]->(t) WHERE a.status IN ['ACTIVE', 'COMPLETED', 'INVITED', 'OPEN_CLAIM'] |
    {rank: CASE a.status WHEN 'ACTIVE' THEN 0 WHEN 'COMPLETED' THEN 1 ELSE 2 END, at: a.createdAt,
     unit: coalesce([(t)-[:BELONGS_TO]->(u:Unit) | u.name][0], [(t)<-[:OFFERS]-(u:Unit) | u.name][0], t.name)}]
    AS handlers
RETURN n.id AS id, n.number AS number, n.status AS status, n.title AS title, n.description AS description,
  n.level AS level, n.urgency AS urgency, n.mediaUrl AS mediaUrl, k.code AS categoryCode, k.name AS categoryName,
  n.createdAt AS createdAt, n.updatedAt AS updatedAt, n.completionDeadline AS completionDeadline,
  n.location.latitude AS latitude, n.location.longitude AS longitude,
  p.id AS placeId, d.name AS district, s.name AS street, c.name AS community,
  CASE WHEN p:Compound THEN p.name END AS compound, handlers
ORDER BY createdAt DESC, id DESC
"""


async def requests(
    graph: Graph,
    *,
    ids: list[str] | None,
    codes: list[str] | None,
    start: datetime | None,
    end: datetime | None,
    statuses: list[str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    return await graph.read(
        _REQUESTS,
        ids=ids,
        codes=codes,
        start=start.isoformat() if start else None,
        end=end.isoformat() if end else None,
        statuses=statuses,
        limit=limit,
    )


# Training rows for the intake's classifier: every need's text, category and place.
_TRAINING = """
MATCH (n:Need)-[:OF]->(k:Category)
MATCH (n)-[:AT]->(p)-[:IN*0..1]->(c:Community)
RETURN n.id AS id, n.title AS title, n.description AS description, k.code AS categoryCode,
  p.id AS placeId, c.id AS communityId
ORDER BY n.id
"""


async def training_rows(graph: Graph) -> list[dict[str, Any]]:
    return await graph.read(_TRAINING)


# Changes when a need or a place is added: the intake's model is retrained when it does.
_FINGERPRINT = """
CALL () { MATCH (n:Need) RETURN count(n) AS needs, max(n.createdAt) AS newest }
CALL () { MATCH (p:Compound|Community) RETURN count(p) AS places, max(p.createdAt) AS placed }
CALL () { MATCH (k:Category) RETURN count(k) AS categories }
RETURN needs, toString(newest) AS newest, places, toString(placed) AS placed, categories
"""


async def intake_fingerprint(graph: Graph) -> tuple[int, str | None, int, str | None, int]:
    row = (await graph.read(_FINGERPRINT))[0]
    return (row["needs"], row["newest"], row["places"], row["placed"], row["categories"])


# --- requests that could not be placed (the spec's token flow) ---------------------------------

_SAVE_PENDING = """
CREATE (p:PendingRequest {id: $id, token: $token, data: $data, scopeId: $scopeId, notice: $notice,
                          apiKeyId: $apiKeyId, createdAt: datetime()})
"""
_PENDING = """
MATCH (p:PendingRequest {id: $id})
RETURN p.token AS token, [(p)-[:BECAME]->(n:Need) | n.id][0] AS needId
"""
_LOCKED_PENDING = """
MATCH (p:PendingRequest {id: $id}) SET p._lock = true REMOVE p._lock
WITH p
RETURN p.token AS token, p.data AS data, p.scopeId AS scopeId, [(p)-[:BECAME]->(n:Need) | n.id][0] AS needId
"""
# The partner (API key id) that filed the need bound to `n`, or null: the key it was POSTed with, or the
# key of the unplaced request an operator placed as it (graph/webhooks/ sends the partner its events).
FILED_BY = (
    "coalesce([(n)<-[:ABOUT]-(s:Event {type: 'SUBMIT'}) WHERE s.actorId STARTS WITH 'apikey:' | s.actorId][0], "
    "[(q:PendingRequest)-[:BECAME]->(n) | q.apiKeyId][0])"
)
# The request an operator placed becomes the need `n` that create_need writes (graph/needs/write.py), in
# that same statement: `$placedFrom` is {id, by}, or null for every other need (nothing matches then).
BECAME = """
WITH *
CALL (n) {
  MATCH (q:PendingRequest {id: $placedFrom.id})
  CREATE (q)-[:BECAME]->(n) SET q.placedAt = datetime(), q.placedBy = $placedFrom.by
}
"""
_UNPLACED = """
MATCH (p:PendingRequest) WHERE NOT EXISTS { (p)-[:BECAME]->() } AND ($scopes IS NULL OR p.scopeId IN $scopes)
RETURN p.token AS token, p.data AS data, p.scopeId AS scopeId, p.notice AS notice, p.createdAt AS createdAt
ORDER BY p.createdAt, p.token
LIMIT $first
"""


def pending_id(token: str) -> str:
    return f"pending:{token}"


async def save_pending(
    graph: Graph, token: str, data: str, scope_id: str | None, notice: str, api_key_id: str | None = None
) -> None:
    await graph.write(
        _SAVE_PENDING,
        id=pending_id(token),
        token=token,
        data=data,
        scopeId=scope_id,
        notice=notice,
        apiKeyId=api_key_id,
    )


async def pending(graph: Graph, token: str) -> dict[str, Any] | None:
    rows = await graph.read(_PENDING, id=pending_id(token))
    return rows[0] if rows else None


async def locked_pending(tx: Tx, token: str) -> dict[str, Any] | None:
    rows = await tx.run(_LOCKED_PENDING, id=pending_id(token))
    return rows[0] if rows else None


async def unplaced(graph: Graph, scopes: list[str] | None, first: int) -> list[dict[str, Any]]:
    return await graph.read(_UNPLACED, scopes=scopes, first=first)
