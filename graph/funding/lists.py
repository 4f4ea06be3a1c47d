"""The funding programs' root list: by level, district, category and budget left."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from graph.funding.kinds import ProgramFunds, ProgramLevel, ProjectStatus
from graph.kernel.kinds import ListFilter, RootList, Source, Where, label_scan
from graph.places.lists import place_label


class FundingProgramFilter(ListFilter):
    level: Annotated[list[ProgramLevel] | None, Where("x.level IN $level")] = None
    # What its grants may be for, as the program declares it (a program funding BOTH is listed under BOTH).
    funds: Annotated[list[ProgramFunds] | None, Where("x.funds IN $funds")] = None
    district_id: Annotated[
        str | None,
        Field(max_length=80),
        Where("EXISTS { MATCH (x)-[:AVAILABLE_IN]->(:District {id: $districtId}) }"),
    ] = None
    category: Annotated[
        list[str] | None, Where("EXISTS { MATCH (x)-[:COVERS]->(k:Category) WHERE k.code IN $category }")
    ] = None
    with_budget_left: Annotated[bool | None, Where("$withBudgetLeft = (x.spent < x.budget)")] = None


def _programs(f: dict[str, Any]) -> Source:
    if f.get("districtId"):
        place_label(f["districtId"], ("District",), "filter.districtId")
    return label_scan("FundingProgram")


PROGRAMS = RootList("fundingPrograms", "FundingProgram", _programs, FundingProgramFilter)


class ProjectFilter(ListFilter):
    status: Annotated[list[ProjectStatus] | None, Where("x.status IN $status")] = None
    category: Annotated[
        list[str] | None, Where("EXISTS { MATCH (x)-[:ADDRESSES]->(k:Category) WHERE k.code IN $category }")
    ] = None
    # Its places, and those its places lie in: a district's list holds its streets' projects.
    place_id: Annotated[
        str | None,
        Field(max_length=80),
        Where("EXISTS { MATCH (x)-[:IN]->(p)-[:IN*0..2]->(q) WHERE q.id = $placeId }"),
    ] = None


def _projects(f: dict[str, Any]) -> Source:
    if f.get("placeId"):
        place_label(f["placeId"], ("District", "Street", "Community"), "filter.placeId")
    return label_scan("Project")


PROJECTS = RootList("projects", "Project", _projects, ProjectFilter, newest_first=True)

LISTS = (PROGRAMS, PROJECTS)
