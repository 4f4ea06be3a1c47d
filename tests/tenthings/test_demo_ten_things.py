"""The demo's ten practical things (issue 23 §1): matters resting on the demo's own needs, selected at each
community's joint meeting, led by units registered there, mostly done and rated — and the rollup of them
for the city, a district and a street, answered in one statement each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from graph.kernel.db import Graph
from tests.conftest import GraphQLClient

NOW = datetime(2026, 11, 29, tzinfo=UTC)
REPORT = """query($placeId: ID) { practicalMatterReport(placeId: $placeId) { year referenceCollected
  referenceSolvedShare total { collected decided completed solvedShare completedShare needs residents units
  communities ratings satisfaction } parts { placeId collected decided completed } } }"""


@pytest.mark.demo(NOW)
async def test_the_demo_collects_decides_and_completes_its_practical_things(
    graph: Graph, graphql_client: GraphQLClient
) -> None:
    client = graphql_client
    city = (await client(REPORT))["data"]["practicalMatterReport"]
    assert client.last_statements == 1
    total = city["total"]
    assert city["year"] == 2026 and (city["referenceCollected"], city["referenceSolvedShare"]) == (14000, 0.98)
    # Collected from the needs, fewer decided (what one resident alone raised waits), most of those done.
    assert total["collected"] > total["decided"] > total["completed"] > 0
    assert total["solvedShare"] == round(total["completed"] / total["collected"], 4)
    assert total["completedShare"] > 0.6 and 0.8 <= total["satisfaction"] <= 1.0
    assert total["units"] > 0 and total["residents"] > total["communities"] > 0 and total["needs"] >= total["residents"]
    # The city's parts are its districts, and add up to it.
    assert all(p["placeId"].startswith("district:") for p in city["parts"])
    assert sum(p["collected"] for p in city["parts"]) == total["collected"]
    beilin = (await client(REPORT, {"placeId": "district:610103"}))["data"]["practicalMatterReport"]
    assert all(p["placeId"].startswith("street:") for p in beilin["parts"]) and beilin["total"]["collected"] > 0

    # What the rules of the API hold for, the demo holds too.
    rows = await graph.read(
        """
        MATCH (c:Community)<-[:IN]-(m:PracticalMatter)
        RETURN c.id AS community,
          count(CASE WHEN m.status <> 'CANDIDATE' THEN m END) AS decided,
          count(CASE WHEN m.status <> 'CANDIDATE' AND NOT EXISTS { (m)-[:LED_BY]->(:Unit)-[:REGISTERED_WITH]->(c) }
                THEN m END) AS unled,
          count(CASE WHEN EXISTS { (m)-[:SUPPORTED_BY]->(n:Need)
                  WHERE NOT EXISTS { (n)-[:AT]->(:Compound|Community)-[:IN*0..1]->(c) } } THEN m END) AS foreign,
          count(CASE WHEN m.status = 'COMPLETED' AND (m.completedAt > datetime($now) OR m.evidence IS NULL)
                THEN m END) AS unproven
        """,
        now=NOW.isoformat(),
    )
    assert rows and all(r["decided"] <= 10 and r["unled"] == r["foreign"] == r["unproven"] == 0 for r in rows), rows
    raters = await graph.read(
        "MATCH (m:PracticalMatter)<-[:OF]-(:MatterRating)-[:BY]->(r:Resident) "
        "WHERE m.status <> 'COMPLETED' OR NOT EXISTS { (m)-[:SUPPORTED_BY]->(:Need)-[:RAISED_BY]->(r) } "
        "RETURN count(*) AS n"
    )
    assert raters[0]["n"] == 0
