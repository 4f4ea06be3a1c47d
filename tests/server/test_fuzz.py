"""No input reaches an internal error: every query and mutation of the schema, fuzzed from the schema itself.

hypothesis-graphql builds valid documents for each root field (nulls, empty lists, extreme numbers,
odd and non-ASCII strings; ids drawn from the seeded world as well as junk, selections of any shape),
each sent as every kind of caller: anonymous, resident, member, unit admin, community and street
coordinator, district and city admin. Every answer must be a GraphQL response whose every error has
`extensions.code`, none of them INTERNAL_SERVER_ERROR, with no traceback or Cypher in it.
Derandomized with a bounded count per field, so a run is repeatable and its time known
(about 2,200 requests).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import pkgutil
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from pydantic import BaseModel

import resolvers
from graph.kernel.db import Graph
from schema import build_schema
from tests.server.test_server_door import app_client
from tests.support import workflow_helpers as w
from tests.support.factories import BEILIN, COMPOUND, NANYUANMEN, SHUYUANMEN, make_places

# Documents per root field, each sent as every caller: 46 mutations × 4 + 29 queries × 3, × 8 callers.
EXAMPLES_PER_MUTATION = 4
EXAMPLES_PER_QUERY = 3

# (role, scope, subject); no role: an anonymous caller.
CALLERS = [
    (None, None, None),
    ("RESIDENT", None, w.RESIDENT),
    ("MEMBER", None, w.member_id(1)),
    ("UNIT_ADMIN", w.UNIT, None),
    ("COORDINATOR", SHUYUANMEN, None),
    ("COORDINATOR", NANYUANMEN, None),
    ("DISTRICT_ADMIN", BEILIN, None),
    ("CITY_ADMIN", None, None),
]
CALLER_NAMES = ["ANONYMOUS", "RESIDENT", "MEMBER", "UNIT_ADMIN", "COMMUNITY_COORDINATOR", "STREET_COORDINATOR"]
CALLER_NAMES += ["DISTRICT_ADMIN", "CITY_ADMIN"]

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
    """The hand-made places and people, a venue, a program, and a need of the resident's opened to member 1."""
    await make_places(graph)
    await w.make_people(graph)
    await graph.write(
        """
        MATCH (c:Community {id: $community}), (u:Unit {id: $unit}), (p:Compound {id: $compound}),
              (d:District {id: $district}), (k:Category {code: 'SEWER'}), (r:Resident {id: $resident}),
              (m:Member {id: $member})
        CREATE (v:Venue {id: 'venue:fuzz-1', name: '书院门红色驿站', kind: 'RED_STATION', capacity: 20,
                feePerHour: 0, openingHours: [], createdAt: datetime()})-[:AT]->(c)
        CREATE (v)-[:OWNED_BY]->(u)
        CREATE (g:FundingProgram {id: 'program:fuzz-1', name: '碑林区社区服务基金', source: '社区为民服务专项资金',
                level: 'DISTRICT', funds: 'NEEDS', budget: 1000000, spent: 0, capPerGrant: 100000,
                periodStart: date('2026-01-01'), periodEnd: date('2027-12-31'), createdAt: datetime()})
        CREATE (g)-[:AVAILABLE_IN]->(d), (g)-[:COVERS]->(k)
        CREATE (n:Need {id: 'need:fuzz-1', number: 'XA-fuzz-1', title: '楼下下水道堵塞', description: '污水外溢',
                status: 'DISPATCHED', channel: 'APP', urgency: 'NORMAL', peopleNeeded: 1, level: 'COMMUNITY',
                location: point({latitude: 34.2561, longitude: 108.9452}), createdAt: datetime()})
        CREATE (n)-[:AT]->(p), (n)-[:OF]->(k), (n)-[:RAISED_BY]->(r)
        CREATE (a:Assignment {id: 'assignment:fuzz-1', status: 'OPEN_CLAIM', createdAt: datetime()})
        CREATE (a)-[:OF]->(n), (a)-[:TO]->(m)
        """,
        community=SHUYUANMEN,
        unit=w.UNIT,
        compound=COMPOUND,
        district=BEILIN,
        resident=w.RESIDENT,
        member=w.member_id(1),
    )


def _documents(schema: graphql.GraphQLSchema, root: graphql.GraphQLObjectType, strategy: Any, count: int) -> list[str]:
    """`count` documents for every field of `root` (a new field is fuzzed the day it is added)."""
    drawn: list[str] = []
    for name in sorted(root.fields):
        drawn += _drawn(strategy(schema, fields=[name], custom_scalars=CUSTOM_SCALARS), count)
    return drawn


@functools.cache
def _every_document() -> list[str]:
    """The documents every caller sends (drawn once: the same for all of them)."""
    schema = build_schema()._schema
    assert schema.query_type is not None and schema.mutation_type is not None
    documents = _documents(schema, schema.query_type, queries, EXAMPLES_PER_QUERY)
    return documents + _documents(schema, schema.mutation_type, mutations, EXAMPLES_PER_MUTATION)


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


@pytest.mark.parametrize(("role", "scope", "subject"), CALLERS, ids=CALLER_NAMES)
async def test_every_query_and_mutation_survives_fuzzed_input(
    graph: Graph, role: str | None, scope: str | None, subject: str | None
) -> None:
    await _world(graph)
    schema = build_schema()._schema
    assert schema.query_type is not None and schema.mutation_type is not None
    documents = _every_document()
    headers = {"Authorization": f"Bearer {w.token(role, scope, subject)}"} if role else {}
    problems: list[str] = []
    async with app_client(graph, minhu_rate_limit_subject="", minhu_rate_limit_address="") as http:
        for document in documents:
            response = await http.post("/graphql", json={"query": document}, headers=headers)
            assert response.status_code in (200, 400), (response.status_code, response.text, document)
            problems += _problems(document, response.json())
    assert not problems, "\n".join(problems[:10])
    covered = {doc.split("{", 2)[1].split("(")[0].strip() for doc in documents}
    assert covered == set(schema.query_type.fields) | set(schema.mutation_type.fields), "every root field is fuzzed"


async def test_an_id_argument_that_names_no_plan_is_bad_user_input(graph: Graph) -> None:
    """The bug the fuzzer found next: `dispatchPlan(id: "")` was an internal error for CITY_ADMIN."""
    async with app_client(graph) as http:
        for given in ("", "  ", "community:610103001009", "plan:../x", "dispatchplan:" + "x" * 65):
            response = await http.post(
                "/graphql",
                json={"query": "query($id: ID!) { dispatchPlan(id: $id) { id } }", "variables": {"id": given}},
                headers={"Authorization": f"Bearer {w.token('CITY_ADMIN')}"},
            )
            [error] = response.json()["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["field"] == "id", error
            assert "is not a Minhu id" in error["message"] or "expected a DispatchPlan id" in error["message"]


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
