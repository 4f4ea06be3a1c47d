"""Money (资金): funding programs and their grants, in integer fen; eligibility and decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from graph.funding import kinds
from resolvers.funding import grants
from resolvers.kernel import read
from resolvers.needs import candidates as matching
from resolvers.partners import assets
from schema.relay import KEY, Fen, Node, as_dict, connection, node_type

if TYPE_CHECKING:
    from schema.matching import Candidate
    from schema.needs import Category, Need
    from schema.places import District

CandidateType = Annotated["Candidate", strawberry.lazy("schema.matching")]
CategoryType = Annotated["Category", strawberry.lazy("schema.needs")]
NeedType = Annotated["Need", strawberry.lazy("schema.needs")]
DistrictType = Annotated["District", strawberry.lazy("schema.places")]

ProgramLevel = strawberry.enum(kinds.ProgramLevel)


@strawberry.type(description="A funding program; amounts are integer fen (1/100 yuan).")
@node_type(kinds.FundingProgram)
class FundingProgram(Node):
    name: str
    source: str
    level: ProgramLevel
    budget: Fen
    spent: Fen
    cap_per_grant: Fen
    period_start: date | None
    period_end: date | None

    @strawberry.field
    def remaining(self) -> Fen:
        return self.budget - self.spent

    @strawberry.field
    async def categories(self, info: Info) -> list[CategoryType]:
        return await read.by_codes(info.context, "Category", self.category_codes)

    @strawberry.field
    async def districts(self, info: Info) -> list[DistrictType]:
        return await read.by_ids(info.context, "District", self.district_ids)


@strawberry.type(description="A grant from a funding program; amounts in fen.")
@node_type(kinds.Grant)
class Grant(Node):
    amount: Fen
    status: str
    purpose: str | None
    reason: str | None
    decided_at: datetime | None
    created_at: datetime | None
    program_id: strawberry.ID
    need_id: strawberry.ID | None

    @strawberry.field
    async def program(self, info: Info) -> FundingProgram | None:
        return await read.by_id(info.context, "FundingProgram", self.program_id)

    @strawberry.field
    async def need(self, info: Info) -> NeedType | None:
        return await read.by_id(info.context, "Need", self.need_id)


@strawberry.input
class FundingProgramFilter:
    level: list[ProgramLevel] | None = None
    district_id: strawberry.ID | None = None
    category: list[str] | None = None
    with_budget_left: bool | None = None


@strawberry.type
class FundingQuery:
    funding_programs = connection(
        "fundingPrograms", "FundingProgram", "Funding programs (资金项目), newest first.", "FundingProgramFilter"
    )

    @strawberry.field(description="Programs covering the need's category and district with budget left, best first.")
    async def eligible_programs(self, info: Info, need_id: strawberry.ID, first: int = 100) -> list[CandidateType]:
        return await matching.eligible_programs(info.context, str(need_id), first)


# --- grants and programs -----------------------------------------------------------------------


@strawberry.input
class RequestGrantInput:
    need_id: strawberry.ID
    program_id: strawberry.ID
    amount: Fen = strawberry.field(description="In fen (1/100 yuan), above 0 and within the cap per grant.")
    purpose: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class GrantDecisionInput:
    grant_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Required to reject.")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class CreateFundingProgramInput:
    name: str
    level: ProgramLevel
    budget: Fen
    cap_per_grant: Fen = strawberry.field(description="The most one grant may take, in fen.")
    categories: list[str] = strawberry.field(description="Category codes it pays for.")
    district_ids: list[strawberry.ID] = strawberry.field(description="Districts it is available in.")
    period_start: date
    period_end: date
    source: str = strawberry.field(default="", description="e.g. 社区为民服务专项资金")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Fields left out (or null) stay as they are; the budget never goes below spent.")
class UpdateFundingProgramInput:
    program_id: strawberry.ID
    name: str | None = None
    level: ProgramLevel | None = None
    budget: Fen | None = None
    cap_per_grant: Fen | None = None
    categories: list[str] | None = None
    district_ids: list[strawberry.ID] | None = None
    period_start: date | None = None
    period_end: date | None = None
    source: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.type
class GrantPayload:
    grant: Grant | None
    replayed: bool = False


@strawberry.type
class CreateFundingProgramPayload:
    funding_program: FundingProgram
    replayed: bool = False


@strawberry.type
class UpdateFundingProgramPayload:
    funding_program: FundingProgram
    replayed: bool = False


async def _grant_payload(info: Info, result: dict[str, Any]) -> GrantPayload:
    grant = await read.by_id(info.context, "Grant", result["grantId"])
    return GrantPayload(grant=grant, replayed=bool(result.get("replayed")))


async def _program(info: Info, result: dict[str, Any]) -> Any:
    return await read.by_id(info.context, "FundingProgram", result["programId"])


@strawberry.type
class FundingMutation:
    @strawberry.mutation(description="Ask a funding program for money for a need (coordinators).")
    async def request_grant(self, info: Info, input: RequestGrantInput) -> GrantPayload:
        return await _grant_payload(info, await grants.request_grant(info.context, as_dict(input)))

    @strawberry.mutation(description="Approve a requested grant: never past the cap or the program's budget.")
    async def approve_grant(self, info: Info, input: GrantDecisionInput) -> GrantPayload:
        return await _grant_payload(info, await grants.approve_grant(info.context, as_dict(input)))

    @strawberry.mutation(description="Reject a requested grant, with a reason.")
    async def reject_grant(self, info: Info, input: GrantDecisionInput) -> GrantPayload:
        return await _grant_payload(info, await grants.reject_grant(info.context, as_dict(input)))

    @strawberry.mutation(description="Create a funding program (CITY_ADMIN; DISTRICT_ADMIN for their district only).")
    async def create_funding_program(self, info: Info, input: CreateFundingProgramInput) -> CreateFundingProgramPayload:
        result = await assets.create_funding_program(info.context, as_dict(input))
        return CreateFundingProgramPayload(
            funding_program=await _program(info, result), replayed=bool(result.get("replayed"))
        )

    @strawberry.mutation(description="Change a funding program; its budget may not drop below what is spent.")
    async def update_funding_program(self, info: Info, input: UpdateFundingProgramInput) -> UpdateFundingProgramPayload:
        result = await assets.update_funding_program(info.context, as_dict(input))
        return UpdateFundingProgramPayload(
            funding_program=await _program(info, result), replayed=bool(result.get("replayed"))
        )


TYPES = (FundingProgram, Grant)
