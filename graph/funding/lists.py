"""The funding programs' root list: by level, district, category and budget left."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from graph.funding.kinds import ProgramLevel, ProjectStatus
from graph.kernel.lists import ListFilter, RootList, Source, label_scan
from graph.places.lists import place_label


class FundingProgramFilter(ListFilter):
    level: list[ProgramLevel] | None = None
    district_id: str | None = Field(default=None, alias="districtId", max_length=80)
    category: list[str] | None = None
    with_budget_left: bool | None = Field(default=None, alias="withBudgetLeft")

    model_config = ListFilter.model_config | {"use_enum_values": True}


def _programs(f: dict[str, Any]) -> Source:
    if f.get("districtId"):
        place_label(f["districtId"], ("District",), "filter.districtId")
    return label_scan("FundingProgram")


PROGRAMS = RootList(
    "fundingPrograms",
    "FundingProgram",
    _programs,
    FundingProgramFilter,
    {
        "level": "x.level IN $level",
        "districtId": "EXISTS { MATCH (x)-[:AVAILABLE_IN]->(:District {id: $districtId}) }",
        "category": "EXISTS { MATCH (x)-[:COVERS]->(k:Category) WHERE k.code IN $category }",
        "withBudgetLeft": "$withBudgetLeft = (x.spent < x.budget)",
    },
)


class ProjectFilter(ListFilter):
    status: list[ProjectStatus] | None = None
    category: list[str] | None = None
    place_id: str | None = Field(default=None, alias="placeId", max_length=80)

    model_config = ListFilter.model_config | {"use_enum_values": True}


def _projects(f: dict[str, Any]) -> Source:
    if f.get("placeId"):
        place_label(f["placeId"], ("District", "Street", "Community"), "filter.placeId")
    return label_scan("Project")


PROJECTS = RootList(
    "projects",
    "Project",
    _projects,
    ProjectFilter,
    {
        "status": "x.status IN $status",
        "category": "EXISTS { MATCH (x)-[:ADDRESSES]->(k:Category) WHERE k.code IN $category }",
        # Its places, and those its places lie in: a district's list holds its streets' projects.
        "placeId": "EXISTS { MATCH (x)-[:IN]->(p)-[:IN*0..2]->(q) WHERE q.id = $placeId }",
    },
    newest_first=True,
)

LISTS = (PROGRAMS, PROJECTS)
