"""Likely duplicates of a need: open needs of its category, raised at its compound or in its community
within a number of days of it, whose text is like its text: its words (matching/words.py), each looked
up as a phrase in the cjk full-text index. One statement."""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Graph
from graph.kernel.kinds import cypher_strings
from graph.needs.kinds import OPEN_STATES
from graph.needs.lists import lucene_words

_DUPLICATES = f"""
MATCH (n:Need {{id: $id}})
OPTIONAL MATCH (n)-[:OF]->(k:Category)
OPTIONAL MATCH (n)-[:AT]->(p)
OPTIONAL MATCH (p)-[:IN*0..1]->(c:Community)
WITH n, k, p, c
CALL db.index.fulltext.queryNodes('need_text', $lucene, {{limit: 300}}) YIELD node AS d, score
WHERE d <> n AND d.status IN {cypher_strings(OPEN_STATES)}
  AND (k IS NULL OR EXISTS {{ (d)-[:OF]->(k) }})
  AND EXISTS {{ MATCH (d)-[:AT]->(q) WHERE q = p OR q = c OR EXISTS {{ (q)-[:IN]->(c) }} }}
  AND abs(duration.inSeconds(d.createdAt, n.createdAt).seconds) <= $days * 86400
RETURN d.id AS id, score
ORDER BY score DESC, d.id
LIMIT $first
"""


async def likely_duplicates(graph: Graph, need_id: str, text: str, days: int, first: int) -> list[dict[str, Any]]:
    """`{id, score}` of the likely duplicates, the most alike first."""
    lucene = lucene_words(text)
    if lucene is None:
        return []
    return await graph.read(_DUPLICATES, "needs.duplicates", id=need_id, lucene=lucene, days=days, first=first)
