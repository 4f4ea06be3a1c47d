"""Functional departments (issue 22 §1): the city registers a district's or its own departments and what
they answer for. Their type, list, filter and mutation inputs are derived from the declaration and the
forms (issue 21 §1), so these tests run the API as a client sees it, against the real Neo4j."""

from __future__ import annotations

import asyncio

from tests.support.factories import BEILIN, YANTA, make_places
from tests.support.factories_matching import TOKENS
from tests.support.workflow_helpers import error_code

REGISTER = """mutation($input: RegisterDepartmentInput!) { registerDepartment(input: $input) { replayed
  department { id name code level district { id name } categories { code } createdAt } } }"""
UPDATE = """mutation($input: UpdateDepartmentInput!) { updateDepartment(input: $input) { replayed
  department { id name level district { id } categories { code } updatedAt } } }"""
LIST = "query($f: DepartmentFilter) { departments(filter: $f) { totalCount edges { node { id code } } } }"
NODE = """query($id: ID!) { node(id: $id) { ... on Department { name code level district { name }
  categories { code name } } } }"""


def city() -> str:
    return TOKENS["CITY_ADMIN"]()


def chengguan(**extra: object) -> dict:
    """碑林区's city-management department, answering for sewers and noise."""
    return {
        "name": "碑林区城市管理和综合执法局", "code": "BEILIN_CHENGGUAN", "level": "DISTRICT",
        "districtId": BEILIN, "categoryCodes": ["SEWER", "NOISE"], **extra,
    }  # fmt: skip


async def register(client, tok: str | None = None, **extra: object) -> dict:
    """registerDepartment as CITY_ADMIN unless `tok` says who ("" for nobody)."""
    return await client(
        REGISTER, {"input": chengguan(**extra)}, token=city() if tok is None else tok, expect_errors=True
    )


async def codes(client, filter_: dict | None = None) -> list[str]:
    listed = (await client(LIST, {"f": filter_}))["data"]["departments"]
    assert listed["totalCount"] == len(listed["edges"])
    return sorted(edge["node"]["code"] for edge in listed["edges"])


async def test_the_city_registers_departments_and_finds_them(graph, graphql_client, interpreted_client) -> None:
    await make_places(graph)
    client = graphql_client
    made = (await register(client))["data"]["registerDepartment"]
    department = made["department"]
    assert made["replayed"] is False and department["id"].startswith("department:")
    assert (department["name"], department["code"], department["level"]) == (
        "碑林区城市管理和综合执法局", "BEILIN_CHENGGUAN", "DISTRICT"
    )  # fmt: skip
    assert department["district"] == {"id": BEILIN, "name": "碑林区"} and department["createdAt"]
    assert sorted(c["code"] for c in department["categories"]) == ["NOISE", "SEWER"]
    # One statement looks the code up, one creates the node and its links (and checks they exist).
    assert client.last_written == ["taken.Department.code", "create.Department"]
    gas = (await register(client, name="西安市燃气安全办公室", code="XIAN_GAS", level="CITY", districtId=None,
                          categoryCodes=[]))["data"]["registerDepartment"]["department"]  # fmt: skip
    assert gas["level"] == "CITY" and gas["district"] is None and gas["categories"] == []

    # The list and its filter, on both read paths.
    for reader in (graphql_client, interpreted_client):
        assert await codes(reader) == ["BEILIN_CHENGGUAN", "XIAN_GAS"]
        assert await codes(reader, {"level": ["DISTRICT"]}) == ["BEILIN_CHENGGUAN"]
        assert await codes(reader, {"districtId": BEILIN}) == ["BEILIN_CHENGGUAN"]
        assert await codes(reader, {"districtId": YANTA}) == []
        assert await codes(reader, {"category": ["NOISE", "ELDERLY_CARE"]}) == ["BEILIN_CHENGGUAN"]
        assert await codes(reader, {"name": "燃气", "level": ["CITY"]}) == ["XIAN_GAS"]
        found = (await reader(NODE, {"id": department["id"]}))["data"]["node"]
        assert found["district"] == {"name": "碑林区"} and {c["name"] for c in found["categories"]} == {
            "下水疏通", "噪音扰民"
        }  # fmt: skip

    # Categories given replace the old ones; a department made CITY leaves its district.
    body = await client(UPDATE, {"input": {"departmentId": department["id"], "name": "碑林区城管执法局",
                                           "categoryCodes": ["SEWER"]}}, token=city())  # fmt: skip
    changed = body["data"]["updateDepartment"]["department"]
    assert changed["name"] == "碑林区城管执法局" and changed["categories"] == [{"code": "SEWER"}]
    assert changed["district"] == {"id": BEILIN} and changed["updatedAt"]
    assert client.last_written == ["lock.Department", "update.Department"]
    body = await client(UPDATE, {"input": {"departmentId": department["id"], "level": "CITY"}}, token=city())
    changed = body["data"]["updateDepartment"]["department"]
    assert changed["level"] == "CITY" and changed["district"] is None and changed["categories"] == [{"code": "SEWER"}]
    assert await codes(client, {"districtId": BEILIN}) == []


async def test_who_may_register_and_what_is_refused(graph, graphql_client) -> None:
    await make_places(graph)
    client = graphql_client
    refused = [
        ({}, "", "UNAUTHENTICATED", "signed-in"),
        ({}, TOKENS["DISTRICT_ADMIN"](), "FORBIDDEN", "CITY_ADMIN"),
        ({"districtId": None}, city(), "BAD_USER_INPUT", "give its districtId"),
        ({"level": "CITY"}, city(), "BAD_USER_INPUT", "leave districtId out"),
        ({"code": "城管"}, city(), "BAD_USER_INPUT", "is not a code"),
        ({"name": "局"}, city(), "BAD_USER_INPUT", "input.name"),
        ({"districtId": "street:610103001"}, city(), "BAD_USER_INPUT", "districtId"),
        ({"districtId": "district:610199"}, city(), "NOT_FOUND", "districtId: no District with id district:610199"),
        ({"categoryCodes": ["SEWER", "GAS"]}, city(), "NOT_FOUND", "categoryCodes: no Category with code GAS"),
    ]
    for extra, tok, code, words in refused:
        body = await register(client, tok, **extra)
        assert error_code(body) == code, (extra, body["errors"])
        assert words in body["errors"][0]["message"], (extra, body["errors"][0]["message"])
    # What was refused left nothing behind (the link checks ran in the creating statement: rolled back).
    assert await codes(client) == []

    first = (await register(client))["data"]["registerDepartment"]["department"]
    again = await register(client, name="另一个城管局")
    assert error_code(again) == "CONFLICT" and first["id"] in again["errors"][0]["message"]
    update_refused = [
        ({"departmentId": first["id"]}, "BAD_USER_INPUT", "nothing to change"),
        ({"departmentId": "department:nobody", "name": "无此部门"}, "NOT_FOUND", "no Department"),
        ({"departmentId": first["id"], "level": "CITY", "districtId": BEILIN}, "BAD_USER_INPUT", "leave districtId"),
        ({"departmentId": first["id"], "categoryCodes": ["GAS"]}, "NOT_FOUND", "no Category with code GAS"),
    ]
    for given, code, words in update_refused:
        body = await client(UPDATE, {"input": given}, token=city(), expect_errors=True)
        assert error_code(body) == code and words in body["errors"][0]["message"], (given, body["errors"])
    still = (await client(NODE, {"id": first["id"]}))["data"]["node"]
    assert still["level"] == "DISTRICT" and sorted(c["code"] for c in still["categories"]) == ["NOISE", "SEWER"]


async def test_a_retried_registration_answers_the_first(graph, graphql_client) -> None:
    await make_places(graph)
    first = (await register(graphql_client, idempotencyKey="dept-1"))["data"]["registerDepartment"]
    again = (await register(graphql_client, idempotencyKey="dept-1"))["data"]["registerDepartment"]
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["department"]["id"] == first["department"]["id"]
    assert await codes(graphql_client) == ["BEILIN_CHENGGUAN"]


async def test_one_code_registered_twice_at_once_has_one_winner(graph, graphql_client) -> None:
    await make_places(graph)
    bodies = await asyncio.gather(*(register(graphql_client, name=f"碑林区城管局{i}号") for i in range(8)))
    won = [b for b in bodies if "errors" not in b]
    assert len(won) == 1, [b.get("errors") for b in bodies]
    assert {error_code(b) for b in bodies if "errors" in b} == {"CONFLICT"}
    assert await codes(graphql_client) == ["BEILIN_CHENGGUAN"]
