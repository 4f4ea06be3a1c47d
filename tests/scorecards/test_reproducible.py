"""A period's scorecards are reproducible: asked again after new needs, evaluations, reopenings,
re-completions and moved deadlines — all after the period's end — its figures are the same, because
they are computed from timestamps and the audit trail as of the period's end, never from statuses,
deadlines or counters that drift. And the departments, which have no whistles on main, say NO_DATA."""

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
ASKED = [("COMMUNITY", BEILIN), ("STREET", BEILIN), ("UNIT", BEILIN), ("PROPERTY_FIRM", BEILIN), ("DISTRICT", None)]
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
    client = graphql_client
    before = await snapshot(client, "2024-Q4")
    communities = [c for c in before["COMMUNITY"] if c["rank"] is not None]
    assert communities and before["PROPERTY_FIRM"] and any(c["rank"] for c in before["UNIT"])

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
    department = await client(REGISTER, {"input": {"name": "碑林区水务局", "code": "BEILIN_WATER", "level": "DISTRICT",
                                                   "districtId": BEILIN, "categoryCodes": ["SEWER"]}},
                              token=token("CITY_ADMIN"))  # fmt: skip
    assert "errors" not in department, department

    assert await snapshot(client, "2024-Q4") == before
    # The facts are there: a period holding them does change (so the comparison above could fail).
    after = await snapshot(client, "2025-Q1")
    assert sum(c["received"] for c in after["COMMUNITY"]) >= len(before["COMMUNITY"])
    # Departments have no whistles on main: NO_DATA, never a made-up number.
    body = await client(CARDS, {"level": "DEPARTMENT", "period": "2024-Q4", "within": BEILIN},
                        token=token("DISTRICT_ADMIN", BEILIN))  # fmt: skip
    (card,) = body["data"]["scorecards"]["cards"]
    assert card["flags"] == ["NO_DATA"] and card["composite"] is None and card["rank"] is None
    assert card["received"] == 0 and card["whistlerRating"] == {"rate": None}
