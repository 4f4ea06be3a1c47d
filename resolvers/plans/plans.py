"""Optimal batch dispatch (story 12): propose a plan for a scope's open needs, then commit it.

Proposal: four statements fetch the needs, the members registered with their communities, the skills
and the offerings serving their categories (graph/plans/pools.py); `matching.planning` scores, solves
(min-cost flow against greedy) and explains, with no I/O; the plan is stored as PROPOSED.

Commit: under locks on the plan, its needs and its members/offerings (taken in id order), each pair
whose need is still open and whose handler still has headroom becomes an INVITED assignment (the
need DISPATCHED, deadlines from the policy); the others are skipped and reported.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field, field_validator

from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden
from graph.needs.audit import event_params
from graph.needs.kinds import AssignmentStatus, EventType, NeedStatus
from graph.plans import pools as gp
from graph.plans.kinds import PlanStatus
from matching.models import CandidateKind
from matching.planning import EMPTY_MEMBERS, PRESELECT_MEMBERS, with_rating_priors
from matching.planning import build_plan as plan_from_pools
from resolvers.kernel import read
from resolvers.kernel.authz import require_role
from resolvers.kernel.context import Context
from resolvers.kernel.events import Published
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.validation import Form, form_id, id_of, node_id
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs.deadlines import deadlines_for

MAX_NEED_IDS = 20_000
CITY = "city"
SCOPE_LABELS = ("District", "Street", "Community")


class ProposePlan(Form):
    scope_id: str
    need_ids: list[Annotated[str, id_of("Need")]] | None = Field(default=None, max_length=MAX_NEED_IDS)
    # Filled before the transaction by `_build` (not sent by clients, so not part of the input).
    fields: dict[str, Any] | None = Field(default=None, exclude=True)

    @field_validator("scope_id")
    @classmethod
    def place_or_city(cls, value: str) -> str:
        if value not in (CITY, ""):
            return form_id(value, *SCOPE_LABELS)
        return value or CITY

    @field_validator("need_ids")
    @classmethod
    def some(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError(f"name 1 to {MAX_NEED_IDS} needs (or leave needIds out)")
        return list(dict.fromkeys(value)) if value else value

    @property
    def scope(self) -> str | None:
        return None if self.scope_id == CITY else self.scope_id


class PlanRef(Form):
    plan_id: Annotated[str, id_of("DispatchPlan")]


async def _authorise_scope(ctx: Context, scope: str | None) -> None:
    if not await read.may_oversee(ctx, scope):
        viewer = ctx.viewer
        assert viewer is not None
        if scope is None:
            raise Forbidden("a city-wide plan is for CITY_ADMIN; give a district, street or community in your scope")
        raise Forbidden(
            f"{scope} lies outside your scope {viewer.scope_id}; ask a coordinator of that area or an administrator "
            "above it",
            scope=viewer.scope_id,
            outside=[scope],
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pauses the cyclic garbage collector (process-wide) while a plan is built: decoding and scoring a
    city allocate millions of small objects, and the collector's repeated full passes over them cost
    ~3 s of a 10 s budget. Nothing of a plan forms reference cycles; reference counting still frees
    memory at once, and the collector runs again as soon as the plan is built."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def build_plan(
    ctx: Context,
    scope: str | None,
    need_ids: list[str] | None,
    *,
    statuses: tuple[str, ...] = gp.OPEN_STATUSES,
    kinds: tuple[CandidateKind, ...] = (CandidateKind.MEMBER, CandidateKind.UNIT),
    capacity_cap: int | None = None,
    preselect_members: int | None = PRESELECT_MEMBERS,
) -> dict[str, Any]:
    """Fetches the scope's open needs and their candidates, then plans (`matching.planning`), with the
    cyclic garbage collector paused; returns the plan's fields (not stored)."""
    with _gc_paused():
        started = time.perf_counter()
        needs = await gp.open_needs(ctx.graph, scope, need_ids, statuses)
        needs = [n for n in needs if n.profile.category_code]
        if need_ids is not None:
            missing = sorted(set(need_ids) - {n.profile.id for n in needs})
            if missing:
                raise BadUserInput(
                    f"{len(missing)} of needIds are not open needs of this scope: {', '.join(missing[:10])}",
                    field="needIds",
                )
        categories = sorted({n.profile.category_code for n in needs})
        communities = sorted({n.profile.place.community_id for n in needs if n.profile.place.community_id})
        fetched_needs = time.perf_counter()
        use_members = CandidateKind.MEMBER in kinds and bool(needs)
        use_offerings = CandidateKind.UNIT in kinds and bool(needs)

        async def nothing() -> Any:
            return None

        members, skill_refs, offerings, priors = await asyncio.gather(
            gp.plan_members(ctx.graph, communities) if use_members else nothing(),
            gp.skills(ctx.graph) if use_members else nothing(),
            gp.plan_offerings(ctx.graph, categories) if use_offerings else nothing(),
            gp.rating_priors(ctx.graph, communities) if use_members else nothing(),
        )
        fetched = time.perf_counter()
        fields = plan_from_pools(
            with_rating_priors([n.profile for n in needs], priors or {}),
            [n.created_at for n in needs],
            members or EMPTY_MEMBERS,
            skill_refs or {},
            offerings or [],
            ctx.now,
            capacity_cap=capacity_cap,
            preselect_members=preselect_members,
        )
        timings = fields["stats"]["timings"]
        timings["fetch_needs"] = round(fetched_needs - started, 4)
        timings["fetch_candidates"] = round(fetched - fetched_needs, 4)
        return {"scopeId": scope or CITY, **fields}


async def _build(ctx: Context, viewer: Viewer, form: ProposePlan) -> ProposePlan:
    """Reads only: the scope's plan, built before the transaction that stores it."""
    await _authorise_scope(ctx, form.scope)
    started = time.perf_counter()
    fields = await build_plan(ctx, form.scope, form.need_ids)
    fields["stats"]["timings"]["build"] = round(time.perf_counter() - started, 4)
    return form.model_copy(update={"fields": fields})


@mutation("proposeDispatchPlan", roles=PLACE_ROLES, form=ProposePlan, prepare=_build)
async def propose_dispatch_plan(tx: Tx, viewer: Viewer, form: ProposePlan, outbox: Outbox) -> Result:
    """Stores the plan built by `_build` as a PROPOSED DispatchPlan."""
    assert form.fields is not None
    return {"planId": await gp.store(tx, {**form.fields, "createdBy": viewer.subject})}


async def dispatch_plan(ctx: Context, plan_id: str) -> Any:
    """A stored plan, for the coordinators and admins of its scope."""
    require_role(ctx.viewer, *PLACE_ROLES)
    plan = await read.by_id(ctx, "DispatchPlan", node_id(plan_id, "DispatchPlan"))
    if plan is None:
        from graph.kernel.errors import NotFound

        raise NotFound(f"no dispatch plan with id {plan_id!r}", field="id")
    await _authorise_scope(ctx, None if plan.scope_id == CITY else plan.scope_id)
    return plan


# --- commit ------------------------------------------------------------------------------------


def _triage(
    pairs: list[dict[str, Any]], needs: dict[str, dict[str, Any]], handlers: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Which pairs still hold (need open, handler active with headroom) and which are skipped, and why."""
    used: dict[str, int] = defaultdict(int)
    ok: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for pair in pairs:
        need, handler = needs.get(pair["needId"]), handlers.get(pair["resourceId"])
        why = None
        if need is None:
            why = "the need no longer exists"
        elif need["status"] not in gp.OPEN_STATUSES:
            why = f"the need is now {need['status']}"
        elif handler is None:
            why = "the member or offering no longer exists"
        elif handler["status"] != AssignmentStatus.ACTIVE:
            why = "the offering was withdrawn"
        elif handler["openLoad"] + used[pair["resourceId"]] >= handler["limit"]:
            why = f"no headroom left ({handler['openLoad']} open of {handler['limit']})"
        if why:
            skipped.append({**pair, "why": why})
        else:
            used[pair["resourceId"]] += 1
            ok.append(pair)
    return ok, skipped


@mutation("commitDispatchPlan", roles=PLACE_ROLES, form=PlanRef)
async def commit_dispatch_plan(tx: Tx, viewer: Viewer, form: PlanRef, outbox: Outbox) -> Result:
    """Three statements whatever the plan's size: the plan under its lock, its needs and handlers under
    theirs, then every dispatch, audit Event and the plan's report in one write."""
    plan_id = form.plan_id
    plan = await gp.locked_plan(tx, plan_id)
    if plan["status"] != PlanStatus.PROPOSED:
        raise Conflict(f"plan {plan_id} is already {plan['status']}", status=plan["status"])
    pairs = plan["pairs"]
    needs, handlers = await gp.lock_pairs(tx, [p["needId"] for p in pairs], [p["resourceId"] for p in pairs])
    if viewer.role is not Role.CITY_ADMIN:
        outside = sorted(nid for nid, n in needs.items() if viewer.scope_id not in n["placeIds"])
        if outside:
            raise Forbidden(f"plan {plan_id} dispatches needs outside your scope {viewer.scope_id}")
    ok, skipped = _triage(pairs, needs, handlers)
    by_need: dict[str, list[str]] = defaultdict(list)
    for p in ok:
        by_need[p["needId"]].append(p["resourceId"])
    now = datetime.now(UTC)
    dispatched = {
        nid: (
            *deadlines_for(needs[nid]["categoryCode"] or "", needs[nid]["urgency"] or "NORMAL", now),
            event_params(
                actor_id=viewer.subject,
                role=viewer.role.value,
                from_state=needs[nid]["status"],
                to_state=NeedStatus.DISPATCHED,
                type=EventType.DISPATCH,
                note=f"plan {plan_id}: {', '.join(targets)}",
            ),
        )
        for nid, targets in by_need.items()
    }
    report = {
        "dispatched": [{"needId": p["needId"], "resourceId": p["resourceId"]} for p in ok],
        "skipped": [{"needId": p["needId"], "resourceId": p["resourceId"], "why": p["why"]} for p in skipped],
    }
    events = await gp.commit(tx, plan_id, ok, dispatched, report, viewer.subject, viewer.role.value)
    for event in events:
        need = needs[event["needId"]]
        outbox.add(Published.of_need(event, need["placeIds"], need["residentIds"], by_need[event["needId"]]))
    return {"planId": plan_id}
