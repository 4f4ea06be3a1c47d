"""No input reaches an internal error: every mutation of the schema, fuzzed from the schema itself.

hypothesis-graphql builds valid documents for each mutation (nulls, empty lists, extreme numbers,
odd and non-ASCII strings; ids drawn from the seeded world as well as junk), sent as each role.
Every answer must be a GraphQL response whose every error has `extensions.code`, none of them
INTERNAL_SERVER_ERROR, with no traceback or Cypher in it. Derandomized, so a run is repeatable.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

import graphql
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes
from pydantic import BaseModel

import resolvers
from graph.kernel.db import Graph
from schema import build_schema
from tests.server.test_server_door import app_client
from tests.support import workflow_helpers as w
from tests.support.factories import BEILIN, COMPOUND, NANYUANMEN, SHUYUANMEN, make_places

EXAMPLES_PER_MUTATION = 5  # per role: 37 mutations × 5 × 6 roles ≈ 1,100 requests

ROLES = [
    ("CITY_ADMIN", None, None),
    ("DISTRICT_ADMIN", BEILIN, None),
    ("COORDINATOR", SHUYUANMEN, None),
    ("UNIT_ADMIN", w.UNIT, None),
    ("MEMBER", None, w.member_id(1)),
    ("RESIDENT", None, w.RESIDENT),
]

REAL_IDS = [
    SHUYUANMEN,
    NANYUANMEN,
    BEILIN,
    COMPOUND,
    w.UNIT,
    w.OFFERING,
    w.RESIDENT,
    w.member_id(1),
    "need:fuzz-1",
    "venue:fuzz-1",
    "program:fuzz-1",
    "610103001009",
]
JUNK = st.text(max_size=40) | st.sampled_from(["", " ", "need:", "need:../../x", "' OR 1=1 --", "\x00", "🙂" * 30])
IDS = st.sampled_from(REAL_IDS) | JUNK
TIMES = st.sampled_from(
    ["2026-12-01T09:00:00+08:00", "2026-12-01T09:00:00", "2026-13-40T99:00:00", "yesterday", "", "9999-12-31T23:59:59Z"]
) | st.datetimes().map(lambda d: d.isoformat())
BIG = st.sampled_from([0, -1, 1, 2**31 - 1, -(2**31), 2**53, 10**30, -(10**30)]) | st.integers()

CUSTOM_SCALARS = {
    "ID": IDS.map(nodes.String),
    "DateTime": TIMES.map(nodes.String),
    "Date": (st.dates().map(str) | JUNK).map(nodes.String),
    "Fen": BIG.map(nodes.Int),
}


async def _world(graph: Graph) -> None:
    await make_places(graph)
    await w.make_people(graph)
    await graph.write(
        """
        MATCH (c:Community {id: $community}), (u:Unit {id: $unit})
        CREATE (v:Venue {id: 'venue:fuzz-1', name: '书院门红色驿站', kind: 'RED_STATION', capacity: 20,
                feePerHour: 0, openingHours: [], createdAt: datetime()})-[:AT]->(c)
        CREATE (v)-[:OWNED_BY]->(u)
        """,
        community=SHUYUANMEN,
        unit=w.UNIT,
    )


def _documents(schema: graphql.GraphQLSchema, count: int) -> list[str]:
    """`count` documents for every mutation of the schema (a new mutation is fuzzed the day it is added)."""
    drawn: list[str] = []
    for name in sorted(schema.mutation_type.fields):  # type: ignore[union-attr]
        drawn += _drawn(mutations(schema, fields=[name], custom_scalars=CUSTOM_SCALARS), count)
    return drawn


def _drawn(strategy: st.SearchStrategy[str], count: int) -> list[str]:
    drawn: list[str] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(document: str) -> None:
        drawn.append(document)

    collect()
    return drawn


def _problems(document: str, body: dict) -> list[str]:
    problems = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if not code:
            problems.append(f"no extensions.code: {error}")
        elif code == "INTERNAL_SERVER_ERROR":
            problems.append(f"internal error: {error}")
    text = json.dumps(body, ensure_ascii=False)
    if "Traceback" in text or "MATCH (" in text:
        problems.append("a traceback or Cypher reached the client")
    return [f"{p}\n  for: {document}" for p in problems]


@pytest.mark.parametrize(("role", "scope", "subject"), ROLES, ids=[r[0] for r in ROLES])
async def test_every_mutation_survives_fuzzed_input(graph: Graph, role: str, scope: str, subject: str) -> None:
    await _world(graph)
    schema = build_schema()._schema
    documents = _documents(schema, EXAMPLES_PER_MUTATION)
    token = w.token(role, scope, subject)
    problems: list[str] = []
    async with app_client(graph, minhu_rate_limit_subject="", minhu_rate_limit_address="") as http:
        for document in documents:
            response = await http.post(
                "/graphql", json={"query": document}, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code in (200, 400), (response.status_code, response.text, document)
            problems += _problems(document, response.json())
    assert not problems, "\n".join(problems[:10])
    covered = {doc.split("{", 2)[1].split("(")[0].strip() for doc in documents}
    assert covered == set(schema.mutation_type.fields), "every mutation is exercised"  # type: ignore[union-attr]


def test_every_optional_form_field_takes_null() -> None:
    """The bug the fuzzer found: a constraint on `X | None` made pydantic raise TypeError on null."""
    failures = []
    for module in pkgutil.walk_packages(resolvers.__path__, "resolvers."):
        for _, model in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if not issubclass(model, BaseModel) or model is BaseModel:
                continue
            for name, field in model.model_fields.items():
                try:
                    model.model_validate({field.alias or name: None})
                except TypeError as exc:
                    failures.append(f"{model.__module__}.{model.__name__}.{name}: {exc}")
                except ValueError:
                    pass  # a validation error is the right answer for a required field
    assert not failures, failures
