"""Property firms (issue 22 §5, story 22): a district says which firm manages each compound, one at a time
with its history kept; property needs count against the firm that managed the compound the day they were
raised, and its residents' ratings make its satisfaction; a compound no firm manages (无物业小区) is
offered the state enterprise that took on its area's fallback service (兜底) as a ranked candidate.
Everything over HTTP, against the real Neo4j."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

from graph.kernel.db import Graph
from tests.server.test_server_door import app_client
from tests.support.factories import BEILIN, COMPOUND, NANYUANMEN, SHUYUANMEN, YANTA, make_places
from tests.support.factories_matching import TOKENS
from tests.support.workflow_helpers import (
    ACCEPT,
    COMPLETE,
    DISPATCH,
    START,
    SUBMIT,
    coordinator,
    error_code,
    make_people,
    member,
    resident,
)

OLD = "compound:610103001009-2"  # 三学街老院: an old compound with no firm
STATE = "unit:chengtou"  # a state enterprise that takes on fallback service
SINCE = "2025-01-01T00:00:00+08:00"

REGISTER = """mutation($input: RegisterPropertyFirmInput!) { registerPropertyFirm(input: $input) {
  replayed propertyFirm { id name creditCode district { id } } } }"""
ASSIGN = """mutation($input: AssignManagementInput!) { assignManagement(input: $input) {
  replayed management { id since until firm { id name } compound { id } } } }"""
END = """mutation($input: EndManagementInput!) { endManagement(input: $input) {
  management { id until endReason firm { id } } } }"""
FALLBACK = """mutation($input: AssignFallbackInput!) { assignFallback(input: $input) {
  fallback { id since until unit { id name } street { id } district { id } } } }"""
END_FALLBACK = """mutation($input: EndFallbackInput!) { endFallback(input: $input) { fallback { id until } } }"""
EVALUATE = """mutation($input: EvaluateInput!) { evaluateNeed(input: $input) { evaluation { rating } } }"""
FIRM = """query($id: ID!) { node(id: $id) { ... on PropertyFirm { name district { name }
  compounds { totalCount edges { node { id name } } }
  managements { totalCount edges { node { since until compound { id } } } }
  needs { totalCount edges { node { id title } } } } } }"""
COMPOUND_FIRMS = """query($id: ID!) { node(id: $id) { ... on Compound {
  managements(first: 1) { edges { node { until firm { name } } } }
  fallbacks { edges { node { unit { name } } } } } } }"""
FIRMS = "query($f: PropertyFirmFilter) { propertyFirms(filter: $f) { totalCount edges { node { name } } } }"
REPORT = """query($d: ID!, $from: DateTime, $to: DateTime) { propertyFirmReport(districtId: $d, from: $from, to: $to) {
  districtId threshold firms { rank firmId firm { name } compounds needs ratings satisfiedRatings
  satisfactionRate averageRating belowThreshold } } }"""
MATCH = """query($needId: ID!, $kinds: [CandidateKind!]) { matchCandidates(needId: $needId, kinds: $kinds) {
  kind score reason parts { factor value } resource { __typename ... on Unit { id name } ... on Member { id } } } }"""


def district() -> str:
    return TOKENS["DISTRICT_ADMIN"]()


def city() -> str:
    return TOKENS["CITY_ADMIN"]()


async def make_property_world(graph: Graph) -> None:
    """The places and people of the workflow tests, the property categories, an old compound with no firm,
    a member whose skill serves property needs and a state enterprise."""
    await make_places(graph)
    await make_people(graph)
    await graph.write(
        """
        MATCH (c:Community {id: $community}), (m:Member {id: 'member:w1'})
        CREATE (k:Category {id: 'category:PROPERTY', code: 'PROPERTY', name: '物业问题', createdAt: datetime()})
        CREATE (:Category {id: 'category:DISPUTE_MEDIATION', code: 'DISPUTE_MEDIATION', name: '纠纷调解',
                createdAt: datetime()})
        CREATE (:Compound {id: $old, name: '三学街老院', households: 90, hasServiceStation: false,
                location: point({latitude: 34.2558, longitude: 108.9449}), createdAt: datetime()})-[:IN]->(c)
        CREATE (s:Skill {id: 'skill:PROPERTY_COORDINATION', code: 'PROPERTY_COORDINATION', name: '物业协调',
                createdAt: datetime()})-[:SERVES]->(k)
        CREATE (m)-[:HAS_SKILL]->(s)
        SET m.location = point({latitude: 34.2559, longitude: 108.9450})
        CREATE (:Unit {id: $state, name: '西安城投物业', kind: 'STATE_ENTERPRISE', ratingSum: 9, ratingCount: 2,
                createdAt: datetime()})-[:REGISTERED_WITH]->(c)
        """,
        community=SHUYUANMEN,
        old=OLD,
        state=STATE,
    )


async def register(client, name: str, tok: str | None = None, **extra: object) -> dict:
    return await client(
        REGISTER, {"input": {"name": name, "districtId": BEILIN, **extra}}, token=tok or district(), expect_errors=True
    )


async def firm_id(client, name: str) -> str:
    return (await register(client, name))["data"]["registerPropertyFirm"]["propertyFirm"]["id"]


async def assign(client, compound: str, firm: str, tok: str | None = None, **extra: object) -> dict:
    variables = {"input": {"compoundId": compound, "firmId": firm, **extra}}
    return await client(ASSIGN, variables, token=tok or district(), expect_errors=True)


async def submit(client, title: str, category: str = "PROPERTY", at: str = COMPOUND) -> str:
    body = await client(SUBMIT, {"input": {"title": title, "categoryCode": category, "placeId": at}}, token=resident())
    return body["data"]["submitNeed"]["need"]["id"]


async def rate(client, need: str, rating: int) -> None:
    """The need served by member:w1 and rated by its resident."""
    await client(DISPATCH, {"input": {"needId": need, "handlerId": "member:w1"}}, token=coordinator())
    await client(ACCEPT, {"input": {"needId": need}}, token=member(1))
    await client(START, {"input": {"needId": need}}, token=member(1))
    await client(COMPLETE, {"input": {"needId": need, "note": "已修好"}}, token=member(1))
    await client(EVALUATE, {"input": {"needId": need, "rating": rating}}, token=resident())


async def candidates(client, need: str, kinds: list[str] | None = None) -> list[dict]:
    body = await client(MATCH, {"needId": need, "kinds": kinds}, token=coordinator())
    return body["data"]["matchCandidates"]


async def test_story_22_firms_count_their_needs_and_the_fallback_serves_compounds_without_one(
    graph, graphql_client, interpreted_client
) -> None:
    await make_property_world(graph)
    client = graphql_client
    good, poor = await firm_id(client, "碑林安居物业"), await firm_id(client, "长安速达物业")
    made = (await assign(client, COMPOUND, poor, since=SINCE))["data"]["assignManagement"]["management"]
    assert made["firm"] == {"id": poor, "name": "长安速达物业"} and made["until"] is None
    # The compound is locked and read in one statement, the management written in another.
    assert client.last_written == ["lock.Compound.management", "create.Management"]

    # Residents of the managed compound raise property needs: they count against its firm; a sewer need
    # and a dispute that does not name the firm do not; a dispute with 物业 does.
    lift = await submit(client, "电梯三天两头坏，老人上下楼太难了")
    await submit(client, "楼下下水道堵塞", category="SEWER")
    await submit(client, "邻居装修吵架", category="DISPUTE_MEDIATION")
    fee = await submit(client, "物业费照收，绿化没人管", category="DISPUTE_MEDIATION")
    await rate(client, lift, 2)
    await rate(client, fee, 3)
    for reader in (graphql_client, interpreted_client):
        found = (await reader(FIRM, {"id": poor}))["data"]["node"]
        assert found["district"] == {"name": "碑林区"}
        assert [e["node"]["id"] for e in found["compounds"]["edges"]] == [COMPOUND]
        assert found["needs"]["totalCount"] == 2 and {e["node"]["id"] for e in found["needs"]["edges"]} == {lift, fee}
        assert found["managements"]["edges"][0]["node"]["until"] is None
    assert graphql_client.last_statements == 1  # the firm, its compounds, managements and needs: one statement

    # The report: the firm with the worst satisfaction first, flagged below the threshold; the unrated one last.
    body = await client(REPORT, {"d": BEILIN})
    assert client.last_statements == 2  # the figures, then the firms' records in one batch
    report = body["data"]["propertyFirmReport"]
    assert report["threshold"] == 0.8 and report["districtId"] == BEILIN
    first, second = report["firms"]
    assert (first["firm"]["name"], first["rank"], first["compounds"], first["needs"]) == ("长安速达物业", 1, 1, 2)
    assert (first["ratings"], first["satisfiedRatings"], first["satisfactionRate"]) == (2, 0, 0.0)
    assert first["averageRating"] == 2.5 and first["belowThreshold"] is True
    assert (second["firmId"], second["rank"], second["ratings"], second["satisfactionRate"]) == (good, 2, 0, None)
    assert second["belowThreshold"] is False
    # A period before the needs holds none of them.
    earlier = await client(
        REPORT, {"d": BEILIN, "from": "2025-01-01T00:00:00+08:00", "to": "2025-06-01T00:00:00+08:00"}
    )
    assert [f["needs"] for f in earlier["data"]["propertyFirmReport"]["firms"]] == [0, 0]

    # The old compound has no firm. A state enterprise takes on the street's fallback service.
    gate = await submit(client, "单元门禁坏了，外面的人随便进出", at=OLD)
    before = await candidates(client, gate)
    assert "FALLBACK" not in {c["kind"] for c in before}
    statements_before = client.last_statements
    taken = await client(FALLBACK, {"input": {"unitId": STATE, "areaId": NANYUANMEN, "since": SINCE}}, token=district())
    fallback = taken["data"]["assignFallback"]["fallback"]
    assert fallback["unit"] == {"id": STATE, "name": "西安城投物业"} and fallback["street"] == {"id": NANYUANMEN}
    assert client.last_written == ["lock.Street.fallback", "create.Fallback"]

    # Story 22: the broken gate is offered the state enterprise, beside the party members, and told why.
    offered = await candidates(client, gate)
    kinds = [c["kind"] for c in offered]
    assert "MEMBER" in kinds and kinds.count("FALLBACK") == 1
    (state,) = [c for c in offered if c["kind"] == "FALLBACK"]
    assert state["resource"] == {"__typename": "Unit", "id": STATE, "name": "西安城投物业"}
    assert state["reason"].startswith("无物业小区：国企兜底，西安城投物业承担南院门街道的兜底物业服务（自 2025-01-01）")
    assert {p["factor"]: p["value"] for p in state["parts"]}["scope"] == 1.0
    # One statement more than before it: the unit's record (the fallback is read with the need's facts).
    assert client.last_statements == statements_before + 1
    assert [c["kind"] for c in await candidates(client, gate, ["FALLBACK"])] == ["FALLBACK"]

    # Not for a need of a managed compound, nor for a need that is not the property's.
    managed = await submit(client, "楼道灯损坏多日")
    assert "FALLBACK" not in {c["kind"] for c in await candidates(client, managed)}
    drain = await submit(client, "下水道堵了", category="SEWER", at=OLD)
    assert "FALLBACK" not in {c["kind"] for c in await candidates(client, drain)}
    shown = (await client(COMPOUND_FIRMS, {"id": OLD}))["data"]["node"]
    assert shown["managements"]["edges"] == [] and shown["fallbacks"]["edges"] == [
        {"node": {"unit": {"name": "西安城投物业"}}}
    ]

    # The district removes the poor firm (清退): the compound has no firm now and is offered the fallback;
    # the needs raised while the firm managed it still count against it.
    ended = await client(END, {"input": {"compoundId": COMPOUND, "reason": "满意度低，清退"}}, token=district())
    assert ended["data"]["endManagement"]["management"]["endReason"] == "满意度低，清退"
    assert client.last_written == ["lock.Compound.management", "end.Management"]
    assert "FALLBACK" in {c["kind"] for c in await candidates(client, managed)}
    found = (await client(FIRM, {"id": poor}))["data"]["node"]
    assert found["compounds"]["totalCount"] == 0 and found["needs"]["totalCount"] == 3
    assert found["managements"]["edges"][0]["node"]["until"] is not None
    # The good firm takes over; a need raised from then on counts against it.
    await assign(client, COMPOUND, good)
    stairs = await submit(client, "楼道墙皮掉了一地")
    assert {e["node"]["id"] for e in (await client(FIRM, {"id": good}))["data"]["node"]["needs"]["edges"]} == {stairs}
    shown = (await client(COMPOUND_FIRMS, {"id": COMPOUND}))["data"]["node"]
    assert shown["managements"]["edges"] == [{"node": {"until": None, "firm": {"name": "碑林安居物业"}}}]
    listed = (await client(FIRMS, {"f": {"districtId": BEILIN, "name": "安居"}}))["data"]["propertyFirms"]
    assert listed == {"totalCount": 1, "edges": [{"node": {"name": "碑林安居物业"}}]}


async def test_every_bad_input_is_refused_with_its_code(graph, graphql_client) -> None:
    await make_property_world(graph)
    client = graphql_client
    firm = await firm_id(client, "碑林安居物业")
    other = await firm_id(client, "长安速达物业")

    async def code(document: str, variables: dict, tok: str | None = "district") -> tuple[str, str]:
        token = {"district": district(), "city": city(), None: None}.get(tok, tok)
        body = await client(document, variables, token=token, expect_errors=True)
        return error_code(body), body["errors"][0]["message"]

    assert (await code(ASSIGN, {"input": {"compoundId": COMPOUND, "firmId": firm}}, None))[0] == "UNAUTHENTICATED"
    assert (await code(ASSIGN, {"input": {"compoundId": COMPOUND, "firmId": firm}}, coordinator()))[0] == "FORBIDDEN"
    outside = TOKENS["OTHER_DISTRICT_ADMIN"]()
    refused = await code(ASSIGN, {"input": {"compoundId": COMPOUND, "firmId": firm}}, outside)
    assert refused == ("FORBIDDEN", f"compound {COMPOUND} lies outside your district {YANTA}; "
                       "ask that district's admin or a city admin")  # fmt: skip
    assert (await code(REGISTER, {"input": {"name": "雁塔物业", "districtId": BEILIN}}, outside))[0] == "FORBIDDEN"
    missing = await code(ASSIGN, {"input": {"compoundId": "compound:nope", "firmId": firm}})
    assert missing == ("NOT_FOUND", "no compound with id 'compound:nope'")
    missing = await code(ASSIGN, {"input": {"compoundId": COMPOUND, "firmId": "propertyfirm:nope"}})
    assert missing == ("NOT_FOUND", "no property firm with id 'propertyfirm:nope'")
    wrong, _ = await code(ASSIGN, {"input": {"compoundId": SHUYUANMEN, "firmId": firm}})
    assert wrong == "BAD_USER_INPUT"
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    future = await code(ASSIGN, {"input": {"compoundId": COMPOUND, "firmId": firm, "since": later}})
    assert future[0] == "BAD_USER_INPUT" and future[1].startswith("since is in the future")
    assert (await code(END, {"input": {"compoundId": COMPOUND}}))[0] == "CONFLICT"  # no firm yet

    await assign(client, COMPOUND, firm, since=SINCE)
    taken = await code(ASSIGN, {"input": {"compoundId": COMPOUND, "firmId": other}})
    assert taken[0] == "CONFLICT" and "managed by 碑林安居物业" in taken[1] and "endManagement" in taken[1]
    early = await code(END, {"input": {"compoundId": COMPOUND, "until": "2024-06-01T00:00:00+08:00"}})
    assert early[0] == "BAD_USER_INPUT" and early[1].startswith("until 2024-05-31T16:00:00+00:00 is before")
    await client(END, {"input": {"compoundId": COMPOUND, "until": "2025-06-01T00:00:00+08:00"}}, token=city())
    overlap = await code(
        ASSIGN, {"input": {"compoundId": COMPOUND, "firmId": other, "since": "2025-03-01T00:00:00+08:00"}}
    )
    assert overlap[0] == "CONFLICT" and "one firm at a time" in overlap[1]

    hospital = await code(FALLBACK, {"input": {"unitId": "unit:w1", "areaId": NANYUANMEN}})
    assert hospital[0] == "BAD_USER_INPUT" and "HOSPITAL" in hospital[1] and "STATE_ENTERPRISE" in hospital[1]
    assert (await code(FALLBACK, {"input": {"unitId": STATE, "areaId": SHUYUANMEN}}))[0] == "BAD_USER_INPUT"
    assert (await code(FALLBACK, {"input": {"unitId": "unit:nope", "areaId": NANYUANMEN}}))[0] == "NOT_FOUND"
    assert (await code(FALLBACK, {"input": {"unitId": STATE, "areaId": "street:999999999"}}))[0] == "NOT_FOUND"
    assert (await code(FALLBACK, {"input": {"unitId": STATE, "areaId": YANTA}}))[0] == "FORBIDDEN"
    made = await client(FALLBACK, {"input": {"unitId": STATE, "areaId": BEILIN}}, token=district())
    fallback = made["data"]["assignFallback"]["fallback"]["id"]
    again = await code(FALLBACK, {"input": {"unitId": STATE, "areaId": BEILIN}})
    assert again[0] == "CONFLICT" and fallback in again[1]
    await client(END_FALLBACK, {"input": {"fallbackId": fallback}}, token=district())
    assert (await code(END_FALLBACK, {"input": {"fallbackId": fallback}}))[0] == "CONFLICT"

    credit = "91610103MA6U0XXX0X"  # not a valid code: its check character is wrong
    assert (await code(REGISTER, {"input": {"name": "某物业", "districtId": BEILIN, "creditCode": credit}}))[0] == (
        "BAD_USER_INPUT"
    )
    assert (await code(REPORT, {"d": "district:999999"}, None))[0] == "NOT_FOUND"
    assert (await code(REPORT, {"d": SHUYUANMEN}, None))[0] == "BAD_USER_INPUT"
    backwards = {"d": BEILIN, "from": "2026-01-01T00:00:00+08:00", "to": "2025-01-01T00:00:00+08:00"}
    assert (await code(REPORT, backwards, None))[0] == "BAD_USER_INPUT"


async def test_two_firms_assigned_one_compound_at_once_one_wins(graph, graphql_client, neo4j_uri) -> None:
    """Six firms for one compound, split between two API processes (each with its own line of turns), so
    only the compound's lock in Neo4j can keep the second out."""
    await make_property_world(graph)
    firms = [await firm_id(graphql_client, f"物业{i}号") for i in range(6)]
    other = Graph.connect(neo4j_uri, os.environ.get("NEO4J_USER"), os.environ.get("NEO4J_PASSWORD"), graph.database)
    try:
        async with app_client(other) as second:

            async def there(firm: str) -> dict:
                variables = {"input": {"compoundId": COMPOUND, "firmId": firm}}
                headers = {"Authorization": f"Bearer {district()}"}
                response = await second.post(
                    "/graphql", json={"query": ASSIGN, "variables": variables}, headers=headers
                )
                return response.json()

            bodies = await asyncio.gather(
                *(assign(graphql_client, COMPOUND, firm) for firm in firms[:3]), *(there(firm) for firm in firms[3:])
            )
    finally:
        await other.close()
    won = [body for body in bodies if not body.get("errors")]
    assert len(won) == 1
    assert sorted(error_code(body) for body in bodies if body.get("errors")) == ["CONFLICT"] * 5
    rows = await graph.read(
        "MATCH (c:Compound {id: $id}) RETURN COUNT { (c)<-[:MANAGES]-() } AS managing, "
        "COUNT { (c)<-[:OF]-(:Management) } AS managements",
        id=COMPOUND,
    )
    assert rows == [{"managing": 1, "managements": 1}]


async def test_two_fallbacks_for_one_street_at_once_one_wins(graph, graphql_client) -> None:
    await make_property_world(graph)
    await graph.write(
        "MATCH (c:Community {id: $c}) UNWIND range(1, 5) AS i "
        "CREATE (:Unit {id: 'unit:se' + i, name: '国企' + i, kind: 'STATE_ENTERPRISE', createdAt: datetime()})"
        "-[:REGISTERED_WITH]->(c)",
        c=SHUYUANMEN,
    )
    variables = [{"input": {"unitId": f"unit:se{i}", "areaId": NANYUANMEN}} for i in range(1, 6)]
    bodies = await asyncio.gather(
        *(graphql_client(FALLBACK, v, token=district(), expect_errors=True) for v in variables)
    )
    assert sum(1 for body in bodies if not body.get("errors")) == 1
    assert sorted(error_code(body) for body in bodies if body.get("errors")) == ["CONFLICT"] * 4
    rows = await graph.read("MATCH (:Street {id: $id})<-[:FOR]-(f:Fallback) RETURN count(f) AS n", id=NANYUANMEN)
    assert rows == [{"n": 1}]
