"""Hand-made graphs for the matching tests: skills, members, an offering, venues, a program, needs.

Built on `tests.support.factories.make_places` (碑林区 › 南院门街道 › 书院门社区 + 南院门社区, one compound).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from graph.kernel.db import Graph
from tests.support.factories import BEILIN, COMPOUND, NANYUANMEN, NANYUANMEN_COMMUNITY, SHUYUANMEN, YANTA, make_places
from tests.support.workflow_helpers import error_code, token

UNIT = "unit:m1"
OFFERING = "offering:m1"
VENUE = "venue:m1"
SMALL_VENUE = "venue:m2"
PROGRAM = "program:m1"
CITY_PROGRAM = "program:m2"
NEED = "need:m1"
# The instant these worlds are dated from (modules pin the request clock to it: `now = pinned(NOW)`):
# Monday 2026-11-02 09:00 in Xi'an, the day after the needs are created, the week of their windows.
# Funding periods are laid out around whatever `now` a world is made with, so any year will do.
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
# A Saturday morning in Xi'an (UTC+8): 2026-11-07 09:00–11:00.
SATURDAY_9 = datetime(2026, 11, 7, 1, 0, tzinfo=UTC)
# A Tuesday evening: 2026-11-03 19:00–21:00 Xi'an time.
TUESDAY_19 = datetime(2026, 11, 3, 11, 0, tzinfo=UTC)


TOKENS = {
    "COORDINATOR": lambda: token("COORDINATOR", SHUYUANMEN, "user:coord-shuyuanmen"),
    "STREET_COORDINATOR": lambda: token("COORDINATOR", NANYUANMEN, "user:coord-nanyuanmen-street"),
    "OTHER_COORDINATOR": lambda: token("COORDINATOR", NANYUANMEN_COMMUNITY, "user:coord-nanyuanmen"),
    "DISTRICT_ADMIN": lambda: token("DISTRICT_ADMIN", BEILIN, "user:admin-beilin"),
    "OTHER_DISTRICT_ADMIN": lambda: token("DISTRICT_ADMIN", YANTA, "user:admin-yanta"),
    "CITY_ADMIN": lambda: token("CITY_ADMIN", None, "user:admin-city"),
    "UNIT_ADMIN": lambda: token("UNIT_ADMIN", UNIT, "user:unit-admin"),
    "MEMBER": lambda: token("MEMBER", None, "member:m1"),
    "RESIDENT": lambda: token("RESIDENT", None, "resident:m1"),
}


async def make_world(graph: Graph, now: datetime, members: int = 4, max_load: int = 3) -> None:
    """Places, skills, `members` plumbers (member:m1 … in 书院门社区, the last one in 南院门社区), one
    elderly-care member, a unit with a plumbing offering, two venues, a district and a city program
    in their funding period at `now`."""
    await make_places(graph)
    await graph.write(
        """
        MATCH (sewer:Category {code: 'SEWER'}), (care:Category {code: 'ELDERLY_CARE'}),
              (c1:Community {id: $c1}), (c2:Community {id: $c2}), (d:District {id: $district})
        CREATE (plumb:Skill {id: 'skill:PLUMBING', code: 'PLUMBING', name: '管道疏通', createdAt: datetime()})
               -[:SERVES]->(sewer)
        CREATE (elder:Skill {id: 'skill:ELDER', code: 'ELDER', name: '助老服务', createdAt: datetime()})
               -[:SERVES]->(care)
        CREATE (u:Unit {id: $unit, name: '市政养护公司', kind: 'STATE_ENTERPRISE', createdAt: datetime(),
                        location: point({latitude: 34.258, longitude: 108.943})})-[:REGISTERED_WITH]->(c1)
        CREATE (u)-[:OFFERS]->(o:Offering {id: $offering, title: '下水道疏通', description: '管道疏通 污水外溢 抢修',
                capacity: 2, openLoad: 0, status: 'ACTIVE', availability: [], createdAt: datetime()})-[:SERVES]->(sewer)
        CREATE (helper:Member {id: 'member:care', name: '助老员', maxLoad: 2, openLoad: 0, ratingSum: 0,
                ratingCount: 0, completedCount: 0, assignedCount: 0, availability: ['6 08:00-12:00'],
                location: point({latitude: 34.2562, longitude: 108.9451}), createdAt: datetime()})
        CREATE (helper)-[:HAS_SKILL]->(elder), (helper)-[:REGISTERED_WITH]->(c1)
        WITH plumb, c1, c2
        UNWIND range(1, $members) AS i
        CREATE (m:Member {id: 'member:m' + i, name: '党员' + i, maxLoad: $maxLoad, openLoad: 0, ratingSum: 5 * i,
                ratingCount: i, completedCount: i, assignedCount: i, availability: ['6 08:00-12:00', '2 18:00-22:00'],
                location: point({latitude: 34.2561 + i * 0.001, longitude: 108.9452}), createdAt: datetime()})
        CREATE (m)-[:HAS_SKILL]->(plumb)
        FOREACH (_ IN CASE WHEN i = $members THEN [1] ELSE [] END | CREATE (m)-[:REGISTERED_WITH]->(c2))
        FOREACH (_ IN CASE WHEN i < $members THEN [1] ELSE [] END | CREATE (m)-[:REGISTERED_WITH]->(c1))
        """,
        c1=SHUYUANMEN,
        c2=NANYUANMEN_COMMUNITY,
        district=BEILIN,
        unit=UNIT,
        offering=OFFERING,
        members=members,
        maxLoad=max_load,
    )
    await make_venues(graph)
    await make_programs(graph, now)


async def make_venues(graph: Graph) -> None:
    await graph.write(
        """
        MATCH (c:Community {id: $community}), (u:Unit {id: $unit})
        FOREACH (code IN ['PROJECTOR', 'TABLES_CHAIRS', 'WIFI'] |
            MERGE (:Facility {id: 'facility:' + code, code: code, name: code}))
        WITH c, u
        CREATE (v:Venue {id: $venue, name: '南院门社区党群服务中心教室', kind: 'COMMUNITY_CENTER', capacity: 60,
                areaSqm: 120, feePerHour: 0, openingHours: ['1 08:30-21:30', '2 08:30-21:30', '3 08:30-21:30',
                '4 08:30-21:30', '5 08:30-21:30', '6 09:00-17:00', '7 09:00-17:00'],
                location: point({latitude: 34.2565, longitude: 108.9449}), createdAt: datetime()})
        CREATE (v)-[:AT]->(c), (v)-[:OWNED_BY]->(u)
        CREATE (s:Venue {id: $small, name: '书院小区党群服务站', kind: 'COMPOUND_STATION', capacity: 15,
                areaSqm: 30, feePerHour: 1000, openingHours: ['1 09:00-18:00', '2 09:00-18:00'],
                location: point({latitude: 34.2561, longitude: 108.9452}), createdAt: datetime()})
        CREATE (s)-[:AT]->(c)
        WITH v, s
        MATCH (p:Facility {code: 'PROJECTOR'}), (t:Facility {code: 'TABLES_CHAIRS'}), (w:Facility {code: 'WIFI'})
        CREATE (v)-[:HAS]->(p), (v)-[:HAS]->(t), (v)-[:HAS]->(w), (s)-[:HAS]->(t)
        """,
        community=SHUYUANMEN,
        unit=UNIT,
        venue=VENUE,
        small=SMALL_VENUE,
    )


def funding_period(now: datetime) -> tuple[date, date]:
    """From 1 January of `now`'s year (in Xi'an) to the end of the next year."""
    year = (now + timedelta(hours=8)).year
    return date(year, 1, 1), date(year + 1, 12, 31)


async def make_programs(graph: Graph, now: datetime, budget: int = 10_000_000, cap: int = 500_000) -> None:
    """A district program for 碑林区 (SEWER, ELDERLY_CARE; needs and projects) and a city program (ELDERLY_CARE,
    needs only), both in their period at `now`."""
    start, end = funding_period(now)
    await graph.write(
        """
        MATCH (d:District {id: $district}), (sewer:Category {code: 'SEWER'}), (care:Category {code: 'ELDERLY_CARE'})
        CREATE (p:FundingProgram {id: $program, name: '碑林区社区服务基金', source: '社区为民服务专项资金',
                level: 'DISTRICT', funds: 'BOTH', budget: $budget, spent: 0, capPerGrant: $cap,
                periodStart: $start, periodEnd: $end, createdAt: datetime()})
        CREATE (p)-[:AVAILABLE_IN]->(d), (p)-[:COVERS]->(sewer), (p)-[:COVERS]->(care)
        CREATE (q:FundingProgram {id: $city, name: '市级养老专项', source: '福彩公益金', level: 'CITY',
                funds: 'NEEDS', budget: $budget, spent: 0, capPerGrant: $cap,
                periodStart: $start, periodEnd: $end, createdAt: datetime()})
        CREATE (q)-[:COVERS]->(care)
        """,
        district=BEILIN,
        program=PROGRAM,
        city=CITY_PROGRAM,
        budget=budget,
        cap=cap,
        start=start,
        end=end,
    )


async def make_need(
    graph: Graph,
    need_id: str = NEED,
    *,
    category: str = "SEWER",
    at: str = COMPOUND,
    people: int = 1,
    window: tuple[datetime, datetime] | None = (SATURDAY_9, SATURDAY_9 + timedelta(hours=2)),
    urgency: str = "NORMAL",
    status: str = "SUBMITTED",
    created: datetime | None = None,
) -> str:
    await graph.write(
        """
        MATCH (place {id: $at}) MATCH (k:Category {code: $category})
        CREATE (n:Need {id: $id, number: 'XA-' + $id, title: '楼下下水道堵塞', description: '污水外溢，请尽快疏通',
                status: $status, channel: 'APP', urgency: $urgency, peopleNeeded: $people, level: 'COMMUNITY',
                windowStart: CASE WHEN $ws IS NULL THEN null ELSE datetime($ws) END,
                windowEnd: CASE WHEN $we IS NULL THEN null ELSE datetime($we) END,
                location: point({latitude: 34.2561, longitude: 108.9452}), createdAt: datetime($created)})
        CREATE (n)-[:AT]->(place), (n)-[:OF]->(k)
        """,
        id=need_id,
        at=at,
        category=category,
        people=people,
        urgency=urgency,
        status=status,
        ws=window[0].isoformat() if window else None,
        we=window[1].isoformat() if window else None,
        created=(created or datetime(2026, 11, 1, 8, 0, tzinfo=UTC)).isoformat(),
    )
    return need_id


__all__ = ["BEILIN", "COMPOUND", "NANYUANMEN", "NANYUANMEN_COMMUNITY", "SHUYUANMEN", "YANTA", "error_code"]
