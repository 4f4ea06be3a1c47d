"""Grants (资金): coordinators request, district and city administrators approve or reject.

Approval rule: the grant is REQUESTED, its amount is within the program's cap per grant and
within what is left of the budget — all checked under the program's write lock in the
transaction that raises `spent`, so no number of simultaneous approvals can overspend.

Who decides: CITY_ADMIN any grant; DISTRICT_ADMIN grants for needs in their district from
DISTRICT-level programs (city money is decided by the city).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from graph.funding import grants as gr
from graph.funding.kinds import GrantStatus, ProgramLevel
from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden
from graph.kernel.records import Fen
from graph.needs import candidates as cand
from graph.needs.audit import event_params
from graph.needs.kinds import EventType
from matching.explain import money
from matching.factors import in_period
from matching.time_windows import to_local
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


async def _dated(ctx: Context, viewer: Viewer, form: RequestGrant) -> RequestGrant:
    return form.model_copy(update={"day": to_local(ctx.now).date()})


class DecideGrant(Form):
    grant_id: Annotated[str, id_of("Grant")]
    reason: optional_text(500) = None


class RejectGrant(DecideGrant):
    reason: required_text("say why the grant is rejected (reason): the requester reads it", 500)


def _fits(program: gr.ProgramTerms, facts: cand.NeedFacts, amount: int, day: date) -> None:
    """The program covers the need (category, district, period on `day`) and the amount is within its cap."""
    need = facts.profile
    if need.category_code not in program.categories:
        raise BadUserInput(
            f"{program.name} does not cover {need.category_name or need.category_code}", field="programId"
        )
    if program.districts and need.place.district_id not in program.districts:
        raise BadUserInput(f"{program.name} is not available in the need's district", field="programId")
    if not in_period(program.period_start, program.period_end, day):
        raise BadUserInput(f"{program.name} is outside its funding period", field="programId")
    cap = program.cap_per_grant
    if cap is not None and amount > cap:
        raise BadUserInput(f"{money(amount)} is above {program.name}'s cap per grant of {money(cap)}", field="amount")


@mutation("requestGrant", roles=PLACE_ROLES, form=RequestGrant, prepare=_dated)
async def request_grant(tx: Tx, viewer: Viewer, form: RequestGrant, outbox: Outbox) -> Result:
    assert form.day is not None
    facts = await cand.need_facts(tx, form.need_id)
    require_need_scope(viewer, facts.number or facts.profile.id, facts.place_ids)
    program = await gr.program_facts(tx, form.program_id)
    _fits(program, facts, form.amount, form.day)
    if program.left < form.amount:
        # Not binding (approval decides), but a request that cannot be met is better refused now.
        raise Conflict(
            f"{program.name} has {money(program.left)} left; {money(form.amount)} asked", remaining=program.left
        )
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


def require_decider(viewer: Viewer, grant: gr.GrantFacts, program: gr.ProgramTerms) -> None:
    if viewer.role is Role.CITY_ADMIN:
        return
    if program.level != ProgramLevel.DISTRICT:
        raise Forbidden(f"{program.name} is a city program: its grants are decided by a CITY_ADMIN")
    if viewer.scope_id not in grant.place_ids:
        raise Forbidden(f"grant {grant.id} is for a need outside your district {viewer.scope_id}")


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
