"""Plain records the repositories return, and how a Cypher row fills one; the GraphQL types read
their attributes by name. Each kind's record is declared with the kind (`graph/<domain>/kinds.py`)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NewType, TypeVar

from neo4j.spatial import Point
from neo4j.time import Date, DateTime

M = TypeVar("M")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


# An amount of money in fen (1/100 yuan): a whole number, 64-bit (GraphQL's `Fen`, not `Int`).
Fen = NewType("Fen", int)


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float


def native(value: Any) -> Any:
    if isinstance(value, DateTime):
        return value.to_native()
    if isinstance(value, Date):
        return value.to_native()
    if isinstance(value, Point):
        # WGS84 points are (longitude, latitude).
        return GeoPoint(latitude=value[1], longitude=value[0])
    if isinstance(value, list):
        return [native(item) for item in value]
    return value


def from_row(model: type[M], row: dict[str, Any]) -> M:
    """Builds `model` from a Cypher map projection with camelCase keys, ignoring unknown keys."""
    names = {f.name for f in dataclasses.fields(model)}  # type: ignore[arg-type]
    values = {}
    for key, value in row.items():
        name = _CAMEL.sub("_", key).lower()
        if name in names:
            values[name] = native(value)
    return model(**values)


@dataclass(slots=True)
class NodeRecord:
    """What every node's record has: its id, and when it was created (keyword-only, so a record's own
    fields, with or without defaults, follow the id)."""

    id: str
    created_at: datetime | None = field(default=None, kw_only=True)


@dataclass(slots=True)
class CatalogEntry:
    """A catalog node (categories, skills, facilities): its id, and the `code` it is also found by, and its name."""

    id: str
    code: str
    name: str
