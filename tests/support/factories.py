"""Small hand-made graphs for tests that must not depend on the seed generator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graph.kernel.db import Graph

BEILIN = "district:610103"
NANYUANMEN = "street:610103001"
SHUYUANMEN = "community:610103001009"
NANYUANMEN_COMMUNITY = "community:610103001004"
COMPOUND = "compound:610103001009-1"
YANTA = "district:610113"


async def make_places(graph: Graph) -> None:
    await graph.write(
        """
        CREATE (d:District {id: $beilin, code: '610103', name: '碑林区', kind: '区',
                location: point({latitude: 34.25, longitude: 108.94}), createdAt: datetime()})
        CREATE (y:District {id: $yanta, code: '610113', name: '雁塔区', kind: '区',
                location: point({latitude: 34.22, longitude: 108.95}), createdAt: datetime()})
        CREATE (s:Street {id: $street, code: '610103001', name: '南院门街道', kind: '街道',
                location: point({latitude: 34.255, longitude: 108.94}), createdAt: datetime()})-[:IN]->(d)
        CREATE (c:Community {id: $community, code: '610103001009', name: '书院门社区',
                officialName: '书院门社区居委会', kind: '社区',
                location: point({latitude: 34.256, longitude: 108.945}), createdAt: datetime()})-[:IN]->(s)
        CREATE (c2:Community {id: $community2, code: '610103001004', name: '南院门社区',
                officialName: '南院门社区居委会', kind: '社区',
                location: point({latitude: 34.257, longitude: 108.942}), createdAt: datetime()})-[:IN]->(s)
        CREATE (:Compound {id: $compound, name: '书院小区', households: 320, hasServiceStation: true,
                location: point({latitude: 34.2561, longitude: 108.9452}), createdAt: datetime()})-[:IN]->(c)
        FOREACH (cat IN $categories |
            CREATE (:Category {id: 'category:' + cat[0], code: cat[0], name: cat[1], createdAt: datetime()}))
        """,
        beilin=BEILIN,
        yanta=YANTA,
        street=NANYUANMEN,
        community=SHUYUANMEN,
        community2=NANYUANMEN_COMMUNITY,
        compound=COMPOUND,
        categories=[["SEWER", "下水疏通"], ["NOISE", "噪音扰民"], ["ELDERLY_CARE", "养老服务"]],
    )


async def make_needs(graph: Graph, count: int, *, category: str = "SEWER", at: str = COMPOUND) -> list[str]:
    """`count` needs, one minute apart (newest last), at a compound or community."""
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    rows = [
        {
            "id": f"need:t{i:04d}",
            "title": f"楼下下水道堵塞 {i}号",
            "description": "污水外溢，请尽快疏通",
            "createdAt": (start + timedelta(minutes=i)).isoformat(),
        }
        for i in range(count)
    ]
    await graph.write(
        """
        MATCH (place {id: $at}) MATCH (k:Category {code: $category})
        UNWIND $rows AS row
        CREATE (n:Need {id: row.id, title: row.title, description: row.description, status: 'SUBMITTED',
                        channel: 'APP', urgency: 'NORMAL', peopleNeeded: 1, level: 'COMMUNITY',
                        number: 'XA-' + row.id, createdAt: datetime(row.createdAt)})
        CREATE (n)-[:AT]->(place), (n)-[:OF]->(k)
        """,
        at=at,
        category=category,
        rows=rows,
    )
    return [row["id"] for row in rows]
