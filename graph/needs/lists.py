"""The needs' root lists: needs (newest first, filtered by state, category, place, time, text,
overdue) and the category catalog; and the overdue rule, in Cypher and in Python."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from pydantic import Field, field_validator, model_validator

from graph.kernel.lists import ListFilter, RootList, Source, label_scan
from graph.needs.kinds import OVERDUE_CYPHER, Channel, NeedStatus, Urgency
from graph.places.lists import TO_COMMUNITIES, place_label
from matching.time_windows import XIAN_TZ


def lucene_query(text: str) -> str:
    """Quotes every term, so what a resident types is searched for, never parsed as Lucene syntax."""
    terms = [term.replace("\\", "\\\\").replace('"', '\\"') for term in text.split()]
    return " AND ".join(f'"{term}"' for term in terms if term)


def lucene_any(text: str, most: int = 64) -> str | None:
    """Terms for "text like this": CJK bigrams (what the cjk analyzer indexes) and other words, each
    quoted, any of them; None when the text has none."""
    terms: list[str] = []
    for word in text.split():
        if word.isascii():
            terms.append(word)
        else:
            chars = [c for c in word if c.isalnum()]
            terms += ["".join(pair) for pair in pairwise(chars)] or chars
    unique = list(dict.fromkeys(t.replace("\\", "\\\\").replace('"', '\\"') for t in terms if t))[:most]
    return " OR ".join(f'"{term}"' for term in unique) or None


def _utc(value: datetime | None) -> datetime | None:
    # Neo4j orders equal instants with different offsets by offset, so every instant we compare is UTC.
    return value.astimezone(UTC) if value is not None else None


class NeedFilter(ListFilter):
    status: list[NeedStatus] | None = None
    category: list[str] | None = None
    channel: list[Channel] | None = None
    urgency: list[Urgency] | None = None
    place_id: str | None = Field(default=None, alias="placeId", max_length=80)
    created_after: datetime | None = Field(default=None, alias="createdAfter")
    created_before: datetime | None = Field(default=None, alias="createdBefore")
    text: str | None = Field(default=None, max_length=100)
    overdue: bool | None = None

    model_config = ListFilter.model_config | {"use_enum_values": True}

    @field_validator("category")
    @classmethod
    def _codes(cls, value: list[str] | None) -> list[str] | None:
        for code in value or []:
            if not code.isascii() or not code.replace("_", "").isalnum() or not code.isupper():
                raise ValueError(f"{code!r} is not a category code; codes look like SEWER or ELDERLY_CARE")
        return value

    @field_validator("created_after", "created_before")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        # An instant without an offset is Beijing time.
        return _utc(value.replace(tzinfo=XIAN_TZ) if value and value.tzinfo is None else value)

    @model_validator(mode="after")
    def _window(self) -> NeedFilter:
        if self.created_after and self.created_before and self.created_after >= self.created_before:
            raise ValueError("createdAfter must be earlier than createdBefore")
        return self


def _need_source(f: dict[str, Any]) -> Source:
    text = (f.get("text") or "").strip()
    place_id = f.get("placeId")
    label = place_label(place_id) if place_id else None
    if text:
        source = "CALL db.index.fulltext.queryNodes('need_text', $lucene) YIELD node AS x "
        if place_id:
            # With full-text search the source is the index, not the place: keep those at or below it.
            source += (
                "WHERE EXISTS { MATCH (x)-[:AT]->(a) WHERE a.id = $placeId "
                "OR EXISTS { MATCH (a)-[:IN*1..3]->(p) WHERE p.id = $placeId } } "
            )
        return source, {"lucene": lucene_query(text)}, True
    if label is None:
        return label_scan("Need")
    if label == "Compound":
        return "MATCH (:Compound {id: $placeId})<-[:AT]-(x:Need) ", {}, False
    return TO_COMMUNITIES[label] + "MATCH (c)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(x:Need) ", {}, True


NEEDS = RootList(
    "needs",
    "Need",
    _need_source,
    NeedFilter,
    {
        "status": "x.status IN $status",
        "channel": "x.channel IN $channel",
        "urgency": "x.urgency IN $urgency",
        "category": "EXISTS { MATCH (x)-[:OF]->(k:Category) WHERE k.code IN $category }",
        "createdAfter": "x.createdAt >= $createdAfter",
        "createdBefore": "x.createdAt < $createdBefore",
        "overdue": f"$overdue = {OVERDUE_CYPHER}",
    },
    newest_first=True,
)
CATEGORIES = RootList("categories", "Category")

LISTS = (NEEDS, CATEGORIES)
