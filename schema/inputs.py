"""Filter inputs of the root lists; resolvers validate them again with pydantic."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from schema.enums import Channel, NeedStatus, ProgramLevel, UnitKind, Urgency, VenueKind


def as_dict(value: Any) -> dict[str, Any] | None:
    """An input object as a plain dict (enums as their values), for validation."""
    if value is None:
        return None
    out: dict[str, Any] = {}
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if item is None or item is strawberry.UNSET:
            continue
        if isinstance(item, Enum):
            item = item.value
        elif isinstance(item, list):
            item = [x.value if isinstance(x, Enum) else x for x in item]
        out[f.name] = item
    return out


@strawberry.input
class NeedFilter:
    status: list[NeedStatus] | None = None
    category: list[str] | None = strawberry.field(default=None, description="Category codes, e.g. SEWER.")
    channel: list[Channel] | None = None
    urgency: list[Urgency] | None = None
    place_id: strawberry.ID | None = strawberry.field(
        default=None, description="A district, street, community or compound: needs at it or anywhere below it."
    )
    created_after: datetime | None = None
    created_before: datetime | None = None
    text: str | None = strawberry.field(default=None, description="Full-text search of title and description.")
    overdue: bool | None = None


@strawberry.input
class UnitFilter:
    kind: list[UnitKind] | None = None
    place_id: strawberry.ID | None = strawberry.field(
        default=None, description="Units registered with a community at or below this place."
    )
    name: str | None = None


@strawberry.input
class MemberFilter:
    place_id: strawberry.ID | None = strawberry.field(
        default=None, description="Members registered with a community at or below this place."
    )
    skill: list[str] | None = strawberry.field(default=None, description="Skill codes, e.g. PLUMBING.")
    unit_id: strawberry.ID | None = None
    name: str | None = None


@strawberry.input
class VenueFilter:
    kind: list[VenueKind] | None = None
    place_id: strawberry.ID | None = None
    min_capacity: int | None = None
    max_fee: int | None = strawberry.field(default=None, description="Fee per hour in fen.")
    facilities: list[str] | None = strawberry.field(default=None, description="Facility codes; all must be present.")


@strawberry.input
class FundingProgramFilter:
    level: list[ProgramLevel] | None = None
    district_id: strawberry.ID | None = None
    category: list[str] | None = None
    with_budget_left: bool | None = None


@strawberry.input
class DistrictFilter:
    name: str | None = None


@strawberry.input
class StreetFilter:
    district_id: strawberry.ID | None = None
    name: str | None = None
    kind: str | None = strawberry.field(default=None, description="街道 or 镇.")


@strawberry.input
class CommunityFilter:
    place_id: strawberry.ID | None = strawberry.field(default=None, description="A district or street.")
    name: str | None = None
    kind: str | None = strawberry.field(default=None, description="社区 or 村.")


@strawberry.input
class SkillFilter:
    category: list[str] | None = None
