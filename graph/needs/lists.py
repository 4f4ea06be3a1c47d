"""The needs' root lists: needs (newest first, filtered by state, category, place, time, text,
overdue) and the category catalog; and the overdue rule, in Cypher and in Python."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from graph.kernel.kinds import ListFilter, RootList, Source, Where, label_scan
from graph.needs.kinds import OVERDUE_CYPHER, Channel, NeedStatus, Urgency
from graph.places.lists import TO_COMMUNITIES, place_label
from matching.time_windows import XIAN_TZ
from matching.words import words


def _phrase(term: str) -> str:
    """One term as a quoted Lucene phrase, so what a resident typed is searched for, never parsed."""
    return '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lucene_query(text: str) -> str:
    """Every term of the text, all of them."""
    return " AND ".join(_phrase(term) for term in text.split())


def lucene_words(text: str, most: int = 64) -> str | None:
    """Any of the text's words (matching/words.py): the cjk analyzer indexes Chinese as bigrams, so a
    quoted word matches where its bigrams stand in order, i.e. where the word was said; None when the
    text has none."""
    unique = list(dict.fromkeys(words(text)))[:most]
    return " OR ".join(_phrase(word) for word in unique) or None


def _utc(value: datetime | None) -> datetime | None:
    # Neo4j orders equal instants with different offsets by offset, so every instant we compare is UTC.
    return value.astimezone(UTC) if value is not None else None


class NeedFilter(ListFilter):
    status: Annotated[list[NeedStatus] | None, Where("x.status IN $status")] = None
    channel: Annotated[list[Channel] | None, Where("x.channel IN $channel")] = None
    urgency: Annotated[list[Urgency] | None, Where("x.urgency IN $urgency")] = None
    category: Annotated[
        list[str] | None, Where("EXISTS { MATCH (x)-[:OF]->(k:Category) WHERE k.code IN $category }")
    ] = None
    created_after: Annotated[datetime | None, Where("x.createdAt >= $createdAfter")] = None
    created_before: Annotated[datetime | None, Where("x.createdAt < $createdBefore")] = None
    overdue: Annotated[bool | None, Where(f"$overdue = {OVERDUE_CYPHER}")] = None
    # Where the list starts (`_need_source`): the place's needs, or the full-text index.
    place_id: str | None = Field(default=None, max_length=80)
    text: str | None = Field(default=None, max_length=100)

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


NEEDS = RootList("needs", "Need", _need_source, NeedFilter, newest_first=True)
CATEGORIES = RootList("categories", "Category")

LISTS = (NEEDS, CATEGORIES)
