"""The root Query: `node` and one Relay connection per kind of thing."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.kernel import read
from schema import inputs
from schema.common import Connection, Node
from schema.types import (
    Category,
    Community,
    District,
    FundingProgram,
    Member,
    Need,
    Skill,
    Street,
    Unit,
    Venue,
)

FIRST = "How many to return, at most 100."


async def _page(info: Info, name: str, first: int | None, after: str | None, filter_: object) -> Connection:
    return Connection.of(await read.list_page(info.context, name, first, after, inputs.as_dict(filter_)))


@strawberry.type
class Query:
    @strawberry.field(description="Any node by its id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await read.node(info.context, id)

    @strawberry.field(description="Needs, newest first.")
    async def needs(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: inputs.NeedFilter | None = None
    ) -> Connection[Need]:
        return await _page(info, "needs", first, after, filter)

    @strawberry.field
    async def units(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: inputs.UnitFilter | None = None
    ) -> Connection[Unit]:
        return await _page(info, "units", first, after, filter)

    @strawberry.field
    async def members(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: inputs.MemberFilter | None = None
    ) -> Connection[Member]:
        return await _page(info, "members", first, after, filter)

    @strawberry.field
    async def venues(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: inputs.VenueFilter | None = None
    ) -> Connection[Venue]:
        return await _page(info, "venues", first, after, filter)

    @strawberry.field
    async def funding_programs(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: inputs.FundingProgramFilter | None = None,
    ) -> Connection[FundingProgram]:
        return await _page(info, "fundingPrograms", first, after, filter)

    @strawberry.field
    async def districts(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: inputs.DistrictFilter | None = None
    ) -> Connection[District]:
        return await _page(info, "districts", first, after, filter)

    @strawberry.field
    async def streets(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: inputs.StreetFilter | None = None
    ) -> Connection[Street]:
        return await _page(info, "streets", first, after, filter)

    @strawberry.field
    async def communities(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: inputs.CommunityFilter | None = None,
    ) -> Connection[Community]:
        return await _page(info, "communities", first, after, filter)

    @strawberry.field
    async def categories(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Category]:
        return await _page(info, "categories", first, after, None)

    @strawberry.field
    async def skills(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: inputs.SkillFilter | None = None
    ) -> Connection[Skill]:
        return await _page(info, "skills", first, after, filter)
