"""Money (资金): funding programs and their grants, in integer fen; eligibility and decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from graph.funding import kinds
from resolvers.funding import grants, projects
from resolvers.kernel import read
from resolvers.needs import candidates as matching
from resolvers.partners import assets
from schema.mutations import MutationInput, mutation_field, record_payload
from schema.relay import Fen, Node, connection, listed_at_most, lookup, node_type

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

    categories = lookup(read.by_codes, "Category", "category_codes", list[CategoryType])

    districts = lookup(read.by_ids, "District", "district_ids", list[DistrictType])


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

    program = lookup(read.by_id, "FundingProgram", "program_id", FundingProgram | None)

    need = lookup(read.by_id, "Need", "need_id", NeedType | None)


@strawberry.input
class FundingProgramFilter:
    level: list[ProgramLevel] | None = None
    district_id: strawberry.ID | None = None
    category: list[str] | None = None
    with_budget_left: bool | None = None


ProjectStatus = strawberry.enum(kinds.ProjectStatus, description="OPEN while it runs; CLOSED when done.")


@strawberry.type(description="What a project changed: its class's needs in equal windows before and after its start.")
class ProjectOutcome:
    window_days: float = strawberry.field(description="Each window's length: from the start to now or the end.")
    before: int = strawberry.field(description="Needs of its category at or below its places in the window before.")
    after: int = strawberry.field(description="The same in the window from its start.")
    served: int = strawberry.field(description="Of those after, the needs completed.")
    change: float | None = strawberry.field(description="after / before; null when there were none before.")
    granted: Fen = strawberry.field(description="Approved grants funding it, in fen.")
    pending: Fen = strawberry.field(description="Grants requested and not decided yet, in fen.")


@strawberry.type(description="A project (项目) opened to cut a class of needs: its category in its places.")
@node_type(kinds.Project)
class Project(Node):
    title: str
    status: ProjectStatus
    start: datetime = strawberry.field(description="When it starts (UTC).")
    end: datetime = strawberry.field(description="When it is planned to end (UTC).")
    closed_at: datetime | None
    note: str | None = strawberry.field(description="What was said when it closed.")
    created_at: datetime | None
    category_code: strawberry.Private[str | None]
    place_ids: strawberry.Private[list[str]]
    lead_id: strawberry.Private[str | None]
    grant_ids: strawberry.Private[list[str]]

    category = lookup(
        read.by_code, "Category", "category_code", CategoryType | None, "The category of needs it addresses."
    )

    @strawberry.field(description="The districts, streets and communities it works in.")
    async def places(self, info: Info) -> list[Node]:
        return await read.present(info.context, listed_at_most(self.place_ids))

    @strawberry.field(description="The unit or street that leads it.")
    async def lead(self, info: Info) -> Node | None:
        return await read.node(info.context, self.lead_id) if self.lead_id else None

    @strawberry.field(description="The grants that fund it (signed-in viewers).")
    async def grants(self, info: Info) -> list[Grant]:
        return await read.by_ids(info.context, "Grant", listed_at_most(self.grant_ids)) if info.context.viewer else []

    @strawberry.field(description="Its class's needs before and after its start, and the money.")
    async def outcome(self, info: Info) -> ProjectOutcome | None:
        found = await projects.outcome(info.context, self.id)
        if found is None:
            return None
        return ProjectOutcome(
            window_days=found.window_days, before=found.before, after=found.after, served=found.served,
            change=found.change, granted=found.granted, pending=found.pending,
        )  # fmt: skip


@strawberry.input
class ProjectFilter:
    status: list[ProjectStatus] | None = None
    category: list[str] | None = strawberry.field(default=None, description="Category codes.")
    place_id: strawberry.ID | None = strawberry.field(
        default=None, description="Projects in this place or in places within it."
    )


@strawberry.input
class OpenProjectInput(MutationInput):
    title: str
    category_code: str
    place_ids: list[strawberry.ID] = strawberry.field(description="Districts, streets or communities, 1…20.")
    lead_id: strawberry.ID = strawberry.field(description="The unit or street that leads it.")
    start: datetime
    end: datetime


@strawberry.input
class FundProjectInput(MutationInput):
    project_id: strawberry.ID
    grant_id: strawberry.ID = strawberry.field(description="A requested or approved grant; it funds one project.")


@strawberry.input
class CloseProjectInput(MutationInput):
    project_id: strawberry.ID
    note: str | None = strawberry.field(default=None, description="What it achieved, for the record.")


@strawberry.type(description="The project opened, funded or closed, and whether this answers a retry.")
class ProjectPayload:
    project: Project | None
    replayed: bool = False


async def _project_payload(info: Info, result: dict[str, Any]) -> ProjectPayload:
    project = await read.by_id(info.context, "Project", result["projectId"])
    return ProjectPayload(project=project, replayed=bool(result.get("replayed")))


@strawberry.type
class FundingQuery:
    projects = connection(
        "projects", "Project", "Projects opened from classes of needs, newest first.", "ProjectFilter"
    )
    funding_programs = connection(
        "fundingPrograms", "FundingProgram", "Funding programs (资金项目), newest first.", "FundingProgramFilter"
    )

    @strawberry.field(description="Programs covering the need's category and district with budget left, best first.")
    async def eligible_programs(self, info: Info, need_id: strawberry.ID, first: int = 100) -> list[CandidateType]:
        return await matching.eligible_programs(info.context, str(need_id), first)


# --- grants and programs -----------------------------------------------------------------------


@strawberry.input
class RequestGrantInput(MutationInput):
    need_id: strawberry.ID
    program_id: strawberry.ID
    amount: Fen = strawberry.field(description="In fen (1/100 yuan), above 0 and within the cap per grant.")
    purpose: str | None = None


@strawberry.input
class GrantDecisionInput(MutationInput):
    grant_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Required to reject.")


@strawberry.input
class CreateFundingProgramInput(MutationInput):
    name: str
    level: ProgramLevel
    budget: Fen
    cap_per_grant: Fen = strawberry.field(description="The most one grant may take, in fen.")
    categories: list[str] = strawberry.field(description="Category codes it pays for.")
    district_ids: list[strawberry.ID] = strawberry.field(description="Districts it is available in.")
    period_start: date
    period_end: date
    source: str = strawberry.field(default="", description="e.g. 社区为民服务专项资金")


@strawberry.input(description="Fields left out (or null) stay as they are; the budget never goes below spent.")
class UpdateFundingProgramInput(MutationInput):
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


GrantPayload = record_payload("GrantPayload", "grant", Grant, "grantId", optional=True)


CreateFundingProgramPayload = record_payload(
    "CreateFundingProgramPayload", "funding_program", FundingProgram, "programId"
)


UpdateFundingProgramPayload = record_payload(
    "UpdateFundingProgramPayload", "funding_program", FundingProgram, "programId"
)


@strawberry.type
class FundingMutation:
    request_grant = mutation_field(
        GrantPayload.build,
        grants.request_grant,
        RequestGrantInput,
        "Ask a funding program for money for a need (coordinators).",
    )

    approve_grant = mutation_field(
        GrantPayload.build,
        grants.approve_grant,
        GrantDecisionInput,
        "Approve a requested grant: never past the cap or the program's budget.",
    )

    reject_grant = mutation_field(
        GrantPayload.build, grants.reject_grant, GrantDecisionInput, "Reject a requested grant, with a reason."
    )

    open_project = mutation_field(
        _project_payload,
        projects.open_project,
        OpenProjectInput,
        "Open a project to cut a class of needs (CITY_ADMIN; DISTRICT_ADMIN within their district).",
    )

    fund_project = mutation_field(
        _project_payload,
        projects.fund_project,
        FundProjectInput,
        "Tie a grant to the project it funds (a grant funds one project).",
    )

    close_project = mutation_field(
        _project_payload, projects.close_project, CloseProjectInput, "Close an open project."
    )

    create_funding_program = mutation_field(
        CreateFundingProgramPayload.build,
        assets.create_funding_program,
        CreateFundingProgramInput,
        "Create a funding program (CITY_ADMIN; DISTRICT_ADMIN for their district only).",
    )
    update_funding_program = mutation_field(
        UpdateFundingProgramPayload.build,
        assets.update_funding_program,
        UpdateFundingProgramInput,
        "Change a funding program; its budget may not drop below what is spent.",
    )


TYPES = (FundingProgram, Grant, Project)
