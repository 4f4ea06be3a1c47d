"""Every GraphQL example in README.md answers as written on the demo data, with something in it.

The examples are read from the README by `server.ide.examples`, the same reader that puts them in the
GraphQL IDE's examples panel: an example that stops working, a README that drifts from the API, or an
IDE that offers something else fails here. Examples that act need the token the README tells the
reader to sign.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.kernel.db import Graph
from server.auth import issue_token
from server.ide.examples import readme_examples
from server.settings import get_settings
from tests.conftest import GraphQLClient

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def non_empty(value: object) -> bool:
    if isinstance(value, dict):
        return any(non_empty(v) for v in value.values())
    if isinstance(value, list):
        return bool(value) and any(non_empty(v) for v in value)
    return value not in (None, "", 0)


@pytest.mark.demo(NOW)
@pytest.mark.smoke
async def test_every_readme_example_answers(graph: Graph, graphql_client: GraphQLClient) -> None:
    found = readme_examples()
    assert len(found) >= 4
    for example in found:
        signer = example.signer
        token = None
        if signer is not None:
            token = issue_token(signer.role, signer.scope, signer.subject, timedelta(hours=1), get_settings())
        body = await graphql_client(example.query, token=token, expect_errors=True)
        assert "errors" not in body, (example.title, body.get("errors"))
        for field, value in body["data"].items():
            assert non_empty(value), (example.title, field, value)


def test_the_examples_keep_their_titles_and_tokens() -> None:
    """The reader finds each block's sentence and the token signed before it (the IDE shows both)."""
    text = """Intro.

The open needs, with where they are:

```graphql
{ needs { totalCount } }
```

Acting needs a token. Sign one:

```sh
.venv/bin/minhu token --role COORDINATOR --scope community:610103001009
```

```graphql
# HTTP header: Authorization: Bearer <the token>
{ me { role } }
```

- **Free-text intake**: an operator types
  what the caller said:

```graphql
{ suggestIntake(text: "x") { categories { code } } }
```
"""
    first, second, third = readme_examples(text)
    assert (first.title, first.signer) == ("The open needs, with where they are", None)
    assert second.title == "Acting needs a token. Sign one" and second.query == "{ me { role } }\n"
    assert second.signer is not None and second.signer.command == (
        ".venv/bin/minhu token --role COORDINATOR --scope community:610103001009"
    )
    assert third.title == "Free-text intake: an operator types what the caller said"
    assert third.signer == second.signer
