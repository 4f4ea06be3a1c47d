"""Partner registration through HTTP with real tokens: happy paths checked in the graph, every
mutation against every role, bad input, missing targets, idempotency and all-or-nothing writes."""

from __future__ import annotations

import pytest

from graph.kernel.db import Graph
from tests.conftest import GraphQLClient
from tests.support.factories import BEILIN, NANYUANMEN_COMMUNITY, SHUYUANMEN, YANTA
from tests.support.factories_partners import (
    MEMBER,
    OFFERING,
    OTHER_UNIT,
    PROGRAM,
    ROLES,
    UNIT,
    VENUE,
    count,
    make_partners,
    token,
)
from tests.support.graph_state import changes, graph_state

DOCS = {
    "registerUnit": (
        "mutation($input: RegisterUnitInput!) { registerUnit(input: $input) { unit { id name } replayed } }"
    ),
    "updateUnit": "mutation($input: UpdateUnitInput!) { updateUnit(input: $input) { unit { id name phone } } }",
    "registerMember": (
        "mutation($input: RegisterMemberInput!) { registerMember(input: $input) { member { id name maxLoad "
        "availability unit { id } } replayed } }"
    ),
    "registerWithCommunity": (
        "mutation($input: RegisterWithCommunityInput!) { registerWithCommunity(input: $input) { "
        "community { id } unit { id } member { id } created replayed } }"
    ),
    "setAvailability": (
        "mutation($input: SetAvailabilityInput!) { setAvailability(input: $input) { member { id availability "
        "maxLoad } } }"
    ),
    "addOffering": (
        "mutation($input: AddOfferingInput!) { addOffering(input: $input) { offering { id title capacity status "
        "category { code } unit { id } area { id } } replayed } }"
    ),
    "updateOffering": (
        "mutation($input: UpdateOfferingInput!) { updateOffering(input: $input) { offering { id title capacity "
        "category { code } area { id } } } }"
    ),
    "withdrawOffering": (
        "mutation($input: WithdrawOfferingInput!) { withdrawOffering(input: $input) { offering { id status } } }"
    ),
    "registerVenue": (
        "mutation($input: RegisterVenueInput!) { registerVenue(input: $input) { venue { id name capacity feePerHour "
        "openingHours community { id } owner { id } facilities { code } location { latitude } } } }"
    ),
    "updateVenue": (
        "mutation($input: UpdateVenueInput!) { updateVenue(input: $input) { venue { id name capacity "
        "community { id } facilities { code } } } }"
    ),
    "createFundingProgram": (
        "mutation($input: CreateFundingProgramInput!) { createFundingProgram(input: $input) { fundingProgram { "
        "id name level budget spent capPerGrant remaining periodStart categories { code } districts { id } } } }"
    ),
    "updateFundingProgram": (
        "mutation($input: UpdateFundingProgramInput!) { updateFundingProgram(input: $input) { fundingProgram { "
        "id budget remaining districts { id } } } }"
    ),
}

# One valid input per mutation, against the world of tests/support/factories_partners.py.
INPUTS = {
    "registerUnit": {
        "name": "西安交大附属医院",
        "kind": "HOSPITAL",
        "communityIds": [SHUYUANMEN],
        "phone": "13912345678",
    },
    "updateUnit": {"unitId": UNIT, "phone": "029-88886666"},
    "registerMember": {
        "unitId": UNIT,
        "name": "王护士",
        "phone": "13711112222",
        "skills": ["FIRST_AID"],
        "availability": ["6 08:00-12:00", "7 14:00-17:00"],
        "maxLoad": 3,
        "communityIds": [SHUYUANMEN],
    },
    "registerWithCommunity": {"subjectId": MEMBER, "communityId": NANYUANMEN_COMMUNITY},
    "setAvailability": {"memberId": MEMBER, "availability": ["3 19:00-21:00"], "maxLoad": 1},
    "addOffering": {
        "unitId": UNIT,
        "categoryCode": "ELDERLY_CARE",
        "title": "上门健康检查",
        "capacity": 30,
        "areaIds": [SHUYUANMEN, NANYUANMEN_COMMUNITY],
        "availability": ["6 08:00-12:00"],
    },
    "updateOffering": {"offeringId": OFFERING, "capacity": 20},
    "withdrawOffering": {"offeringId": OFFERING},
    "registerVenue": {
        "name": "书院门红色驿站",
        "kind": "RED_STATION",
        "communityId": SHUYUANMEN,
        "ownerUnitId": UNIT,
        "capacity": 25,
        "facilities": ["PROJECTOR"],
        "openingHours": ["1 09:00-17:00"],
        "feePerHour": 0,
    },
    "updateVenue": {"venueId": VENUE, "capacity": 60},
    "createFundingProgram": {
        "name": "碑林区高幸食堂",
        "level": "DISTRICT",
        "budget": 5_000_000_00,
        "capPerGrant": 2_000_000,
        "categories": ["ELDERLY_CARE"],
        "districtIds": [BEILIN],
        "periodStart": "2026-01-01",
        "periodEnd": "2026-12-31",
    },
    "updateFundingProgram": {"programId": PROGRAM, "budget": 2_000_000},
}

# What each input above writes into the partner world when allowed (tests/support/graph_state.changes).
WRITES = {
    "registerUnit": {"added": ["Unit"], "linked": ["REGISTERED_WITH"]},
    "updateUnit": {"changed": [UNIT]},
    "registerMember": {"added": ["Member"], "linked": ["BELONGS_TO", "HAS_SKILL", "REGISTERED_WITH"]},
    "registerWithCommunity": {"linked": ["REGISTERED_WITH"]},
    "setAvailability": {"changed": [MEMBER]},
    "addOffering": {"added": ["Offering"], "linked": ["IN_AREA", "IN_AREA", "OFFERS", "SERVES"]},
    "updateOffering": {"changed": [OFFERING]},
    "withdrawOffering": {"changed": [OFFERING]},
    "registerVenue": {"added": ["Venue"], "linked": ["AT", "HAS", "OWNED_BY"]},
    "updateVenue": {"changed": [VENUE]},
    "createFundingProgram": {"added": ["FundingProgram"], "linked": ["AVAILABLE_IN", "COVERS"]},
    "updateFundingProgram": {"changed": [PROGRAM]},
}

STAFF_IN = {"city", "district_in", "street_in", "coord_in"}
UNIT_MANAGERS = STAFF_IN | {"unit_admin"}
ALLOWED = {
    "registerUnit": STAFF_IN,
    "updateUnit": UNIT_MANAGERS,
    "registerMember": UNIT_MANAGERS,
    # The target community's coordinator accepts registrations too (coord_out is 南院门社区's).
    "registerWithCommunity": UNIT_MANAGERS | {"member", "coord_out"},
    "setAvailability": UNIT_MANAGERS | {"member"},
    "addOffering": UNIT_MANAGERS,
    "updateOffering": UNIT_MANAGERS,
    "withdrawOffering": UNIT_MANAGERS,
    "registerVenue": UNIT_MANAGERS,
    "updateVenue": UNIT_MANAGERS,
    "createFundingProgram": {"city", "district_in"},
    "updateFundingProgram": {"city", "district_in"},
}


async def call(client: GraphQLClient, name: str, variables: dict, who: str | None) -> dict:
    return await client(DOCS[name], {"input": variables}, token=token(who) if who else None, expect_errors=True)


def code_of(body: dict) -> str | None:
    errors = body.get("errors")
    return errors[0]["extensions"]["code"] if errors else None


@pytest.mark.parametrize("who", [*ROLES, None])
@pytest.mark.parametrize("name", list(DOCS))
async def test_every_mutation_against_every_role(
    graph: Graph, graphql_client: GraphQLClient, name: str, who: str | None
) -> None:
    await make_partners(graph)
    before = await graph_state(graph)
    body = await call(graphql_client, name, INPUTS[name], who)
    written = changes(before, await graph_state(graph))
    if who is None:
        assert code_of(body) == "UNAUTHENTICATED", body
        assert written == {}, "a refusal writes nothing"
    elif who in ALLOWED[name]:
        assert code_of(body) is None, body
        assert body["data"][name] is not None
        assert written == WRITES[name], "the same write whoever is allowed to make it"
    else:
        assert code_of(body) == "FORBIDDEN", body
        assert body["errors"][0]["message"], "a refusal says who may do it"
        assert written == {}, "a refusal writes nothing"


# --- happy paths, checked in the graph ---------------------------------------------------------


async def test_register_unit_with_two_communities(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_partners(graph)
    data = {**INPUTS["registerUnit"], "communityIds": [SHUYUANMEN, "610103001004"], "latitude": 34.25}
    data["longitude"] = 108.94
    body = await call(graphql_client, "registerUnit", data, "street_in")
    unit_id = body["data"]["registerUnit"]["unit"]["id"]
    assert unit_id.startswith("unit:")
    rows = await graph.read(
        "MATCH (u:Unit {id: $id})-[r:REGISTERED_WITH]->(c:Community) "
        "RETURN u.kind AS kind, u.phone AS phone, u.location.latitude AS lat, collect(c.id) AS communities",
        id=unit_id,
    )
    assert rows[0]["kind"] == "HOSPITAL" and rows[0]["phone"] == "13912345678" and rows[0]["lat"] == 34.25
    assert sorted(rows[0]["communities"]) == sorted([SHUYUANMEN, NANYUANMEN_COMMUNITY])


async def test_update_unit_changes_only_what_is_sent(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_partners(graph)
    body = await call(graphql_client, "updateUnit", {"unitId": UNIT, "phone": "029 8888 6666"}, "unit_admin")
    assert body["data"]["updateUnit"]["unit"] == {"id": UNIT, "name": "碑林区第一医院", "phone": "029-88886666"}


@pytest.mark.smoke
async def test_register_member_with_skills_and_communities(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_partners(graph)
    data = {**INPUTS["registerMember"], "communityIds": [SHUYUANMEN, NANYUANMEN_COMMUNITY]}
    body = await call(graphql_client, "registerMember", data, "unit_admin")
    member = body["data"]["registerMember"]["member"]
    assert member["unit"] == {"id": UNIT} and member["maxLoad"] == 3
    rows = await graph.read(
        "MATCH (m:Member {id: $id}) RETURN m.openLoad AS openLoad, m.phone AS phone, "
        "[(m)-[:HAS_SKILL]->(s) | s.code] AS skills, "
        "[(m)-[r:REGISTERED_WITH]->(c) | [c.id, r.basis]] AS registrations",
        id=member["id"],
    )
    assert rows[0]["openLoad"] == 0 and rows[0]["skills"] == ["FIRST_AID"]
    # Where the unit is registered is the workplace; the other is where the member lives.
    assert sorted(rows[0]["registrations"]) == sorted([[SHUYUANMEN, "WORKPLACE"], [NANYUANMEN_COMMUNITY, "RESIDENCE"]])


async def test_register_with_community_twice_is_not_a_duplicate(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_partners(graph)
    data = {"subjectId": UNIT, "communityId": NANYUANMEN_COMMUNITY}
    first = await call(graphql_client, "registerWithCommunity", data, "unit_admin")
    second = await call(graphql_client, "registerWithCommunity", data, "unit_admin")
    assert first["data"]["registerWithCommunity"]["created"] is True
    assert second["data"]["registerWithCommunity"]["created"] is False
    assert second["data"]["registerWithCommunity"]["unit"] == {"id": UNIT}
    rows = await graph.read(
        "MATCH (:Unit {id: $u})-[r:REGISTERED_WITH]->(:Community {id: $c}) RETURN count(r) AS n",
        u=UNIT,
        c=NANYUANMEN_COMMUNITY,
    )
    assert rows[0]["n"] == 1


async def test_set_availability_replaces_windows(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_partners(graph)
    body = await call(graphql_client, "setAvailability", INPUTS["setAvailability"], "member")
    assert body["data"]["setAvailability"]["member"] == {"id": MEMBER, "availability": ["3 19:00-21:00"], "maxLoad": 1}


async def test_offering_lifecycle(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_partners(graph)
    added = (await call(graphql_client, "addOffering", INPUTS["addOffering"], "unit_admin"))["data"]["addOffering"]
    offering = added["offering"]
    assert offering["status"] == "ACTIVE" and offering["category"] == {"code": "ELDERLY_CARE"}
    assert sorted(a["id"] for a in offering["area"]) == sorted([SHUYUANMEN, NANYUANMEN_COMMUNITY])

    change = {"offeringId": offering["id"], "categoryCode": "SEWER", "areaIds": [BEILIN], "title": "管道疏通"}
    updated = (await call(graphql_client, "updateOffering", change, "unit_admin"))["data"]["updateOffering"]
    assert updated["offering"]["category"] == {"code": "SEWER"}
    assert updated["offering"]["area"] == [{"id": BEILIN}] and updated["offering"]["capacity"] == 30

    for _ in range(2):  # withdrawing again changes nothing
        gone = await call(graphql_client, "withdrawOffering", {"offeringId": offering["id"]}, "unit_admin")
        assert gone["data"]["withdrawOffering"]["offering"]["status"] == "WITHDRAWN"
    again = await call(graphql_client, "updateOffering", {"offeringId": offering["id"], "capacity": 5}, "unit_admin")
    assert code_of(again) == "CONFLICT"


async def test_venue_register_and_move(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_partners(graph)
    body = await call(graphql_client, "registerVenue", INPUTS["registerVenue"], "coord_in")
    venue = body["data"]["registerVenue"]["venue"]
    assert venue["owner"] == {"id": UNIT} and venue["facilities"] == [{"code": "PROJECTOR"}]
    assert venue["location"] == {"latitude": 34.256}, "the community's location when none is given"

    change = {"venueId": venue["id"], "communityId": NANYUANMEN_COMMUNITY, "facilities": ["WHEELCHAIR_ACCESS"]}
    moved = (await call(graphql_client, "updateVenue", change, "street_in"))["data"]["updateVenue"]["venue"]
    assert moved["community"] == {"id": NANYUANMEN_COMMUNITY}
    assert moved["facilities"] == [{"code": "WHEELCHAIR_ACCESS"}]
    # A community coordinator may not move a venue out of their community into another's.
    back = {"venueId": VENUE, "communityId": NANYUANMEN_COMMUNITY}
    assert code_of(await call(graphql_client, "updateVenue", back, "coord_in")) == "FORBIDDEN"


async def test_funding_program_create_and_budget_rules(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_partners(graph)
    body = await call(graphql_client, "createFundingProgram", INPUTS["createFundingProgram"], "district_in")
    program = body["data"]["createFundingProgram"]["fundingProgram"]
    assert program["budget"] == 500_000_000 and program["spent"] == 0 and program["remaining"] == 500_000_000
    assert program["districts"] == [{"id": BEILIN}] and program["periodStart"] == "2026-01-01"

    below = await call(graphql_client, "updateFundingProgram", {"programId": PROGRAM, "budget": 99_999}, "city")
    assert code_of(below) == "CONFLICT" and "100000" in below["errors"][0]["message"]
    exact = await call(graphql_client, "updateFundingProgram", {"programId": PROGRAM, "budget": 100_000}, "city")
    assert code_of(exact) is None, "a budget equal to what is spent is fine"
    too_big_cap = {"programId": PROGRAM, "capPerGrant": 200_000}
    body = await call(graphql_client, "updateFundingProgram", too_big_cap, "city")
    assert code_of(body) == "BAD_USER_INPUT" and "more than the whole budget" in body["errors"][0]["message"]

    # A district admin may not widen their program to another district, nor create a city-wide one.
    widen = {"programId": PROGRAM, "districtIds": [BEILIN, YANTA]}
    assert code_of(await call(graphql_client, "updateFundingProgram", widen, "district_in")) == "FORBIDDEN"
    citywide = {**INPUTS["createFundingProgram"], "level": "CITY"}
    assert code_of(await call(graphql_client, "createFundingProgram", citywide, "district_in")) == "FORBIDDEN"
    assert code_of(await call(graphql_client, "updateFundingProgram", widen, "city")) is None


# --- bad input and missing targets -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "change", "needle"),
    [
        ("registerUnit", {"phone": "1234"}, "phone '1234' is not a mobile"),
        ("registerUnit", {"communityIds": []}, "communityIds"),
        ("registerUnit", {"communityIds": [UNIT]}, "expected a Community id"),
        ("registerUnit", {"name": ""}, "input.name"),
        ("registerUnit", {"latitude": 108.9, "longitude": 34.2}, "swapped"),
        ("registerMember", {"availability": ["8 08:00-12:00"]}, "D HH:MM-HH:MM"),
        ("registerMember", {"maxLoad": -1}, "input.maxLoad"),
        ("addOffering", {"capacity": 0}, "input.capacity"),
        ("addOffering", {"areaIds": ["need:1"]}, "expected a District or Street or Community id"),
        ("registerVenue", {"feePerHour": -5}, "input.feePerHour"),
        ("createFundingProgram", {"periodEnd": "2025-01-01"}, "before periodStart"),
        ("createFundingProgram", {"capPerGrant": 10**12}, "more than the whole budget"),
        ("setAvailability", {"availability": ["1 25:00-26:00"]}, "invalid time"),
    ],
)
async def test_bad_input_is_explained(
    graph: Graph, graphql_client: GraphQLClient, name: str, change: dict, needle: str
) -> None:
    await make_partners(graph)
    body = await call(graphql_client, name, {**INPUTS[name], **change}, "city")
    assert code_of(body) == "BAD_USER_INPUT", body
    assert needle in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("name", "change", "needle"),
    [
        ("updateUnit", {"unitId": "unit:nope"}, "unit:nope"),
        ("registerMember", {"unitId": "unit:nope"}, "unit:nope"),
        ("registerMember", {"skills": ["FIRST_AID", "JUGGLING"]}, "JUGGLING"),
        ("registerWithCommunity", {"communityId": "community:999999999999"}, "community:999999999999"),
        ("setAvailability", {"memberId": "member:nope"}, "member:nope"),
        ("addOffering", {"categoryCode": "ASTROLOGY"}, "ASTROLOGY"),
        ("addOffering", {"areaIds": ["street:610199999"]}, "street:610199999"),
        ("updateOffering", {"offeringId": "offering:nope"}, "offering:nope"),
        ("registerVenue", {"facilities": ["SAUNA"]}, "SAUNA"),
        ("updateVenue", {"venueId": "venue:nope"}, "venue:nope"),
        ("createFundingProgram", {"categories": ["NOPE"]}, "NOPE"),
        ("updateFundingProgram", {"programId": "program:nope"}, "program:nope"),
    ],
)
async def test_missing_targets_and_codes_are_not_found_and_write_nothing(
    graph: Graph, graphql_client: GraphQLClient, name: str, change: dict, needle: str
) -> None:
    await make_partners(graph)
    labels = ("Unit", "Member", "Offering", "Venue", "FundingProgram", "IdempotencyRecord")
    before = {label: await count(graph, label) for label in labels}
    body = await call(graphql_client, name, {**INPUTS[name], **change, "idempotencyKey": "k1"}, "city")
    assert code_of(body) == "NOT_FOUND", body
    assert needle in body["errors"][0]["message"]
    assert {label: await count(graph, label) for label in labels} == before, "the failed write left nothing"


# --- idempotency -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["registerUnit", "registerMember", "addOffering", "registerVenue"])
async def test_replay_with_the_same_key_returns_the_same_object(
    graph: Graph, graphql_client: GraphQLClient, name: str
) -> None:
    await make_partners(graph)
    label = {"registerUnit": "Unit", "registerMember": "Member", "addOffering": "Offering"}.get(name, "Venue")
    before = await count(graph, label)
    data = {**INPUTS[name], "idempotencyKey": "partner-42"}
    first = (await call(graphql_client, name, data, "city"))["data"][name]
    second = (await call(graphql_client, name, data, "city"))["data"][name]
    field = next(key for key in first if key != "replayed")
    assert first[field]["id"] == second[field]["id"]
    assert await count(graph, label) == before + 1
    assert second.get("replayed", True) is True


async def test_key_reused_for_another_operation_is_a_conflict(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_partners(graph)
    await call(graphql_client, "registerUnit", {**INPUTS["registerUnit"], "idempotencyKey": "same"}, "city")
    other = await call(graphql_client, "updateUnit", {**INPUTS["updateUnit"], "idempotencyKey": "same"}, "city")
    assert code_of(other) == "CONFLICT"


async def test_other_unit_admin_cannot_take_over_a_venue(graph: Graph, graphql_client: GraphQLClient) -> None:
    await make_partners(graph)
    data = {**INPUTS["registerVenue"], "ownerUnitId": None}
    body = await call(graphql_client, "registerVenue", data, "other_unit_admin")
    assert code_of(body) is None
    venue = body["data"]["registerVenue"]["venue"]
    assert venue["owner"] == {"id": OTHER_UNIT}, "a unit admin's venue belongs to their unit"
    grab = {"venueId": venue["id"], "ownerUnitId": UNIT}
    assert code_of(await call(graphql_client, "updateVenue", grab, "other_unit_admin")) == "FORBIDDEN"


async def test_statements_per_registration(graph: Graph, graphql_client: GraphQLClient) -> None:
    """registerUnit: check the communities, create, read the payload back; a key adds claim and store."""
    await make_partners(graph)
    await call(graphql_client, "registerUnit", INPUTS["registerUnit"], "city")
    assert graphql_client.last_statements == 3
    await call(graphql_client, "registerUnit", {**INPUTS["registerUnit"], "idempotencyKey": "s1"}, "city")
    assert graphql_client.last_statements == 5
    # Story 11: a hospital registers 25 members; the statements do not grow with the skills listed.
    data = {**INPUTS["registerMember"], "skills": ["FIRST_AID", "PLUMBING"]}
    await call(graphql_client, "registerMember", data, "unit_admin")
    # the unit locked with the skills and communities, the phone's natural key (unit + phone), create,
    # payload, its unit
    assert graphql_client.last_statements == 5


async def test_natural_keys_refuse_a_second_registration(graph: Graph, graphql_client: GraphQLClient) -> None:
    """Issue 11: a credit code names one unit; a phone names one member of a unit (the roster import's keys)."""
    await make_partners(graph)
    unit = {**INPUTS["registerUnit"], "creditCode": "91610103ma6t12345n"}
    first = await call(graphql_client, "registerUnit", unit, "city")
    assert code_of(first) is None
    again = await call(graphql_client, "registerUnit", {**unit, "name": "另一个名字"}, "city")
    assert code_of(again) == "CONFLICT" and "91610103MA6T12345N is already registered" in again["errors"][0]["message"]
    typo = await call(graphql_client, "registerUnit", {**unit, "creditCode": "91610103MA6T12345M"}, "city")
    assert code_of(typo) == "BAD_USER_INPUT" and "check character" in typo["errors"][0]["message"]

    assert code_of(await call(graphql_client, "registerMember", INPUTS["registerMember"], "unit_admin")) is None
    twice = await call(graphql_client, "registerMember", {**INPUTS["registerMember"], "name": "王某"}, "unit_admin")
    assert code_of(twice) == "CONFLICT" and "phone 13711112222" in twice["errors"][0]["message"]


async def test_a_venue_is_registered_once_by_its_natural_key(graphql_client, graph: Graph) -> None:
    """Issue 23 §4: the same owner, community and name (or the same registry code) is the same venue:
    registering it again, or ten times at once, leaves one; renaming another onto it is refused."""
    import asyncio

    await make_partners(graph)
    first = await call(graphql_client, "registerVenue", INPUTS["registerVenue"], "coord_in")
    venue = first["data"]["registerVenue"]["venue"]["id"]
    again = await call(graphql_client, "registerVenue", {**INPUTS["registerVenue"], "capacity": 99}, "unit_admin")
    assert code_of(again) == "CONFLICT" and again["errors"][0]["extensions"]["venueId"] == venue
    assert "already registered" in again["errors"][0]["message"]
    # Another community, or no owner: other venues.
    for other in ({"communityId": NANYUANMEN_COMMUNITY}, {"ownerUnitId": None}):
        assert (
            code_of(await call(graphql_client, "registerVenue", {**INPUTS["registerVenue"], **other}, "city")) is None
        )

    site = {**INPUTS["registerVenue"], "name": "闲置厂房共享空间", "kind": "STATE_IDLE_SITE", "registryCode": "gz-1"}
    answers = await asyncio.gather(*(
        call(graphql_client, "registerVenue", {**site, "name": f"闲置厂房{i}"}, "city") for i in range(10)
    ))  # fmt: skip
    assert sum(code_of(a) is None for a in answers) == 1
    assert {code_of(a) for a in answers} == {None, "CONFLICT"}
    rows = await graph.read("MATCH (v:Venue {registryCode: 'GZ-1'}) RETURN count(v) AS n")
    assert rows == [{"n": 1}]

    # Renaming the factory's venue onto the registered one's key is refused; its own key moves with it.
    taken = {"venueId": VENUE, "name": INPUTS["registerVenue"]["name"], "communityId": SHUYUANMEN, "ownerUnitId": UNIT}
    renamed = await call(graphql_client, "updateVenue", taken, "city")
    assert code_of(renamed) == "CONFLICT" and renamed["errors"][0]["extensions"]["venueId"] == venue
    free = await call(graphql_client, "updateVenue", {**taken, "name": "医院党群活动室（东楼）"}, "city")
    assert code_of(free) is None
    key = await graph.read("MATCH (v:Venue {id: $id}) RETURN v.rosterKey AS key", id=VENUE)
    assert key == [{"key": f"{UNIT}|{SHUYUANMEN}|医院党群活动室（东楼）"}]
