"""What the need workflow accepts, field by field: one pydantic form per mutation (camelCase in messages)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from graph.needs.kinds import Channel, Urgency
from resolvers.kernel.validation import Form, id_of, optional_text, required_text

MAX_REASON = 500
MAX_INVITES = 50

NeedId = Annotated[str, id_of("Need")]
HandlerId = Annotated[str, id_of("Member", "Unit", "Offering")]
PlaceId = Annotated[str, id_of("Compound", "Community")]
Reason = optional_text(MAX_REASON)
# A contact left blank is a contact not given.
_BLANK_IS_NONE = BeforeValidator(lambda value: None if isinstance(value, str) and not value.strip() else value)
Phone = Annotated[Annotated[str, Field(pattern=r"^\+?[0-9\- ]{7,20}$")] | None, _BLANK_IS_NONE]
Email = Annotated[Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None, _BLANK_IS_NONE]


class ResidentDetails(Form):
    """Who raised a need. A phone or an email lets the community call back; a request may come with
    neither (GeoReport v2 makes every contact optional), and the need then shows `canCallBack` false."""

    name: str = Field(min_length=1, max_length=50)
    phone: Phone = None
    email: Email = None
    address: str = Field(min_length=2, max_length=200)


class NeedFields(Form):
    title: str | None = Field(default=None, min_length=2, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    category_code: str | None = Field(default=None, min_length=1, max_length=40)
    urgency: Urgency | None = None
    people_needed: int | None = Field(default=None, ge=1, le=100)
    window_start: datetime | None = None
    window_end: datetime | None = None

    @model_validator(mode="after")
    def window_in_order(self) -> NeedFields:
        if self.window_start and self.window_end and self.window_end <= self.window_start:
            raise ValueError("windowEnd must be after windowStart")
        return self


class SubmitNeed(NeedFields):
    title: str = Field(min_length=2, max_length=100)
    description: str = Field(default="", max_length=2000)
    category_code: str = Field(min_length=1, max_length=40)
    # Left out or null: NORMAL.
    urgency: Annotated[Urgency | None, AfterValidator(lambda given: given or Urgency.NORMAL)] = Urgency.NORMAL
    people_needed: int = Field(default=1, ge=1, le=100)
    place_id: PlaceId
    channel: Channel | None = None
    resident_id: Annotated[str, id_of("Resident")] | None = None
    resident: ResidentDetails | None = None
    media_url: Annotated[str, Field(max_length=500, pattern=r"^https?://\S+$")] | None = None


class UpdateNeed(NeedFields):
    need_id: NeedId


class NeedRef(Form):
    need_id: NeedId


class NeedNote(NeedRef):
    note: Reason = None


class NeedReason(NeedRef):
    reason: Reason = None


class ReopenNeed(NeedRef):
    reason: required_text("say why the need is reopened (reason)", MAX_REASON)


class DeclineNeed(NeedRef):
    reason: required_text("say why you decline (reason): the coordinator reads it", MAX_REASON)


class CompleteNeed(NeedRef):
    note: required_text("say what was done (note): the resident reads it before rating", MAX_REASON)


class DispatchNeed(NeedNote):
    handler_id: HandlerId


class InviteCandidates(NeedNote):
    candidate_ids: list[HandlerId]

    @field_validator("candidate_ids")
    @classmethod
    def some_and_not_too_many(cls, ids: list[str]) -> list[str]:
        unique = list(dict.fromkeys(ids))
        if not unique:
            raise ValueError("names nobody; give at least one member, unit or offering id")
        if len(unique) > MAX_INVITES:
            raise ValueError(f"may name at most {MAX_INVITES} candidates")
        return unique


class TransferNeed(NeedRef):
    handler_id: HandlerId
    reason: required_text("say why the need is transferred (reason)", MAX_REASON)


class HandUp(NeedRef):
    """Escalating or suspending: the next person in line reads why."""

    reason: required_text("needs a reason: the next person in line reads it", MAX_REASON)


class Evaluate(NeedRef):
    rating: int
    comment: optional_text(500) = None

    @field_validator("rating")
    @classmethod
    def one_to_five(cls, rating: int) -> int:
        if not 1 <= rating <= 5:
            raise ValueError(f"rating must be a whole number from 1 to 5 (got {rating})")
        return rating
