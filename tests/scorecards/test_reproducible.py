"""A period's scorecards are reproducible: asked again after new needs, evaluations, reopenings,
re-completions and moved deadlines — all after the period's end — its figures are the same, because
they are computed from timestamps and the audit trail as of the period's end, never from statuses,
deadlines or counters that drift. The departments' too: whistle calls of the quarter reported, done and
rated after it leave its figures as they were."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graph.kernel.db import Graph
from seeds.loader import load_preset
from tests.conftest import GraphQLClient
from tests.support.workflow_helpers import SUBMIT, token

# The demo as of mid-January 2025: 2024-Q4 is closed, and everything written live (the database's own
# clock) lands after it.
NOW = datetime(2025, 1, 15, tzinfo=UTC)
PERIOD_END = datetime(2024, 12, 31, 16, tzinfo=UTC)  # 2025-01-01 00:00 Beijing
BEILIN = "district:610103"
FIGURES = "rate met of needIds metNeedIds previousRate"
CARDS = f"""query($level: ScorecardLevel!, $period: String!, $within: ID) {{
  scorecards(level: $level, period: $period, within: $within) {{ cards {{ subjectId rank previousRank composite
    previousComposite flags received needIds satisfaction {{ {FIGURES} }} response {{ {FIGURES} }}
    completion {{ {FIGURES} }} onTime {{ {FIGURES} }} whistlerRating {{ rate }} }} }} }}"""
ASKED = [("COMMUNITY", BEILIN), ("STREET", BEILIN), ("UNIT", BEILIN), ("PROPERTY_FIRM", BEILIN), ("DISTRICT", None),
         ("DEPARTMENT", BEILIN)]  # fmt: skip
REGISTER = """mutation($input: RegisterDepartmentInput!) { registerDepartment(input: $input) { department { id } } }"""


async def snapshot(client: GraphQLClient, period: str) -> dict:
    out = {}
    for level, within in ASKED:
        body = await client(CARDS, {"level": level, "period": period, "within": within}, token=token("CITY_ADMIN"))
        assert "errors" not in body, body
        assert client.last_statements == 1
        out[level] = body["data"]["scorecards"]["cards"]
    return out


async def test_a_closed_quarter_gives_the_same_figures_after_new_facts(
    graph: Graph, graphql_client: GraphQLClient
) -> None:
    await load_preset(graph, "demo", now=NOW)
    # Two whistle calls of the quarter, stamped as a seed would: 城管 reported, did it and was rated in
    # it; 水务 was still to report when it ended.
    whistled = await graph.write(
        """
        MATCH (n:Need)-[:AT]->()-[:IN*0..2]->(:Street)-[:IN]->(:District {id: $district})
        WHERE n.createdAt >= datetime($start) AND n.createdAt < datetime($end)
        WITH n ORDER BY n.id LIMIT 1
        MATCH (cg:Department {id: 'department:demo-chengguan'}), (water:Department {id: 'department:demo-water'})
        CREATE (w:Whistle {id: 'whistle:q4', level: 'STREET', byId: 'user:q4', note: '', reason: '',
                           scopeId: 'street:610103001', createdAt: datetime($start) + duration('P60D')})-[:ABOUT]->(n)
        CREATE (a:WhistleCall {id: 'whistlecall:q4-chengguan', role: 'ASSIST', status: 'DONE', escalations: 0,
          createdAt: datetime($start) + duration('P60D'), respondBy: datetime($start) + duration('P61D'),
          completeBy: datetime($start) + duration('P67D'), reportedAt: datetime($start) + duration('PT60H'),
          respondedLate: false, doneAt: datetime($start) + duration('P62D'), completedLate: false})
        CREATE (a)-[:PART_OF]->(w), (a)-[:TO]->(cg)
        CREATE (:DepartmentRating {id: 'departmentrating:q4-chengguan', response: 5, result: 4, attitude: 5,
          byId: 'user:q4', createdAt: datetime($start) + duration('P63D')})-[:OF]->(a)
        CREATE (b:WhistleCall {id: 'whistlecall:q4-water', role: 'LEAD', status: 'WHISTLED', escalations: 0,
          createdAt: datetime($start) + duration('P80D'), respondBy: datetime($start) + duration('P81D'),
          completeBy: datetime($start) + duration('P87D')})
        CREATE (b)-[:PART_OF]->(w), (b)-[:TO]->(water)
        RETURN count(*) AS made
        """,
        district=BEILIN,
        start=(PERIOD_END - timedelta(days=92)).isoformat(),
        end=PERIOD_END.isoformat(),
    )
    assert whistled[0]["made"] == 1
    client = graphql_client
    before = await snapshot(client, "2024-Q4")
    communities = [c for c in before["COMMUNITY"] if c["rank"] is not None]
    assert communities and before["PROPERTY_FIRM"] and any(c["rank"] for c in before["UNIT"])
    departments = {c["subjectId"]: c for c in before["DEPARTMENT"]}
    chengguan = departments["department:demo-chengguan"]
    assert chengguan["rank"] is not None and chengguan["whistlerRating"]["rate"] == round((14 / 3 - 1) / 4, 4)
    # The demo's quarter of whistles to the stationed agencies (seeds/assessment.py) is in it too.
    assert sum(c["rank"] is not None for c in before["DEPARTMENT"]) >= 6
    assert departments["department:demo-water"]["response"]["of"] == 1

    # After the period: a new need over HTTP (stamped by the database's clock, which is later than the
    # quarter), and, stamped just after the quarter's end, what happens to the quarter's own needs later.
    body = await client(SUBMIT, {"input": {"title": "楼道灯坏了", "categoryCode": "PROPERTY",
                                            "placeId": communities[0]["subjectId"]}},
                        token=token("RESIDENT", subject="resident:demo-wang"))  # fmt: skip
    assert "errors" not in body, body
    made = await graph.read("MATCH (n:Need {id: $id}) RETURN n.createdAt > datetime($end) AS later",
                            id=body["data"]["submitNeed"]["need"]["id"], end=PERIOD_END.isoformat())  # fmt: skip
    assert made[0]["later"], "the live need must fall after the period for this test to mean anything"
    later = (PERIOD_END + timedelta(hours=2)).isoformat()
    touched = await graph.write(
        """
        MATCH (n:Need)<-[:OF]-(a:Assignment)
        WHERE n.createdAt >= datetime($start) AND n.createdAt < datetime($end) AND a.completedAt IS NOT NULL
        WITH n, collect(a)[0] AS a ORDER BY n.id LIMIT 40
        // A resident rates it badly, it is reopened, completed again, and its deadlines move: all later.
        CREATE (:Evaluation {id: 'evaluation:later-' + n.id, rating: 1, byRole: 'REQUESTER',
                             createdAt: datetime($later), forCompletionAt: datetime($later)})-[:OF]->(a)
        CREATE (:Event {id: 'event:reopen-' + n.id, type: 'REOPEN', at: datetime($later), createdAt: datetime($later)})
                -[:ABOUT]->(n)
        CREATE (:Event {id: 'event:cancel-' + n.id, type: 'CANCEL', at: datetime($later), createdAt: datetime($later)})
                -[:ABOUT]->(n)
        SET a.completedAt = datetime($later), a.status = 'ACTIVE', n.status = 'REOPENED',
            n.completionDeadline = datetime($start), n.responseDeadline = datetime($start)
        RETURN count(*) AS touched
        """,
        start=(PERIOD_END - timedelta(days=92)).isoformat(),
        end=PERIOD_END.isoformat(),
        later=later,
    )
    assert touched[0]["touched"] == 40
    # 水务 reports and reports back after the quarter, and both calls are rated then, one badly.
    rated = await graph.write(
        """
        MATCH (b:WhistleCall {id: 'whistlecall:q4-water'}), (a:WhistleCall {id: 'whistlecall:q4-chengguan'})
        SET b.status = 'DONE', b.reportedAt = datetime($later), b.respondedLate = true, b.doneAt = datetime($later),
            b.completedLate = false
        CREATE (:DepartmentRating {id: 'departmentrating:q4-water', response: 2, result: 5, attitude: 4,
          byId: 'user:q4', createdAt: datetime($later)})-[:OF]->(b)
        CREATE (:DepartmentRating {id: 'departmentrating:q4-chengguan-later', response: 1, result: 1, attitude: 1,
          byId: 'user:q4', createdAt: datetime($later)})-[:OF]->(a)
        RETURN count(*) AS rated
        """,
        later=later,
    )
    assert rated[0]["rated"] == 1
    # A need raised after the quarter, at each community (stamped as a seed would stamp it).
    await graph.write(
        """
        MATCH (c:Community)-[:IN]->(:Street)-[:IN]->(:District {id: $district})
        CREATE (n:Need {id: 'need:later-' + c.id, title: '后来的事', status: 'SUBMITTED', urgency: 'NORMAL',
                        createdAt: datetime($later)})-[:AT]->(c)
        RETURN count(n) AS made
        """,
        district=BEILIN,
        later=later,
    )
    assert await snapshot(client, "2024-Q4") == before
    # The facts are there: a period holding them does change (so the comparison above could fail).
    after = await snapshot(client, "2025-Q1")
    assert sum(c["received"] for c in after["COMMUNITY"]) >= len(before["COMMUNITY"])

    # A department registered after the quarter has nothing in it: NO_DATA, never a made-up number.
    heating = {"name": "碑林区供热办公室", "code": "BEILIN_HEATING", "level": "DISTRICT", "districtId": BEILIN,
               "categoryCodes": ["SEWER"]}  # fmt: skip
    department = await client(REGISTER, {"input": heating}, token=token("CITY_ADMIN"))
    assert "errors" not in department, department
    new = department["data"]["registerDepartment"]["department"]["id"]
    (card,) = [c for c in (await snapshot(client, "2024-Q4"))["DEPARTMENT"] if c["subjectId"] == new]
    assert card["flags"] == ["NO_DATA"] and card["composite"] is None and card["rank"] is None
    assert card["received"] == 0 and card["whistlerRating"] == {"rate": None}
