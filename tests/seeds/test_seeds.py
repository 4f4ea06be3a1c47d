"""The seed package: the demo preset loads, fills the whole graph model, and keeps its invariants."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from graph.kernel.db import Graph
from graph.needs.kinds import Channel, EventType, NeedStatus, Urgency
from graph.whistle.kinds import WhistleEventType
from seeds import generator
from seeds.generator import Generator, Node
from seeds.loader import SeedError, graph_is_empty, load_preset
from seeds.reference import communities, short_name

NOW = datetime(2026, 11, 25, tzinfo=UTC)
GRAPH_MD = Path(__file__).resolve().parents[2] / "docs" / "GRAPH.md"
TRADITIONAL = "區臺會縣鎮門們員務醫銷鄉與這個來對開關為無東車書學實時愛"


# Each counter recomputed from the graph; a statement returns how many nodes disagree.
_RATINGS = "[(h)<-[:TO]-(:Assignment)<-[:OF]-(e:Evaluation {byRole: 'REQUESTER'}) | e.rating]"
_UNIT_RATINGS = (
    "COLLECT { MATCH (h)<-[:TO]-(:Assignment)<-[:OF]-(e:Evaluation {byRole: 'REQUESTER'}) RETURN e.rating AS r "
    "UNION ALL MATCH (h)-[:OFFERS]->(:Offering)<-[:TO]-(:Assignment)<-[:OF]-(e:Evaluation {byRole: 'REQUESTER'}) "
    "RETURN e.rating AS r }"
)
COUNTER_CHECKS = (
    "MATCH (h:Member) WITH h, "
    "COUNT { (h)<-[:TO]-(:Assignment {status: 'ACTIVE'}) } AS open, "
    "COUNT { (h)<-[:TO]-(a:Assignment) WHERE a.acceptedAt IS NOT NULL } AS assigned, "
    "COUNT { (h)<-[:TO]-(:Assignment {status: 'COMPLETED'}) } AS completed, "
    "[(h)<-[:TO]-(a:Assignment) WHERE a.completedAt IS NOT NULL | a.completedAt] AS served, "
    f"{_RATINGS} AS ratings "
    "WHERE h.openLoad <> open OR h.assignedCount <> assigned OR h.completedCount <> completed "
    "OR h.ratingSum <> reduce(t = 0, r IN ratings | t + r) OR h.ratingCount <> size(ratings) "
    "OR NOT (h.lastServedAt = coalesce(reduce(m = null, t IN served | "
    "CASE WHEN m IS NULL OR t > m THEN t ELSE m END), h.lastServedAt) "
    "AND (h.lastServedAt IS NULL) = (size(served) = 0)) "
    "RETURN count(h) AS bad",
    "MATCH (h:Offering) WITH h, COUNT { (h)<-[:TO]-(:Assignment {status: 'ACTIVE'}) } AS open, "
    f"{_RATINGS} AS ratings "
    "WHERE h.openLoad <> open OR h.ratingSum <> reduce(t = 0, r IN ratings | t + r) "
    "OR h.ratingCount <> size(ratings) RETURN count(h) AS bad",
    f"MATCH (h:Unit) WITH h, {_UNIT_RATINGS} AS ratings "
    "WHERE h.ratingSum <> reduce(t = 0, r IN ratings | t + r) OR h.ratingCount <> size(ratings) "
    "RETURN count(h) AS bad",
)


# Statements counting what breaks an invariant of the seeded graph: each must count none.
INVARIANTS = (
    *COUNTER_CHECKS,
    "MATCH (m:Member) WHERE m.openLoad > m.maxLoad RETURN count(m) AS bad",
    "MATCH (o:Offering) WHERE o.openLoad > o.capacity RETURN count(o) AS bad",
    (
        "MATCH (p:FundingProgram) OPTIONAL MATCH (p)<-[:FROM]-(g:Grant {status: 'APPROVED'}) "
        "WITH p, coalesce(sum(g.amount), 0) AS approved WHERE p.spent <> approved OR p.spent > p.budget "
        "RETURN count(p) AS bad"
    ),
    (
        "MATCH (a:Booking {status: 'CONFIRMED'})-[:OF]->(v:Venue)<-[:OF]-(b:Booking {status: 'CONFIRMED'}) "
        "WHERE a.id < b.id AND a.start < b.end AND b.start < a.end RETURN count(*) AS bad"
    ),
    (
        "MATCH (n:Need) WHERE n.status <> 'SUBMITTED' AND NOT (n)<-[:ABOUT]-(:Event {toState: n.status}) "
        "RETURN count(n) AS bad"
    ),
    (
        "MATCH (n:Need) WHERE n.status IN ['DISPATCHED', 'ACCEPTED', 'IN_PROGRESS', 'COMPLETED', 'EVALUATED'] "
        "AND (n.responseDeadline IS NULL OR n.completionDeadline IS NULL "
        # Dispatched by a coordinator, by intake's routing of a negative-list category, or whistled by the
        # district's leadership (区级吹哨: seeds/assessment.py).
        "OR NOT EXISTS { (n)<-[:OF]-(:Assignment)-[:BY]->(u:User) "
        "WHERE u.role IN ['COORDINATOR', 'SYSTEM', 'DISTRICT_ADMIN'] }) "
        "RETURN count(n) AS bad"
    ),
    (
        "MATCH (n:Need {status: 'EVALUATED'}) WHERE NOT (n)<-[:OF]-(:Assignment {status: 'COMPLETED'})"
        "<-[:OF]-(:Evaluation) RETURN count(n) AS bad"
    ),
    # One name for one thing: every history starts with SUBMIT, every number has the live format.
    (
        "MATCH (n:Need) WHERE NOT (n)<-[:ABOUT]-(:Event {type: 'SUBMIT', toState: 'SUBMITTED'}) "
        "OR NOT n.number =~ 'XA-[0-9]{4}-[0-9]{6}-[0-9]{6}' RETURN count(n) AS bad"
    ),
)


# What the stories need the demo to hold at least one of: the story → a statement counting them.
DEMO_HAS = {
    "story 3: the state enterprise's sewer offering in 南院门街道": (
        "MATCH (u:Unit {kind: 'STATE_ENTERPRISE'})-[:OFFERS]->(o:Offering)-[:SERVES]->(:Category {code: 'SEWER'}) "
        "MATCH (o)-[:IN_AREA]->(:Street {id: 'street:610103001'}) RETURN count(o) AS n"
    ),
    "story 6: a projector room for 40 in 南院门街道": (
        "MATCH (v:Venue)-[:AT]->(:Community)-[:IN]->(:Street {id: 'street:610103001'}) "
        "WHERE v.capacity >= 40 AND (v)-[:HAS]->(:Facility {code: 'PROJECTOR'}) RETURN count(v) AS n"
    ),
    "story 2: a noise complaint from the 12345 hotline": (
        "MATCH (n:Need {channel: 'HOTLINE_12345'})-[:OF]->(:Category {code: 'NOISE'}) RETURN count(n) AS n"
    ),
}


def graph_model() -> tuple[set[str], set[str]]:
    """Labels and relationship types named in docs/GRAPH.md (the contract)."""
    text = GRAPH_MD.read_text(encoding="utf-8")
    labels = set(re.findall(r"^\| `([A-Za-z]+)` \|", text, flags=re.M)) - {"Migration"}
    rel_section = text.split("Relationships", 1)[1]
    types = set(re.findall(r"\[:([A-Z_]+)\]", rel_section))
    return labels, types


def test_short_names() -> None:
    assert short_name("书院门社区居委会") == "书院门社区"
    assert short_name("东张村委会") == "东张村"
    assert short_name("南街社区") == "南街社区"
    assert short_name("西十里铺村社区委会") == "西十里铺村社区"
    names = {c.code: c.name for c in communities()}
    assert names["610103001009"] == "书院门社区"
    assert not [n for n in names.values() if n.endswith(("委会", "委员会"))]


def test_generator_is_deterministic() -> None:
    first = list(Generator("demo", 7, NOW).records())
    second = list(Generator("demo", 7, NOW).records())
    assert first == second
    other = list(Generator("demo", 8, NOW).records())
    assert other != first


def test_the_generator_draws_from_the_graphs_value_sets() -> None:
    """The weight tables name the values the graph declares (graph/needs/kinds.py), no copy of their own."""
    assert set(generator.CHANNEL_WEIGHTS) == set(Channel) - {Channel.OPEN311}  # only partner systems use it
    assert set(generator.URGENCY_WEIGHTS) == set(Urgency)
    assert set(generator.RESPONSE_HOURS) == set(generator.COMPLETION_DAYS) == set(Urgency)
    assert set(generator.STATE_WEIGHTS) <= set(NeedStatus)


def test_unknown_preset() -> None:
    with pytest.raises(ValueError, match="demo"):
        Generator("huge")


def test_text_is_simplified_chinese() -> None:
    bad = re.compile(f"[{TRADITIONAL}]")
    for record in Generator("demo", now=NOW).records():
        if isinstance(record, Node):
            for value in record.props.values():
                texts = value if isinstance(value, list) else [value]
                for text in texts:
                    if isinstance(text, str):
                        assert not bad.search(text), (record.label, text)


async def test_demo_loads_with_fixtures_and_invariants(graph: Graph) -> None:
    assert await graph_is_empty(graph)
    seen: list[str] = []
    counts = await load_preset(graph, "demo", now=NOW, progress=lambda name, done, total: seen.append(name))
    assert counts["District"] == 13 and counts["Street"] == 172 and counts["Community"] == 2486
    assert "Need" in seen and ":ABOUT" in seen

    rows = await graph.read(
        "MATCH (d:District) WITH count(d) AS d MATCH (s:Street) WITH d, count(s) AS s "
        "MATCH (c:Community) RETURN d, s, count(c) AS c"
    )
    assert rows == [{"d": 13, "s": 172, "c": 2486}]

    labels, types = graph_model()
    # Made only by operations at run time (a proposed plan, a retried request), never by the seed.
    labels -= {"DispatchPlan", "IdempotencyRecord"}
    present = {r["label"] for r in await graph.read("MATCH (n) UNWIND labels(n) AS label RETURN DISTINCT label")}
    assert labels <= present, labels - present
    rel_types = {r["t"] for r in await graph.read("MATCH ()-[r]->() RETURN DISTINCT type(r) AS t")}
    assert types <= rel_types, types - rel_types
    missing = await graph.read("MATCH (n) WHERE n.createdAt IS NULL OR n.id IS NULL RETURN count(n) AS n")
    assert missing[0]["n"] == 0

    # story 1: Ms Wang's sewer need, down to the district
    rows = await graph.read(
        "MATCH (n:Need {id: 'need:demo-sewer'})-[:AT]->(:Compound)-[:IN]->(c:Community)-[:IN]->(s:Street)"
        "-[:IN]->(d:District) MATCH (n)-[:RAISED_BY]->(r:Resident) MATCH (n)-[:OF]->(cat:Category) "
        "RETURN n.title AS title, n.status AS status, n.channel AS channel, c.id AS c, s.name AS s, d.name AS d, "
        "r.name AS r, cat.code AS cat"
    )
    assert rows == [
        {
            "title": "楼下下水道堵塞，污水外溢",
            "status": "SUBMITTED",
            "channel": "APP",
            "c": "community:610103001009",
            "s": "南院门街道",
            "d": "碑林区",
            "r": "王秀兰",
            "cat": "SEWER",
        }
    ]
    # stories 3, 6 and 2: what they need is there
    for story, statement in DEMO_HAS.items():
        rows = await graph.read(statement)
        assert rows[0]["n"] >= 1, story
    # story 3: the plumber
    rows = await graph.read(
        "MATCH (m:Member {id: 'member:demo-plumber'})-[:REGISTERED_WITH]->(:Community {id: 'community:610103001009'}) "
        "MATCH (m)-[:HAS_SKILL]->(:Skill {code: 'PLUMBING'})-[:SERVES]->(:Category {code: 'SEWER'}) "
        "RETURN m.availability AS a"
    )
    assert rows and "6 08:00-12:00" in rows[0]["a"]
    # story 4: the meals need and its forty registered members
    rows = await graph.read(
        "MATCH (n:Need {id: 'need:demo-meals', status: 'SUBMITTED'})-[:OF]->(:Category {code: 'ELDERLY_CARE'}) "
        "MATCH (n)-[:AT]->(c:Community {id: 'community:610103001009'}) "
        "RETURN n.title AS title, COUNT { (c)<-[:REGISTERED_WITH]-(:Member) } AS members"
    )
    assert rows[0]["title"] == "周六上午为独居老人送餐" and rows[0]["members"] >= 40
    # story 7: the fund behind 高幸食堂 (高陵区's share) covers elderly care in 高陵区 with budget left
    rows = await graph.read(
        "MATCH (:Project {id: 'project:gaoxing-canteen'})<-[:FUNDS]-(:Grant {status: 'APPROVED'})-[:FROM]->"
        "(p:FundingProgram)-[:COVERS]->(:Category {code: 'ELDERLY_CARE'}) "
        "MATCH (p)-[:AVAILABLE_IN]->(:District {name: '高陵区'}) "
        "RETURN p.budget - p.spent AS left, COUNT { (p)-[:AVAILABLE_IN]->() } AS districts"
    )
    assert rows[0]["left"] > 0 and rows[0]["districts"] == 1
    rows = await graph.read("MATCH (p:FundingProgram {level: 'CITY'}) RETURN COUNT { (p)-[:AVAILABLE_IN]->() } AS n")
    assert rows and all(r["n"] == 13 for r in rows)
    # the coordinator of 书院门社区
    rows = await graph.read("MATCH (u:User {id: 'user:coord-610103001009'}) RETURN u.role AS role, u.scopeId AS s")
    assert rows == [{"role": "COORDINATOR", "s": "community:610103001009"}]

    # invariants (docs/GRAPH.md): every counter equals what the assignments and evaluations say, and more
    for statement in INVARIANTS:
        rows = await graph.read(statement)
        assert rows[0]["bad"] == 0, statement
    statuses = {r["s"] for r in await graph.read("MATCH (n:Need) RETURN DISTINCT n.status AS s")}
    assert len(statuses) == 11
    # The needs' own event types, and the whistle's (吹哨报到: seeds/whistle.py).
    types = [*EventType, *WhistleEventType]
    rows = await graph.read("MATCH (e:Event) WHERE NOT e.type IN $types RETURN count(e) AS bad", types=types)
    assert rows[0]["bad"] == 0
    # live numbering continues after the seeded numbers of each district
    rows = await graph.read(
        "MATCH (d:District {id: 'district:610103'}) RETURN d.needSeq AS seq, "
        "max(toInteger(right([(d)<-[:IN]-(:Street)<-[:IN]-(:Community)<-[:IN*0..1]-()<-[:AT]-(n:Need) "
        "| n.number][0], 6))) AS some"
    )
    assert rows[0]["seq"] >= rows[0]["some"] > 0

    # loading again is refused, not duplicated
    with pytest.raises(SeedError, match="already"):
        await load_preset(graph, "demo", now=NOW)
    rows = await graph.read("MATCH (d:District) RETURN count(d) AS n")
    assert rows[0]["n"] == 13
