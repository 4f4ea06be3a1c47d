"""Validated list filters: what the API accepts before any Cypher runs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from resolvers.kernel.validation import aware

Code = Field(pattern=r"^[A-Z][A-Z0-9_]{1,39}$")


class _Filter(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class NeedFilter(_Filter):
    status: list[str] | None = None
    category: list[str] | None = None
    channel: list[str] | None = None
    urgency: list[str] | None = None
    place_id: str | None = Field(default=None, alias="placeId", max_length=80)
    created_after: datetime | None = Field(default=None, alias="createdAfter")
    created_before: datetime | None = Field(default=None, alias="createdBefore")
    text: str | None = Field(default=None, max_length=100)
    overdue: bool | None = None

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
        return aware(value) if value is not None else None

    @model_validator(mode="after")
    def _window(self) -> NeedFilter:
        if self.created_after and self.created_before and self.created_after >= self.created_before:
            raise ValueError("createdAfter must be earlier than createdBefore")
        return self


class UnitFilter(_Filter):
    kind: list[str] | None = None
    place_id: str | None = Field(default=None, alias="placeId", max_length=80)
    name: str | None = Field(default=None, min_length=1, max_length=50)


class MemberFilter(_Filter):
    place_id: str | None = Field(default=None, alias="placeId", max_length=80)
    skill: list[str] | None = None
    unit_id: str | None = Field(default=None, alias="unitId", max_length=80)
    name: str | None = Field(default=None, min_length=1, max_length=50)


class VenueFilter(_Filter):
    kind: list[str] | None = None
    place_id: str | None = Field(default=None, alias="placeId", max_length=80)
    min_capacity: int | None = Field(default=None, alias="minCapacity", ge=1, le=100_000)
    max_fee: int | None = Field(default=None, alias="maxFee", ge=0)
    facilities: list[str] | None = None


class FundingProgramFilter(_Filter):
    level: list[str] | None = None
    district_id: str | None = Field(default=None, alias="districtId", max_length=80)
    category: list[str] | None = None
    with_budget_left: bool | None = Field(default=None, alias="withBudgetLeft")


class PlaceFilter(_Filter):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    kind: str | None = None
    district_id: str | None = Field(default=None, alias="districtId", max_length=80)
    place_id: str | None = Field(default=None, alias="placeId", max_length=80)


class SkillFilter(_Filter):
    category: list[str] | None = None


def as_params(model: BaseModel) -> dict:
    """The filter as Cypher parameters (camelCase keys, as the graph layer names them)."""
    return model.model_dump(by_alias=True)
