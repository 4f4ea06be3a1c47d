"""Projects (项目): opened from a class of needs to cut its recurrence, funded by grants, closed when done.

Who: CITY_ADMIN anywhere; DISTRICT_ADMIN for places (and a lead) within their district — the roles
of funding programs. A grant funds at most one project; an approved or requested grant of any program
may be tied to a project (the money itself is decided where grants are decided).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from graph.funding import projects as pj
from graph.funding.kinds import GrantStatus, ProjectStatus
from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden, NotFound
from graph.kernel.ids import new_id
from resolvers.kernel.context import Context
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.validation import Form, aware, id_of, optional_text, required_text, utc_text
from resolvers.kernel.viewer import Role, Viewer

PROJECT_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)
MAX_PLACES = 20


class OpenProject(Form):
    title: required_text("give the project a title people will recognise", 200)
    category_code: str = Field(min_length=1, max_length=40)
    place_ids: list[Annotated[str, id_of("District", "Street", "Community")]] = Field(
        min_length=1, max_length=MAX_PLACES
    )
    lead_id: Annotated[str, id_of("Unit", "Street")]
    start: datetime
    end: datetime

    @field_validator("category_code")
    @classmethod
    def _code(cls, value: str) -> str:
        return value.strip().upper()

    @model_validator(mode="after")
    def _order(self) -> OpenProject:
        self.start, self.end = aware(self.start), aware(self.end)
        if self.end <= self.start:
            raise ValueError("end must be after start")
        self.place_ids = list(dict.fromkeys(self.place_ids))
        return self


class FundProject(Form):
    project_id: Annotated[str, id_of("Project")]
    grant_id: Annotated[str, id_of("Grant")]


class CloseProject(Form):
    project_id: Annotated[str, id_of("Project")]
    note: optional_text(500) = None


def require_district(viewer: Viewer, districts: list[str | None], action: str) -> None:
    """CITY_ADMIN anywhere; a DISTRICT_ADMIN only when every one of `districts` is theirs."""
    if viewer.role is Role.CITY_ADMIN:
        return
    outside = sorted({d or "no district" for d in districts if d != viewer.scope_id})
    if outside:
        raise Forbidden(
            f"{action}: a DISTRICT_ADMIN acts within {viewer.scope_id} only (this reaches {', '.join(outside)}); "
            "projects across districts are for CITY_ADMIN"
        )


@mutation("openProject", roles=PROJECT_ROLES, form=OpenProject)
async def open_project(tx: Tx, viewer: Viewer, form: OpenProject, outbox: Outbox) -> Result:
    facts = await pj.open_facts(tx, form.category_code, form.place_ids, form.lead_id)
    if not facts.category:
        raise NotFound(f"no category with code {form.category_code!r}", field="categoryCode")
    missing = [p.id for p in facts.places if not p.found]
    if missing:
        raise NotFound(f"no place {', '.join(missing)}", field="placeIds")
    if not facts.lead:
        raise NotFound(f"no unit or street {form.lead_id!r} to lead it", field="leadId")
    require_district(viewer, [p.district for p in facts.places], "openProject")
    if viewer.role is Role.DISTRICT_ADMIN and viewer.scope_id not in facts.lead_districts:
        raise Forbidden(f"openProject: {form.lead_id} is not within {viewer.scope_id}", field="leadId")
    project_id = new_id("project")
    row = {
        "id": project_id,
        "title": form.title,
        "category": form.category_code,
        "placeIds": form.place_ids,
        "leadId": form.lead_id,
        "start": utc_text(form.start),
        "end": utc_text(form.end),
        "openedBy": viewer.subject,
    }
    await pj.create(tx, row)
    return {"projectId": project_id}


@mutation("fundProject", roles=PROJECT_ROLES, form=FundProject)
async def fund_project(tx: Tx, viewer: Viewer, form: FundProject, outbox: Outbox) -> Result:
    facts = await pj.locked(tx, form.project_id, form.grant_id)
    require_district(viewer, facts.districts, "fundProject")
    if facts.status != ProjectStatus.OPEN:
        raise Conflict(f"project {form.project_id} is {facts.status}: a closed project takes no grants")
    if not facts.grant:
        raise NotFound(f"no grant {form.grant_id!r}", field="grantId")
    if facts.grant_status == GrantStatus.REJECTED:
        raise BadUserInput(f"grant {form.grant_id} was rejected: it funds nothing", field="grantId")
    if facts.funds is not None or not await pj.fund(tx, form.project_id, form.grant_id):
        raise Conflict(f"grant {form.grant_id} already funds a project", field="grantId")
    return {"projectId": form.project_id}


@mutation("closeProject", roles=PROJECT_ROLES, form=CloseProject)
async def close_project(tx: Tx, viewer: Viewer, form: CloseProject, outbox: Outbox) -> Result:
    facts = await pj.locked(tx, form.project_id)
    require_district(viewer, facts.districts, "closeProject")
    if facts.status != ProjectStatus.OPEN or not await pj.close(tx, form.project_id, form.note):
        raise Conflict(f"project {form.project_id} is already closed")
    return {"projectId": form.project_id}


@dataclass(frozen=True)
class Outcome:
    """The class's needs in equal windows before and after the start (up to now or the end)."""

    window_days: float
    before: int
    after: int
    served: int  # of the needs after the start, those completed
    granted: int  # fen of approved grants funding it
    pending: int  # fen requested, not decided yet

    @property
    def change(self) -> float | None:
        return round(self.after / self.before, 4) if self.before else None


async def outcome(ctx: Context, project_id: str) -> Outcome | None:
    row = await pj.outcome(ctx.graph, project_id, utc_text(ctx.now))
    if row is None:
        return None
    return Outcome(
        round(row["seconds"] / 86400, 2), row["before"], row["after"], row["served"], row["granted"], row["pending"]
    )
