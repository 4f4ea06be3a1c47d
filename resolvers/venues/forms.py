"""What venue search and booking accept (camelCase in messages)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from resolvers.kernel.validation import Form, aware, id_of, optional_text

MAX_WINDOW = timedelta(days=1)  # a booking is for an event, not a lease
MAX_WEEKS = 52
MAX_RADIUS_KM = 50.0
MAX_FIRST = 100


class Window(Form):
    """[start, end), at most a day; a time without an offset is Xi'an time."""

    start: datetime
    end: datetime

    @model_validator(mode="after")
    def in_order_and_short(self) -> Window:
        self.start, self.end = aware(self.start), aware(self.end)
        if self.end <= self.start:
            raise ValueError(f"end ({self.end.isoformat()}) must be after start ({self.start.isoformat()})")
        if self.end - self.start > MAX_WINDOW:
            raise ValueError("a booking may last at most 24 hours; book a series for repeated use")
        return self


class Near(Form):
    """The search centre: a place, or a point."""

    place_id: Annotated[str, id_of("District", "Street", "Community", "Compound")] | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def place_or_point(self) -> Near:
        point = self.latitude is not None or self.longitude is not None
        if self.place_id and point:
            raise ValueError("give a placeId or a latitude/longitude, not both")
        if not self.place_id and (self.latitude is None or self.longitude is None):
            raise ValueError("give a placeId, or both latitude (−90…90) and longitude (−180…180)")
        return self


class VenueSearch(Form):
    window: Window
    capacity: int | None = Field(default=None, ge=0)
    facilities: list[str] | None = Field(default=None, max_length=30)
    near: Near | None = None
    radius_km: float = Field(default=5.0, gt=0, le=MAX_RADIUS_KM)
    max_fee: int | None = Field(default=None, ge=0)
    first: int = Field(default=20, ge=1, le=MAX_FIRST)

    @field_validator("facilities")
    @classmethod
    def codes(cls, value: list[str] | None) -> list[str] | None:
        return [code.strip().upper() for code in value if code.strip()] if value else value


class BookVenue(Form):
    venue_id: Annotated[str, id_of("Venue")]
    window: Window
    need_id: Annotated[str, id_of("Need")] | None = None
    purpose: optional_text(200) = None


class BookVenueSeries(BookVenue):
    weeks: int = Field(ge=1, le=MAX_WEEKS)
    skip_clashes: bool = False

    def windows(self) -> list[tuple[datetime, datetime]]:
        start, end = self.window.start, self.window.end
        return [(start + timedelta(weeks=i), end + timedelta(weeks=i)) for i in range(self.weeks)]


class CancelBooking(Form):
    booking_id: Annotated[str, id_of("Booking")]
    reason: optional_text(500) = None
