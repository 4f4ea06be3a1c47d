"""Money (资金): funding programs and their grants, in integer fen; eligibility and decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from graph.funding import kinds
from resolvers.funding import grants, projects
from resolvers.kernel import read
from resolvers.needs import candidates as matching
from resolvers.partners import assets
from schema.derive import derived_type, mutation_field, mutation_input, node_type, record_payload, root_list
from schema.relay import Fen, Node, listed_at_most

if TYPE_CHECKING:
    from schema.matching import Candidate

CandidateType = Annotated["Candidate", strawberry.lazy("schema.matching")]


@node_type(
    kinds.FUNDING_PROGRAM, hide=("createdAt",), description="A funding program; amounts are integer fen (1/100 yuan)."
)
class FundingProgram(Node):
    @strawberry.field
    def remaining(self) -> Fen:
        return self.budget - self.spent


Grant = derived_type(
    kinds.GRANT,
    hide=("requestedBy", "decidedBy"),
    ids=("programId", "needId"),
    description="A grant from a funding program; amounts in fen.",
)


@strawberry.type(description="What a project changed: its class's needs in equal windows before and after its start.")
class ProjectOutcome:
    window_days: float = strawberry.field(description="Each window's length: from the start to now or the end.")
    before: int = strawberry.field(description="Needs of its category at or below its places in the window before.")
    after: int = strawberry.field(description="The same in the window from its start.")
    served: int = strawberry.field(description="Of those after, the needs completed.")
    change: float | None = strawberry.field(description="after / before; null when there were none before.")
    granted: Fen = strawberry.field(description="Approved grants funding it, in fen.")
    pending: Fen = strawberry.field(description="Grants requested and not decided yet, in fen.")


@node_type(
    kinds.PROJECT,
    hide=("openedBy",),
    description="A project (项目) opened to cut a class of needs: its category in its places.",
)
class Project(Node):
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


@strawberry.type(description="The project opened, funded or closed, and whether this answers a retry.")
class ProjectPayload:
    project: Project | None
    replayed: bool = False


async def _project_payload(info: Info, result: dict[str, Any]) -> ProjectPayload:
    project = await read.by_id(info.context, "Project", result["projectId"])
    return ProjectPayload(project=project, replayed=bool(result.get("replayed")))


@strawberry.type
class FundingQuery:
    projects = root_list("projects", "Projects opened from classes of needs, newest first.")
    funding_programs = root_list("fundingPrograms", "Funding programs (资金项目), newest first.")

    @strawberry.field(description="Programs covering the need's category and district with budget left, best first.")
    async def eligible_programs(self, info: Info, need_id: strawberry.ID, first: int = 100) -> list[CandidateType]:
        return await matching.eligible_programs(info.context, str(need_id), first)


# --- grants and programs -----------------------------------------------------------------------


GrantDecisionInput = mutation_input(grants.DecideGrant, "GrantDecisionInput")


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
        GrantPayload.build, grants.request_grant, "Ask a funding program for money for a need (coordinators)."
    )

    request_project_grant = mutation_field(
        GrantPayload.build,
        grants.request_project_grant,
        "Ask a funding program that funds projects for money for a project itself (CITY_ADMIN; DISTRICT_ADMIN "
        "within their district).",
    )

    approve_grant = mutation_field(
        GrantPayload.build,
        grants.approve_grant,
        "Approve a requested grant: never past the cap or the program's budget.",
        input=GrantDecisionInput,
    )

    reject_grant = mutation_field(
        GrantPayload.build, grants.reject_grant, "Reject a requested grant, with a reason.", input=GrantDecisionInput
    )

    open_project = mutation_field(
        _project_payload,
        projects.open_project,
        "Open a project to cut a class of needs (CITY_ADMIN; DISTRICT_ADMIN within their district).",
    )

    fund_project = mutation_field(
        _project_payload, projects.fund_project, "Tie a grant to the project it funds (a grant funds one project)."
    )

    close_project = mutation_field(_project_payload, projects.close_project, "Close an open project.")

    create_funding_program = mutation_field(
        CreateFundingProgramPayload.build,
        assets.create_funding_program,
        "Create a funding program (CITY_ADMIN; DISTRICT_ADMIN for their district only).",
    )
    update_funding_program = mutation_field(
        UpdateFundingProgramPayload.build,
        assets.update_funding_program,
        "Change a funding program; its budget may not drop below what is spent.",
    )


TYPES = (FundingProgram, Grant, Project)
