"""Venues: search free ones, book, clash, cancel, weekly series (story 6), roles, input, and the race."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from graph.venues.booking import overlap_count
from tests.conftest import pinned
from tests.support.factories_matching import (
    NEED,
    NOW,
    SMALL_VENUE,
    TOKENS,
    TUESDAY_19,
    VENUE,
    error_code,
    make_need,
    make_world,
)
from tests.support.races import released_together
from tests.support.roles import SCOPE_STAFF, role_matrix

AVAILABLE = """
query($window: WindowInput!, $capacity: Int, $facilities: [String!], $near: NearInput, $radiusKm: Float! = 5,
      $maxFee: Fen) {
  availableVenues(window: $window, capacity: $capacity, facilities: $facilities, near: $near, radiusKm: $radiusKm,
                  maxFee: $maxFee) {
    venue { id name } score reason distanceKm feeForWindow
  }
}
"""
BOOK = """
mutation($input: BookVenueInput!) {
  bookVenue(input: $input) { replayed booking { id status start end venue { id } need { id } } }
}
"""
SERIES = """
mutation($input: BookVenueSeriesInput!) {
  bookVenueSeries(input: $input) {
    seriesId replayed bookings { id start } skipped { start clashingBookingId }
  }
}
"""
CANCEL = "mutation($input: CancelBookingInput!) { cancelBooking(input: $input) { booking { id status } } }"

now = pinned(NOW)


def window(start=TUESDAY_19, hours: float = 2) -> dict:
    return {"start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat()}


async def book(client, tok, start=TUESDAY_19, hours: float = 2, venue=VENUE, **extra) -> dict:
    return await client(
        BOOK, {"input": {"venueId": venue, "window": window(start, hours), **extra}}, token=tok, expect_errors=True
    )


@pytest.mark.smoke
async def test_search_then_book_then_clash_then_cancel(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    await make_need(graph)
    tok = TOKENS["COORDINATOR"]()
    near = {"placeId": "community:610103001009"}
    variables = {"window": window(), "capacity": 40, "facilities": ["PROJECTOR"], "near": near, "radiusKm": 3}
    found = (await graphql_client(AVAILABLE, variables, token=tok))["data"]["availableVenues"]
    assert [v["venue"]["id"] for v in found] == [VENUE]  # the small station is too small and has no projector
    assert found[0]["feeForWindow"] == 0 and found[0]["distanceKm"] < 3

    body = await book(graphql_client, tok, needId=NEED, purpose="社区夜校")
    booking = body["data"]["bookVenue"]["booking"]
    assert booking["status"] == "CONFIRMED" and booking["need"]["id"] == NEED

    # an overlapping (not identical) window clashes, and the error names the booking
    clash = await book(graphql_client, tok, start=TUESDAY_19 + timedelta(hours=1), hours=1)
    assert error_code(clash) == "CONFLICT"
    assert clash["errors"][0]["extensions"]["bookingId"] == booking["id"]
    assert booking["id"] in clash["errors"][0]["message"]
    # back to back is fine: intervals are half-open
    after = await book(graphql_client, tok, start=TUESDAY_19 + timedelta(hours=2), hours=0.5)
    assert after["data"]["bookVenue"]["booking"]["status"] == "CONFIRMED"
    # the booked venue is no longer offered for that window
    found = (await graphql_client(AVAILABLE, variables, token=tok))["data"]["availableVenues"]
    assert found == []

    cancelled = await graphql_client(CANCEL, {"input": {"bookingId": booking["id"]}}, token=tok)
    assert cancelled["data"]["cancelBooking"]["booking"]["status"] == "CANCELLED"
    again = await book(graphql_client, tok, start=TUESDAY_19 + timedelta(hours=1), hours=1)
    assert again["data"]["bookVenue"]["booking"]["status"] == "CONFIRMED"
    assert await overlap_count(graph, VENUE) == 0


async def test_closed_venue_and_fee_filter(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    tok = TOKENS["COORDINATOR"]()
    sunday_night = TUESDAY_19 + timedelta(days=5)  # Sunday 19:00: the centre closes at 17:00 on Sundays
    body = await book(graphql_client, tok, start=sunday_night)
    assert error_code(body) == "BAD_USER_INPUT" and "opening hours" in body["errors"][0]["message"]
    monday_10 = TUESDAY_19 - timedelta(days=1) - timedelta(hours=9)
    found = await graphql_client(AVAILABLE, {"window": window(monday_10), "maxFee": 0}, token=tok)
    assert [v["venue"]["id"] for v in found["data"]["availableVenues"]] == [VENUE]  # the station charges
    found = await graphql_client(AVAILABLE, {"window": window(monday_10)}, token=tok)
    station = next(v for v in found["data"]["availableVenues"] if v["venue"]["id"] == SMALL_VENUE)
    assert station["feeForWindow"] == 2000  # 2 hours × 10 yuan


async def test_series_all_or_nothing_and_skip_clashes(graph, graphql_client, now) -> None:
    """Story 6: ten Tuesdays 19:00–21:00; two are taken; all-or-nothing refuses, skipClashes books eight."""
    await make_world(graph, now)
    tok = TOKENS["STREET_COORDINATOR"]()
    taken = [
        (await book(graphql_client, tok, start=TUESDAY_19 + timedelta(weeks=w, minutes=30), hours=1))["data"][
            "bookVenue"
        ]["booking"]["id"]
        for w in (3, 6)
    ]
    series = {"venueId": VENUE, "window": window(), "weeks": 10, "purpose": "社区夜校"}
    refused = await graphql_client(SERIES, {"input": series}, token=tok, expect_errors=True)
    assert error_code(refused) == "CONFLICT"
    assert refused["errors"][0]["extensions"]["clashingBookingIds"] == taken
    assert await graph.read("MATCH (b:Booking) RETURN count(b) AS n") == [{"n": 2}]

    body = await graphql_client(SERIES, {"input": {**series, "skipClashes": True, "idempotencyKey": "s1"}}, token=tok)
    result = body["data"]["bookVenueSeries"]
    assert len(result["bookings"]) == 8
    assert [s["clashingBookingId"] for s in result["skipped"]] == taken
    assert [s["start"][:10] for s in result["skipped"]] == ["2026-11-24", "2026-12-15"]
    replay = await graphql_client(SERIES, {"input": {**series, "skipClashes": True, "idempotencyKey": "s1"}}, token=tok)
    assert replay["data"]["bookVenueSeries"]["replayed"] is True
    assert len(replay["data"]["bookVenueSeries"]["bookings"]) == 8
    assert await overlap_count(graph, VENUE) == 0


async def test_race_100_overlapping_bookings_exactly_one_wins(graph, graphql_client, now) -> None:
    """100 concurrent requests for overlapping windows of one venue: one CONFIRMED, 99 CONFLICT, no overlap."""
    await make_world(graph, now)
    tok = TOKENS["COORDINATOR"]()
    starts = [TUESDAY_19 + timedelta(seconds=30 * i) for i in range(100)]  # 1 h long: all overlap each other
    bodies = await asyncio.gather(*(book(graphql_client, tok, start=s, hours=1) for s in starts))
    ok = [b for b in bodies if "errors" not in b]
    codes = [error_code(b) for b in bodies if "errors" in b]
    assert len(ok) == 1, codes[:5]
    assert codes == ["CONFLICT"] * 99
    rows = await graph.read(
        "MATCH (b:Booking {status: 'CONFIRMED'})-[:OF]->(:Venue {id: $v}) RETURN count(b) AS n", v=VENUE
    )
    assert rows == [{"n": 1}]
    assert await overlap_count(graph, VENUE) == 0


async def _confirmed(graph) -> list[dict]:
    return await graph.read(
        "MATCH (b:Booking {status: 'CONFIRMED'})-[:OF]->(:Venue {id: $v}) "
        "RETURN b.id AS id, b.start AS start, b.seriesId AS series ORDER BY b.start, b.id",
        v=VENUE,
    )


@pytest.mark.parametrize("skip_clashes", [False, True], ids=["all-or-nothing", "skipClashes"])
async def test_a_weekly_series_races_single_bookings_on_one_of_its_dates(
    graph, graphql_client, now, skip_clashes
) -> None:
    """Ten Tuesdays as a series and twenty single bookings of the fifth one, all at once: the fifth
    Tuesday ends up booked exactly once. All-or-nothing, either the series holds all ten (every single
    refused) or one single holds the date and the series nothing; with skipClashes, the series holds
    the other nine in any case and the fifth only if no single got it first."""
    await make_world(graph, now)
    tok = TOKENS["STREET_COORDINATOR"]()
    contested = TUESDAY_19 + timedelta(weeks=4)
    series = {"venueId": VENUE, "window": window(), "weeks": 10, "skipClashes": skip_clashes}
    singles = [book(graphql_client, tok, start=contested + timedelta(minutes=i), hours=1) for i in range(20)]
    # All 21 meet at the venue (held until each waits there), so the race is run every time.
    series_body, *single_bodies = await released_together(
        graph, ("Venue", VENUE), [graphql_client(SERIES, {"input": series}, token=tok, expect_errors=True), *singles]
    )
    won = [b["data"]["bookVenue"]["booking"]["id"] for b in single_bodies if "errors" not in b]
    assert {error_code(b) for b in single_bodies if "errors" in b} <= {"CONFLICT"}
    confirmed = await _confirmed(graph)
    on_contested = [b for b in confirmed if b["start"].date() == contested.date()]
    assert len(on_contested) == 1, confirmed
    assert await overlap_count(graph, VENUE) == 0
    in_series = [b for b in confirmed if b["series"] is not None]
    if won:  # a single got the fifth Tuesday first
        assert len(won) == 1 and on_contested[0]["id"] == won[0]
        if skip_clashes:
            result = series_body["data"]["bookVenueSeries"]
            assert [s["clashingBookingId"] for s in result["skipped"]] == won and len(in_series) == 9
            assert {b["id"] for b in result["bookings"]} == {b["id"] for b in in_series}
        else:
            assert error_code(series_body) == "CONFLICT" and in_series == []
            assert series_body["errors"][0]["extensions"]["clashingBookingIds"] == won
    else:  # the series got there first, with all ten
        result = series_body["data"]["bookVenueSeries"]
        assert result["skipped"] == [] and len(result["bookings"]) == len(in_series) == 10
        assert on_contested[0]["series"] == result["seriesId"]
    assert len(confirmed) == len(in_series) + len(won)


# The unit admin's unit owns the centre.
@pytest.mark.parametrize(
    ("role", "code"),
    role_matrix((*SCOPE_STAFF, "UNIT_ADMIN"), ("OTHER_COORDINATOR", "OTHER_DISTRICT_ADMIN", "MEMBER", "RESIDENT")),
)
async def test_booking_roles(graph, graphql_client, role, code, now) -> None:
    await make_world(graph, now)
    body = await book(graphql_client, TOKENS[role]() if role else None)
    if code is None:
        assert body["data"]["bookVenue"]["booking"]["status"] == "CONFIRMED"
        cancelled = await graphql_client(
            CANCEL, {"input": {"bookingId": body["data"]["bookVenue"]["booking"]["id"]}}, token=TOKENS[role]()
        )
        assert cancelled["data"]["cancelBooking"]["booking"]["status"] == "CANCELLED"
    else:
        assert error_code(body) == code


async def test_cancel_by_someone_else_outside_scope_is_refused(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    body = await book(graphql_client, TOKENS["COORDINATOR"]())
    bid = body["data"]["bookVenue"]["booking"]["id"]
    refused = await graphql_client(
        CANCEL, {"input": {"bookingId": bid}}, token=TOKENS["OTHER_COORDINATOR"](), expect_errors=True
    )
    assert error_code(refused) == "FORBIDDEN"
    await graphql_client(CANCEL, {"input": {"bookingId": bid}}, token=TOKENS["COORDINATOR"]())
    twice = await graphql_client(
        CANCEL, {"input": {"bookingId": bid}}, token=TOKENS["COORDINATOR"](), expect_errors=True
    )
    assert error_code(twice) == "CONFLICT"


async def test_idempotent_booking(graph, graphql_client, now) -> None:
    await make_world(graph, now)
    tok = TOKENS["COORDINATOR"]()
    first = await book(graphql_client, tok, idempotencyKey="k-1")
    second = await book(graphql_client, tok, idempotencyKey="k-1")
    assert second["data"]["bookVenue"]["replayed"] is True
    assert second["data"]["bookVenue"]["booking"]["id"] == first["data"]["bookVenue"]["booking"]["id"]
    assert await graph.read("MATCH (b:Booking) RETURN count(b) AS n") == [{"n": 1}]


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (BOOK, {"input": {"venueId": VENUE, "window": window(hours=-1)}}, "window"),
        (BOOK, {"input": {"venueId": VENUE, "window": window(hours=0)}}, "window"),
        (BOOK, {"input": {"venueId": VENUE, "window": window(hours=30)}}, "window"),
        (BOOK, {"input": {"venueId": NEED, "window": window()}}, "venueId"),
        (BOOK, {"input": {"venueId": VENUE, "window": window(), "idempotencyKey": ""}}, "idempotencyKey"),
        (SERIES, {"input": {"venueId": VENUE, "window": window(), "weeks": 0}}, "weeks"),
        (SERIES, {"input": {"venueId": VENUE, "window": window(), "weeks": 53}}, "weeks"),
        (AVAILABLE, {"window": window(hours=-2)}, "window"),
        (AVAILABLE, {"window": window(), "capacity": -1}, "capacity"),
        (AVAILABLE, {"window": window(), "near": {"point": {"latitude": 34.2, "longitude": 200}}}, "near.longitude"),
        (AVAILABLE, {"window": window(), "near": {"placeId": "community:610103001009"}, "radiusKm": 0}, "radiusKm"),
    ],
)
async def test_bad_input(graph, graphql_client, query, variables, field, now) -> None:
    await make_world(graph, now)
    body = await graphql_client(query, variables, token=TOKENS["CITY_ADMIN"](), expect_errors=True)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"].get("field") == field
