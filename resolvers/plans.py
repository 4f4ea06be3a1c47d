"""Optimal batch dispatch (story 12): propose a plan for a scope's open needs, then commit it.

Proposal: fetch needs and candidate pools with a handful of statements (graph/plans.py), preselect
per need the PRESELECT nearest members registered with its community (双报到) and the nearest
offerings serving it, score those with `matching.scoring.arcs_for`, keep the top ARCS_PER_NEED, and
solve with `matching.dispatch.solve` (min-cost flow, plus the greedy baseline on the same input).
Why preselect: scoring costs ~30 µs a pair in Python; 15,000 needs × a whole community's fitting
members would take half a minute, while the best few candidates are nearly always among the nearest.

Commit: under locks on the plan, its needs and its members/offerings (taken in id order), each pair
whose need is still open and whose handler still has headroom becomes an INVITED assignment (the
need DISPATCHED, deadlines from the policy); the others are skipped and reported.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from graph import plans as gp
from graph.candidates import NeedFacts, member_from_row, offering_from_row
from graph.db import Tx
from graph.errors import BadUserInput, Conflict, Forbidden
from graph.ids import label_of
from matching.dispatch import solve
from matching.eligibility import serves_area
from matching.models import CandidateKind, PlanArc, PlanNeed
from matching.scoring import arcs_for, score
from resolvers.authz import require_role, require_scope
from resolvers.context import Context
from resolvers.deadlines import deadlines_for
from resolvers.mutations import run_mutation
from resolvers.need_tx import Outbox
from resolvers.viewer import PLACE_ROLES, Role, Viewer

PRESELECT_MEMBERS = 12  # members scored per need (full records fetched for these only)
PRESELECT_OFFERINGS = 4  # offerings scored per need
ARCS_PER_NEED = 12  # best arcs per need given to the solver
MAX_NEED_IDS = 20_000
CITY = "city"
SCOPE_LABELS = ("District", "Street", "Community")


# --- proposal ----------------------------------------------------------------------------------


def _coords(rows: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    lat = np.array([r[0] if r is not None else np.nan for r in rows], dtype=float)
    lon = np.array([r[1] if r is not None else np.nan for r in rows], dtype=float)
    return lat, lon


def _nearest(need: NeedFacts, lat: np.ndarray, lon: np.ndarray, bonus: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best by (bonus, approximate distance): cheap, vectorised, order-preserving enough."""
    n = len(lat)
    if n <= k:
        return np.arange(n)
    p = need.profile.place
    if p.latitude is None or p.longitude is None:
        key = -bonus.astype(float)
    else:
        dx = (lon - p.longitude) * np.cos(np.radians(p.latitude))
        dy = lat - p.latitude
        dist = np.sqrt(dx * dx + dy * dy)
        key = np.where(np.isnan(dist), 1e3, dist) - bonus * 10.0  # a bonus outranks any distance in the city
    return np.argpartition(key, k)[:k]


class _Pool:
    """Candidates of one (street, category): ids, communities and points as arrays for preselection."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.communities: list[str] = []
        self.points: list[tuple[float, float] | None] = []

    def freeze(self) -> None:
        self.lat, self.lon = _coords(self.points)
        self.community_arr = np.array(self.communities, dtype=object)


def _member_pools(rows: list[dict[str, Any]]) -> dict[tuple[str, str], _Pool]:
    pools: dict[tuple[str, str], _Pool] = {}
    for row in rows:
        pool = pools[(row["community"], row["category"])] = _Pool()
        for member_id, loc in row["members"]:
            pool.ids.append(member_id)
            pool.communities.append(row["community"])
            pool.points.append((loc[1], loc[0]) if loc is not None else None)
        pool.freeze()
    return pools


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


async def build_plan(
    ctx: Context,
    scope: str | None,
    need_ids: list[str] | None,
    *,
    statuses: tuple[str, ...] = gp.OPEN_STATUSES,
    kinds: tuple[CandidateKind, ...] = (CandidateKind.MEMBER, CandidateKind.UNIT),
    capacity_cap: int | None = None,
    preselect_members: int = PRESELECT_MEMBERS,
) -> dict[str, Any]:
    """Fetches, scores and solves; returns the plan's fields (not stored). `capacity_cap` limits every
    handler's headroom (benchmarks use it to model scarce supply without touching the data)."""
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
    groups = sorted(
        {(n.profile.place.community_id, n.profile.category_code) for n in needs if n.profile.place.community_id}
    )
    categories = sorted({n.profile.category_code for n in needs})
    timings["fetch_needs"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    chosen: dict[str, list[str]] = {}
    member_rows: dict[str, dict[str, Any]] = {}
    if CandidateKind.MEMBER in kinds and needs:
        pools = _member_pools(await gp.member_pool(ctx.graph, groups))
        for need in needs:
            pool = pools.get((need.profile.place.community_id or "", need.profile.category_code))
            if pool is None:
                continue
            bonus = (pool.community_arr == need.profile.place.community_id).astype(float)
            idx = _nearest(need, pool.lat, pool.lon, bonus, preselect_members)
            chosen[need.profile.id] = [pool.ids[i] for i in idx]
        wanted = sorted({mid for ids in chosen.values() for mid in ids})
        member_rows = {row["member"]["id"]: row for row in await gp.member_rows(ctx.graph, wanted)}
    offerings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if CandidateKind.UNIT in kinds and needs:
        for row in await gp.offering_rows(ctx.graph, categories):
            for cat in row["serves"]:
                offerings[cat].append(row)
    timings["fetch_candidates"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    now = datetime.now(UTC)
    arcs: list[PlanArc] = []
    capacities: dict[str, int] = {}
    candidates: dict[tuple[str, str], tuple[CandidateKind, Any]] = {}
    members_seen: set[str] = set()
    for need in needs:
        profile = need.profile
        scored: list[PlanArc] = []
        cands = [
            member_from_row(profile.place, member_rows[mid]) for mid in chosen.get(profile.id, ()) if mid in member_rows
        ]
        scored += arcs_for(CandidateKind.MEMBER, profile, cands, now, top_k=ARCS_PER_NEED)
        for c in cands:
            candidates[(profile.id, c.id)] = (CandidateKind.MEMBER, c)
            capacities.setdefault(c.id, max(0, c.max_load - c.open_load))
        members_seen.update(c.id for c in cands)
        pool = [r for r in offerings.get(profile.category_code, ()) if serves_area(profile, frozenset(r["areaIds"]))]
        if pool:
            lat, lon = _coords(
                [
                    (r["unit"]["location"][1], r["unit"]["location"][0]) if r["unit"].get("location") else None
                    for r in pool
                ]
            )
            idx = _nearest(need, lat, lon, np.zeros(len(pool)), PRESELECT_OFFERINGS)
            offs = [offering_from_row(profile.place, pool[i]) for i in idx]
            scored += arcs_for(CandidateKind.UNIT, profile, offs, now, top_k=ARCS_PER_NEED)
            for o in offs:
                candidates[(profile.id, o.id)] = (CandidateKind.UNIT, o)
                capacities.setdefault(o.id, max(0, o.capacity - o.open_load))
        scored.sort(key=lambda a: -a.score)
        arcs += scored[:ARCS_PER_NEED]
    if capacity_cap is not None:
        capacities = {rid: min(c, capacity_cap) for rid, c in capacities.items()}
    timings["score"] = time.perf_counter() - t2

    t3 = time.perf_counter()
    plan_needs = [PlanNeed(n.profile.id, n.profile.people_needed, n.profile.urgency, n.created_at) for n in needs]
    plan = solve(plan_needs, arcs, capacities)
    timings["solve"] = time.perf_counter() - t3

    t4 = time.perf_counter()
    by_id = {n.profile.id: n for n in needs}
    pairs = []
    for p in plan.pairs:
        kind, c = candidates[(p.need_id, p.resource_id)]
        reason = score(kind, by_id[p.need_id].profile, c, now).reason
        pairs.append(
            {
                "needId": p.need_id,
                "resourceId": p.resource_id,
                "kind": kind.value,
                "score": round(p.score, 4),
                "reason": reason,
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
            "membersScored": len(members_seen),
            "greedyPairs": len(plan.greedy_pairs),
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
