"""Issue 23 §2: the quarter review tells a class in real words. Every word shown to a coordinator is a
whole word of the texts it counts (a dictionary word, as the segmenter cuts them), never a fragment
straddling two words (边楼 of 那边|楼上, 上十 of 晚上|十点), with how many needs use it and where."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from graph.kernel.db import Graph
from matching import words
from resolvers.review.classes import Quarter, quarter_of
from seeds.loader import load_preset
from tests.support.workflow_helpers import token

# The demo on dates spread over two years, each quarter's stories laid out relative to it.
DATES = (
    datetime(2026, 11, 29, 9, tzinfo=UTC),
    datetime(2027, 5, 18, 2, tzinfo=UTC),
    datetime(2028, 2, 10, 14, tzinfo=UTC),
)
DISTRICTS = ("district:610102", "district:610103", "district:610117")  # where the demo's needs are
# What character bigrams showed for 书院门社区 (issue 23): pieces of two words each.
FRAGMENTS = {"边楼", "上十", "上装", "上邻", "修天", "到晚", "墙到", "们出", "便开"}
CLASSES = """
query($place: ID!, $quarter: String) {
  needClasses(placeId: $place, quarter: $quarter, minCount: 2, first: 100) {
    community { id } category { code } count words recurringWords { word needs example exampleNeedId }
  }
}
"""
NEEDS = """
query($f: NeedFilter, $after: String) {
  needs(filter: $f, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id title description community { id } category { code } } }
  }
}
"""


async def _texts(client, place: str, quarter: Quarter) -> dict[tuple[str, str], dict[str, str]]:
    """(community, category) → need id → its text, as the review reads it (title and description)."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    cursor = None
    f = {"placeId": place, "createdAfter": quarter.start.isoformat(), "createdBefore": quarter.end.isoformat()}
    while True:
        body = await client(NEEDS, {"f": f, "after": cursor}, token=token("DISTRICT_ADMIN", place))
        page = body["data"]["needs"]
        for edge in page["edges"]:
            need = edge["node"]
            key = (need["community"]["id"], need["category"]["code"])
            found.setdefault(key, {})[need["id"]] = f"{need['title'] or ''} {need['description'] or ''}"
        if not page["pageInfo"]["hasNextPage"]:
            return found
        cursor = page["pageInfo"]["endCursor"]


@cache
def _jieba() -> Any:
    import rjieba

    return rjieba.Jieba()  # jieba's own dictionary alone


def _is_dictionary_word(word: str) -> bool:
    """In jieba's own dictionary or our lexicon: a word somebody wrote down, not one cut out of a run."""
    return word.isascii() or word in {w for w, _, _ in words.lexicon().words} or _jieba().has_word(word)


@pytest.mark.parametrize("now", DATES, ids=lambda d: d.date().isoformat())
async def test_every_word_shown_is_a_whole_word_of_the_needs_it_counts(
    graph: Graph, graphql_client, now: datetime
) -> None:
    await load_preset(graph, "demo", now=now)
    year, number = quarter_of(now)
    shown = 0
    for quarter in (Quarter(year, number), Quarter(year, number - 1) if number > 1 else Quarter(year - 1, 4)):
        for place in DISTRICTS:
            body = await graphql_client(CLASSES, {"place": place, "quarter": quarter.name})
            texts = await _texts(graphql_client, place, quarter)
            for cls in body["data"]["needClasses"]:
                mine = texts[(cls["community"]["id"], cls["category"]["code"])]
                assert len(mine) == cls["count"], cls
                assert cls["words"] == [w["word"] for w in cls["recurringWords"]]
                for word in cls["recurringWords"]:
                    using = [need for need, text in mine.items() if word["word"] in words.cut(text)]
                    assert word["needs"] == len(using) >= 2, (word, cls)
                    assert word["exampleNeedId"] in using, word
                    assert word["example"] in mine[word["exampleNeedId"]], word
                    assert word["word"] in words.cut(word["example"]), word
                    assert len(word["word"]) > 1 and _is_dictionary_word(word["word"]), word
                    assert word["word"] not in FRAGMENTS, word
                    shown += 1
    assert shown > 20, "the demo's classes are told in words"


def test_the_segmenter_cuts_the_demo_calls_into_words() -> None:
    """The calls of issue 23's example, cut as a reader would: no word across two."""
    said = "雁塔佳园东门那边楼上装修天天砸墙到晚上十点，楼上邻居周末一早就开电钻，污水流得到处都是"
    assert words.words(said) == [
        "东门",
        "楼上",
        "装修",
        "天天",
        "砸墙",
        "晚上",
        "十点",
        "楼上",
        "邻居",
        "周末",
        "一早",
        "电钻",
        "污水",
        "到处",
    ]
    assert "雁塔" not in words.words(said) and "佳园" not in words.words(said)  # places say where, not what


def test_the_dictionary_is_loaded_once_per_process_and_only_when_text_is_read() -> None:
    """Starting the server reads no dictionary (rjieba is not even imported); the first text read loads
    it, and every later one reuses it."""
    started = subprocess.run(
        [sys.executable, "-c", "import sys, server.app, schema; print('rjieba' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert started.stdout.strip() == "False"
    for text in ("楼上装修", "下水道堵了", "充电桩坏了"):
        words.cut(text)
    assert words._segmenter.cache_info().misses == 1 and words.lexicon.cache_info().misses == 1
