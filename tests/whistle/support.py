"""A district with departments, a street's stationed agencies and duty lists, for the whistle's tests."""

from __future__ import annotations

from graph.kernel.db import Graph
from tests.support.factories import BEILIN, NANYUANMEN, SHUYUANMEN, make_places
from tests.support.workflow_helpers import token

GAS = "department:beilin-gas"
WATER = "department:beilin-water"
CHENGGUAN = "department:beilin-chengguan"
HOUSING = "department:beilin-housing"
MUNICIPAL = "department:beilin-municipal"
POLICE = "department:nanyuanmen-police"

DEPARTMENTS = [
    (GAS, "BEILIN_GAS", "碑林区燃气安全办公室", ["GAS_SAFETY"], None),
    (WATER, "BEILIN_WATER", "碑林区水务局", ["MUNICIPAL_DRAINAGE", "SEWER"], None),
    (CHENGGUAN, "BEILIN_CHENGGUAN", "碑林区城市管理和综合执法局", ["NOISE"], NANYUANMEN),
    (HOUSING, "BEILIN_HOUSING", "碑林区住房和城乡建设局", [], None),
    (MUNICIPAL, "BEILIN_MUNICIPAL", "碑林区市政设施管理中心", ["MUNICIPAL_DRAINAGE"], None),
    (POLICE, "BEILIN_NANYUANMEN_POLICE", "南院门派出所", ["DISPUTE_MEDIATION"], NANYUANMEN),
]

COMMUNITY_LIST = [
    {"categoryCode": "GAS_SAFETY", "duty": "NEGATIVE", "leadDepartmentId": GAS},
    {"categoryCode": "SEWER", "duty": "ASSISTED", "leadDepartmentId": WATER},
    {"categoryCode": "NOISE", "duty": "SELF_GOVERNED"},
]
STREET_LIST = [
    {"categoryCode": "MUNICIPAL_DRAINAGE", "duty": "ASSISTED", "leadDepartmentId": WATER,
     "assistingDepartmentIds": [CHENGGUAN]},
    {"categoryCode": "GAS_SAFETY", "duty": "NEGATIVE", "leadDepartmentId": GAS},
    {"categoryCode": "NOISE", "duty": "SELF_GOVERNED"},
]  # fmt: skip

REVISE = """mutation($input: ReviseDutyListInput!) { reviseDutyList(input: $input) { replayed
  dutyList { id version current reason changes changedBy level district { id }
    previous { id version current } items(first: 50) { edges { node { duty category { code }
      lead { code } assisting { code } refusals underReview } } } } } }"""


def staff(department: str) -> str:
    return token("DEPARTMENT_STAFF", department, f"user:staff-{department.split(':')[1]}")


def street() -> str:
    return token("COORDINATOR", NANYUANMEN, "user:coord-nanyuanmen-street")


def community() -> str:
    return token("COORDINATOR", SHUYUANMEN, "user:coord-shuyuanmen")


def district() -> str:
    return token("DISTRICT_ADMIN", BEILIN, "user:admin-beilin")


async def make_departments(graph: Graph) -> None:
    """碑林区's places, the categories the whistle needs and six departments (two stationed with 南院门街道)."""
    await make_places(graph)
    await graph.write(
        """
        UNWIND $categories AS cat CREATE (:Category {id: 'category:' + cat[0], code: cat[0], name: cat[1],
          createdAt: datetime()})
        WITH count(*) AS made
        MATCH (d:District {id: $district})
        UNWIND $departments AS dep
        CREATE (x:Department {id: dep[0], code: dep[1], name: dep[2], level: 'DISTRICT', createdAt: datetime()})
        CREATE (x)-[:OF]->(d)
        WITH x, dep
        CALL (x, dep) { UNWIND dep[3] AS code MATCH (k:Category {code: code}) CREATE (x)-[:OWNS]->(k) }
        CALL (x, dep) { MATCH (s:Street {id: dep[4]}) CREATE (x)-[:STATIONED_WITH]->(s) }
        """,
        categories=[["GAS_SAFETY", "燃气安全"], ["MUNICIPAL_DRAINAGE", "市政排水"], ["DISPUTE_MEDIATION", "纠纷调解"]],
        district=BEILIN,
        departments=[list(d) for d in DEPARTMENTS],
    )


async def publish_lists(client) -> dict:
    """The district's community and street lists, as its admin publishes them; the street list answered."""
    await client(REVISE, {"input": {"districtId": BEILIN, "level": "COMMUNITY", "setItems": COMMUNITY_LIST,
                                    "reason": "社区减负：自治、协助、负面清单"}}, token=district())  # fmt: skip
    body = await client(REVISE, {"input": {"districtId": BEILIN, "level": "STREET", "setItems": STREET_LIST,
                                           "reason": "街道履职事项清单"}}, token=district())  # fmt: skip
    return body["data"]["reviseDutyList"]["dutyList"]
