"""Functional departments (职能部门): the city registers a district's or its own departments and the
categories of need each answers for (its duties), so a street's whistle has somewhere to go.

Each mutation's input is its form (GraphQL shows it as `<Mutation>Input`), its answer the department
as the change left it (`returns`): nothing of them is written again in schema/.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from graph.departments import duties
from graph.departments.kinds import DEPARTMENT, Department, DepartmentLevel
from graph.kernel import writes
from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput
from graph.kernel.ids import new_id
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.validation import Form, id_of, optional_text
from resolvers.kernel.viewer import Role, Viewer

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")
MAX_CATEGORIES = 50


def _code(value: str) -> str:
    text = value.strip().upper()
    if not _CODE.match(text):
        raise ValueError(f"{value!r} is not a code: 2 to 40 capital letters, digits and _ (e.g. BEILIN_CHENGGUAN)")
    return text


def _distinct(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(codes))


Code = Annotated[str, AfterValidator(_code)]
Name = Annotated[str, Field(min_length=2, max_length=60)]
CategoryCodes = Annotated[list[Code], Field(max_length=MAX_CATEGORIES), AfterValidator(_distinct)]
DUTIES = "The categories of need it answers for (their codes, e.g. SEWER): its duties, whistled to it."


STATIONED = "The street it is stationed with (派驻机构: a police station, a law-enforcement squad), in its district."
HOURS = "When it answers, in words (e.g. 工作日 08:30–17:30；24小时值守热线)."


class DepartmentFields(Form):
    name: Name | None = None
    level: DepartmentLevel | None = None
    district_id: Annotated[str, id_of("District")] | None = None
    category_codes: CategoryCodes | None = Field(default=None, description=DUTIES + " Given, they replace the old.")
    stationed_with_id: Annotated[str, id_of("Street")] | None = Field(default=None, description=STATIONED)
    hours: optional_text(100) = Field(default=None, description=HOURS)


class RegisterDepartment(DepartmentFields):
    name: Name
    code: Code = Field(description="Its code, its own among departments (e.g. BEILIN_CHENGGUAN).")
    level: DepartmentLevel
    district_id: Annotated[str, id_of("District")] | None = Field(
        default=None, description="Its district: required for a DISTRICT department, left out for the city's."
    )
    category_codes: CategoryCodes = Field(default_factory=list, description=DUTIES)

    @model_validator(mode="after")
    def district_for_its_level(self) -> RegisterDepartment:
        _check_level(self.level, self.district_id)
        return self


class UpdateDepartment(DepartmentFields):
    department_id: Annotated[str, id_of("Department")] = Field(description="The department to change.")

    @model_validator(mode="after")
    def something_to_change(self) -> UpdateDepartment:
        if all(getattr(self, name) is None for name in _FIELDS):
            raise ValueError(
                "updateDepartment: nothing to change; send at least one of name, level, districtId, categoryCodes, "
                "stationedWithId, hours"
            )
        return self


_FIELDS = ("name", "level", "district_id", "category_codes", "stationed_with_id", "hours")


async def _check_station(tx: Tx, street_id: str | None, level: str, district_id: str | None) -> None:
    """A department stationed with a street (派驻) is stationed in its own district."""
    if street_id is None:
        return
    street_district = await duties.street_district(tx, street_id)
    if level == DepartmentLevel.DISTRICT and street_district != district_id:
        raise BadUserInput(
            f"stationedWithId: {street_id} lies in {street_district}, not in the department's district {district_id}; "
            "a district's department is stationed with one of its own streets",
            field="stationedWithId",
        )


def _check_level(level: str, district_id: str | None) -> None:
    if level == DepartmentLevel.DISTRICT and not district_id:
        raise ValueError("a DISTRICT department belongs to a district: give its districtId")
    if level == DepartmentLevel.CITY and district_id:
        raise ValueError("a CITY department serves the whole city: leave districtId out (or make it DISTRICT)")


@mutation("registerDepartment", roles=(Role.CITY_ADMIN,), form=RegisterDepartment, returns=DEPARTMENT.label)
async def register_department(tx: Tx, viewer: Viewer, form: RegisterDepartment, outbox: Outbox) -> Result:
    """Register a functional department (职能部门) of a district or of the city, with the categories of
    need it answers for (CITY_ADMIN). Its code is its own: CONFLICT when another department has it."""
    await writes.require_free(tx, DEPARTMENT, "code", form.code, "choose another code or update that department")
    await _check_station(tx, form.stationed_with_id, form.level, form.district_id)
    department_id = new_id("department")
    props = {"name": form.name, "code": form.code, "level": form.level, "hours": form.hours}
    links = {"district": form.district_id, "categories": form.category_codes, "stationedWith": form.stationed_with_id}
    await writes.create(tx, DEPARTMENT, department_id, props, links)
    return {"departmentId": department_id}


@mutation("updateDepartment", roles=(Role.CITY_ADMIN,), form=UpdateDepartment, returns=DEPARTMENT.label)
async def update_department(tx: Tx, viewer: Viewer, form: UpdateDepartment, outbox: Outbox) -> Result:
    """Change a department's name, level, district or categories (CITY_ADMIN); categories given replace
    the old ones. A department made CITY leaves its district."""
    current: Department = await writes.locked(tx, DEPARTMENT, form.department_id)
    level = form.level or current.level
    district_id = None if level == DepartmentLevel.CITY and not form.district_id else form.district_id
    try:
        _check_level(level, district_id or (current.district_id if level == DepartmentLevel.DISTRICT else None))
    except ValueError as exc:
        raise BadUserInput(f"input: {exc}", field="districtId") from None
    await _check_station(
        tx, form.stationed_with_id or current.stationed_with_id, level, district_id or current.district_id
    )
    given = (("name", form.name), ("level", form.level), ("hours", form.hours))
    props: dict[str, Any] = {name: value for name, value in given if value}
    district: writes.Keys = [] if level == DepartmentLevel.CITY else district_id
    links = {"district": district, "categories": form.category_codes, "stationedWith": form.stationed_with_id}
    await writes.update(tx, DEPARTMENT, form.department_id, props, links)
    return {"departmentId": form.department_id}
