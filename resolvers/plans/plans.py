"""Optimal batch dispatch (story 12): propose a plan for a scope's open needs, then commit it.

Proposal: four statements fetch the needs, the members registered with their communities, the skills
and the offerings serving their categories (graph/plans.py); then, all in numpy:
- pairs: each need with every member of its community (双报到) holding a skill for its category, or,
  with `preselect_members`, only the k nearest of them; and with the PRESELECT_OFFERINGS nearest
  offerings serving its category and its place (IN_AREA);
- scores: `matching.bulk` (the exact scorer's factors and weights over arrays; ~1 µs a pair);
- arcs: the ARCS_PER_NEED best eligible pairs of each need, to `matching.dispatch.solve` (min-cost
  flow, plus the greedy baseline on the same input).
Only the chosen pairs get candidates rebuilt and explained by `matching.scoring.score`; the largest
difference between its score and the bulk score is reported in the stats (`scoreDrift`).

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
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden
from graph.kernel.ids import label_of
from graph.needs.candidates import NeedFacts
from graph.plans import pools as gp
from matching import bulk
from matching.dispatch import solve
from matching.models import CandidateKind, Place, PlanArc, PlanNeed
from matching.place import TIER_VALUE, Tier
from matching.scoring import score
from matching.weights import DISPATCH_SCALE
from resolvers.kernel.authz import require_role, require_scope
from resolvers.kernel.context import Context
from resolvers.kernel.mutations import run_mutation
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs.deadlines import deadlines_for
from resolvers.needs.guards import Outbox

PRESELECT_MEMBERS: int | None = None  # members scored per need; None = all of its community's fitting members
PRESELECT_OFFERINGS = 4  # nearest offerings scored per need
ARCS_PER_NEED = 12  # best arcs per need given to the solver
MAX_NEED_IDS = 20_000
CITY = "city"
SCOPE_LABELS = ("District", "Street", "Community")


# --- proposal ----------------------------------------------------------------------------------


def _check_scope_id(scope_id: str) -> str | None:
    if scope_id in (CITY, "", None):
        return None
    label_of(scope_id, expected=SCOPE_LABELS, field="scopeId")
    return scope_id


async def _authorise_scope(ctx: Context, viewer: Viewer, scope: str | None) -> None:
    if scope is None:
        if viewer.role is not Role.CITY_ADMIN:
            raise Forbidden("a city-wide plan is for CITY_ADMIN; give a district, street or community in your scope")
        return
    await require_scope(ctx.graph, viewer, scope)


def _member_pairs(
    needs: list[NeedFacts],
    table: bulk.NeedArrays,
    members: gp.PlanMembers,
    arrays: bulk.MemberArrays,
    preselect: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(need, member, score, eligible) for each need and its community's members with a fitting skill
    (or the `preselect` nearest of them)."""
    by_community: dict[str, list[int]] = defaultdict(list)
    for m, communities in enumerate(members.communities):
        for c in communities:
            by_community[c].append(m)
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i, n in enumerate(needs):
        if n.profile.place.community_id in by_community:
            groups[(n.profile.place.community_id, int(table.cat[i]))].append(i)
    pools = {c: np.array(ms, dtype=np.int64) for c, ms in by_community.items()}
    need_parts, member_parts = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for (community, k), group in groups.items():
        pool = pools[community]
        pool = pool[arrays.fit[pool, k] > 0]
        if len(pool):
            need_parts.append(np.repeat(np.array(group, dtype=np.int64), len(pool)))
            member_parts.append(np.tile(pool, len(group)))
    ni, mi = np.concatenate(need_parts), np.concatenate(member_parts)
    if preselect is not None:
        km = bulk.distance_km(table.lat[ni], table.lon[ni], arrays.lat[mi], arrays.lon[mi])
        keep = bulk.top_per_group(ni, -np.nan_to_num(km, nan=1e6), preselect, tie=mi)
        ni, mi = ni[keep], mi[keep]
    # every pair is a member registered with the need's own community: community tier
    scores, eligible = bulk.member_scores(table, arrays, ni, mi, TIER_VALUE[Tier.COMMUNITY])
    return ni, mi, scores, eligible


def _offering_pairs(
    needs: list[NeedFacts], table: bulk.NeedArrays, offerings: list[gp.PlanOffering]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(need, offering, score, eligible) for each need and its PRESELECT_OFFERINGS nearest offerings
    serving its category and its place."""
    free: dict[str, list[int]] = defaultdict(list)  # category → offerings serving anywhere
    by_area: dict[tuple[str, str], list[int]] = defaultdict(list)  # (category, area) → offerings
    for j, o in enumerate(offerings):
        for cat in o.serves:
            if not o.area_ids:
                free[cat].append(j)
            for area in o.area_ids:
                by_area[(cat, area)].append(j)
    need_list: list[int] = []
    off_list: list[int] = []
    for i, n in enumerate(needs):
        cat, place = n.profile.category_code, n.profile.place
        cols = set(free.get(cat, ()))
        for pid in (place.compound_id, place.community_id, place.street_id, place.district_id):
            if pid:
                cols.update(by_area.get((cat, pid), ()))
        need_list += [i] * len(cols)
        off_list += sorted(cols)
    ni, oi = np.array(need_list, dtype=np.int64), np.array(off_list, dtype=np.int64)
    arrays = bulk.offering_arrays([o.candidate(Place()) for o in offerings])
    km = bulk.distance_km(table.lat[ni], table.lon[ni], arrays.lat[oi], arrays.lon[oi])
    keep = bulk.top_per_group(ni, -np.nan_to_num(km, nan=1e6), PRESELECT_OFFERINGS, tie=oi)
    ni, oi = ni[keep], oi[keep]
    tiers = bulk.tier_values(
        bulk.offering_tier(needs[i].profile.place, offerings[j].regs, offerings[j].area_ids)
        for i, j in zip(ni.tolist(), oi.tolist(), strict=True)
    )
    scores, eligible = bulk.offering_scores(table, arrays, ni, oi, tiers)
    return ni, oi, scores, eligible


def with_rating_priors(needs: list[NeedFacts], priors: dict[str, float]) -> list[NeedFacts]:
    """Each need's profile with its community's rating prior, as matchCandidates reads it."""
    return [
        replace(n, profile=replace(n.profile, rating_prior=priors.get(n.profile.place.community_id or "")))
        for n in needs
    ]


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
    **options: Any,
) -> dict[str, Any]:
    """Fetches, scores and solves (`_build_plan`) with the cyclic garbage collector paused."""
    with _gc_paused():
        return await _build_plan(ctx, scope, need_ids, **options)


async def _build_plan(
    ctx: Context,
    scope: str | None,
    need_ids: list[str] | None,
    *,
    statuses: tuple[str, ...] = gp.OPEN_STATUSES,
    kinds: tuple[CandidateKind, ...] = (CandidateKind.MEMBER, CandidateKind.UNIT),
    capacity_cap: int | None = None,
    preselect_members: int | None = PRESELECT_MEMBERS,
) -> dict[str, Any]:
    """Fetches, scores and solves; returns the plan's fields (not stored). `capacity_cap` limits every
    handler's headroom and `preselect_members` each need's members to its k nearest (benchmarks use
    them to model scarce supply without touching the data)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
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
    timings["fetch_needs"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    use_members = CandidateKind.MEMBER in kinds and bool(needs)
    use_offerings = CandidateKind.UNIT in kinds and bool(needs)
    empty_members = gp.PlanMembers([], [], [], [], [], [], [], [], [], [], [], [], [])

    async def nothing() -> Any:
        return None

    members, skill_refs, offerings, priors = await asyncio.gather(
        gp.plan_members(ctx.graph, communities) if use_members else nothing(),
        gp.skills(ctx.graph) if use_members else nothing(),
        gp.plan_offerings(ctx.graph, categories) if use_offerings else nothing(),
        gp.rating_priors(ctx.graph, communities) if use_members else nothing(),
    )
    needs = with_rating_priors(needs, priors or {})
    members = members or empty_members
    skill_refs = skill_refs or {}
    offerings = offerings or []
    timings["fetch_candidates"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    now = datetime.now(UTC)
    table = bulk.need_arrays([n.profile for n in needs], categories)
    arrays = bulk.member_arrays(
        lat=members.lat,
        lon=members.lon,
        availability=members.availability,
        max_load=members.max_load,
        open_load=members.open_load,
        rating_sum=members.rating_sum,
        rating_count=members.rating_count,
        completed=members.completed,
        assigned=members.assigned,
        last_served=members.last_served,
        skills=members.skills,
        skill_serves={c: s.serves for c, s in skill_refs.items()},
        categories=categories,
        now=now,
    )
    m_need, m_res, m_score, m_ok = _member_pairs(needs, table, members, arrays, preselect_members)
    o_need, o_res, o_score, o_ok = _offering_pairs(needs, table, offerings)
    n_members = len(members.ids)
    resource_ids = members.ids + [o.id for o in offerings]
    need_idx = np.concatenate([m_need, o_need])
    res_idx = np.concatenate([m_res, o_res + n_members])
    scores = np.concatenate([m_score, o_score])
    ok = np.concatenate([m_ok, o_ok]) & (np.rint(scores * DISPATCH_SCALE) > 0)
    need_idx, res_idx, scores = need_idx[ok], res_idx[ok], scores[ok]
    id_rank = np.empty(len(resource_ids), dtype=np.int64)  # ties go to the smaller id, as in arcs_for
    id_rank[np.argsort(np.array(resource_ids, dtype=str), kind="stable")] = np.arange(len(resource_ids))
    keep = bulk.top_per_group(need_idx, scores, ARCS_PER_NEED, tie=id_rank[res_idx])
    need_idx, res_idx, scores = need_idx[keep], res_idx[keep], scores[keep]
    need_ids_list = [n.profile.id for n in needs]
    arcs = [
        PlanArc(need_ids_list[i], resource_ids[r], s)
        for i, r, s in zip(need_idx.tolist(), res_idx.tolist(), scores.tolist(), strict=True)
    ]
    limits = np.array(members.max_load + [o.capacity for o in offerings], dtype=np.int64)
    loads = np.array(members.open_load + [o.open_load for o in offerings], dtype=np.int64)
    room = np.maximum(0, limits - loads)
    if capacity_cap is not None:
        room = np.minimum(room, capacity_cap)
    used = np.unique(res_idx)
    capacities = dict(zip([resource_ids[r] for r in used.tolist()], room[used].tolist(), strict=True))
    timings["score"] = time.perf_counter() - t2

    t3 = time.perf_counter()
    plan_needs = [PlanNeed(n.profile.id, n.profile.people_needed, n.profile.urgency, n.created_at) for n in needs]
    plan = solve(plan_needs, arcs, capacities)
    timings["solve"] = time.perf_counter() - t3

    t4 = time.perf_counter()
    by_id = {n.profile.id: n for n in needs}
    member_index = {mid: i for i, mid in enumerate(members.ids)}
    offering_index = {o.id: o for o in offerings}
    pairs = []
    drift = 0.0
    for p in plan.pairs:
        profile = by_id[p.need_id].profile
        if p.resource_id in member_index:
            kind = CandidateKind.MEMBER
            cand: Any = gp.member_candidate(members, member_index[p.resource_id], profile.place, skill_refs)
        else:
            kind, cand = CandidateKind.UNIT, offering_index[p.resource_id].candidate(profile.place)
        exact = score(kind, profile, cand, now)
        drift = max(drift, abs(exact.score - p.score))
        pairs.append(
            {
                "needId": p.need_id,
                "resourceId": p.resource_id,
                "kind": kind.value,
                "score": round(p.score, 4),
                "reason": exact.reason,
            }
        )
    timings["explain"] = time.perf_counter() - t4
    return {
        "scopeId": scope or CITY,
        "pairs": pairs,
        "objective": plan.objective,
        "greedyObjective": plan.greedy_objective,
        "needsConsidered": len(needs),
        "needsServed": plan.needs_served,
        "greedyNeedsServed": plan.greedy_needs_served,
        "membersUsed": len({p.resource_id for p in plan.pairs if p.resource_id.startswith("member:")}),
        "resourcesUsed": plan.resources_used,
        "stats": {
            "timings": {k: round(v, 4) for k, v in timings.items()},
            "arcs": len(arcs),
            "pairsScored": int(len(m_score) + len(o_score)),
            "membersScored": len(np.unique(m_res)),
            "greedyPairs": len(plan.greedy_pairs),
            "scoreDrift": drift,
        },
    }


async def propose_dispatch_plan(
    ctx: Context, scope_id: str, need_ids: list[str] | None, key: str | None = None, **options: Any
) -> dict[str, Any]:
    """Builds the plan (reads only), then stores it as a PROPOSED DispatchPlan; returns the stored plan."""
    viewer = require_role(ctx.viewer, *PLACE_ROLES)
    scope = _check_scope_id(str(scope_id))
    if need_ids is not None:
        need_ids = list(dict.fromkeys(str(n) for n in need_ids))
        if not need_ids or len(need_ids) > MAX_NEED_IDS:
            raise BadUserInput(f"needIds must name 1 to {MAX_NEED_IDS} needs (or be left out)", field="needIds")
        for nid in need_ids:
            label_of(nid, expected=("Need",), field="needIds")
    await _authorise_scope(ctx, viewer, scope)
    started = time.perf_counter()
    fields = await build_plan(ctx, scope, need_ids, **options)
    fields["stats"]["timings"]["build"] = round(time.perf_counter() - started, 4)

    async def work(tx: Tx, viewer: Viewer) -> dict[str, Any]:
        return {"planId": await gp.store(tx, {**fields, "createdBy": viewer.subject})}

    result = await run_mutation(ctx, "proposeDispatchPlan", key, work)
    plan = await gp.get(ctx.graph, result["planId"])
    plan["stats"].setdefault("timings", {})["total"] = round(time.perf_counter() - started, 4)
    plan["replayed"] = bool(result.get("replayed"))
    return plan


async def dispatch_plan(ctx: Context, plan_id: str) -> dict[str, Any]:
    viewer = require_role(ctx.viewer, *PLACE_ROLES)
    plan = await gp.get(ctx.graph, plan_id)
    await _authorise_scope(ctx, viewer, _check_scope_id(plan["scopeId"]))
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
        elif handler["status"] != "ACTIVE":
            why = "the offering was withdrawn"
        elif handler["openLoad"] + used[pair["resourceId"]] >= handler["limit"]:
            why = f"no headroom left ({handler['openLoad']} open of {handler['limit']})"
        if why:
            skipped.append({**pair, "why": why})
        else:
            used[pair["resourceId"]] += 1
            ok.append(pair)
    return ok, skipped


async def commit_dispatch_plan(ctx: Context, plan_id: str, key: str | None) -> dict[str, Any]:
    require_role(ctx.viewer, *PLACE_ROLES)
    label_of(plan_id, expected=("DispatchPlan",), field="planId")
    outbox = Outbox()

    async def work(tx: Tx, viewer: Viewer) -> dict[str, Any]:
        outbox.clear()
        plan = await gp.locked_plan(tx, plan_id)
        if plan["status"] != "PROPOSED":
            raise Conflict(f"plan {plan_id} is already {plan['status']}", status=plan["status"])
        pairs = plan["pairs"]
        needs = await gp.lock_needs(tx, [p["needId"] for p in pairs])
        if viewer.role is not Role.CITY_ADMIN:
            outside = sorted(nid for nid, n in needs.items() if viewer.scope_id not in n["placeIds"])
            if outside:
                raise Forbidden(f"plan {plan_id} dispatches needs outside your scope {viewer.scope_id}")
        handlers = await gp.lock_handlers(tx, [p["resourceId"] for p in pairs])
        ok, skipped = _triage(pairs, needs, handlers)
        now = datetime.now(UTC)
        deadlines = {
            nid: deadlines_for(needs[nid]["categoryCode"] or "", needs[nid]["urgency"] or "NORMAL", now)
            for nid in dict.fromkeys(p["needId"] for p in ok)
        }
        if ok:
            await gp.dispatch_pairs(tx, plan_id, ok, deadlines, viewer.subject, viewer.role.value)
        by_need: dict[str, list[str]] = defaultdict(list)
        for p in ok:
            by_need[p["needId"]].append(p["resourceId"])
        for nid, targets in by_need.items():
            await outbox.record(
                tx,
                needs[nid],
                viewer,
                type="DISPATCH",
                to_state="DISPATCHED",
                note=f"plan {plan_id}: {', '.join(targets)}",
                audience=set(targets),
            )
        report = {
            "dispatched": [{"needId": p["needId"], "resourceId": p["resourceId"]} for p in ok],
            "skipped": [{"needId": p["needId"], "resourceId": p["resourceId"], "why": p["why"]} for p in skipped],
        }
        await gp.mark_committed(tx, plan_id, report, viewer.subject)
        return {"planId": plan_id}

    result = await run_mutation(ctx, "commitDispatchPlan", key, work)
    outbox.publish(result)
    return result
