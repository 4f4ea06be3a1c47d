"""Grants (资金): coordinators request, district and city administrators approve or reject.

Approval rule: the grant is REQUESTED, its amount is within the program's cap per grant and
within what is left of the budget — all checked under the program's write lock in the
transaction that raises `spent`, so no number of simultaneous approvals can overspend.

A grant is requested for a need (`requestGrant`, coordinators) or straight for a project
(`requestProjectGrant`, those who open projects), from a program whose declaration (`funds`) takes
requests for that; approval is the same for both.

Who decides: CITY_ADMIN any grant; DISTRICT_ADMIN grants from DISTRICT-level programs for what lies
in their district alone — the need, or every place of the project (city money is decided by the city).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, TypeVar

from pydantic import Field

from graph.funding import grants as gr
from graph.funding.kinds import FUNDS_NEEDS, FUNDS_PROJECTS, GrantStatus, ProgramLevel, ProjectStatus
from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden
from graph.kernel.records import Fen
from graph.needs import candidates as cand
from graph.needs.audit import event_params
from graph.needs.kinds import EventType
from matching.explain import money
from matching.factors import in_period
from matching.time_windows import to_local
from resolvers.funding.projects import PROJECT_ROLES, require_district
from resolvers.kernel.authz import require_need_scope
from resolvers.kernel.context import Context
from resolvers.kernel.events import Published
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.validation import Form, id_of, optional_text, required_text
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer

DECIDE_ROLES = (Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
MAX_AMOUNT = 10**14  # fen; far above any real program, below 64-bit overflow in sums


class RequestGrant(Form):
    need_id: Annotated[str, id_of("Need")]
    program_id: Annotated[str, id_of("FundingProgram")]
    amount: Fen = Field(gt=0, le=MAX_AMOUNT, description="In fen (1/100 yuan), above 0 and within the cap per grant.")
    purpose: optional_text(500) = None
    # The request's day in Xi'an, from its clock (`_dated`, not sent by clients): the program's period
    # is checked against it, so a test that pins "now" pins this too.
    day: date | None = Field(default=None, exclude=True)


class RequestProjectGrant(Form):
    project_id: Annotated[str, id_of("Project")]
    program_id: Annotated[str, id_of("FundingProgram")]
    amount: Fen = Field(gt=0, le=MAX_AMOUNT, description="In fen (1/100 yuan), above 0 and within the cap per grant.")
    purpose: optional_text(500) = None
    day: date | None = Field(default=None, exclude=True)  # as RequestGrant's


Dated = TypeVar("Dated", RequestGrant, RequestProjectGrant)


async def _dated(ctx: Context, viewer: Viewer, form: Dated) -> Dated:
    return form.model_copy(update={"day": to_local(ctx.now).date()})


class DecideGrant(Form):
    grant_id: Annotated[str, id_of("Grant")]
    reason: optional_text(500) = None


class RejectGrant(DecideGrant):
    reason: required_text("say why the grant is rejected (reason): the requester reads it", 500)


def _fits(program: gr.ProgramTerms, facts: cand.NeedFacts, amount: int, day: date) -> None:
    """The program funds needs and covers this one (category, district, period on `day`) and the amount is
    within its cap."""
    need = facts.profile
    if program.funds not in FUNDS_NEEDS:
        raise BadUserInput(
            f"{program.name} funds projects only: ask for it with requestProjectGrant", field="programId"
        )
    if need.category_code not in program.categories:
        raise BadUserInput(
            f"{program.name} does not cover {need.category_name or need.category_code}", field="programId"
        )
    if program.districts and need.place.district_id not in program.districts:
        raise BadUserInput(f"{program.name} is not available in the need's district", field="programId")
    _within(program, amount, day)


def _within(program: gr.ProgramTerms, amount: int, day: date) -> None:
    """The program is in its period on `day`, the amount within its cap and what is left of its budget."""
    if not in_period(program.period_start, program.period_end, day):
        raise BadUserInput(f"{program.name} is outside its funding period", field="programId")
    cap = program.cap_per_grant
    if cap is not None and amount > cap:
        raise BadUserInput(f"{money(amount)} is above {program.name}'s cap per grant of {money(cap)}", field="amount")
    if program.left < amount:
        # Not binding (approval decides), but a request that cannot be met is better refused now.
        raise Conflict(f"{program.name} has {money(program.left)} left; {money(amount)} asked", remaining=program.left)


@mutation("requestGrant", roles=PLACE_ROLES, form=RequestGrant, prepare=_dated)
async def request_grant(tx: Tx, viewer: Viewer, form: RequestGrant, outbox: Outbox) -> Result:
    assert form.day is not None
    facts = await cand.need_facts(tx, form.need_id)
    require_need_scope(viewer, facts.number or facts.profile.id, facts.place_ids)
    program = await gr.program_facts(tx, form.program_id)
    _fits(program, facts, form.amount, form.day)
    event = event_params(
        actor_id=viewer.subject,
        role=viewer.role.value,
        from_state=facts.status,
        to_state=facts.status,
        type=EventType.GRANT_REQUESTED,
        note=f"{program.name}: {money(form.amount)}",
    )
    grant_id, recorded = await gr.create(
        tx, form.need_id, form.program_id, form.amount, form.purpose, viewer.subject, event
    )
    outbox.add(Published(recorded, frozenset(facts.place_ids), frozenset()))
    return {"grantId": grant_id}


def _project(form: RequestProjectGrant) -> str:
    """Requests for one project take its lock in turn (it holds them off a `closeProject`), so this
    process's wait their turn before their transactions rather than in Neo4j's lock queue."""
    return f"Project:{form.project_id}"


@mutation("requestProjectGrant", roles=PROJECT_ROLES, form=RequestProjectGrant, prepare=_dated, race=_project)
async def request_project_grant(tx: Tx, viewer: Viewer, form: RequestProjectGrant, outbox: Outbox) -> Result:
    """Money for a project itself, from a program that funds projects: it covers the project's category
    and every district it works in, in its period, within the cap and what is left. The grant funds the
    project (`Grant.project`) from the request on; it is approved or rejected as any other."""
    assert form.day is not None
    project = await gr.project_facts(tx, form.project_id)
    require_district(viewer, list(project.district_ids), "requestProjectGrant")
    if project.status != ProjectStatus.OPEN:
        raise Conflict(f"project {form.project_id} is {project.status}: a closed project takes no grants")
    program = await gr.program_facts(tx, form.program_id)
    if program.funds not in FUNDS_PROJECTS:
        raise BadUserInput(f"{program.name} funds needs only: ask for it with requestGrant", field="programId")
    if project.category not in program.categories:
        raise BadUserInput(
            f"{program.name} does not cover the project's category {project.category}", field="programId"
        )
    outside = sorted(set(project.district_ids) - set(program.districts)) if program.districts else []
    if outside:
        raise BadUserInput(
            f"{program.name} is not available in {', '.join(outside)}, where the project works", field="programId"
        )
    _within(program, form.amount, form.day)
    grant_id = await gr.create_for_project(
        tx, form.project_id, form.program_id, form.amount, form.purpose, viewer.subject
    )
    return {"grantId": grant_id}


def require_decider(viewer: Viewer, grant: gr.GrantFacts, program: gr.ProgramTerms) -> None:
    if viewer.role is Role.CITY_ADMIN:
        return
    if program.level != ProgramLevel.DISTRICT:
        raise Forbidden(f"{program.name} is a city program: its grants are decided by a CITY_ADMIN")
    if not grant.district_ids or any(d != viewer.scope_id for d in grant.district_ids):
        what = "a need" if grant.need_id else "a project"
        raise Forbidden(f"grant {grant.id} is for {what} outside your district {viewer.scope_id}")


async def _decide(tx: Tx, viewer: Viewer, form: DecideGrant, outbox: Outbox, approve: bool) -> Result:
    # The program's lock first: every decision on this program waits there, then reads fresh numbers.
    grant, program = await gr.locked_decision(tx, form.grant_id, approve=approve)
    require_decider(viewer, grant, program)
    if grant.status != GrantStatus.REQUESTED:
        raise Conflict(f"grant {form.grant_id} is already {grant.status}", status=grant.status)
    spend = 0
    if approve:
        amount, cap = grant.amount, program.cap_per_grant
        if cap is not None and amount > cap:
            raise Conflict(f"{money(amount)} is above the cap per grant of {money(cap)}", capPerGrant=cap)
        left = program.left
        if amount > left:
            raise Conflict(
                f"approving {money(amount)} would take {program.name} past its budget: {money(left)} left",
                remaining=left,
            )
        spend = amount
    status = GrantStatus.APPROVED if approve else GrantStatus.REJECTED
    event = None
    if grant.need_id:
        note = f"{program.name}: {money(grant.amount)}" + (f" — {form.reason}" if form.reason else "")
        event = event_params(
            actor_id=viewer.subject,
            role=viewer.role.value,
            from_state=None,
            to_state=None,
            type=EventType.GRANT_APPROVED if approve else EventType.GRANT_REJECTED,
            note=note,
        )
    spent, recorded = await gr.decide(tx, form.grant_id, status, viewer.subject, form.reason, spend, event)
    if recorded is not None:
        outbox.add(Published(recorded, frozenset(grant.place_ids), frozenset()))
    return {"grantId": form.grant_id, "spent": spent}


def _decisions(form: DecideGrant) -> str:
    """The line a decision waits its turn in before taking its program's lock: one for all programs, as
    decisions are a few a day, and finding a grant's program before its transaction would cost a
    statement for each."""
    return "FundingProgram"


@mutation("approveGrant", roles=DECIDE_ROLES, form=DecideGrant, race=_decisions)
async def approve_grant(tx: Tx, viewer: Viewer, form: DecideGrant, outbox: Outbox) -> Result:
    """Approval rule: REQUESTED, within the cap and within what is left, checked under the program's lock."""
    return await _decide(tx, viewer, form, outbox, approve=True)


@mutation("rejectGrant", roles=DECIDE_ROLES, form=RejectGrant, race=_decisions)
async def reject_grant(tx: Tx, viewer: Viewer, form: RejectGrant, outbox: Outbox) -> Result:
    return await _decide(tx, viewer, form, outbox, approve=False)
