"""The partners' root lists: units, members (by place, skill, unit, name) and the skill catalog."""

from __future__ import annotations

from pydantic import Field

from graph.kernel.lists import ListFilter, RootList
from graph.partners.kinds import UnitKind
from graph.places.lists import registered_source


class UnitFilter(ListFilter):
    kind: list[UnitKind] | None = None
    place_id: str | None = Field(default=None, alias="placeId", max_length=80)
    name: str | None = Field(default=None, min_length=1, max_length=50)

    model_config = ListFilter.model_config | {"use_enum_values": True}


class MemberFilter(ListFilter):
    place_id: str | None = Field(default=None, alias="placeId", max_length=80)
    skill: list[str] | None = None
    unit_id: str | None = Field(default=None, alias="unitId", max_length=80)
    name: str | None = Field(default=None, min_length=1, max_length=50)


class SkillFilter(ListFilter):
    category: list[str] | None = None


UNITS = RootList(
    "units",
    "Unit",
    lambda f: registered_source("Unit", "REGISTERED_WITH", f),
    UnitFilter,
    {"kind": "x.kind IN $kind", "name": "x.name CONTAINS $name"},
)
MEMBERS = RootList(
    "members",
    "Member",
    lambda f: registered_source("Member", "REGISTERED_WITH", f),
    MemberFilter,
    {
        "skill": "EXISTS { MATCH (x)-[:HAS_SKILL]->(s:Skill) WHERE s.code IN $skill }",
        "unitId": "EXISTS { MATCH (x)-[:BELONGS_TO]->(:Unit {id: $unitId}) }",
        "name": "x.name CONTAINS $name",
    },
)
SKILLS = RootList(
    "skills",
    "Skill",
    filter=SkillFilter,
    predicates={"category": "EXISTS { MATCH (x)-[:SERVES]->(k:Category) WHERE k.code IN $category }"},
)

LISTS = (UNITS, MEMBERS, SKILLS)
