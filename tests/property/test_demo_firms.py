"""Story 22 on the demo seed: 碑林区's property firms ranked by their residents' satisfaction with a clear
worst, and an old compound of 柏树林街道 with no firm offered the state enterprise that serves the street."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graph.kernel.db import Graph
from seeds.loader import load_preset
from seeds.property_firms import FALLBACK_ID, WORST
from tests.conftest import GraphQLClient
from tests.support.workflow_helpers import SUBMIT, token

NOW = datetime(2026, 11, 29, tzinfo=UTC)
BAISHULIN = "street:610103002"
REPORT = """query($from: DateTime, $to: DateTime) { propertyFirmReport(districtId: "district:610103", from: $from,
  to: $to) { threshold firms { rank firmId satisfactionRate ratings belowThreshold firm { name } } } }"""
MATCH = """query($id: ID!) { matchCandidates(needId: $id, first: 3) { kind reason resource { __typename } } }"""


async def test_the_demo_has_a_clear_worst_firm_and_a_fallback_for_an_old_compound(
    graph: Graph, graphql_client: GraphQLClient
) -> None:
    await load_preset(graph, "demo", now=NOW)
    client = graphql_client
    period = {"from": (NOW - timedelta(days=365)).isoformat(), "to": NOW.isoformat()}
    firms = (await client(REPORT, period))["data"]["propertyFirmReport"]["firms"]
    assert len(firms) == 4
    worst, *rest = firms
    assert worst["firmId"] == WORST and worst["rank"] == 1 and worst["belowThreshold"] is True
    rated = [f["satisfactionRate"] for f in rest if f["satisfactionRate"] is not None]
    assert worst["ratings"] >= 3 and rated and worst["satisfactionRate"] < min(rated)

    rows = await graph.read(
        "MATCH (c:Compound)-[:IN]->(:Community)-[:IN]->(:Street {id: $street}) "
        "WHERE NOT EXISTS { (c)<-[:MANAGES]-() } RETURN c.id AS id ORDER BY id LIMIT 1",
        street=BAISHULIN,
    )
    old = rows[0]["id"]
    body = await client(
        SUBMIT,
        {"input": {"title": "单元门禁坏了，外面的人随便进出", "categoryCode": "PROPERTY", "placeId": old}},
        token=token("RESIDENT", subject="resident:demo-wang"),
    )
    need = body["data"]["submitNeed"]["need"]["id"]
    offered = await client(MATCH, {"id": need}, token=token("COORDINATOR", BAISHULIN, "user:coord-610103002"))
    kinds = [c["kind"] for c in offered["data"]["matchCandidates"]]
    assert "MEMBER" in kinds and kinds.count("FALLBACK") == 1
    (fallback,) = [c for c in offered["data"]["matchCandidates"] if c["kind"] == "FALLBACK"]
    assert fallback["reason"].startswith("无物业小区：国企兜底") and fallback["resource"]["__typename"] == "Unit"
    assert FALLBACK_ID == "fallback:baishulin"
