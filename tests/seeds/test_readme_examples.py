"""Every GraphQL example in README.md answers as written on the demo data, with something in it.

The examples are read from the README itself, so an example that stops working (or a README that
drifts from the API) fails here. Examples that act need the token the README tells the reader to sign.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from graph.kernel.db import Graph
from seeds.loader import load_preset
from server.auth import issue_token
from server.settings import get_settings
from tests.conftest import GraphQLClient

README = Path(__file__).resolve().parents[2] / "README.md"
NOW = datetime(2026, 11, 29, tzinfo=UTC)
# `minhu token --role … --scope …` lines in the README, in order: the token the next examples use.
TOKEN_LINE = re.compile(r"minhu token --role (\w+)(?: --scope (\S+))?(?: --subject (\S+))?")


def examples() -> list[tuple[str, str | None]]:
    """(document, token) for each ```graphql block, with the last token the README signed before it."""
    text = README.read_text(encoding="utf-8")
    out: list[tuple[str, str | None]] = []
    token: str | None = None
    for match in re.finditer(r"```(\w*)\n(.*?)```", text, flags=re.S):
        language, body = match.groups()
        if language == "sh":
            for role, scope, subject in TOKEN_LINE.findall(body):
                token = issue_token(role, scope or None, subject or None, timedelta(hours=1), get_settings())
        elif language == "graphql":
            out.append((body, token))
    return out


def non_empty(value: object) -> bool:
    if isinstance(value, dict):
        return any(non_empty(v) for v in value.values())
    if isinstance(value, list):
        return bool(value) and any(non_empty(v) for v in value)
    return value not in (None, "", 0)


async def test_every_readme_example_answers(graph: Graph, graphql_client: GraphQLClient) -> None:
    await load_preset(graph, "demo", now=NOW)
    found = examples()
    assert len(found) >= 4
    for document, token in found:
        body = await graphql_client(document, token=token, expect_errors=True)
        assert "errors" not in body, (document, body.get("errors"))
        for field, value in body["data"].items():
            assert non_empty(value), (document, field, value)
