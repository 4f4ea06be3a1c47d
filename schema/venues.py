"""Venues (阵地): their facilities, search by window, booking (one window or weekly), registration."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from graph.venues import kinds
from resolvers.kernel import read
from resolvers.partners import assets
from resolvers.venues import booking, forms
from schema.derive import derived_type, input_for, input_of, mutation_field, record_payload, root_list
from schema.relay import Fen, as_dict

if TYPE_CHECKING:
    from schema.matching import ScorePart

ScorePartType = Annotated["ScorePart", strawberry.lazy("schema.matching")]

Facility = derived_type(kinds.FACILITY)
Venue = derived_type(kinds.VENUE, hide=("createdAt",), description="阵地: a space for services, classes and meetings.")
Booking = derived_type(
    kinds.BOOKING,
    hide=("createdAt", "updatedAt", "cancelReason"),
    ids=("venueId", "needId"),
    description="A confirmed or cancelled booking of a venue.",
)


# --- search ------------------------------------------------------------------------------------


class VenueFilter:
    kind: list[kinds.VenueKind] | None = None
    place_id: strawberry.ID | None = None
    min_capacity: int | None = None
    max_fee: int | None = strawberry.field(default=None, description="Fee per hour in fen.")
    facilities: list[str] | None = strawberry.field(default=None, description="Facility codes; all must be present.")


WindowInput = input_of(forms.Window)


@strawberry.input(description="A WGS84 point.")
class PointInput:
    latitude: float = strawberry.field(description="Latitude, −90…90.")
    longitude: float = strawberry.field(description="Longitude, −180…180.")


@strawberry.input(one_of=True, description="The search centre: exactly one of a place or a point.")
class NearInput:
    place_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="A district, street, community or compound: its point and its levels."
    )
    point: PointInput | None = strawberry.field(default=strawberry.UNSET, description="A bare point.")


@strawberry.type(description="A venue free for the whole window, scored for the search.")
class VenueOption:
    venue: Venue
    score: float
    parts: list[ScorePartType]
    reason: str
    distance_km: float | None
    fee_for_window: Fen = strawberry.field(description="Fee for the whole window, in fen.")


@strawberry.type
class VenuesQuery:
    venues = root_list("venues", "Venues (阵地): rooms and spaces that can be booked, by id.")

    @strawberry.field(description="Venues open for the whole window, big enough, equipped, within the fee, not booked.")
    async def available_venues(
        self,
        info: Info,
        window: WindowInput,
        capacity: int | None = None,
        facilities: list[str] | None = None,
        near: NearInput | None = None,
        radius_km: Annotated[float, strawberry.argument(description="How far from `near` to look, in km.")] = 5.0,
        max_fee: Fen | None = None,
        first: int = 20,
    ) -> list[VenueOption]:
        args = {"window": window, "capacity": capacity, "facilities": facilities, "max_fee": max_fee}
        args = {name: as_dict(value) for name, value in args.items() if value is not None}
        if near is not None:
            centre = as_dict(near)
            args["near"] = {**centre.pop("point", {}), **centre}
        return await booking.available_venues(info.context, {**args, "radius_km": radius_km, "first": first})


# --- booking and registration ------------------------------------------------------------------


BookVenueSeriesInput = input_for(booking.book_venue_series)


@strawberry.type
class BookingPayload:
    booking: Booking | None
    replayed: bool = False


@strawberry.type(description="A date of a series that was not booked, and the booking it clashes with.")
class SkippedOccurrence:
    start: datetime
    end: datetime
    clashing_booking_id: strawberry.ID


@strawberry.type
class BookingSeriesPayload:
    series_id: str | None
    bookings: list[Booking]
    skipped: list[SkippedOccurrence]
    replayed: bool = False


RegisterVenuePayload = record_payload("RegisterVenuePayload", "venue", Venue, "venueId")


UpdateVenuePayload = record_payload("UpdateVenuePayload", "venue", Venue, "venueId")


async def _booking_payload(info: Info, result: dict[str, Any]) -> BookingPayload:
    found = await read.by_ids(info.context, "Booking", result["bookingIds"])
    return BookingPayload(booking=found[0] if found else None, replayed=bool(result.get("replayed")))


@strawberry.type
class VenuesMutation:
    book_venue = mutation_field(
        _booking_payload, booking.book_venue, "Book a venue for one window; CONFLICT names the clashing booking."
    )

    @strawberry.mutation(description="Book the same window weekly; all or nothing unless skipClashes.")
    async def book_venue_series(self, info: Info, input: BookVenueSeriesInput) -> BookingSeriesPayload:
        result = await booking.book_venue_series(info.context, as_dict(input))
        skipped = [
            SkippedOccurrence(
                start=datetime.fromisoformat(s["start"]),
                end=datetime.fromisoformat(s["end"]),
                clashing_booking_id=s["bookingId"],
            )
            for s in result.get("skipped", [])
        ]
        return BookingSeriesPayload(
            series_id=result.get("seriesId"),
            bookings=await read.by_ids(info.context, "Booking", result["bookingIds"]),
            skipped=skipped,
            replayed=bool(result.get("replayed")),
        )

    cancel_booking = mutation_field(
        _booking_payload, booking.cancel_booking, "Cancel a confirmed booking: the time is free again."
    )

    register_venue = mutation_field(
        RegisterVenuePayload.build, assets.register_venue, "Register a venue (阵地) in a community."
    )
    update_venue = mutation_field(UpdateVenuePayload.build, assets.update_venue, "Change a venue.")


TYPES = (Facility, Venue, Booking)
