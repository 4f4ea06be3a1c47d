"""Money (资金): funding programs and their grants, in integer fen.

`(:FundingProgram)-[:COVERS]->(:Category)`, `-[:AVAILABLE_IN]->(:District)`;
`(:Grant)-[:FROM]->(:FundingProgram)`, `-[:FOR]->(:Need)`.
Projects opened from a class of needs: `(:Project)-[:ADDRESSES]->(:Category)`, `-[:IN]->` its places,
`-[:LED_BY]->` a unit or street; `(:Grant)-[:FUNDS]->(:Project)`: a grant requested for a project
straight away (no need), or a need's grant tied to one later (`fundProject`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from graph.kernel.kinds import declare, listed, one
from graph.kernel.records import Fen, NodeRecord


class ProgramLevel(StrEnum):
    CITY = "CITY"
    DISTRICT = "DISTRICT"


class ProgramFunds(StrEnum):
    """What a funding program's grants may be requested for: residents' needs, projects, or both."""

    NEEDS = "NEEDS"
    PROJECTS = "PROJECTS"
    BOTH = "BOTH"


# The declarations under which a program takes requests for a need, and for a project.
FUNDS_NEEDS = frozenset({ProgramFunds.NEEDS, ProgramFunds.BOTH})
FUNDS_PROJECTS = frozenset({ProgramFunds.PROJECTS, ProgramFunds.BOTH})


class GrantStatus(StrEnum):
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@dataclass(slots=True)
class FundingProgram(NodeRecord):
    name: str
    source: str = ""
    level: ProgramLevel = ProgramLevel.CITY
    funds: ProgramFunds = ProgramFunds.NEEDS
    budget: Fen = 0  # type: ignore[assignment]
    spent: Fen = 0  # type: ignore[assignment]
    cap_per_grant: Fen = 0  # type: ignore[assignment]
    period_start: date | None = None
    period_end: date | None = None
    category_codes: list[str] = field(default_factory=list)
    district_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Grant(NodeRecord):
    amount: Fen
    status: str
    program_id: str
    purpose: str | None = None
    reason: str | None = None
    requested_by: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    need_id: str | None = None
    project_id: str | None = None


class ProjectStatus(StrEnum):
    """OPEN while it runs; CLOSED when done."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"


@dataclass(slots=True)
class Project(NodeRecord):
    title: str
    status: ProjectStatus
    start: datetime
    end: datetime
    category_code: str | None = None
    place_ids: list[str] = field(default_factory=list)
    lead_id: str | None = None
    grant_ids: list[str] = field(default_factory=list)
    opened_by: str | None = None
    closed_at: datetime | None = None
    note: str | None = None


FUNDING_PROGRAM = declare(
    FundingProgram,
    "program",
    reader="public",
    computed={"remaining": "coalesce(x.budget, 0) - coalesce(x.spent, 0)"},
    lockable=True,
    indexes=("periodEnd",),
).linking(
    categories=listed("(x)-[:COVERS]->(y:Category)", "Category", attr="categoryCodes", key="code"),
    districts=listed("(x)-[:AVAILABLE_IN]->(y:District)", "District", attr="districtIds"),
)
GRANT = declare(Grant, "grant", reader="signed-in", lockable=True, indexes=("status",)).linking(
    program=one("(x)-[:FROM]->(y:FundingProgram)", "FundingProgram", attr="programId"),
    need=one("(x)-[:FOR]->(y:Need)", "Need", attr="needId"),
    project=one("(x)-[:FUNDS]->(y:Project)", "Project", attr="projectId"),
)

PROJECT = declare(
    Project,
    "project",
    reader="public",
    interpreted=frozenset({"places", "lead", "grants", "outcome"}),
    lockable=True,
    indexes=("createdAt",),
).linking(
    category=one("(x)-[:ADDRESSES]->(y:Category)", "Category", attr="categoryCode", key="code"),
    places=listed("(x)-[:IN]->(y)", ("District", "Street", "Community"), attr="placeIds"),
    lead=one("(x)-[:LED_BY]->(y)", ("Unit", "Street"), attr="leadId"),
    grants=listed("(x)<-[:FUNDS]-(y:Grant)", "Grant", attr="grantIds", gate="signed-in"),
)

KINDS = (FUNDING_PROGRAM, GRANT, PROJECT)
