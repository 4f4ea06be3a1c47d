"""Grants (资金): coordinators request, district and city administrators approve or reject.

Approval rule: the grant is REQUESTED, its amount is within the program's cap per grant and
within what is left of the budget — all checked under the program's write lock in the
transaction that raises `spent`, so no number of simultaneous approvals can overspend.

Who decides: CITY_ADMIN any grant; DISTRICT_ADMIN grants for needs in their district from
DISTRICT-level programs (city money is decided by the city).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph.funding import grants as gr
from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden
from graph.kernel.locks import lock
from graph.needs import audit
from graph.needs import candidates as cand
from matching.explain import money
from matching.factors import in_period
from matching.time_windows import to_local
from resolvers.kernel.authz import require_role
from resolvers.kernel.context import Context
from resolvers.kernel.mutations import run_mutation
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs.candidates import require_need_scope

REQUEST_ROLES = PLACE_ROLES
DECIDE_ROLES = (Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
MAX_AMOUNT = 10**14  # fen; far above any real program, below 64-bit overflow in sums


def check_amount(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise BadUserInput(f"amount must be a positive whole number of fen (got {amount!r})", field="amount")
    if amount > MAX_AMOUNT:
        raise BadUserInput("amount is implausibly large; amounts are in fen (1/100 yuan)", field="amount")
    return amount


def _fits(program: dict[str, Any], facts: cand.NeedFacts, amount: int) -> None:
    """The program covers the need (category, district, period) and the amount is within its cap."""
    need = facts.profile
    if need.category_code not in program["categories"]:
        raise BadUserInput(
            f"{program['name']} does not cover {need.category_name or need.category_code}", field="programId"
        )
    if program["districts"] and need.place.district_id not in program["districts"]:
        raise BadUserInput(f"{program['name']} is not available in the need's district", field="programId")
    if not in_period(program["periodStart"], program["periodEnd"], to_local(datetime.now(UTC)).date()):
        raise BadUserInput(f"{program['name']} is outside its funding period", field="programId")
    cap = program["capPerGrant"]
    if cap is not None and amount > cap:
        raise BadUserInput(
            f"{money(amount)} is above {program['name']}'s cap per grant of {money(cap)}", field="amount"
        )


async def request_grant(
    ctx: Context, need_id: str, program_id: str, amount: int, purpose: str | None, key: str | None
) -> dict[str, Any]:
    require_role(ctx.viewer, *REQUEST_ROLES)
    amount = check_amount(amount)
    if purpose is not None and len(purpose) > 500:
        raise BadUserInput("purpose may be at most 500 characters", field="purpose")

    async def work(tx: Tx, viewer: Viewer) -> dict[str, Any]:
        facts = await cand.need_facts(tx, need_id)
        require_need_scope(viewer, facts)
        program = await gr.program_facts(tx, program_id)
        _fits(program, facts, amount)
        if program["budget"] - program["spent"] < amount:
            # Not binding (approval decides), but a request that cannot be met is better refused now.
            raise Conflict(
                f"{program['name']} has {money(program['budget'] - program['spent'])} left; {money(amount)} asked",
                remaining=program["budget"] - program["spent"],
            )
        grant_id = await gr.create(tx, need_id, program_id, amount, purpose, viewer.subject)
        await audit.record_event(
            tx,
            need_id,
            actor_id=viewer.subject,
            role=viewer.role.value,
            from_state=facts.status,
            to_state=facts.status,
            type="GRANT_REQUESTED",
            note=f"{program['name']}: {money(amount)}",
        )
        return {"grantId": grant_id}

    return await run_mutation(ctx, "requestGrant", key, work)


def require_decider(viewer: Viewer, grant: dict[str, Any], program: dict[str, Any]) -> None:
    if viewer.role is Role.CITY_ADMIN:
        return
    if program["level"] != "DISTRICT":
        raise Forbidden(f"{program['name']} is a city program: its grants are decided by a CITY_ADMIN")
    if viewer.scope_id not in grant["placeIds"]:
        raise Forbidden(f"grant {grant['id']} is for a need outside your district {viewer.scope_id}")


async def _decide(
    ctx: Context, operation: str, grant_id: str, approve: bool, reason: str | None, key: str | None
) -> dict[str, Any]:
    require_role(ctx.viewer, *DECIDE_ROLES)

    async def work(tx: Tx, viewer: Viewer) -> dict[str, Any]:
        grant = await gr.grant_facts(tx, grant_id)
        # The program's lock first: every decision on this program waits here, then reads fresh numbers.
        await gr.lock_program(tx, grant["programId"])
        await lock(tx, "Grant", grant_id, "grant")
        grant = await gr.grant_facts(tx, grant_id)
        program = await gr.program_facts(tx, grant["programId"])
        require_decider(viewer, grant, program)
        if grant["status"] != "REQUESTED":
            raise Conflict(f"grant {grant_id} is already {grant['status']}", status=grant["status"])
        spend = 0
        if approve:
            amount, cap = grant["amount"], program["capPerGrant"]
            if cap is not None and amount > cap:
                raise Conflict(f"{money(amount)} is above the cap per grant of {money(cap)}", capPerGrant=cap)
            left = program["budget"] - program["spent"]
            if amount > left:
                raise Conflict(
                    f"approving {money(amount)} would take {program['name']} past its budget: {money(left)} left",
                    remaining=left,
                )
            spend = amount
        status = "APPROVED" if approve else "REJECTED"
        spent = await gr.decide(tx, grant_id, status, viewer.subject, reason, spend)
        if grant["needId"]:
            await audit.record_event(
                tx,
                grant["needId"],
                actor_id=viewer.subject,
                role=viewer.role.value,
                from_state=None,
                to_state=None,
                type=f"GRANT_{status}",
                note=f"{program['name']}: {money(grant['amount'])}" + (f" — {reason}" if reason else ""),
            )
        return {"grantId": grant_id, "spent": spent}

    return await run_mutation(ctx, operation, key, work)


async def approve_grant(ctx: Context, grant_id: str, key: str | None) -> dict[str, Any]:
    return await _decide(ctx, "approveGrant", grant_id, True, None, key)


async def reject_grant(ctx: Context, grant_id: str, reason: str | None, key: str | None) -> dict[str, Any]:
    if not reason or not reason.strip():
        raise BadUserInput("say why the grant is rejected (reason): the requester reads it", field="reason")
    return await _decide(ctx, "rejectGrant", grant_id, False, reason.strip(), key)


async def grants(ctx: Context, ids: list[str]) -> list[dict[str, Any]]:
    """Grants by id for payloads (the mutation already checked who may see them)."""
    return await gr.grants_by_ids(ctx.graph, ids)
