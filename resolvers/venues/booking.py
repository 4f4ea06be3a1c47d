"""Venues (阵地): search free ones, book one window or a weekly series, cancel — never double-booked.

Every booking mutation takes the venue's write lock before it looks for clashes, in the same
transaction that writes (graph/venues_booking.py), so concurrent requests for overlapping windows
serialise on the venue and exactly one wins.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden, NotFound
from graph.kernel.ids import label_of, new_id
from graph.kernel.nodes import existing_ids
from graph.needs import candidates as cand
from graph.venues import booking as vb
from matching.factors import window_fee
from matching.models import CandidateKind, NeedProfile, Place, ScorePart
from matching.place import distance_km
from matching.scoring import rank
from matching.time_windows import XIAN_TZ, is_open, window_seconds
from resolvers.kernel.authz import require_role
from resolvers.kernel.context import Context
from resolvers.kernel.mutations import run_mutation
from resolvers.kernel.validation import aware
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs.candidates import check_first

BOOKING_ROLES = (*PLACE_ROLES, Role.UNIT_ADMIN)
MAX_WINDOW = timedelta(days=1)  # a booking is for an event, not a lease
MAX_WEEKS = 52
MAX_RADIUS_KM = 50.0


def local(moment: datetime) -> str:
    """Xi'an wall-clock time for messages: what the people reading them go by."""
    return aware(moment).astimezone(XIAN_TZ).strftime("%Y-%m-%d %H:%M")


def check_window(start: datetime, end: datetime, field: str = "window") -> tuple[datetime, datetime]:
    start, end = aware(start), aware(end)
    if end <= start:
        raise BadUserInput(f"{field}: end ({end.isoformat()}) must be after start ({start.isoformat()})", field=field)
    if end - start > MAX_WINDOW:
        raise BadUserInput(f"{field}: a booking may last at most 24 hours; book a series for repeated use", field=field)
    return start, end


# --- search ------------------------------------------------------------------------------------


class VenueOption:
    """A free venue for the window, with its score, parts, reason, distance and fee for the window."""

    def __init__(
        self, venue: Any, score: float, parts: tuple[ScorePart, ...], reason: str, km: float | None, fee: int
    ) -> None:
        self.venue = venue
        self.score = score
        self.parts = parts
        self.reason = reason
        self.distance_km = None if km is None else round(km, 3)
        self.fee_for_window = fee


_PLACE = """
MATCH (p {id: $id}) WHERE p:District OR p:Street OR p:Community OR p:Compound
RETURN p.location AS location, [(p)-[:IN*0..3]->(x) | [labels(x)[0], x.id]] AS chain
"""


async def resolve_near(tx: Tx, near: dict[str, Any] | None) -> tuple[Place, float]:
    """The search centre: a place id (its point and levels) or a bare point; radius in metres."""
    if not near:
        return Place(), 0.0
    radius = 5.0 if near.get("radius_km") is None else float(near["radius_km"])
    if not 0 < radius <= MAX_RADIUS_KM:
        raise BadUserInput(f"near.radiusKm must be above 0 and at most {MAX_RADIUS_KM:g}", field="near.radiusKm")
    place_id, lat, lon = near.get("place_id"), near.get("latitude"), near.get("longitude")
    if place_id and (lat is not None or lon is not None):
        raise BadUserInput("near: give a placeId or a latitude/longitude, not both", field="near")
    if place_id:
        label_of(str(place_id), expected=("District", "Street", "Community", "Compound"), field="near.placeId")
        row = await tx.single(_PLACE, id=str(place_id))
        if row is None:
            raise NotFound(f"no place with id {place_id!r}", field="near.placeId")
        ids = {label: pid for label, pid in row["chain"]}
        loc = row["location"]
        return (
            Place(
                compound_id=ids.get("Compound"),
                community_id=ids.get("Community"),
                street_id=ids.get("Street"),
                district_id=ids.get("District"),
                latitude=loc[1] if loc is not None else None,
                longitude=loc[0] if loc is not None else None,
            ),
            radius * 1000,
        )
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadUserInput("near: give a placeId, or both latitude (−90…90) and longitude (−180…180)", field="near")
    return Place(latitude=lat, longitude=lon), radius * 1000


async def available_venues(
    ctx: Context,
    start: datetime,
    end: datetime,
    capacity: int | None,
    facilities: list[str] | None,
    near: dict[str, Any] | None,
    max_fee: int | None,
    first: int | None,
) -> list[VenueOption]:
    """Venues open for the whole window, big enough, equipped, within the fee, and with no clash."""
    require_role(ctx.viewer, *BOOKING_ROLES)
    start, end = check_window(start, end)
    size = check_first(first, default=20)
    if capacity is not None and capacity < 0:
        raise BadUserInput("capacity must be 0 or more", field="capacity")
    if max_fee is not None and max_fee < 0:
        raise BadUserInput("maxFee must be 0 or more (fen per hour)", field="maxFee")
    wanted = frozenset(code.strip().upper() for code in facilities or () if code.strip())

    async def work(tx: Tx) -> tuple[Place, list[Any]]:
        place, radius = await resolve_near(tx, near)
        found = await cand.venue_candidates(
            tx,
            place,
            start,
            end,
            capacity=capacity or 0,
            facilities=wanted,
            max_fee=max_fee,
            only_free=True,
            radius_m=radius or cand.VENUE_RADIUS_M,
            pool=max(cand.VENUE_POOL, size * 4),
        )
        return place, found

    place, found = await ctx.graph.read_tx(work)
    search = NeedProfile(
        id="venue-search",
        category_code="",
        category_name="",
        place=place,
        window_start=start,
        window_end=end,
        attendees=capacity or 0,
        required_facilities=wanted,
    )
    # Opening hours and clashes are checked again by matching's hard checks (venue_blockers).
    best = rank(CandidateKind.VENUE, search, found, size, datetime.now(UTC))
    by_id = {v.id: v for v in found}
    records = await ctx.loaders.by_id("Venue").load_many([s.id for s in best])
    seconds = window_seconds(start, end)
    return [
        VenueOption(
            record,
            s.score,
            s.parts,
            s.reason,
            distance_km(place, by_id[s.id].place),
            window_fee(by_id[s.id].fee_per_hour, seconds),
        )
        for s, record in zip(best, records, strict=True)
        if record is not None
    ]


# --- booking -----------------------------------------------------------------------------------


def require_venue_scope(viewer: Viewer, venue: dict[str, Any]) -> None:
    """Coordinators/admins whose area holds the venue; unit admins of its owner or a unit registered there."""
    if viewer.role is Role.CITY_ADMIN:
        return
    if viewer.role is Role.UNIT_ADMIN:
        if viewer.scope_id in venue["unitIds"]:
            return
    elif viewer.scope_id in venue["placeIds"]:
        return
    raise Forbidden(
        f"venue {venue['name']} ({venue['id']}) lies outside your scope {viewer.scope_id}",
        scope=viewer.scope_id,
    )


def require_open(venue: dict[str, Any], start: datetime, end: datetime) -> None:
    hours = venue["openingHours"] or []
    if not is_open(hours, start, end):
        raise BadUserInput(
            f"venue {venue['name']} is not open for the whole window {local(start)}–{local(end)}; "
            f"its opening hours are {', '.join(hours) or 'not declared'} (D = weekday 1–7, Xi'an time)",
            field="window",
        )


async def _check_need(tx: Tx, need_id: str | None) -> None:
    if need_id is None:
        return
    label_of(need_id, expected=("Need",), field="needId")
    if not await existing_ids(tx, "Need", [need_id]):
        raise NotFound(f"no need with id {need_id!r}", field="needId")


def _clash_message(venue: dict[str, Any], clash: dict[str, Any]) -> str:
    return (
        f"venue {venue['name']} is already booked {local(clash['start'])}–{local(clash['end'])} "
        f"(booking {clash['bookingId']}), which overlaps the window asked for; pick another time or venue"
    )


def _purpose(purpose: str | None) -> str | None:
    if purpose is not None and len(purpose) > 200:
        raise BadUserInput("purpose may be at most 200 characters", field="purpose")
    return purpose.strip() if purpose else None


async def book_venue(
    ctx: Context,
    venue_id: str,
    start: datetime,
    end: datetime,
    need_id: str | None,
    purpose: str | None,
    key: str | None,
) -> dict[str, Any]:
    require_role(ctx.viewer, *BOOKING_ROLES)
    start, end = check_window(start, end)
    purpose = _purpose(purpose)
    label_of(venue_id, expected=("Venue",), field="venueId")

    async def work(tx: Tx, viewer: Viewer) -> dict[str, Any]:
        await vb.lock_venue(tx, venue_id)  # before any check: competitors wait here until we commit
        venue = await vb.venue_facts(tx, venue_id)
        require_venue_scope(viewer, venue)
        require_open(venue, start, end)
        await _check_need(tx, need_id)
        clash = (await vb.clashes(tx, venue_id, [(start, end)])).get(0)
        if clash is not None:
            raise Conflict(_clash_message(venue, clash), bookingId=clash["bookingId"], field="window")
        ids = await vb.create(tx, venue_id, [(start, end)], by=viewer.subject, purpose=purpose, need_id=need_id)
        return {"bookingIds": ids}

    return await run_mutation(ctx, "bookVenue", key, work)


async def book_venue_series(
    ctx: Context,
    venue_id: str,
    start: datetime,
    end: datetime,
    weeks: int,
    skip_clashes: bool,
    need_id: str | None,
    purpose: str | None,
    key: str | None,
) -> dict[str, Any]:
    """The same window every week, `weeks` times: all or nothing, or (skipClashes) the free ones."""
    require_role(ctx.viewer, *BOOKING_ROLES)
    start, end = check_window(start, end)
    purpose = _purpose(purpose)
    label_of(venue_id, expected=("Venue",), field="venueId")
    if not 1 <= weeks <= MAX_WEEKS:
        raise BadUserInput(f"weeks must be between 1 and {MAX_WEEKS} (got {weeks})", field="weeks")
    windows = [(start + timedelta(weeks=i), end + timedelta(weeks=i)) for i in range(weeks)]

    async def work(tx: Tx, viewer: Viewer) -> dict[str, Any]:
        await vb.lock_venue(tx, venue_id)
        venue = await vb.venue_facts(tx, venue_id)
        require_venue_scope(viewer, venue)
        require_open(venue, start, end)  # weekly hours: open for one occurrence means open for all
        await _check_need(tx, need_id)
        found = await vb.clashes(tx, venue_id, windows)
        if found and not skip_clashes:
            dates = ", ".join(windows[i][0].date().isoformat() for i in sorted(found))
            first_clash = found[min(found)]
            raise Conflict(
                f"{len(found)} of {weeks} dates clash with existing bookings ({dates}); nothing was booked. "
                "Send skipClashes: true to book the free dates and skip these",
                bookingId=first_clash["bookingId"],
                clashingBookingIds=[found[i]["bookingId"] for i in sorted(found)],
                field="window",
            )
        free = [w for i, w in enumerate(windows) if i not in found]
        series_id = new_id("series")
        ids = await vb.create(
            tx, venue_id, free, by=viewer.subject, purpose=purpose, need_id=need_id, series_id=series_id
        )
        skipped = [
            {
                "start": windows[i][0].isoformat(),
                "end": windows[i][1].isoformat(),
                "bookingId": found[i]["bookingId"],
            }
            for i in sorted(found)
        ]
        return {"bookingIds": ids, "seriesId": series_id, "skipped": skipped}

    return await run_mutation(ctx, "bookVenueSeries", key, work)


async def cancel_booking(ctx: Context, booking_id: str, reason: str | None, key: str | None) -> dict[str, Any]:
    """The booker, or a coordinator/admin over the venue, frees the time."""
    require_role(ctx.viewer, *BOOKING_ROLES)
    label_of(booking_id, expected=("Booking",), field="bookingId")

    async def work(tx: Tx, viewer: Viewer) -> dict[str, Any]:
        booking = await vb.booking_facts(tx, booking_id)
        await vb.lock_venue(tx, booking["venueId"])
        booking = await vb.booking_facts(tx, booking_id)  # re-read under the lock
        if booking["bookedBy"] != viewer.subject:
            require_venue_scope(viewer, await vb.venue_facts(tx, booking["venueId"]))
        if booking["status"] != "CONFIRMED":
            raise Conflict(f"booking {booking_id} is {booking['status']}; only a CONFIRMED booking can be cancelled")
        await vb.set_status(tx, booking_id, "CANCELLED", reason)
        return {"bookingIds": [booking_id]}

    return await run_mutation(ctx, "cancelBooking", key, work)


async def bookings(ctx: Context, ids: list[str]) -> list[dict[str, Any]]:
    """Bookings by id for payloads (the mutation already checked who may see them)."""
    return await vb.bookings_by_ids(ctx.graph, ids)
