"""Optimal batch dispatch (story 12), the pure part: from a scope's open needs and the candidates
fetched for them, the scored pairs, the min-cost-flow plan against greedy, and each chosen pair
explained.

- pairs: each need with every member of its community (双报到) holding a skill for its category, or,
  with `preselect_members`, only the k nearest of them; and with the PRESELECT_OFFERINGS nearest
  offerings serving its category and its place (IN_AREA);
- scores: `matching.bulk` (the exact scorer's factors and weights over arrays; ~1 µs a pair);
- arcs: the ARCS_PER_NEED best eligible pairs of each need, to `matching.dispatch.solve`.
Only the chosen pairs get candidates rebuilt and explained by `matching.scoring.score`; the largest
difference between its score and the bulk score is reported in the stats (`scoreDrift`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from matching import bulk
from matching.dispatch import solve
from matching.models import (
    CandidateKind,
    MemberCandidate,
    NeedProfile,
    OfferingCandidate,
    Place,
    PlanArc,
    PlanNeed,
    SkillRef,
    TrackRecord,
)
from matching.place import TIER_VALUE, Tier
from matching.scoring import score
from matching.weights import DISPATCH_SCALE

PRESELECT_MEMBERS: int | None = None  # members scored per need; None = all of its community's fitting members
PRESELECT_OFFERINGS = 4  # nearest offerings scored per need
ARCS_PER_NEED = 12  # best arcs per need given to the solver


@dataclass(frozen=True, slots=True)
class PlanMembers:
    """Columns of the members a plan may use, one entry per member (same index in every list)."""

    ids: list[str]
    communities: list[list[str]]  # the needs' communities the member is registered with
    lat: list[float | None]
    lon: list[float | None]
    availability: list[tuple[str, ...]]
    max_load: list[int]
    open_load: list[int]
    rating_sum: list[int]
    rating_count: list[int]
    completed: list[int]
    assigned: list[int]
    last_served: list[datetime | None]
    skills: list[list[str]]  # skill codes


EMPTY_MEMBERS = PlanMembers([], [], [], [], [], [], [], [], [], [], [], [], [])


def member_candidate(members: PlanMembers, i: int, place: Place, skill_refs: dict[str, SkillRef]) -> MemberCandidate:
    """The exact candidate of member `i` for a need of its community (its registration there is the
    best one: the need's community, street and district), for `matching.scoring`."""
    return MemberCandidate(
        id=members.ids[i],
        name="",
        place=Place(None, place.community_id, place.street_id, place.district_id, members.lat[i], members.lon[i]),
        skills=tuple(skill_refs[c] for c in members.skills[i] if c in skill_refs),
        availability=members.availability[i],
        max_load=members.max_load[i],
        open_load=members.open_load[i],
        record=TrackRecord(
            assigned_count=members.assigned[i],
            completed_count=members.completed[i],
            rating_sum=members.rating_sum[i],
            rating_count=members.rating_count[i],
            last_served_at=members.last_served[i],
        ),
    )


@dataclass(frozen=True, slots=True)
class PlanOffering:
    """An active offering with capacity left, its unit's point and registrations (as places)."""

    id: str
    title: str
    unit_id: str
    unit_name: str
    lat: float | None
    lon: float | None
    regs: tuple[Place, ...]
    serves: frozenset[str]
    capacity: int
    open_load: int
    availability: tuple[str, ...]
    status: str
    area_ids: frozenset[str]

    def candidate(self, need: Place) -> OfferingCandidate:
        """The exact candidate for `need` (its unit's registration closest to the need, as in
        `graph.needs.candidates.best_registration`), for `matching.scoring`."""
        reg = next(
            (
                r
                for wanted, key in (
                    (need.community_id, "community_id"),
                    (need.street_id, "street_id"),
                    (need.district_id, "district_id"),
                )
                for r in self.regs
                if wanted and getattr(r, key) == wanted
            ),
            self.regs[0] if self.regs else Place(),
        )
        return OfferingCandidate(
            id=self.id,
            title=self.title,
            unit_id=self.unit_id,
            unit_name=self.unit_name,
            place=Place(None, reg.community_id, reg.street_id, reg.district_id, self.lat, self.lon),
            serves=self.serves,
            capacity=self.capacity,
            open_load=self.open_load,
            availability=self.availability,
            status=self.status,
            area_ids=self.area_ids,
        )


def member_pairs(
    needs: Sequence[NeedProfile],
    table: bulk.NeedArrays,
    members: PlanMembers,
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
        if n.place.community_id in by_community:
            groups[(n.place.community_id, int(table.cat[i]))].append(i)
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


def offering_pairs(
    needs: Sequence[NeedProfile], table: bulk.NeedArrays, offerings: Sequence[PlanOffering]
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
        cat, place = n.category_code, n.place
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
        bulk.offering_tier(needs[i].place, offerings[j].regs, offerings[j].area_ids)
        for i, j in zip(ni.tolist(), oi.tolist(), strict=True)
    )
    scores, eligible = bulk.offering_scores(table, arrays, ni, oi, tiers)
    return ni, oi, scores, eligible


def with_rating_priors(needs: Sequence[NeedProfile], priors: dict[str, float]) -> list[NeedProfile]:
    """Each need with its community's rating prior, as matchCandidates reads it."""
    return [replace(n, rating_prior=priors.get(n.place.community_id or "")) for n in needs]


def build_plan(
    needs: Sequence[NeedProfile],
    created: Sequence[datetime | None],
    members: PlanMembers,
    skill_refs: dict[str, SkillRef],
    offerings: Sequence[PlanOffering],
    now: datetime,
    *,
    capacity_cap: int | None = None,
    preselect_members: int | None = PRESELECT_MEMBERS,
) -> dict[str, Any]:
    """The plan's fields (pairs, objectives, counts, stats) for `needs` (created at `created`), from the
    members and offerings fetched for them. `capacity_cap` limits every handler's headroom and
    `preselect_members` each need's members to its k nearest (benchmarks model scarce supply so)."""
    categories = sorted({n.category_code for n in needs})
    timings: dict[str, float] = {}
    t2 = time.perf_counter()
    table = bulk.need_arrays(list(needs), categories)
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
    m_need, m_res, m_score, m_ok = member_pairs(needs, table, members, arrays, preselect_members)
    o_need, o_res, o_score, o_ok = offering_pairs(needs, table, offerings)
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
    need_ids_list = [n.id for n in needs]
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
    plan_needs = [PlanNeed(n.id, n.people_needed, n.urgency, at) for n, at in zip(needs, created, strict=True)]
    plan = solve(plan_needs, arcs, capacities)
    timings["solve"] = time.perf_counter() - t3

    t4 = time.perf_counter()
    by_id = {n.id: n for n in needs}
    member_index = {mid: i for i, mid in enumerate(members.ids)}
    offering_index = {o.id: o for o in offerings}
    pairs = []
    drift = 0.0
    for p in plan.pairs:
        profile = by_id[p.need_id]
        if p.resource_id in member_index:
            kind = CandidateKind.MEMBER
            cand: Any = member_candidate(members, member_index[p.resource_id], profile.place, skill_refs)
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
