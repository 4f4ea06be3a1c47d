"""The partners' root lists: units, members (by place, skill, unit, name) and the skill catalog."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from graph.kernel.kinds import ListFilter, RootList, Where
from graph.partners.kinds import UnitKind
from graph.places.lists import Name, registered_source


class UnitFilter(ListFilter):
    kind: Annotated[list[UnitKind] | None, Where("x.kind IN $kind")] = None
    name: Name = None
    place_id: str | None = Field(default=None, max_length=80)  # the source: `registered_source`


HAS_SKILL = Where("EXISTS { MATCH (x)-[:HAS_SKILL]->(s:Skill) WHERE s.code IN $skill }")


class MemberFilter(ListFilter):
    skill: Annotated[list[str] | None, HAS_SKILL] = None
    unit_id: Annotated[
        str | None, Field(max_length=80), Where("EXISTS { MATCH (x)-[:BELONGS_TO]->(:Unit {id: $unitId}) }")
    ] = None
    name: Name = None
    place_id: str | None = Field(default=None, max_length=80)  # the source: `registered_source`


class SkillFilter(ListFilter):
    category: Annotated[
        list[str] | None, Where("EXISTS { MATCH (x)-[:SERVES]->(k:Category) WHERE k.code IN $category }")
    ] = None


UNITS = RootList("units", "Unit", lambda f: registered_source("Unit", "REGISTERED_WITH", f), UnitFilter)
MEMBERS = RootList("members", "Member", lambda f: registered_source("Member", "REGISTERED_WITH", f), MemberFilter)
SKILLS = RootList("skills", "Skill", filter=SkillFilter)

LISTS = (UNITS, MEMBERS, SKILLS)
