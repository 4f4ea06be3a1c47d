"""Venue bookings that never overlap: lock the venue, look for a clash, then write — one transaction.

Neo4j reads committed data without locks, so "check for a clash, then create" run by two
transactions at once could both pass. Every booking change first takes the venue's write lock
(graph/kernel/locks.py); a competitor blocks on it until we commit and then sees our booking. Intervals
are half-open [start, end): a booking ending at 19:00 does not clash with one starting at 19:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import NotFound
from graph.kernel.ids import label_of, new_id
from graph.kernel.locks import answered_unlocked, lock_if, still
from graph.kernel.records import from_row

# The venue's facts are read after its lock, in the same statement (one round trip): the SET takes the
# write lock (graph/kernel/locks.py), so a competitor waits there and then reads our committed
# booking among the clashes. A caller that refuses any clash (`$refuseClash`) takes the lock only while
# the committed bookings leave every window free, and leaves the queue as soon as a booking that waited
# ahead of it takes one (locks.lock_if, locks.still).
_CLASHING = """(b:Booking)-[:OF]->(v)
    WHERE b.status = 'CONFIRMED' AND b.start < datetime(w.end) AND b.end > datetime(w.start)"""
_FREE = f"(NOT $refuseClash OR NOT EXISTS {{ UNWIND $windows AS w MATCH {_CLASHING} }})"
_VENUE_FACTS = """{id: v.id, name: v.name, openingHours: v.openingHours, capacity: v.capacity,
  placeIds: [(v)-[:AT]->(:Community)-[:IN*0..2]->(p) | p.id],
  unitIds: [(v)-[:OWNED_BY]->(u:Unit) | u.id] + [(v)-[:AT]->(:Community)<-[:REGISTERED_WITH]-(u:Unit) | u.id]}"""
_LOCKED_VENUE = f"""
MATCH (v:Venue {{id: $id}})
WITH v, {_FREE} AS open
{lock_if("v", "open")}
{still("NOT open OR " + _FREE)}
RETURN open AS locked, {_VENUE_FACTS} AS venue,
  $need IS NULL OR EXISTS {{ MATCH (:Need {{id: $need}}) }} AS needExists,
  COLLECT {{
    UNWIND $windows AS w
    MATCH {_CLASHING}
    WITH w, b ORDER BY w.index, b.start
    RETURN {{index: w.index, bookingId: b.id, start: b.start, end: b.end}}
  }} AS clashes
"""


@dataclass(frozen=True, slots=True)
class BookedVenue:
    """What a booking checks of its venue: its opening hours, and who answers for it."""

    id: str
    name: str
    opening_hours: list[str] | None  # "D HH:MM-HH:MM", D = weekday 1–7, Xi'an time
    capacity: int | None
    place_ids: list[str]  # its community and the places above it
    unit_ids: list[str]  # its owner and the units registered with its community


@dataclass(frozen=True, slots=True)
class Clash:
    """A CONFIRMED booking overlapping a window asked for."""

    booking_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class LockedVenue:
    venue: BookedVenue
    need_exists: bool  # the need the booking is for exists (True when it names none)
    clashes: dict[int, Clash]  # window index → the first booking it clashes with


@dataclass(frozen=True, slots=True)
class LockedBooking:
    id: str
    status: str
    booked_by: str | None
    venue: BookedVenue


async def locked_venue(
    tx: Tx,
    venue_id: str,
    windows: list[tuple[datetime, datetime]],
    need_id: str | None = None,
    *,
    refuse_clash: bool = False,
) -> LockedVenue:
    """The venue under its write lock, whether the need named exists, and the clashes: window index → the
    first CONFIRMED booking overlapping that window. NotFound for an unknown venue. With `refuse_clash`
    (the caller refuses any clash), a committed clash is answered without the lock."""
    row = await tx.single(
        _LOCKED_VENUE,
        id=venue_id,
        need=need_id,
        refuseClash=refuse_clash,
        windows=[{"index": i, "start": s.isoformat(), "end": e.isoformat()} for i, (s, e) in enumerate(windows)],
    )
    if row is None:
        raise NotFound(f"no venue with id {venue_id!r}", id=venue_id)
    answered_unlocked(row.pop("locked"))
    found: dict[int, Clash] = {}
    for clash in row["clashes"]:
        found.setdefault(clash["index"], from_row(Clash, clash))
    return LockedVenue(from_row(BookedVenue, row["venue"]), row["needExists"], found)


_CREATE = """
MATCH (v:Venue {id: $venue})
UNWIND $rows AS row
CREATE (b:Booking {id: row.id, start: datetime(row.start), end: datetime(row.end), status: 'CONFIRMED',
                   purpose: $purpose, seriesId: $seriesId, bookedBy: $by, createdAt: datetime()})-[:OF]->(v)
WITH b
OPTIONAL MATCH (n:Need {id: $need})
FOREACH (_ IN CASE WHEN n IS NULL THEN [] ELSE [1] END | CREATE (b)-[:FOR]->(n))
RETURN b.id AS id
"""


async def create(
    tx: Tx,
    venue_id: str,
    windows: list[tuple[datetime, datetime]],
    *,
    by: str,
    purpose: str | None,
    need_id: str | None,
    series_id: str | None = None,
) -> list[str]:
    rows = [{"id": new_id("booking"), "start": s.isoformat(), "end": e.isoformat()} for s, e in windows]
    await tx.run(_CREATE, venue=venue_id, rows=rows, purpose=purpose, seriesId=series_id, by=by, need=need_id)
    return [row["id"] for row in rows]


# The booking and its venue, the venue locked first: the booking's status is read after the lock, so a
# concurrent cancellation or booking of that venue has committed or waits.
_LOCKED_BOOKING = f"""
MATCH (b:Booking {{id: $id}})-[:OF]->(v:Venue)
SET v._lock = true REMOVE v._lock
WITH b, v
RETURN b.id AS id, b.status AS status, b.bookedBy AS bookedBy, v.id AS venueId, {_VENUE_FACTS} AS venue
"""


async def locked_booking(tx: Tx, booking_id: str) -> LockedBooking:
    """The booking (status, booker) with its venue's facts, under the venue's write lock."""
    label_of(booking_id, expected=("Booking",), field="bookingId")
    row = await tx.single(_LOCKED_BOOKING, id=booking_id)
    if row is None:
        raise NotFound(f"no booking with id {booking_id!r}", id=booking_id, field="bookingId")
    return LockedBooking(row["id"], row["status"], row["bookedBy"], from_row(BookedVenue, row["venue"]))


async def set_status(tx: Tx, booking_id: str, status: str, reason: str | None) -> None:
    await tx.run(
        "MATCH (b:Booking {id: $id}) SET b.status = $status, b.cancelReason = $reason, b.updatedAt = datetime()",
        id=booking_id,
        status=status,
        reason=reason,
    )


_OVERLAPS = """
MATCH (a:Booking)-[:OF]->(v:Venue {id: $venue}), (b:Booking)-[:OF]->(v)
WHERE a.id < b.id AND a.status = 'CONFIRMED' AND b.status = 'CONFIRMED' AND a.start < b.end AND b.start < a.end
RETURN count(*) AS overlaps
"""


async def overlap_count(graph: Graph, venue_id: str) -> int:
    """Pairs of CONFIRMED bookings of one venue that overlap (the invariant says 0; tests check it)."""
    rows = await graph.read(_OVERLAPS, venue=venue_id)
    return rows[0]["overlaps"]
