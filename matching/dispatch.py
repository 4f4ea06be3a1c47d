"""Batch dispatch: the best assignment of many open needs at once, and the greedy baseline it beats.

Objective (both plans are valued by this one function, in integer units of 1/DISPATCH_SCALE):

    Σ score(need, resource) over chosen pairs  −  fairness_step × Σ_resources n_r (n_r − 1) / 2

where n_r is how many needs resource r takes in the plan: its first assignment is free, the k-th
extra one costs ``fairness_step × k``. That cost is convex, so spreading work is preferred unless a
second assignment of the same person is clearly better. Constraints: a need gets at most
``people_needed`` distinct resources, a resource at most its capacity (headroom), only given arcs.

Min-cost flow network (OR-Tools ``SimpleMinCostFlow``, integer costs):
    need (supply = people_needed) → resource   capacity 1, cost −score      (one person once per need)
    need → sink                                capacity people_needed, cost 0 (bypass: partial service)
    resource → sink, parallel arcs j = 0 … c−1  capacity 1, cost step × j   (convex fairness)
    sink (supply = −Σ people_needed)
Because the parallel arcs' costs increase, a min-cost flow fills them in order, so the cost of a
resource used n times is exactly step × n(n−1)/2, and the minimum cost is minus the maximum objective.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

from matching.models import URGENCY_RANK, Plan, PlanArc, PlanNeed, PlanPair
from matching.weights import DEFAULT_FAIRNESS_STEP, DISPATCH_SCALE


class DispatchError(ValueError):
    """Bad input to dispatch (unknown ids, scores out of range, people_needed < 1)."""


def to_units(value: float) -> int:
    """A score or fairness step in integer objective units."""
    return round(value * DISPATCH_SCALE)


def objective_units(pairs: Iterable[PlanPair | PlanArc], fairness_step: float = DEFAULT_FAIRNESS_STEP) -> int:
    """The objective of any assignment, in integer units (exact, for comparisons)."""
    step = to_units(fairness_step)
    total = 0
    uses: dict[str, int] = defaultdict(int)
    for p in pairs:
        total += to_units(p.score)
        uses[p.resource_id] += 1
    return total - step * sum(n * (n - 1) // 2 for n in uses.values())


def objective(pairs: Iterable[PlanPair | PlanArc], fairness_step: float = DEFAULT_FAIRNESS_STEP) -> float:
    """The objective of any assignment (e.g. the coordinators' own), comparable with ``Plan.objective``."""
    return objective_units(pairs, fairness_step) / DISPATCH_SCALE


class _Problem:
    """Input checked, deduplicated (best score per pair) and indexed once for both solvers."""

    def __init__(
        self,
        needs: Sequence[PlanNeed],
        arcs: Iterable[PlanArc],
        capacities: Mapping[str, int],
        fairness_step: float,
    ) -> None:
        if fairness_step < 0:
            raise DispatchError("fairness_step must be ≥ 0")
        self.needs = list(needs)
        self.need_index: dict[str, int] = {}
        for i, need in enumerate(self.needs):
            if need.people_needed < 1:
                raise DispatchError(f"{need.id}: people_needed must be ≥ 1")
            if self.need_index.setdefault(need.id, i) != i:
                raise DispatchError(f"{need.id}: listed twice")
        self.step = to_units(fairness_step)
        best: dict[tuple[int, str], PlanArc] = {}
        for arc in arcs:
            i = self.need_index.get(arc.need_id)
            if i is None:
                raise DispatchError(f"arc to unknown need {arc.need_id}")
            if not 0.0 <= arc.score <= 1.0:
                raise DispatchError(f"arc {arc.need_id}→{arc.resource_id}: score {arc.score} outside 0–1")
            if arc.resource_id not in capacities:
                raise DispatchError(f"no capacity given for resource {arc.resource_id}")
            if capacities[arc.resource_id] <= 0 or to_units(arc.score) <= 0:
                continue  # can never be chosen with a positive gain
            key = (i, arc.resource_id)
            old = best.get(key)
            if old is None or arc.score > old.score:
                best[key] = arc
        self.arcs = list(best.values())
        self.capacities = capacities


def solve(
    needs: Sequence[PlanNeed],
    arcs: Iterable[PlanArc],
    capacities: Mapping[str, int],
    fairness_step: float = DEFAULT_FAIRNESS_STEP,
) -> Plan:
    """The optimal plan (min-cost flow) and the greedy baseline on the same input.

    ``arcs``: eligible (need, resource, score 0–1) pairs; duplicates keep the best score.
    ``capacities``: resource id → assignments it can still take (member maxLoad − openLoad, offering
    capacity − openLoad); every arc's resource must be present. Raises DispatchError on bad input.
    """
    problem = _Problem(needs, arcs, capacities, fairness_step)
    pairs = _optimal_pairs(problem)
    baseline = _greedy_pairs(problem)
    return Plan(
        pairs=tuple(pairs),
        objective=objective_units(pairs, fairness_step) / DISPATCH_SCALE,
        greedy_objective=objective_units(baseline, fairness_step) / DISPATCH_SCALE,
        needs_served=len({p.need_id for p in pairs}),
        resources_used=len({p.resource_id for p in pairs}),
        greedy_pairs=tuple(baseline),
        greedy_needs_served=len({p.need_id for p in baseline}),
    )


def greedy(
    needs: Sequence[PlanNeed],
    arcs: Iterable[PlanArc],
    capacities: Mapping[str, int],
    fairness_step: float = DEFAULT_FAIRNESS_STEP,
) -> list[PlanPair]:
    """First-come baseline alone: needs by urgency then created_at (stable), each taking its best
    candidates with capacity left, by score minus the fairness cost they would add, if positive."""
    return _greedy_pairs(_Problem(needs, arcs, capacities, fairness_step))


def _optimal_pairs(problem: _Problem) -> list[PlanPair]:
    arcs = problem.arcs
    if not arcs:
        return []
    n_needs = len(problem.needs)
    resource_ids = sorted({a.resource_id for a in arcs})
    resource_index = {r: n_needs + k for k, r in enumerate(resource_ids)}
    sink = n_needs + len(resource_ids)

    # need → resource: capacity 1, cost −score
    tails = np.fromiter((problem.need_index[a.need_id] for a in arcs), dtype=np.int32, count=len(arcs))
    heads = np.fromiter((resource_index[a.resource_id] for a in arcs), dtype=np.int32, count=len(arcs))
    costs = -np.fromiter((to_units(a.score) for a in arcs), dtype=np.int64, count=len(arcs))

    # resource → sink: min(capacity, in-degree) parallel unit arcs, the j-th costing step × j;
    # without a fairness step one arc carries it all.
    degree = np.bincount(heads - n_needs, minlength=len(resource_ids))
    caps = np.fromiter((problem.capacities[r] for r in resource_ids), dtype=np.int64, count=len(resource_ids))
    usable = np.minimum(degree, caps)
    nodes = np.arange(n_needs, sink, dtype=np.int32)
    if problem.step == 0:
        res_tails, sink_caps = nodes, usable
        sink_costs = np.zeros(len(nodes), dtype=np.int64)
    else:
        res_tails = np.repeat(nodes, usable)
        sink_caps = np.ones(len(res_tails), dtype=np.int64)
        sink_costs = (np.arange(len(res_tails), dtype=np.int64) - np.repeat(np.cumsum(usable) - usable, usable)) * (
            problem.step
        )

    people = np.fromiter((n.people_needed for n in problem.needs), dtype=np.int64, count=n_needs)
    flow = SimpleMinCostFlow()
    pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, np.ones(len(arcs), dtype=np.int64), costs)
    flow.add_arcs_with_capacity_and_unit_cost(res_tails, np.full(len(res_tails), sink, np.int32), sink_caps, sink_costs)
    flow.add_arcs_with_capacity_and_unit_cost(
        np.arange(n_needs, dtype=np.int32), np.full(n_needs, sink, dtype=np.int32), people, np.zeros(n_needs, np.int64)
    )
    supplies = np.concatenate([people, np.zeros(len(resource_ids), np.int64), [-people.sum()]])
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:  # cannot happen: the bypass arcs make every instance feasible
        raise RuntimeError(f"min-cost flow failed with status {status}")
    chosen = np.nonzero(flow.flows(pair_arcs))[0]
    order = {need.id: i for i, need in enumerate(problem.needs)}
    pairs = [PlanPair(arcs[k].need_id, arcs[k].resource_id, arcs[k].score) for k in chosen.tolist()]
    pairs.sort(key=lambda p: (order[p.need_id], -p.score, p.resource_id))
    return pairs


def greedy_order(needs: Sequence[PlanNeed]) -> list[PlanNeed]:
    """Urgent first, then oldest first (needs without created_at last); input order breaks ties."""

    def key(need: PlanNeed) -> tuple[int, float]:
        created = need.created_at.timestamp() if need.created_at is not None else float("inf")
        return URGENCY_RANK.get(need.urgency, URGENCY_RANK["NORMAL"]), created

    return sorted(needs, key=key)


def _greedy_pairs(problem: _Problem) -> list[PlanPair]:
    by_need: dict[str, list[PlanArc]] = defaultdict(list)
    for arc in problem.arcs:
        by_need[arc.need_id].append(arc)
    used: dict[str, int] = defaultdict(int)
    pairs: list[PlanPair] = []
    for need in greedy_order(problem.needs):
        options = by_need.get(need.id)
        if not options:
            continue
        options.sort(key=lambda a: (-(to_units(a.score) - problem.step * used[a.resource_id]), a.resource_id))
        taken = 0
        for arc in options:
            if taken == need.people_needed:
                break
            n = used[arc.resource_id]
            if n >= problem.capacities[arc.resource_id] or to_units(arc.score) - problem.step * n <= 0:
                continue
            used[arc.resource_id] = n + 1
            pairs.append(PlanPair(arc.need_id, arc.resource_id, arc.score))
            taken += 1
    return pairs
