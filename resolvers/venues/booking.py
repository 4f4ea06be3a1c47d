"""Venues (阵地): search free ones, book one window or a weekly series, cancel — never double-booked.

Every booking mutation takes the venue's write lock before it looks for clashes, in the same
transaction that writes (graph/venues/booking.py), so concurrent requests for overlapping windows
serialise on the venue and exactly one wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden, NotFound
from graph.kernel.ids import new_id
from graph.needs import candidates as cand
from graph.places.scopes import place_chain
from graph.venues import booking as vb
from graph.venues.booking import BookedVenue, Clash
from graph.venues.kinds import BookingStatus
from matching.models import Place
from matching.time_windows import XIAN_TZ, is_open
from matching.venues import VenueChoice, rank_venues
from resolvers.kernel.authz import require_role
from resolvers.kernel.context import Context
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.validation import aware, validate
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.venues.forms import BookVenue, BookVenueSeries, CancelBooking, Near, VenueSearch

BOOKING_ROLES = (*PLACE_ROLES, Role.UNIT_ADMIN)


def local(moment: datetime) -> str:
    """Xi'an wall-clock time for messages: what the people reading them go by."""
    return aware(moment).astimezone(XIAN_TZ).strftime("%Y-%m-%d %H:%M")


# --- search ------------------------------------------------------------------------------------


class VenueOption:
    """A free venue for the window (its record), with its score, parts, reason, distance and fee."""

    def __init__(self, venue: Any, choice: VenueChoice) -> None:
        self.venue = venue
        self.score = choice.scored.score
        self.parts = choice.scored.parts
        self.reason = choice.scored.reason
        self.distance_km = choice.distance_km
        self.fee_for_window = choice.fee_for_window


async def _centre(tx: Tx, near: Near | None, radius_km: float) -> tuple[Place, float]:
    """The search centre (a place's point and levels, or a bare point) and the radius in metres."""
    if near is None:
        return Place(), 0.0
    if near.place_id:
        place = await place_chain(tx, near.place_id)
        if place is None:
            raise NotFound(f"no place with id {near.place_id!r}", field="near.placeId")
        return place, radius_km * 1000
    return Place(latitude=near.latitude, longitude=near.longitude), radius_km * 1000


async def available_venues(ctx: Context, args: dict[str, Any]) -> list[VenueOption]:
    """Venues open for the whole window, big enough, equipped, within the fee, and with no clash."""
    require_role(ctx.viewer, *BOOKING_ROLES)
    search = validate(VenueSearch, args)
    start, end = search.window.start, search.window.end
    wanted = frozenset(search.facilities or ())

    async def work(tx: Tx) -> tuple[Place, list[Any]]:
        place, radius = await _centre(tx, search.near, search.radius_km)
        found = await cand.venue_candidates(
            tx,
            place,
            start,
            end,
            capacity=search.capacity or 0,
            facilities=wanted,
            max_fee=search.max_fee,
            only_free=True,
            radius_m=radius or cand.VENUE_RADIUS_M,
            pool=max(cand.VENUE_POOL, search.first * 4),
        )
        return place, found

    place, found = await ctx.graph.read_tx(work)
    choices = rank_venues(place, start, end, search.capacity or 0, wanted, found, search.first, ctx.now)
    records = await ctx.loaders.by_id("Venue").load_many([c.scored.id for c in choices])
    return [VenueOption(record, c) for c, record in zip(choices, records, strict=True) if record is not None]


# --- booking -----------------------------------------------------------------------------------


def require_venue_scope(viewer: Viewer, venue: BookedVenue) -> None:
    """Coordinators/admins whose area holds the venue; unit admins of its owner or a unit registered there."""
    if viewer.role is Role.CITY_ADMIN:
        return
    if viewer.role is Role.UNIT_ADMIN:
        if viewer.scope_id in venue.unit_ids:
            return
    elif viewer.scope_id in venue.place_ids:
        return
    raise Forbidden(
        f"venue {venue.name} ({venue.id}) lies outside your scope {viewer.scope_id}",
        scope=viewer.scope_id,
    )


def require_open(venue: BookedVenue, start: datetime, end: datetime) -> None:
    hours = venue.opening_hours or []
    if not is_open(hours, start, end):
        raise BadUserInput(
            f"venue {venue.name} is not open for the whole window {local(start)}–{local(end)}; "
            f"its opening hours are {', '.join(hours) or 'not declared'} (D = weekday 1–7, Xi'an time)",
            field="window",
        )


async def _bookable(
    tx: Tx, viewer: Viewer, form: BookVenue, windows: list[tuple[datetime, datetime]], *, refuse_clash: bool
) -> tuple[BookedVenue, dict[int, Clash]]:
    """The venue, locked before any check (competitors wait here until we commit), in scope and open,
    and the clashes of `windows`: one statement. With `refuse_clash`, a clash already committed is
    answered without the lock, so a race's late losers do not queue behind its winner."""
    facts = await vb.locked_venue(tx, form.venue_id, windows, form.need_id, refuse_clash=refuse_clash)
    venue = facts.venue
    require_venue_scope(viewer, venue)
    # Weekly hours: open for one occurrence of a series means open for all of them.
    require_open(venue, form.window.start, form.window.end)
    if not facts.need_exists:
        raise NotFound(f"no need with id {form.need_id!r}", field="needId")
    return venue, facts.clashes


def _clash_message(venue: BookedVenue, clash: Clash) -> str:
    return (
        f"venue {venue.name} is already booked {local(clash.start)}–{local(clash.end)} "
        f"(booking {clash.booking_id}), which overlaps the window asked for; pick another time or venue"
    )


def _venue(form: BookVenue) -> str:
    return f"Venue:{form.venue_id}"


@mutation("bookVenue", roles=BOOKING_ROLES, form=BookVenue, race=_venue)
async def book_venue(tx: Tx, viewer: Viewer, form: BookVenue, outbox: Outbox) -> Result:
    window = (form.window.start, form.window.end)
    venue, clashes = await _bookable(tx, viewer, form, [window], refuse_clash=True)
    clash = clashes.get(0)
    if clash is not None:
        raise Conflict(_clash_message(venue, clash), bookingId=clash.booking_id, field="window")
    ids = await vb.create(tx, form.venue_id, [window], by=viewer.subject, purpose=form.purpose, need_id=form.need_id)
    return {"bookingIds": ids}


@mutation("bookVenueSeries", roles=BOOKING_ROLES, form=BookVenueSeries, race=_venue)
async def book_venue_series(tx: Tx, viewer: Viewer, form: BookVenueSeries, outbox: Outbox) -> Result:
    """The same window every week, `weeks` times: all or nothing, or (skipClashes) the free ones."""
    windows = form.windows()
    _venue, found = await _bookable(tx, viewer, form, windows, refuse_clash=not form.skip_clashes)
    if found and not form.skip_clashes:
        dates = ", ".join(windows[i][0].date().isoformat() for i in sorted(found))
        first_clash = found[min(found)]
        raise Conflict(
            f"{len(found)} of {form.weeks} dates clash with existing bookings ({dates}); nothing was booked. "
            "Send skipClashes: true to book the free dates and skip these",
            bookingId=first_clash.booking_id,
            clashingBookingIds=[found[i].booking_id for i in sorted(found)],
            field="window",
        )
    free = [w for i, w in enumerate(windows) if i not in found]
    series_id = new_id("series")
    ids = await vb.create(
        tx, form.venue_id, free, by=viewer.subject, purpose=form.purpose, need_id=form.need_id, series_id=series_id
    )
    skipped = [
        {"start": windows[i][0].isoformat(), "end": windows[i][1].isoformat(), "bookingId": found[i].booking_id}
        for i in sorted(found)
    ]
    return {"bookingIds": ids, "seriesId": series_id, "skipped": skipped}


@mutation("cancelBooking", roles=BOOKING_ROLES, form=CancelBooking)
async def cancel_booking(tx: Tx, viewer: Viewer, form: CancelBooking, outbox: Outbox) -> Result:
    """The booker, or a coordinator/admin over the venue, frees the time."""
    booking = await vb.locked_booking(tx, form.booking_id)  # read under the venue's lock
    if booking.booked_by != viewer.subject:
        require_venue_scope(viewer, booking.venue)
    if booking.status != BookingStatus.CONFIRMED:
        raise Conflict(f"booking {form.booking_id} is {booking.status}; only a CONFIRMED booking can be cancelled")
    await vb.set_status(tx, form.booking_id, BookingStatus.CANCELLED, form.reason)
    return {"bookingIds": [form.booking_id]}
