import pytest

from graph.kernel.db import Graph
from graph.kernel.migrations import MIGRATIONS, applied_versions, migrate


@pytest.mark.smoke
async def test_migrations_are_recorded_and_idempotent(graph: Graph) -> None:
    assert await applied_versions(graph) == {m.version for m in MIGRATIONS}
    assert await migrate(graph) == []
    rows = await graph.read("SHOW INDEXES YIELD name, type WHERE name = 'need_text' RETURN type")
    assert rows == [{"type": "FULLTEXT"}]


@pytest.mark.smoke
async def test_cjk_fulltext_finds_chinese_words(graph: Graph) -> None:
    await graph.write("CREATE (:Need {id: 'need:x', title: '楼下下水道堵塞', description: '污水外溢'})")
    await graph.read("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")
    rows = await graph.read(
        "CALL db.index.fulltext.queryNodes('need_text', $q) YIELD node RETURN node.id AS id", q="下水道"
    )
    assert rows == [{"id": "need:x"}]
