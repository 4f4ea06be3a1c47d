"""Plain records the repositories return; the GraphQL types read their attributes by name.

Each record also carries the ids of the nodes it links to (`street_id`, `category_code`…), taken
in the same Cypher that fetched it, so nested fields load in one batch per level.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from neo4j.spatial import Point
from neo4j.time import Date, DateTime

M = TypeVar("M")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float


def _native(value: Any) -> Any:
    if isinstance(value, DateTime):
        return value.to_native()
    if isinstance(value, Date):
        return value.to_native()
    if isinstance(value, Point):
        # WGS84 points are (longitude, latitude).
        return GeoPoint(latitude=value[1], longitude=value[0])
    if isinstance(value, list):
        return [_native(item) for item in value]
    return value


def from_row(model: type[M], row: dict[str, Any]) -> M:
    """Builds `model` from a Cypher map projection with camelCase keys, ignoring unknown keys."""
    names = {f.name for f in dataclasses.fields(model)}  # type: ignore[arg-type]
    values = {}
    for key, value in row.items():
        name = _CAMEL.sub("_", key).lower()
        if name in names:
            values[name] = _native(value)
    return model(**values)


@dataclass(slots=True)
class District:
    id: str
    code: str
    name: str
    kind: str
    location: GeoPoint | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Street:
    id: str
    code: str
    name: str
    kind: str
    district_id: str = ""
    location: GeoPoint | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Community:
    id: str
    code: str
    name: str
    kind: str
    official_name: str = ""
    street_id: str = ""
    location: GeoPoint | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Compound:
    id: str
    name: str
    community_id: str = ""
    households: int | None = None
    has_service_station: bool = False
    location: GeoPoint | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Category:
    id: str
    code: str
    name: str
    description: str | None = None


@dataclass(slots=True)
class Skill:
    id: str
    code: str
    name: str
    category_codes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Facility:
    id: str
    code: str
    name: str


@dataclass(slots=True)
class Unit:
    id: str
    name: str
    kind: str
    address: str | None = None
    phone: str | None = None
    location: GeoPoint | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Member:
    id: str
    name: str
    phone: str | None = None
    unit_id: str | None = None
    availability: list[str] = field(default_factory=list)
    max_load: int = 0
    open_load: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    completed_count: int = 0
    assigned_count: int = 0
    last_served_at: datetime | None = None
    location: GeoPoint | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Offering:
    id: str
    title: str
    description: str = ""
    unit_id: str = ""
    category_code: str | None = None
    capacity: int = 0
    open_load: int = 0
    availability: list[str] = field(default_factory=list)
    status: str = "ACTIVE"
    area_ids: list[str] = field(default_factory=list)
    created_at: datetime | None = None


@dataclass(slots=True)
class Venue:
    id: str
    name: str
    kind: str
    capacity: int = 0
    area_sqm: float | None = None
    opening_hours: list[str] = field(default_factory=list)
    fee_per_hour: int = 0
    address: str | None = None
    community_id: str | None = None
    owner_id: str | None = None
    facility_codes: list[str] = field(default_factory=list)
    location: GeoPoint | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class FundingProgram:
    id: str
    name: str
    source: str = ""
    level: str = "CITY"
    budget: int = 0
    spent: int = 0
    cap_per_grant: int = 0
    period_start: date | None = None
    period_end: date | None = None
    category_codes: list[str] = field(default_factory=list)
    district_ids: list[str] = field(default_factory=list)
    created_at: datetime | None = None


@dataclass(slots=True)
class Need:
    id: str
    title: str
    description: str = ""
    number: str | None = None
    status: str = "SUBMITTED"
    channel: str = "APP"
    urgency: str = "NORMAL"
    people_needed: int = 1
    level: str = "COMMUNITY"
    window_start: datetime | None = None
    window_end: datetime | None = None
    response_deadline: datetime | None = None
    completion_deadline: datetime | None = None
    suspended_at: datetime | None = None
    suspension_reason: str | None = None
    escalated_at: datetime | None = None
    location: GeoPoint | None = None
    category_code: str | None = None
    community_id: str | None = None
    compound_id: str | None = None
    resident_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(slots=True)
class Event:
    id: str
    at: datetime
    type: str
    actor_id: str
    role: str
    need_id: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    note: str | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Resident:
    id: str
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Assignment:
    id: str
    status: str
    need_id: str
    target_id: str
    target_label: str
    by_id: str | None = None
    note: str | None = None
    accepted_at: datetime | None = None
    completed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
