"""Each workflow mutation reads its facts under lock and writes everything in one statement: two
statements in its transaction (an idempotency key adds its claim and its store). acceptNeed is two as
well: the committed state that refuses a race's late losers without the lock is read in the facts
statement itself (graph/kernel/locks.py), where it was a statement of its own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import pinned
from tests.support import workflow_helpers as w
from tests.support.factories import make_places
from tests.support.factories_matching import NOW

FACTS_THEN_APPLY = ["needs.workflow.facts", "needs.workflow.apply"]

now = pinned(NOW)


@pytest.mark.smoke
async def test_the_order_workflow_writes_in_two_statements(graph, graphql_client) -> None:
    await make_places(graph)
    await w.make_people(graph, members=3)
    client = graphql_client
    need = await w.submit(client)
    # The third records where the duty lists send it (吹哨报到: graph/whistle/calls.py `route`).
    assert client.last_written == ["needs.write.intake_facts", "needs.write.create_need", "whistle.route"]
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
    # A key adds its claim before the work and its store after it; a replay is the claim alone.
    keyed = await w.submit(client)
    variables = {"input": {"needId": keyed["id"], "handlerId": w.OFFERING, "idempotencyKey": "k1"}}
    first = (await client(w.DISPATCH, variables, token=w.coordinator()))["data"]["dispatchNeed"]
    assert first["replayed"] is False and first["need"]["status"] == "DISPATCHED"
    assert client.last_written == ["kernel.idempotency.claim", *FACTS_THEN_APPLY, "kernel.idempotency.store"]
    again = (await client(w.DISPATCH, variables, token=w.coordinator()))["data"]["dispatchNeed"]
    assert again["replayed"] is True and again["assignment"]["id"] == first["assignment"]["id"]
    assert client.last_written == ["kernel.idempotency.claim"]


async def test_booking_and_cancelling_write_in_two_statements(graph, graphql_client, now) -> None:
    """The venue's lock, its facts, the need's existence and the clashes are one statement; the write another."""
    from tests.support.factories_matching import NEED, TOKENS, TUESDAY_19, VENUE, make_need, make_world
    from tests.venues.test_booking import BOOK, CANCEL, SERIES, window

    await make_world(graph, now)
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


async def test_grants_write_in_at_most_three_statements(graph, graphql_client, now) -> None:
    """Requesting: the need, the program, the grant with its Event. Deciding: the grant and program under
    their locks, then the decision with the program's spending and the Event."""
    from tests.funding.test_grants import APPROVE, REJECT, request
    from tests.support.factories_matching import TOKENS, make_need, make_world

    await make_world(graph, now)
    await make_need(graph)
    client = graphql_client
    first = (await request(client, 150_000))["data"]["requestGrant"]["grant"]["id"]
    assert client.last_written == [
        "needs.candidates.need_facts",
        "funding.grants.program_facts",
        "funding.grants.create",
    ]
    await client(APPROVE, {"input": {"grantId": first}}, token=TOKENS["DISTRICT_ADMIN"]())
    assert client.last_written == ["funding.grants.locked_decision", "funding.grants.decide"]
    second = (await request(client, 50_000))["data"]["requestGrant"]["grant"]["id"]
    await client(REJECT, {"input": {"grantId": second, "reason": "已有其他资金"}}, token=TOKENS["DISTRICT_ADMIN"]())
    assert client.last_written == ["funding.grants.locked_decision", "funding.grants.decide"]


async def test_registering_a_member_writes_in_three_statements(graph, graphql_client) -> None:
    """The unit under its lock, the skills and the communities in one statement; the natural key; the member."""
    from tests.partners.test_registration import INPUTS, call
    from tests.support.factories import NANYUANMEN_COMMUNITY, SHUYUANMEN
    from tests.support.factories_partners import make_partners

    await make_partners(graph)
    data = {**INPUTS["registerMember"], "communityIds": [SHUYUANMEN, NANYUANMEN_COMMUNITY]}
    await call(graphql_client, "registerMember", data, "unit_admin")
    assert graphql_client.last_written == [
        "partners.registration.member_registration_facts",
        "partners.registration.taken_keys",  # the phone's natural key in the unit (issue 11)
        "partners.registration.create_members",
    ]
    unknown = {**data, "skills": ["FIRST_AID", "JUGGLING"], "communityIds": ["community:999999999999"]}
    body = await call(graphql_client, "registerMember", unknown, "unit_admin")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND" and "JUGGLING" in body["errors"][0]["message"]
    assert graphql_client.last_written == ["partners.registration.member_registration_facts"]


async def test_asset_mutations_write_in_two_statements(graph, graphql_client) -> None:
    """Offerings, venues and funding programs: the node under its lock with every reference the input
    names (codes, places, units) in one statement, everything written in the other, whatever changes."""
    from tests.partners.test_registration import INPUTS, call, code_of
    from tests.support.factories import BEILIN, NANYUANMEN_COMMUNITY, SHUYUANMEN, YANTA
    from tests.support.factories_partners import MEMBER, OTHER_UNIT, PROGRAM, VENUE, make_partners

    await make_partners(graph)
    client = graphql_client

    async def written(name: str, data: dict, who: str, code: str | None = None) -> list[str]:
        body = await call(client, name, data, who)
        assert code_of(body) == code, body.get("errors")
        return client.last_written

    facts, write = "partners.assets.{}_facts", "partners.assets.{}"
    offering = await call(client, "addOffering", INPUTS["addOffering"], "unit_admin")
    assert client.last_written == [facts.format("offering_registration"), write.format("create_offering")]
    every = {"categoryCode": "SEWER", "areaIds": [BEILIN, SHUYUANMEN], "title": "管道疏通", "capacity": 3}
    change = {"offeringId": offering["data"]["addOffering"]["offering"]["id"], **every}
    assert await written("updateOffering", change, "unit_admin") == [
        facts.format("offering"),
        write.format("update_offering"),
    ]
    withdraw = {"offeringId": change["offeringId"]}
    assert await written("withdrawOffering", withdraw, "unit_admin") == [
        facts.format("offering"),
        "partners.registration.update_props",
    ]

    assert await written("registerVenue", INPUTS["registerVenue"], "coord_in") == [
        facts.format("venue_registration"),
        write.format("create_venues"),
    ]
    move = {
        "venueId": VENUE,
        "communityId": NANYUANMEN_COMMUNITY,
        "ownerUnitId": OTHER_UNIT,
        "facilities": ["WHEELCHAIR_ACCESS", "PROJECTOR"],
        "capacity": 70,
    }
    assert await written("updateVenue", move, "street_in") == [facts.format("venue"), write.format("update_venue")]

    assert await written("createFundingProgram", INPUTS["createFundingProgram"], "city") == [
        facts.format("program_registration"),
        write.format("create_program"),
    ]
    widen = {"programId": PROGRAM, "districtIds": [BEILIN, YANTA], "categories": ["SEWER"], "budget": 3_000_000}
    assert await written("updateFundingProgram", widen, "city") == [
        facts.format("program"),
        write.format("update_program"),
    ]

    ownerless = {**INPUTS["registerVenue"], "ownerUnitId": None, "facilities": []}
    body = await call(client, "registerVenue", ownerless, "coord_in")
    assert body["data"]["registerVenue"]["venue"]["owner"] is None
    assert client.last_written == [facts.format("venue_registration"), write.format("create_venues")]
    assert await written("updateVenue", {"venueId": VENUE, "capacity": 80}, "street_in") == [
        facts.format("venue"),
        write.format("update_venue"),
    ]
    # A refusal costs the facts statement alone.
    unknown = {**INPUTS["registerVenue"], "facilities": ["SAUNA"], "ownerUnitId": "unit:nope"}
    assert await written("registerVenue", unknown, "coord_in", "NOT_FOUND") == [facts.format("venue_registration")]
    # 双报到: the member with the community, then the registration (its basis decided in the write).
    again = {"subjectId": MEMBER, "communityId": NANYUANMEN_COMMUNITY}
    assert await written("registerWithCommunity", again, "unit_admin") == [
        "partners.registration.registration_facts",
        "partners.registration.register_with",
    ]
