"""The year's ten practical things (一年10件实事, issue 23 §1), over HTTP against the real Neo4j: a community
raises candidate matters from its residents' needs, a quarter's class of needs and its hotline calls; the
joint meeting (党建联席会议) selects at most ten (raced: never more, one winner for the last place); units
commit resources the matcher found; progress, completion with evidence, the residents' satisfaction; and
the figures rolled up for the community, street, district and city."""

from __future__ import annotations

from datetime import UTC, datetime

from graph.kernel.db import Graph
from tests.conftest import pinned
from tests.support.factories import BEILIN, COMPOUND, NANYUANMEN, NANYUANMEN_COMMUNITY, SHUYUANMEN, YANTA
from tests.support.factories_matching import OFFERING, PROGRAM, TOKENS, UNIT, VENUE, make_world
from tests.support.races import released_together
from tests.support.workflow_helpers import error_code, token

# Monday 2026-11-02 09:00 in Xi'an: the needs below were raised in the third quarter.
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
now = pinned(NOW)
YEAR = 2026
Q3 = datetime(2026, 8, 3, 2, 0, tzinfo=UTC)
SECOND_UNIT = "unit:m2"
RESIDENTS = [f"resident:t{i}" for i in range(1, 6)]
SECOND_COMPOUND = "compound:610103001009-2"

RAISE = """mutation($input: RaiseMatterInput!) { raiseMatter(input: $input) { replayed practicalMatter {
  id title year source status quarter supportingNeeds residents compounds { id } category { code }
  community { id } needs { totalCount } } } }"""
MEETING = """mutation($input: RecordJointMeetingInput!) { recordJointMeeting(input: $input) { jointMeeting {
  id heldOn year units { id } selected { id status meeting { id } } community { id } } } }"""
COMMIT = """mutation($input: CommitToMatterInput!) { commitToMatter(input: $input) { matterCommitment {
  id role resource amount hours unit { id } offering { id } venue { id } program { id } member { id }
  matter { id lead { id } unitsInvolved } } } }"""
NOTE = """mutation($input: NoteMatterProgressInput!) { noteMatterProgress(input: $input) { matterNote {
  id text unit { id } matter { id } } } }"""
COMPLETE = """mutation($input: CompleteMatterInput!) { completeMatter(input: $input) { practicalMatter {
  id status completedAt evidence } } }"""
RATE = """mutation($input: RateMatterInput!) { rateMatter(input: $input) { practicalMatter {
  id ratings satisfaction } } }"""
MATTER = """query($id: ID!) { node(id: $id) { ... on PracticalMatter { title year source status quarter
  supportingNeeds residents unitsInvolved ratings satisfaction completedAt evidence
  category { code } community { name } compounds { id } lead { name } meeting { heldOn units { name } }
  needs(first: 3) { totalCount edges { node { id } } }
  commitments { totalCount edges { node { role resource amount unit { name } } } }
  notes { totalCount edges { node { text unit { id } } } } } } }"""
MATTERS = """query($f: PracticalMatterFilter) { practicalMatters(filter: $f) { totalCount
  edges { node { id title status } } } }"""
MEETINGS = """query($f: JointMeetingFilter) { jointMeetings(filter: $f) { totalCount
  edges { node { id heldOn selected { id } } } } }"""
REPORT = """query($placeId: ID, $year: Int!) { practicalMatterReport(placeId: $placeId, year: $year) {
  placeId year referenceCollected referenceSolvedShare
  total { placeId collected decided completed solvedShare completedShare needs residents units communities
          ratings satisfaction }
  parts { placeId collected decided completed units } } }"""
CANDIDATES = """query($id: ID!, $kinds: [CandidateKind!]) { matterCandidates(matterId: $id, kinds: $kinds) {
  kind score reason resource { __typename ... on Offering { id } ... on Venue { id }
  ... on FundingProgram { id } } } }"""


def coordinator(scope: str = SHUYUANMEN) -> str:
    return token("COORDINATOR", scope, f"user:coord-{scope}")


def unit_admin(unit: str = UNIT) -> str:
    return token("UNIT_ADMIN", unit, f"user:admin-{unit}")


def resident(rid: str) -> str:
    return token("RESIDENT", None, rid)


async def make_ten_things_world(graph: Graph) -> None:
    """The matching world (a unit with a sewer offering, venues, programs; member:m1 of the unit), a program
    of 雁塔区, a second unit registered with 书院门社区, five residents of two compounds and their needs of
    2026: six sewer needs in the third quarter (four by the 12345 hotline), a noise need, one sewer need of
    another community."""
    await make_world(graph, NOW)
    await graph.write(
        """
        MATCH (c:Community {id: $community}), (c2:Community {id: $other}), (p:Compound {id: $compound})
        MATCH (sewer:Category {code: 'SEWER'}), (noise:Category {code: 'NOISE'}), (y:District {id: $yanta})
        MATCH (m1:Member {id: 'member:m1'}), (u1:Unit {id: $unit})
        CREATE (m1)-[:BELONGS_TO]->(u1)
        CREATE (:FundingProgram {id: 'program:yanta', name: '雁塔区社区基金', level: 'DISTRICT', budget: 1000000,
                spent: 0, createdAt: datetime()})-[:AVAILABLE_IN]->(y)
        CREATE (u:Unit {id: $unit2, name: '碑林区房管所', kind: 'GOVERNMENT', createdAt: datetime()})
               -[:REGISTERED_WITH]->(c)
        CREATE (q:Compound {id: $compound2, name: '三学街小区', households: 180,
                location: point({latitude: 34.2555, longitude: 108.9460}), createdAt: datetime()})-[:IN]->(c)
        WITH c2, p, q, sewer, noise
        UNWIND range(0, size($residents) - 1) AS i
        CREATE (r:Resident {id: $residents[i], name: '居民' + i, createdAt: datetime()})
        WITH c2, p, q, sewer, noise, i, r
        WITH c2, p, q, sewer, noise, i, r, CASE WHEN i % 2 = 0 THEN p ELSE q END AS at
        CREATE (n:Need {id: 'need:s' + i, number: 'XA-S' + i, title: '楼下下水道堵塞，污水外溢', status: 'SUBMITTED',
                channel: CASE WHEN i < 4 THEN 'HOTLINE_12345' ELSE 'APP' END, urgency: 'NORMAL', level: 'COMMUNITY',
                createdAt: datetime($q3) + duration({days: i})})
        CREATE (n)-[:AT]->(at), (n)-[:OF]->(sewer), (n)-[:RAISED_BY]->(r)
        FOREACH (_ IN CASE WHEN i = 0 THEN [1] ELSE [] END |
          CREATE (x:Need {id: 'need:s9', number: 'XA-S9', title: '污水井又冒了', status: 'SUBMITTED',
                  channel: 'APP', urgency: 'NORMAL', level: 'COMMUNITY',
                  createdAt: datetime($q3) + duration({days: 9})})
          CREATE (x)-[:AT]->(p), (x)-[:OF]->(sewer), (x)-[:RAISED_BY]->(r)
          CREATE (y:Need {id: 'need:n1', number: 'XA-N1', title: '广场舞音响太吵', status: 'SUBMITTED',
                  channel: 'APP', urgency: 'NORMAL', level: 'COMMUNITY', createdAt: datetime($q3)})
          CREATE (y)-[:AT]->(q), (y)-[:OF]->(noise), (y)-[:RAISED_BY]->(r)
          CREATE (z:Need {id: 'need:o1', number: 'XA-O1', title: '南院门下水道堵', status: 'SUBMITTED',
                  channel: 'HOTLINE_12345', urgency: 'NORMAL', level: 'COMMUNITY', createdAt: datetime($q3)})
          CREATE (z)-[:AT]->(c2), (z)-[:OF]->(sewer))
        """,
        community=SHUYUANMEN,
        other=NANYUANMEN_COMMUNITY,
        compound=COMPOUND,
        compound2=SECOND_COMPOUND,
        unit2=SECOND_UNIT,
        unit=UNIT,
        yanta=YANTA,
        residents=RESIDENTS,
        q3=Q3.isoformat(),
    )


async def raise_matter(client, tok: str | None = None, **given: object) -> dict:
    data = {"communityId": SHUYUANMEN, "year": YEAR, "title": "书院门下水管网改造", "source": "NEEDS",
            "needIds": ["need:s0"], **given}  # fmt: skip
    data = {k: v for k, v in data.items() if v is not None}
    return await client(RAISE, {"input": data}, token=coordinator() if tok is None else tok, expect_errors=True)


async def raised(client, **given: object) -> dict:
    body = await raise_matter(client, **given)
    assert "errors" not in body, body["errors"]
    return body["data"]["raiseMatter"]["practicalMatter"]


async def meeting(client, matters: list[str], tok: str | None = None, **given: object) -> dict:
    data = {"communityId": SHUYUANMEN, "heldOn": "2026-03-12", "year": YEAR, "unitIds": [UNIT, SECOND_UNIT],
            "selectedMatterIds": matters, **given}  # fmt: skip
    return await client(MEETING, {"input": data}, token=coordinator() if tok is None else tok, expect_errors=True)


async def commit(client, matter: str, tok: str | None = None, **given: object) -> dict:
    data = {"matterId": matter, "unitId": UNIT, "role": "LEAD", "resource": "OFFERING", "offeringId": OFFERING,
            **given}  # fmt: skip
    data = {k: v for k, v in data.items() if v is not None}
    return await client(COMMIT, {"input": data}, token=coordinator() if tok is None else tok, expect_errors=True)


async def test_story_the_year_s_ten_things_a_community_collects_decides_pulls_in_units_and_completes_its_ten_things(
    graph, graphql_client, interpreted_client
) -> None:
    await make_ten_things_world(graph)
    client = graphql_client

    # Collect: from the quarter's class of sewer needs (一类事), found by the server with the needs behind it:
    # six needs of five residents at two compounds (the other community's need is not among them).
    sewer = await raised(client, title="书院门下水管网改造", source="RECURRING_CLASS", categoryCode="sewer",
                         quarter="2026-Q3", needIds=None)  # fmt: skip
    assert (sewer["source"], sewer["status"], sewer["quarter"], sewer["year"]) == (
        "RECURRING_CLASS", "CANDIDATE", "2026-Q3", YEAR
    )  # fmt: skip
    assert (sewer["supportingNeeds"], sewer["residents"], sewer["needs"]["totalCount"]) == (6, 5, 6)
    assert sorted(c["id"] for c in sewer["compounds"]) == [COMPOUND, SECOND_COMPOUND]
    assert sewer["category"] == {"code": "SEWER"} and sewer["community"] == {"id": SHUYUANMEN}
    # Locked and read, the needs found, the matter written: three statements.
    assert client.last_written == [
        "tenthings.matters.raise_facts", "tenthings.matters.found_needs", "tenthings.matters.create_matter"
    ]  # fmt: skip
    # From the hotline's calls of the year: four 12345 calls.
    hotline = await raised(
        client, title="12345反映集中的污水外溢", source="HOTLINE", categoryCode="SEWER", needIds=None
    )
    assert (hotline["supportingNeeds"], hotline["residents"]) == (4, 4)
    # From residents' needs, named.
    noise = await raised(client, title="广场舞噪音错峰", needIds=["need:n1"], categoryCode="NOISE", idempotencyKey="k1")
    assert (noise["supportingNeeds"], noise["compounds"]) == (1, [{"id": SECOND_COMPOUND}])
    # A keyed retry answers the first result and raises nothing twice.
    again = await raise_matter(client, title="广场舞噪音错峰", needIds=["need:n1"], categoryCode="NOISE",
                               idempotencyKey="k1")  # fmt: skip
    assert again["data"]["raiseMatter"]["replayed"] is True
    assert again["data"]["raiseMatter"]["practicalMatter"]["id"] == noise["id"]

    # Decide: the joint meeting selects two of the three, with the units present.
    body = await meeting(client, [sewer["id"], noise["id"]], note="驻区单位共商，按群众需求排序")
    held = body["data"]["recordJointMeeting"]["jointMeeting"]
    assert held["heldOn"] == "2026-03-12" and sorted(u["id"] for u in held["units"]) == [UNIT, SECOND_UNIT]
    assert {(m["id"], m["status"], m["meeting"]["id"]) for m in held["selected"]} == {
        (sewer["id"], "SELECTED", held["id"]), (noise["id"], "SELECTED", held["id"])
    }  # fmt: skip
    assert client.last_written == ["tenthings.matters.meeting_facts", "tenthings.matters.create_meeting"]

    # Pull in units: the matcher finds the sewer offering, the venues and the district's program.
    found = (await client(CANDIDATES, {"id": sewer["id"]}, token=coordinator()))["data"]["matterCandidates"]
    by_kind = {(c["kind"], c["resource"]["id"]) for c in found}
    assert {("UNIT", OFFERING), ("VENUE", VENUE), ("FUNDING", PROGRAM)} <= by_kind
    # The matter's profile, one pool per kind, one batch of records per kind.
    assert client.last_statements == 7
    offering = next(c for c in found if c["kind"] == "UNIT")
    assert offering["score"] > 0 and offering["reason"]
    lead = (await commit(client, sewer["id"]))["data"]["commitToMatter"]["matterCommitment"]
    assert lead["role"] == "LEAD" and lead["offering"] == {"id": OFFERING}
    assert lead["matter"]["lead"] == {"id": UNIT} and lead["matter"]["unitsInvolved"] == 1
    assert client.last_written == ["tenthings.matters.locked_matter", "tenthings.matters.commit"]
    money = await commit(client, sewer["id"], role="SUPPORTING", resource="FUNDS", offeringId=None,
                         programId=PROGRAM, amount=2_000_000)  # fmt: skip
    assert money["data"]["commitToMatter"]["matterCommitment"]["amount"] == 2_000_000
    # A unit's admin commits what is its own: not another unit's venue; its own member's hours, yes.
    own = await commit(client, sewer["id"], unit_admin(SECOND_UNIT), unitId=SECOND_UNIT, role="SUPPORTING",
                       resource="VENUE", offeringId=None, venueId=VENUE)  # fmt: skip
    assert error_code(own) == "BAD_USER_INPUT" and "owns no venue:m1" in own["errors"][0]["message"]
    hours = await commit(client, sewer["id"], unit_admin(), role="SUPPORTING", resource="MEMBER_HOURS",
                         offeringId=None, memberId="member:m1", hours=40)  # fmt: skip
    assert hours["data"]["commitToMatter"]["matterCommitment"]["member"] == {"id": "member:m1"}

    # Track: the units note progress; the lead unit completes it with evidence.
    note = await client(NOTE, {"input": {"matterId": sewer["id"], "text": "主管网已疏通，更换破损管段60米"}},
                        token=unit_admin())  # fmt: skip
    assert note["data"]["noteMatterProgress"]["matterNote"]["unit"] == {"id": UNIT}
    done = await client(COMPLETE, {"input": {"matterId": sewer["id"], "evidence": "管网改造验收单，改造前后照片"}},
                        token=unit_admin())  # fmt: skip
    completed = done["data"]["completeMatter"]["practicalMatter"]
    assert completed["status"] == "COMPLETED" and completed["completedAt"].startswith("2026-11-02T01:00:00")

    # The residents who raised its needs rate it; rating again replaces the rating.
    for rid, stars in zip(RESIDENTS, (5, 4, 2, 5), strict=False):
        await client(RATE, {"input": {"matterId": sewer["id"], "rating": stars}}, token=resident(rid))
    body = await client(RATE, {"input": {"matterId": sewer["id"], "rating": 4}}, token=resident(RESIDENTS[2]))
    assert body["data"]["rateMatter"]["practicalMatter"] == {"id": sewer["id"], "ratings": 4, "satisfaction": 1.0}

    # The matter, its lists and the meetings read the same on both paths.
    answers = []
    for reader in (graphql_client, interpreted_client):
        matter = (await reader(MATTER, {"id": sewer["id"]}))["data"]["node"]
        listed = await reader(MATTERS, {"f": {"placeId": NANYUANMEN, "year": YEAR, "status": ["COMPLETED"]}})
        meetings = (await reader(MEETINGS, {"f": {"placeId": BEILIN, "year": YEAR}}))["data"]["jointMeetings"]
        answers.append((matter, listed["data"]["practicalMatters"], meetings))
    for one, other in zip(answers[0], answers[1], strict=True):
        assert one == other
    matter, listed, meetings = answers[0]
    assert (matter["lead"], matter["unitsInvolved"], matter["commitments"]["totalCount"]) == (
        {"name": "市政养护公司"}, 1, 3
    )  # fmt: skip
    assert matter["notes"]["edges"][0]["node"] == {"text": "主管网已疏通，更换破损管段60米", "unit": {"id": UNIT}}
    assert matter["meeting"]["units"] and matter["evidence"] == "管网改造验收单，改造前后照片"
    assert listed == {"totalCount": 1, "edges": [{"node": {"id": sewer["id"], "title": "书院门下水管网改造",
                                                           "status": "COMPLETED"}}]}  # fmt: skip
    assert meetings["totalCount"] == 1 and len(meetings["edges"][0]["node"]["selected"]) == 2
    # One compiled statement per root field.
    await graphql_client(MATTER, {"id": sewer["id"]})
    assert graphql_client.last_statements == 1

    # The rollup: the community, its street, its district, the city — and another district, empty.
    for place in (SHUYUANMEN, NANYUANMEN, BEILIN, None):
        report = (await client(REPORT, {"placeId": place, "year": YEAR}))["data"]["practicalMatterReport"]
        assert report["total"] == {
            "placeId": None, "collected": 3, "decided": 2, "completed": 1, "solvedShare": 0.3333,
            "completedShare": 0.5, "needs": 7, "residents": 5, "units": 1, "communities": 1, "ratings": 4,
            "satisfaction": 1.0,
        }, place  # fmt: skip
        assert (report["referenceCollected"], report["referenceSolvedShare"]) == (14000, 0.98)
        assert client.last_statements == 1
    city = (await client(REPORT, {"year": YEAR}))["data"]["practicalMatterReport"]
    assert city["parts"] == [{"placeId": BEILIN, "collected": 3, "decided": 2, "completed": 1, "units": 1}]
    district = (await client(REPORT, {"placeId": BEILIN, "year": YEAR}))["data"]["practicalMatterReport"]
    assert [p["placeId"] for p in district["parts"]] == [NANYUANMEN]
    this_year = (await client("{ practicalMatterReport { year total { collected } } }"))["data"]
    assert this_year["practicalMatterReport"] == {"year": YEAR, "total": {"collected": 3}}
    empty = (await client(REPORT, {"placeId": YANTA, "year": YEAR}))["data"]["practicalMatterReport"]
    assert empty["total"]["collected"] == 0 and empty["total"]["solvedShare"] is None and empty["parts"] == []
    assert (await client(REPORT, {"year": 2025}))["data"]["practicalMatterReport"]["total"]["collected"] == 0


async def test_every_bad_input_is_refused_with_its_code(graph, graphql_client) -> None:
    await make_ten_things_world(graph)
    client = graphql_client
    raise_refused = [
        ({}, "", "UNAUTHENTICATED", "signed-in"),
        ({}, TOKENS["RESIDENT"](), "FORBIDDEN", "COORDINATOR"),
        ({}, unit_admin(), "FORBIDDEN", "COORDINATOR"),
        ({}, coordinator(NANYUANMEN_COMMUNITY), "FORBIDDEN", "outside your scope"),
        ({}, TOKENS["OTHER_DISTRICT_ADMIN"](), "FORBIDDEN", "outside your scope"),
        ({"communityId": "community:999"}, None, "NOT_FOUND", "no community"),
        ({"communityId": BEILIN}, None, "BAD_USER_INPUT", "communityId"),
        ({"title": " "}, None, "BAD_USER_INPUT", "words residents use"),
        ({"year": 2019}, None, "BAD_USER_INPUT", "year 2019 is out of range"),
        ({"year": 2028}, None, "BAD_USER_INPUT", "year 2028 is out of range"),
        ({"needIds": []}, None, "BAD_USER_INPUT", "give needIds"),
        ({"needIds": ["need:none"]}, None, "NOT_FOUND", "no need need:none"),
        ({"needIds": ["need:o1"]}, None, "BAD_USER_INPUT", "raised outside"),
        ({"needIds": ["need:s0"], "quarter": "2026-Q3"}, None, "BAD_USER_INPUT", "quarter is for a RECURRING_CLASS"),
        ({"source": "HOTLINE", "needIds": None}, None, "BAD_USER_INPUT", "give categoryCode"),
        ({"source": "HOTLINE", "categoryCode": "SEWER"}, None, "BAD_USER_INPUT", "leave needIds out"),
        ({"source": "RECURRING_CLASS", "categoryCode": "SEWER", "needIds": None}, None, "BAD_USER_INPUT",
         "names its quarter"),
        ({"source": "RECURRING_CLASS", "categoryCode": "SEWER", "needIds": None, "quarter": "2026-Q5"}, None,
         "BAD_USER_INPUT", "is not a quarter"),
        ({"source": "RECURRING_CLASS", "categoryCode": "SEWER", "needIds": None, "quarter": "2027-Q1"}, None,
         "BAD_USER_INPUT", "has not begun"),
        ({"source": "RECURRING_CLASS", "categoryCode": "NOISE", "needIds": None, "quarter": "2026-Q3"}, None,
         "BAD_USER_INPUT", "1 噪音扰民 needs"),
        ({"source": "HOTLINE", "categoryCode": "NOISE", "needIds": None}, None, "BAD_USER_INPUT", "at least 3"),
        ({"source": "HOTLINE", "categoryCode": "GAS", "needIds": None}, None, "NOT_FOUND", "no category"),
    ]  # fmt: skip
    for given, tok, code, words in raise_refused:
        body = await raise_matter(client, tok, **given)
        assert error_code(body) == code, (given, body.get("errors"))
        assert words in body["errors"][0]["message"], (given, body["errors"][0]["message"])
    assert (await client(MATTERS))["data"]["practicalMatters"]["totalCount"] == 0

    hotline = await raised(client, source="HOTLINE", categoryCode="SEWER", needIds=None, title="污水外溢")
    again = await raise_matter(client, source="HOTLINE", categoryCode="SEWER", needIds=None, title="再提一次")
    assert error_code(again) == "CONFLICT" and hotline["id"] in again["errors"][0]["message"]
    candidate = await raised(client)

    meeting_refused = [
        ({"heldOn": "2026-11-03"}, "BAD_USER_INPUT", "in the future"),
        ({"heldOn": "2024-12-30"}, "BAD_USER_INPUT", "cannot choose 2026's"),
        ({"unitIds": []}, "BAD_USER_INPUT", "unitIds"),
        ({"unitIds": ["unit:none"]}, "NOT_FOUND", "no unit unit:none"),
        ({"selectedMatterIds": []}, "BAD_USER_INPUT", "selectedMatterIds"),
        ({"selectedMatterIds": ["matter:none"]}, "NOT_FOUND", "no practical matter"),
        ({"year": 2025, "heldOn": "2025-03-01"}, "BAD_USER_INPUT", "are not candidates"),
        ({"communityId": NANYUANMEN_COMMUNITY}, "FORBIDDEN", "outside your scope"),
    ]
    for given, code, words in meeting_refused:
        body = await meeting(client, [candidate["id"]], **given)
        assert error_code(body) == code, (given, body.get("errors"))
        assert words in body["errors"][0]["message"], (given, body["errors"][0]["message"])
    # A unit not registered with the community (双报到) was not at its joint meeting.
    await graph.write("CREATE (:Unit {id: 'unit:far', name: '雁塔某公司', kind: 'COMPANY', createdAt: datetime()})")
    body = await meeting(client, [candidate["id"]], unitIds=["unit:far"])
    assert error_code(body) == "BAD_USER_INPUT" and "not registered with 书院门社区" in body["errors"][0]["message"]

    # Commitments before the meeting chose it, and after.
    early = await commit(client, candidate["id"])
    assert error_code(early) == "CONFLICT" and "has not selected it" in early["errors"][0]["message"]
    assert "errors" not in await meeting(client, [candidate["id"]])
    twice = await meeting(client, [candidate["id"]])
    assert error_code(twice) == "CONFLICT" and "selected already" in twice["errors"][0]["message"]
    commit_refused = [
        ({}, TOKENS["RESIDENT"](), "FORBIDDEN", "UNIT_ADMIN"),
        ({"role": "SUPPORTING"}, unit_admin(SECOND_UNIT), "FORBIDDEN", "its own unit"),
        ({}, unit_admin(), "FORBIDDEN", "the lead unit is named by the community"),
        ({}, coordinator(NANYUANMEN_COMMUNITY), "FORBIDDEN", "outside your scope"),
        ({"matterId": "matter:none"}, None, "NOT_FOUND", "no practical matter"),
        ({"unitId": "unit:none"}, None, "NOT_FOUND", "no unit"),
        ({"offeringId": "offering:none"}, None, "NOT_FOUND", "no offering"),
        ({"offeringId": None}, None, "BAD_USER_INPUT", "names its offering"),
        ({"venueId": VENUE}, None, "BAD_USER_INPUT", "nothing else (not venueId)"),
        ({"amount": 100}, None, "BAD_USER_INPUT", "amount (fen) goes with FUNDS"),
        ({"resource": "FUNDS", "offeringId": None, "programId": PROGRAM}, None, "BAD_USER_INPUT", "goes with FUNDS"),
        ({"resource": "FUNDS", "offeringId": None, "programId": PROGRAM, "amount": 999_999_999}, None, "CONFLICT",
         "fen left that no matter was pledged"),
        ({"resource": "FUNDS", "offeringId": None, "programId": "program:yanta", "amount": 100}, None,
         "BAD_USER_INPUT", "not available"),
        ({"resource": "FUNDS", "offeringId": None, "programId": "program:m2", "amount": 100}, None,
         "BAD_USER_INPUT", "funds needs only"),  # the city's program for needs (tests/support/factories_matching)
        ({"resource": "MEMBER_HOURS", "offeringId": None, "memberId": "member:m1", "hours": 0}, None,
         "BAD_USER_INPUT", "hours"),
        ({"resource": "MEMBER_HOURS", "offeringId": None, "memberId": "member:care", "hours": 4}, None,
         "BAD_USER_INPUT", "has as its member no member:care"),
        ({"unitId": SECOND_UNIT}, None, "BAD_USER_INPUT", "offers no offering:m1"),
    ]  # fmt: skip
    for given, tok, code, words in commit_refused:
        body = await commit(client, candidate["id"], tok, **{"matterId": candidate["id"], **given})
        assert error_code(body) == code, (given, body.get("errors"))
        assert words in body["errors"][0]["message"], (given, body["errors"][0]["message"])

    # Completing before a lead is named; notes and completion by a unit taking no part; ratings.
    nolead = await client(COMPLETE, {"input": {"matterId": candidate["id"], "evidence": "照片"}}, token=coordinator(),
                          expect_errors=True)  # fmt: skip
    assert error_code(nolead) == "CONFLICT" and "no lead unit yet" in nolead["errors"][0]["message"]
    assert "errors" not in await commit(client, candidate["id"])
    second_lead = await commit(client, candidate["id"], unitId=SECOND_UNIT, resource="VENUE", offeringId=None,
                               venueId="venue:m2")  # fmt: skip
    assert error_code(second_lead) == "CONFLICT" and "is led by 市政养护公司" in second_lead["errors"][0]["message"]
    stranger = await client(NOTE, {"input": {"matterId": candidate["id"], "text": "进展"}},
                            token=unit_admin(SECOND_UNIT), expect_errors=True)  # fmt: skip
    assert error_code(stranger) == "FORBIDDEN" and "takes no part" in stranger["errors"][0]["message"]
    blank = await client(NOTE, {"input": {"matterId": candidate["id"], "text": " "}}, token=unit_admin(),
                         expect_errors=True)  # fmt: skip
    assert error_code(blank) == "BAD_USER_INPUT"
    early_rating = await client(RATE, {"input": {"matterId": candidate["id"], "rating": 5}},
                                token=resident(RESIDENTS[0]), expect_errors=True)  # fmt: skip
    assert error_code(early_rating) == "CONFLICT" and "once it is completed" in early_rating["errors"][0]["message"]
    outsider = await client(RATE, {"input": {"matterId": candidate["id"], "rating": 5}},
                            token=resident(RESIDENTS[1]), expect_errors=True)  # fmt: skip
    assert error_code(outsider) == "FORBIDDEN" and "raised none of the needs" in outsider["errors"][0]["message"]
    bad_rating = await client(RATE, {"input": {"matterId": candidate["id"], "rating": 6}},
                              token=resident(RESIDENTS[0]), expect_errors=True)  # fmt: skip
    assert error_code(bad_rating) == "BAD_USER_INPUT"
    done = await client(COMPLETE, {"input": {"matterId": candidate["id"], "evidence": "验收照片"}}, token=unit_admin())
    assert done["data"]["completeMatter"]["practicalMatter"]["status"] == "COMPLETED"
    again = await client(COMPLETE, {"input": {"matterId": candidate["id"], "evidence": "再次"}}, token=coordinator(),
                         expect_errors=True)  # fmt: skip
    assert error_code(again) == "CONFLICT" and "COMPLETED" in again["errors"][0]["message"]

    # The reads refuse what they cannot answer.
    for variables, tok, code in [
        ({"id": candidate["id"]}, TOKENS["RESIDENT"](), "FORBIDDEN"),
        ({"id": candidate["id"]}, coordinator(NANYUANMEN_COMMUNITY), "FORBIDDEN"),
        ({"id": "matter:none"}, coordinator(), "NOT_FOUND"),
        ({"id": BEILIN}, coordinator(), "BAD_USER_INPUT"),
        ({"id": candidate["id"], "kinds": ["MEMBER"]}, coordinator(), "BAD_USER_INPUT"),
    ]:
        body = await client(CANDIDATES, variables, token=tok, expect_errors=True)
        assert error_code(body) == code, (variables, body.get("errors"))
    for variables, code in [({"placeId": "district:610199", "year": YEAR}, "NOT_FOUND"),
                            ({"placeId": COMPOUND, "year": YEAR}, "BAD_USER_INPUT"),
                            ({"year": 1999}, "BAD_USER_INPUT")]:  # fmt: skip
        assert error_code(await client(REPORT, variables, expect_errors=True)) == code, variables


async def test_never_more_than_ten_a_year_and_one_winner_for_the_last_place(graph, graphql_client) -> None:
    await make_ten_things_world(graph)
    client = graphql_client
    matters = [(await raised(client, title=f"实事{i}", needIds=[f"need:s{i % 5}"]))["id"] for i in range(16)]
    body = await meeting(client, matters[:9])
    assert "errors" not in body, body
    over = await meeting(client, matters[9:11])
    assert error_code(over) == "CONFLICT" and "1 place(s) remain" in over["errors"][0]["message"]

    # One place left, five meetings at once, each selecting a different matter: exactly one wins.
    calls = [meeting(client, [m], token(role, scope, f"user:race-{i}"))
             for i, (m, (role, scope)) in enumerate(zip(matters[9:14], [("COORDINATOR", SHUYUANMEN),
                 ("COORDINATOR", NANYUANMEN), ("DISTRICT_ADMIN", BEILIN), ("CITY_ADMIN", None),
                 ("COORDINATOR", SHUYUANMEN)], strict=True))]  # fmt: skip
    answers = await released_together(graph, ("Community", SHUYUANMEN), calls)
    won = [a for a in answers if "errors" not in a]
    assert len(won) == 1, answers
    assert all(error_code(a) == "CONFLICT" and "0 place(s) remain" in a["errors"][0]["message"]
               for a in answers if a not in won)  # fmt: skip
    rows = await graph.read(
        "MATCH (:Community {id: $c})<-[:IN]-(m:PracticalMatter {year: 2026}) WHERE m.status = 'SELECTED' "
        "RETURN count(m) AS selected",
        c=SHUYUANMEN,
    )
    assert rows[0]["selected"] == 10


async def test_two_meetings_of_six_at_once_never_make_twelve(graph, graphql_client) -> None:
    await make_ten_things_world(graph)
    client = graphql_client
    matters = [(await raised(client, title=f"实事{i}", needIds=[f"need:s{i % 5}"]))["id"] for i in range(12)]
    calls = [meeting(client, matters[:6]), meeting(client, matters[6:], heldOn="2026-04-01")]
    answers = await released_together(graph, ("Community", SHUYUANMEN), calls)
    assert sorted("errors" in a for a in answers) == [False, True], answers
    lost = next(a for a in answers if "errors" in a)
    assert error_code(lost) == "CONFLICT" and "4 place(s) remain" in lost["errors"][0]["message"]
    rows = await graph.read("MATCH (m:PracticalMatter {status: 'SELECTED'}) RETURN count(m) AS n")
    assert rows[0]["n"] == 6
