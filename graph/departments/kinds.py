"""Functional departments (职能部门) of a district or of the city: `(:Department)-[:OF]->(:District)` for
a district's, `-[:OWNS]->(:Category)` for the categories of need it answers for (its duties).

The declaration is the department's one description: its record, how it is read and listed, its
filter; its GraphQL type, list, filter input and the inputs of its mutations derive from it and from
its forms (schema/derive.py), its writes from its links (graph/kernel/writes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from graph.kernel.kinds import ListFilter, Where, declare, listed, one
from graph.kernel.records import NodeRecord
from graph.places.lists import OfDistrict


class DepartmentLevel(StrEnum):
    """Whose department it is: a district's (区级, e.g. 碑林区城市管理和综合执法局) or the city's (市级)."""

    DISTRICT = "DISTRICT"
    CITY = "CITY"


@dataclass(slots=True)
class Department(NodeRecord):
    """A functional department (职能部门) of a district or of the city, and the categories of need it
    answers for: where a street's whistle goes (吹哨报到)."""

    name: str
    code: str
    level: DepartmentLevel
    district_id: str | None = None
    category_codes: list[str] = field(default_factory=list)
    updated_at: datetime | None = None


class DepartmentFilter(ListFilter):
    level: Annotated[list[DepartmentLevel] | None, Where("x.level IN $level")] = None
    district_id: Annotated[
        OfDistrict, Field(description="Only the departments of this district (city departments serve every district).")
    ] = None
    category: Annotated[
        list[str] | None,
        Field(description="Only those answering for one of these categories (codes, e.g. SEWER)."),
        Where("EXISTS { MATCH (x)-[:OWNS]->(k:Category) WHERE k.code IN $category }"),
    ] = None
    name: Annotated[str | None, Field(min_length=1, max_length=50), Where("x.name CONTAINS $name")] = None


DEPARTMENT = (
    declare(Department, "department", reader="public", lockable=True, indexes=("level",))
    .linking(
        district=one("(x)-[:OF]->(y:District)", "District", attr="districtId"),
        categories=listed("(x)-[:OWNS]->(y:Category)", "Category", attr="categoryCodes", key="code"),
    )
    .listed("departments", DepartmentFilter)
)

KINDS = (DEPARTMENT,)
