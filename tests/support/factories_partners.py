"""A small partner world on top of tests.support.factories.make_places: two units, a member each, an offering,
a venue, a district program, and the skill and facility catalog. Also tokens for every role."""

from __future__ import annotations

from datetime import timedelta

from graph.kernel.db import Graph
from server.auth import issue_token
from server.settings import get_settings
from tests.support.factories import BEILIN, NANYUANMEN, NANYUANMEN_COMMUNITY, SHUYUANMEN, YANTA, make_places

UNIT = "unit:p1"  # registered with 书院门社区
OTHER_UNIT = "unit:p2"  # registered with 南院门社区
MEMBER = "member:p1"  # of UNIT, registered with 书院门社区
OTHER_MEMBER = "member:p2"  # of OTHER_UNIT
OFFERING = "offering:p1"
VENUE = "venue:p1"
PROGRAM = "program:p1"  # DISTRICT level, 碑林区 only; 1,000 yuan spent
RESIDENT = "resident:r1"


async def make_partners(graph: Graph) -> None:
    await make_places(graph)
    await graph.write(
        """
        MATCH (c:Community {id: $c1}), (c2:Community {id: $c2}), (d:District {id: $district}),
              (k:Category {code: 'ELDERLY_CARE'})
        FOREACH (s IN [['PLUMBING', '管道疏通', 'SEWER'], ['FIRST_AID', '急救', 'ELDERLY_CARE']] |
            MERGE (sk:Skill {id: 'skill:' + s[0]}) SET sk.code = s[0], sk.name = s[1], sk.createdAt = datetime())
        FOREACH (f IN [['PROJECTOR', '投影仪'], ['WHEELCHAIR_ACCESS', '无障碍通道']] |
            CREATE (:Facility {id: 'facility:' + f[0], code: f[0], name: f[1], createdAt: datetime()}))
        CREATE (u:Unit {id: $unit, name: '碑林区第一医院', kind: 'HOSPITAL', phone: '029-87654321',
                createdAt: datetime()})-[:REGISTERED_WITH]->(c)
        CREATE (u2:Unit {id: $otherUnit, name: '南院门小学', kind: 'SCHOOL', createdAt: datetime()})
               -[:REGISTERED_WITH]->(c2)
        CREATE (m:Member {id: $member, name: '张医生', phone: '13800000001', availability: ['6 08:00-12:00'],
                maxLoad: 2, openLoad: 0, assignedCount: 0, completedCount: 0, ratingSum: 0, ratingCount: 0,
                createdAt: datetime()})-[:BELONGS_TO]->(u)
        CREATE (m)-[:REGISTERED_WITH]->(c)
        CREATE (m2:Member {id: $otherMember, name: '李老师', phone: '13800000002', availability: [],
                maxLoad: 2, openLoad: 0, assignedCount: 0, completedCount: 0, ratingSum: 0, ratingCount: 0,
                createdAt: datetime()})-[:BELONGS_TO]->(u2)
        CREATE (m2)-[:REGISTERED_WITH]->(c2)
        CREATE (u)-[:OFFERS]->(o:Offering {id: $offering, title: '免费体检', description: '每周六上午',
                capacity: 30, openLoad: 0, availability: ['6 08:00-12:00'], status: 'ACTIVE',
                createdAt: datetime()})-[:SERVES]->(k)
        CREATE (o)-[:IN_AREA]->(c)
        CREATE (v:Venue {id: $venue, name: '医院党群活动室', kind: 'RED_STATION', capacity: 40, openingHours: [],
                feePerHour: 0, createdAt: datetime()})-[:AT]->(c)
        CREATE (v)-[:OWNED_BY]->(u)
        CREATE (p:FundingProgram {id: $program, name: '碑林区邻里服务站', source: '社区为民服务专项资金',
                level: 'DISTRICT', funds: 'NEEDS', budget: 1000000, spent: 100000, capPerGrant: 50000,
                periodStart: date('2026-01-01'), periodEnd: date('2026-12-31'), createdAt: datetime()})
        CREATE (p)-[:AVAILABLE_IN]->(d), (p)-[:COVERS]->(k)
        """,
        c1=SHUYUANMEN,
        c2=NANYUANMEN_COMMUNITY,
        district=BEILIN,
        unit=UNIT,
        otherUnit=OTHER_UNIT,
        member=MEMBER,
        otherMember=OTHER_MEMBER,
        offering=OFFERING,
        venue=VENUE,
        program=PROGRAM,
    )
    # Skills serve categories (Skill-[:SERVES]->Category), as the catalog does.
    await graph.write(
        "MATCH (s:Skill {code: 'PLUMBING'}), (k:Category {code: 'SEWER'}) MERGE (s)-[:SERVES]->(k) "
        "WITH 1 AS one MATCH (s:Skill {code: 'FIRST_AID'}), (k:Category {code: 'ELDERLY_CARE'}) "
        "MERGE (s)-[:SERVES]->(k)"
    )


# Every kind of caller the registration rules tell apart: (role, scope, subject).
ROLES: dict[str, tuple[str, str | None, str | None]] = {
    "city": ("CITY_ADMIN", None, None),
    "district_in": ("DISTRICT_ADMIN", BEILIN, None),
    "district_out": ("DISTRICT_ADMIN", YANTA, None),
    "street_in": ("COORDINATOR", NANYUANMEN, None),
    "coord_in": ("COORDINATOR", SHUYUANMEN, None),
    "coord_out": ("COORDINATOR", NANYUANMEN_COMMUNITY, None),
    "unit_admin": ("UNIT_ADMIN", UNIT, None),
    "other_unit_admin": ("UNIT_ADMIN", OTHER_UNIT, None),
    "member": ("MEMBER", None, MEMBER),
    "other_member": ("MEMBER", None, OTHER_MEMBER),
    "resident": ("RESIDENT", None, RESIDENT),
}


def token(name: str) -> str:
    role, scope, subject = ROLES[name]
    return issue_token(role, scope, subject, timedelta(hours=1), get_settings())


async def count(graph: Graph, label: str) -> int:
    rows = await graph.read(f"MATCH (x:{label}) RETURN count(x) AS n")
    return rows[0]["n"]
