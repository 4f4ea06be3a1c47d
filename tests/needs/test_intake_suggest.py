"""Free-text intake (issue 11 §2): suggestIntake's categories (with the words that decided) and places,
learnt from the graph's own needs. Accuracy is a benchmark figure (bench/intake.py); these check behaviour."""

from __future__ import annotations

from graph.kernel.db import Graph
from matching.intake import Classifier, Gazetteer, PlaceRow, aliases
from tests.support.factories import COMPOUND, NANYUANMEN_COMMUNITY, SHUYUANMEN, make_places
from tests.support.factories_partners import token

QUERY = """query($text: String!, $district: ID) { suggestIntake(text: $text, districtId: $district) {
  categories { code confidence words category { name } }
  places { placeId kind name confidence matched communityId community { id } } } }"""

TRAINING = {
    "NOISE": ["楼上装修天天砸墙到晚上十点，吵得睡不着", "广场舞音响太吵了，孩子没法写作业", "半夜烧烤摊喝酒划拳吵得很"],
    "SEWER": ["单元门口下水道堵了，污水漫到路上", "厨房水池反水冒黑水", "化粪池满了往外溢，臭得很"],
    "ELDERLY_CARE": ["独居老人腿脚不好，希望每天送饭", "老人卧床想申请上门助浴", "老人要复查没人陪同就医"],
}


async def _needs(graph: Graph, by_category: dict[str, list[str]], prefix: str = "t") -> None:
    rows = [
        {"id": f"need:{prefix}{code}{i}", "code": code, "text": text}
        for code, texts in by_category.items()
        for i, text in enumerate(texts)
    ]
    await graph.write(
        "UNWIND $rows AS row MATCH (k:Category {code: row.code}), (p:Compound {id: $at}) "
        "CREATE (n:Need {id: row.id, title: left(row.text, 8), description: row.text, status: 'SUBMITTED', "
        "channel: 'HOTLINE_12345', createdAt: datetime()})-[:OF]->(k) CREATE (n)-[:AT]->(p)",
        rows=rows,
        at=COMPOUND,
    )


async def test_a_call_gets_its_category_with_the_words_and_the_community_it_names(graphql_client, graph: Graph) -> None:
    await make_places(graph)
    await _needs(graph, TRAINING)
    text = "楼上装修天天到晚上十点还在砸墙，老人睡不着，地址是书院门那边的小区"
    body = await graphql_client(QUERY, {"text": text}, token=token("coord_in"))
    found = body["data"]["suggestIntake"]
    categories = found["categories"]
    assert categories[0]["code"] == "NOISE" and categories[0]["category"]["name"] == "噪音扰民"
    assert categories[0]["confidence"] > categories[1]["confidence"]
    assert abs(sum(c["confidence"] for c in categories) - 1) < 0.05
    assert any(word in text for word in categories[0]["words"]) and "砸墙" in "".join(categories[0]["words"])
    places = found["places"]
    assert places[0]["placeId"] == SHUYUANMEN and places[0]["matched"] == "书院门"
    assert places[0]["community"] == {"id": SHUYUANMEN}


async def test_a_compound_named_puts_its_community_forward_too(graphql_client, graph: Graph) -> None:
    await make_places(graph)
    body = await graphql_client(QUERY, {"text": "书院小区3号楼下水道堵了"}, token=token("coord_in"))
    places = body["data"]["suggestIntake"]["places"]
    assert [p["placeId"] for p in places[:2]] == [COMPOUND, SHUYUANMEN]
    assert places[0]["kind"] == "Compound" and places[0]["communityId"] == SHUYUANMEN
    nothing = await graphql_client(QUERY, {"text": "下水道堵了"}, token=token("coord_in"))
    assert nothing["data"]["suggestIntake"]["places"] == []


async def test_it_learns_from_needs_filed_since_it_was_trained(graphql_client, graph: Graph) -> None:
    await make_places(graph)
    await _needs(graph, TRAINING)
    text = "锅炉房又冒黑烟了"
    before = await graphql_client(QUERY, {"text": text}, token=token("coord_in"))
    assert before["data"]["suggestIntake"]["categories"][0]["code"] != "ELDERLY_CARE"
    await _needs(graph, {"ELDERLY_CARE": ["锅炉房冒黑烟，老人呛得咳嗽", "锅炉房冒黑烟熏着老人了"]}, prefix="new")
    after = await graphql_client(QUERY, {"text": text}, token=token("coord_in"))
    top = after["data"]["suggestIntake"]["categories"][0]
    assert top["code"] == "ELDERLY_CARE" and any("锅炉" in w or "黑烟" in w for w in top["words"])


async def test_bad_calls_are_refused_with_a_code(graphql_client, graph: Graph) -> None:
    await make_places(graph)
    anonymous = await graphql_client(QUERY, {"text": "下水道堵了"}, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    empty = await graphql_client(QUERY, {"text": "  "}, token=token("coord_in"), expect_errors=True)
    assert empty["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    wrong = await graphql_client(
        QUERY, {"text": "下水道堵了", "district": SHUYUANMEN}, token=token("coord_in"), expect_errors=True
    )
    assert wrong["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    long = await graphql_client(QUERY, {"text": "堵" * 2001}, token=token("coord_in"), expect_errors=True)
    assert "2000" in long["errors"][0]["message"]


def test_aliases_drop_the_suffixes_callers_drop() -> None:
    assert aliases("书院门社区", "书院门社区居委会") >= {"书院门社区", "书院门", "书院门社区居委会"}
    assert "金色家园" in aliases("金色家园小区") and "长安苑" in aliases("长安苑2期")
    assert "村" not in aliases("杨村")  # never shorter than two characters


def test_the_callers_district_ranks_its_own_namesake_first() -> None:
    rows = [
        PlaceRow("community:1", "Community", "文化路社区", "community:1", "district:a"),
        PlaceRow("community:2", "Community", "文化路社区", "community:2", "district:b"),
    ]
    gaz = Gazetteer.of(rows)
    assert gaz.guess("文化路社区门口积水", "district:b")[0].id == "community:2"
    assert gaz.guess("文化路社区门口积水", "district:a")[0].id == "community:1"


def test_place_names_are_not_counted_as_words_of_a_category() -> None:
    gaz = Gazetteer.of([PlaceRow(NANYUANMEN_COMMUNITY, "Community", "南院门社区", NANYUANMEN_COMMUNITY, "d")])
    assert gaz.blank("南院门那边下水道堵了") == " 那边下水道堵了"
    model = Classifier.train([("下水道堵了", "SEWER"), ("广场舞太吵", "NOISE")])
    assert model.suggest("下水道又堵了")[0].code == "SEWER"
