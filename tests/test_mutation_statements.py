"""Each workflow mutation reads its facts under lock and writes everything in one statement: two
statements in its transaction (an idempotency key adds its claim and its store)."""

from __future__ import annotations

from datetime import timedelta

from tests import workflow_helpers as w
from tests.factories import make_places

FACTS_THEN_APPLY = ["needs.workflow.facts", "needs.workflow.apply"]


async def test_the_order_workflow_writes_in_two_statements(graph, graphql_client) -> None:
    await make_places(graph)
    await w.make_people(graph, members=3)
    client = graphql_client
    need = await w.submit(client)
    assert client.last_written == ["needs.write.intake_facts", "needs.write.create_need"]
    steps = [
        (w.DISPATCH, {"handlerId": w.member_id(1)}, w.coordinator()),
        (w.DECLINE, {"reason": "生病了"}, w.member(1)),
        (w.INVITE, {"candidateIds": [w.member_id(1), w.member_id(2)]}, w.coordinator()),
        (w.ACCEPT, {}, w.member(2)),
        (w.START, {}, w.member(2)),
        (w.COMPLETE, {"note": "疏通完毕"}, w.member(2)),
        (w.REOPEN, {"reason": "又堵了"}, w.resident()),
        (w.TRANSFER, {"handlerId": w.member_id(3), "reason": "换人"}, w.coordinator()),
    ]
    for document, extra, token in steps:
        await client(document, {"input": {"needId": need["id"], **extra}}, token=token)
        assert client.last_written == FACTS_THEN_APPLY, (document, client.last_written)
    await client(
        w.DISPATCH, {"input": {"needId": need["id"], "handlerId": w.OFFERING, "idempotencyKey": "k1"}},
        token=w.coordinator(), expect_errors=True,
    )  # fmt: skip
    assert client.last_written[0] == "kernel.idempotency.claim"
    assert len(client.last_written) <= 4


async def test_booking_and_cancelling_write_in_two_statements(graph, graphql_client) -> None:
    """The venue's lock, its facts, the need's existence and the clashes are one statement; the write another."""
    from tests.factories_matching import NEED, TOKENS, TUESDAY_19, VENUE, make_need, make_world
    from tests.test_booking import BOOK, CANCEL, SERIES, window

    await make_world(graph)
    await make_need(graph)
    client, token = graphql_client, TOKENS["COORDINATOR"]()
    body = await client(BOOK, {"input": {"venueId": VENUE, "window": window(), "needId": NEED}}, token=token)
    assert client.last_written == ["venues.booking.locked_venue", "venues.booking.create"]
    booking = body["data"]["bookVenue"]["booking"]["id"]
    clash = await client(BOOK, {"input": {"venueId": VENUE, "window": window()}}, token=token, expect_errors=True)
    assert clash["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert client.last_written == ["venues.booking.locked_venue"]
    series = {"venueId": VENUE, "window": window(TUESDAY_19 + timedelta(days=7)), "weeks": 4}
    await client(SERIES, {"input": series}, token=token)
    assert client.last_written == ["venues.booking.locked_venue", "venues.booking.create"]
    await client(CANCEL, {"input": {"bookingId": booking}}, token=token)
    assert client.last_written == ["venues.booking.locked_booking", "venues.booking.set_status"]
