"""Functional departments (职能部门) of a district or of the city: `(:Department)-[:OF]->(:District)` for
a district's, `-[:OWNS]->(:Category)` for the categories of need it answers for (its duties),
`-[:STATIONED_WITH]->(:Street)` for an agency stationed with a street (派驻机构).

Duty lists (清单): `(:DutyList)-[:FOR]->(:District)` (none: the city's default), one version per change,
`-[:SUPERSEDES]->` the one before; `(:DutyItem)-[:IN]->(:DutyList)`, `-[:OF]->(:Category)`,
`-[:LED_BY]->(:Department)`, `-[:ASSISTED_BY]->(:Department)`: per level, which categories are the
level's own (自治), which it helps with (协助) and which may not be pushed onto it (负面清单), and which
departments answer for each.

The declaration is the department's one description: its record, how it is read and listed, its
filter; its GraphQL type, list, filter input and the inputs of its mutations derive from it and from
its forms (schema/derive.py), its writes from its links (graph/kernel/writes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator

from graph.kernel.kinds import ListFilter, Where, declare, listed, many, one
from graph.kernel.records import NodeRecord
from graph.places.lists import OfDistrict


class DepartmentLevel(StrEnum):
    """Whose department it is: a district's (区级, e.g. 碑林区城市管理和综合执法局) or the city's (市级)."""

    DISTRICT = "DISTRICT"
    CITY = "CITY"


@dataclass(slots=True)
class Department(NodeRecord):
    """A functional department (职能部门) of a district or of the city, and the categories of need it
    answers for: where a street's whistle goes (吹哨报到). One stationed with a street (派驻机构, such as a
    police station or a law-enforcement squad) answers to that street first; its hours say when it answers."""

    name: str
    code: str
    level: DepartmentLevel
    district_id: str | None = None
    category_codes: list[str] = field(default_factory=list)
    stationed_with_id: str | None = None
    hours: str | None = None
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


def district_id(value: str | None) -> str | None:
    if value is not None and not value.startswith("district:"):
        raise ValueError(f"{value!r} is not a district id; district ids look like district:610103")
    return value


DEPARTMENT = (
    declare(Department, "department", reader="public", lockable=True, indexes=("level",))
    .linking(
        district=one("(x)-[:OF]->(y:District)", "District", attr="districtId"),
        categories=listed("(x)-[:OWNS]->(y:Category)", "Category", attr="categoryCodes", key="code"),
        stationedWith=one("(x)-[:STATIONED_WITH]->(y:Street)", "Street", attr="stationedWithId"),
    )
    .listed("departments", DepartmentFilter)
)


class DutyLevel(StrEnum):
    """Whose duty list it is: the communities' (社区) or the streets' (街道)."""

    COMMUNITY = "COMMUNITY"
    STREET = "STREET"


class Duty(StrEnum):
    """What a level does with a category of need (清单): its own (自治: it handles it and may not whistle it),
    one it helps with (协助: a department leads, it may whistle), or one that may not be pushed onto it
    (负面清单: the owning department takes it at once; for communities, without waiting in their queue)."""

    SELF_GOVERNED = "SELF_GOVERNED"
    ASSISTED = "ASSISTED"
    NEGATIVE = "NEGATIVE"


# How each duty is named in the lists' own words (user-facing explanations).
DUTY_WORDS = {Duty.SELF_GOVERNED: "自治清单", Duty.ASSISTED: "协助清单", Duty.NEGATIVE: "负面清单"}
LEVEL_WORDS = {DutyLevel.COMMUNITY: "社区", DutyLevel.STREET: "街道"}

# A category refused this many times by the departments it was whistled to is flagged for review.
REVIEW_AFTER_REFUSALS = 2


@dataclass(slots=True)
class DutyList(NodeRecord):
    """One version of a duty list (清单) of a level, the district's own or (no district) the city's default:
    versions are never changed, each change is a new version naming who made it, why and what changed."""

    level: DutyLevel
    version: int
    current: bool
    reason: str
    changes: str
    changed_by: str
    district_id: str | None = None
    previous_id: str | None = None


# Refusals of a duty item's category, by the departments whistled to, on needs where its list applies
# (its district; everywhere for the city's): what the list's review looks at.
_REFUSALS = (
    "COUNT { MATCH (x)-[:OF]->(:Category)<-[:OF]-(n:Need)<-[:ABOUT]-(:Whistle)<-[:PART_OF]-(c:WhistleCall) "
    "WHERE c.refusedAt IS NOT NULL AND (NOT EXISTS { MATCH (x)-[:IN]->(:DutyList)-[:FOR]->(:District) } "
    "OR EXISTS { MATCH (x)-[:IN]->(:DutyList)-[:FOR]->(d:District), "
    "(n)-[:AT]->(:Compound|Community)-[:IN*1..3]->(d) }) }"
)


@dataclass(slots=True)
class DutyItem(NodeRecord):
    """One line of a duty list: a category of need, what the level does with it, and the departments that
    answer for it: the one that leads a whistle and those that assist (联合处置). `refusals`: how often
    departments refused it as not their duty where the list applies; `underReview` once that happened
    repeatedly (the list may be wrong)."""

    duty: Duty
    category_code: str
    lead_id: str | None = None
    assisting_ids: list[str] = field(default_factory=list)
    note: str | None = None
    list_id: str | None = None
    refusals: int = 0
    under_review: bool = False


class DutyListFilter(ListFilter):
    level: Annotated[list[DutyLevel] | None, Where("x.level IN $level")] = None
    district_id: Annotated[
        str | None,
        Field(description="Only the lists of this district (the city's default lists have none)."),
        Where("EXISTS { MATCH (x)-[:FOR]->(:District {id: $districtId}) }"),
    ] = None
    city: Annotated[
        bool | None,
        Field(description="true: only the city's default lists; false: only districts' own."),
        Where("$city = NOT EXISTS { MATCH (x)-[:FOR]->(:District) }"),
    ] = None
    current: Annotated[
        bool | None,
        Field(description="true: only the versions in force; false: only earlier ones."),
        Where("x.current = $current"),
    ] = None

    @field_validator("district_id")
    @classmethod
    def _district(cls, value: str | None) -> str | None:
        return district_id(value)


DUTY_LIST = (
    declare(DutyList, "dutylist", reader="public", lockable=True, indexes=("level", "current"))
    .linking(
        district=one("(x)-[:FOR]->(y:District)", "District", attr="districtId"),
        previous=one("(x)-[:SUPERSEDES]->(y:DutyList)", "DutyList", attr="previousId"),
        items=many("(x)<-[:IN]-(y:DutyItem)", "DutyItem"),
    )
    .listed("dutyLists", DutyListFilter, newest_first=True)
)
DUTY_ITEM = declare(
    DutyItem,
    "dutyitem",
    reader="public",
    extra={"refusals": _REFUSALS, "underReview": f"{_REFUSALS} >= {REVIEW_AFTER_REFUSALS}"},
    computed={"refusals": _REFUSALS, "underReview": f"{_REFUSALS} >= {REVIEW_AFTER_REFUSALS}"},
).linking(
    category=one("(x)-[:OF]->(y:Category)", "Category", attr="categoryCode", key="code"),
    lead=one("(x)-[:LED_BY]->(y:Department)", "Department", attr="leadId"),
    assisting=listed("(x)-[:ASSISTED_BY]->(y:Department)", "Department", attr="assistingIds", order="y.code"),
    dutyList=one("(x)-[:IN]->(y:DutyList)", "DutyList", attr="listId"),
)

KINDS = (DEPARTMENT, DUTY_LIST, DUTY_ITEM)
