"""Batch dispatch: hand-made cases, and hypothesis properties checked against brute force. No Neo4j."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.dispatch import DispatchError, greedy, greedy_order, objective, objective_units, solve
from matching.models import Plan, PlanArc, PlanNeed, PlanPair


def test_scarce_supply_makes_the_optimum_strictly_better_than_greedy() -> None:
    # Need A comes first and grabs R1, the only resource B could use; the optimum gives A R2 instead.
    needs = [PlanNeed("need:A"), PlanNeed("need:B")]
    arcs = [
        PlanArc("need:A", "member:1", 0.9),
        PlanArc("need:A", "member:2", 0.8),
        PlanArc("need:B", "member:1", 0.85),
    ]
    plan = solve(needs, arcs, {"member:1": 1, "member:2": 1}, fairness_step=0.05)
    assert {(p.need_id, p.resource_id) for p in plan.pairs} == {("need:A", "member:2"), ("need:B", "member:1")}
    assert plan.objective == pytest.approx(1.65)
    assert plan.greedy_objective == pytest.approx(0.9)
    assert plan.objective > plan.greedy_objective
    assert (plan.needs_served, plan.resources_used, plan.greedy_needs_served) == (2, 2, 1)


def test_fairness_spreads_work_when_the_gap_is_small() -> None:
    needs = [PlanNeed("need:1"), PlanNeed("need:2")]
    arcs = [
        PlanArc("need:1", "member:star", 0.90),
        PlanArc("need:2", "member:star", 0.90),
        PlanArc("need:1", "member:other", 0.88),
        PlanArc("need:2", "member:other", 0.88),
    ]
    caps = {"member:star": 2, "member:other": 2}
    spread = solve(needs, arcs, caps, fairness_step=0.05)
    assert spread.resources_used == 2
    assert spread.objective == pytest.approx(1.78)
    concentrated = solve(needs, arcs, caps, fairness_step=0.0)
    assert concentrated.objective == pytest.approx(1.80)


def test_multi_person_need_gets_distinct_resources_and_partial_service_is_allowed() -> None:
    needs = [PlanNeed("need:meals", people_needed=3)]
    arcs = [PlanArc("need:meals", "member:1", 0.7), PlanArc("need:meals", "member:2", 0.6)]
    plan = solve(needs, arcs, {"member:1": 5, "member:2": 5})
    assert sorted(p.resource_id for p in plan.pairs) == ["member:1", "member:2"]
    assert plan.needs_served == 1


def test_duplicate_arcs_keep_the_best_score_and_zero_capacity_is_unusable() -> None:
    needs = [PlanNeed("need:1")]
    arcs = [PlanArc("need:1", "member:1", 0.3), PlanArc("need:1", "member:1", 0.6), PlanArc("need:1", "member:2", 0.9)]
    plan = solve(needs, arcs, {"member:1": 1, "member:2": 0})
    assert plan.pairs == (PlanPair("need:1", "member:1", 0.6),)


def test_empty_input() -> None:
    assert solve([], [], {}) == Plan((), 0.0, 0.0, 0, 0, (), 0)
    assert solve([PlanNeed("need:1")], [], {}).needs_served == 0


def test_greedy_order_is_urgency_then_oldest() -> None:
    t = datetime(2026, 5, 1)
    needs = [
        PlanNeed("low-old", urgency="LOW", created_at=t),
        PlanNeed("normal-new", created_at=t + timedelta(hours=2)),
        PlanNeed("urgent", urgency="URGENT", created_at=t + timedelta(hours=5)),
        PlanNeed("normal-old", created_at=t + timedelta(hours=1)),
    ]
    assert [n.id for n in greedy_order(needs)] == ["urgent", "normal-old", "normal-new", "low-old"]
    arcs = [PlanArc(n.id, "member:1", 0.5) for n in needs]
    assert [p.need_id for p in greedy(needs, arcs, {"member:1": 1})] == ["urgent"]


@pytest.mark.parametrize(
    ("needs", "arcs", "caps"),
    [
        ([PlanNeed("n", people_needed=0)], [], {}),
        ([PlanNeed("n"), PlanNeed("n")], [], {}),
        ([PlanNeed("n")], [PlanArc("x", "r", 0.5)], {"r": 1}),
        ([PlanNeed("n")], [PlanArc("n", "r", 1.5)], {"r": 1}),
        ([PlanNeed("n")], [PlanArc("n", "r", 0.5)], {}),
    ],
)
def test_bad_input_is_rejected(needs: list[PlanNeed], arcs: list[PlanArc], caps: dict[str, int]) -> None:
    with pytest.raises(DispatchError):
        solve(needs, arcs, caps)


def test_objective_charges_step_times_k_for_the_kth_extra_assignment() -> None:
    pairs = [PlanPair(f"need:{i}", "member:1", 0.5) for i in range(4)] + [PlanPair("need:9", "member:2", 0.25)]
    # 4 × 0.5 + 0.25 − 0.1 × (1 + 2 + 3)
    assert objective(pairs, fairness_step=0.1) == pytest.approx(1.65)
    assert objective_units(pairs, fairness_step=0.1) == 16_500


# --- properties ------------------------------------------------------------------------------------


@st.composite
def instances(draw: st.DrawFn, max_needs: int = 6, max_resources: int = 5) -> tuple:
    n_needs = draw(st.integers(0, max_needs))
    n_res = draw(st.integers(1, max_resources))
    needs = [PlanNeed(f"need:{i}", people_needed=draw(st.integers(1, 3))) for i in range(n_needs)]
    caps = {f"member:{r}": draw(st.integers(0, 3)) for r in range(n_res)}
    pairs = draw(
        st.lists(st.tuples(st.integers(0, max(n_needs - 1, 0)), st.integers(0, n_res - 1)), max_size=14, unique=True)
    )
    arcs = [PlanArc(f"need:{i}", f"member:{r}", draw(st.integers(0, 100)) / 100) for i, r in pairs if i < n_needs]
    step = draw(st.sampled_from([0.0, 0.05, 0.2, 0.6]))
    return needs, arcs, caps, step


def check_feasible(pairs: tuple[PlanPair, ...], needs: list[PlanNeed], arcs: list[PlanArc], caps: dict) -> None:
    allowed = {(a.need_id, a.resource_id) for a in arcs}
    people = {n.id: n.people_needed for n in needs}
    per_need = Counter(p.need_id for p in pairs)
    per_resource = Counter(p.resource_id for p in pairs)
    assert len({(p.need_id, p.resource_id) for p in pairs}) == len(pairs), "same resource twice on one need"
    assert all((p.need_id, p.resource_id) in allowed for p in pairs)
    assert all(per_need[n] <= people[n] for n in per_need)
    assert all(per_resource[r] <= caps[r] for r in per_resource)


def brute_force_units(needs: list[PlanNeed], arcs: list[PlanArc], caps: dict, step: float) -> int:
    """Best objective over every feasible subset of (deduplicated) arcs."""
    best_arc: dict[tuple[str, str], PlanArc] = {}
    for a in arcs:
        if (a.need_id, a.resource_id) not in best_arc or a.score > best_arc[a.need_id, a.resource_id].score:
            best_arc[a.need_id, a.resource_id] = a
    unique = list(best_arc.values())
    people = {n.id: n.people_needed for n in needs}
    best = 0
    for mask in itertools.product((0, 1), repeat=len(unique)):
        chosen = [a for a, m in zip(unique, mask, strict=True) if m]
        per_need = Counter(a.need_id for a in chosen)
        per_res = Counter(a.resource_id for a in chosen)
        if any(per_need[n] > people[n] for n in per_need) or any(per_res[r] > caps[r] for r in per_res):
            continue
        best = max(best, objective_units(chosen, step))
    return best


@settings(max_examples=200, deadline=None)
@given(instances())
def test_plans_are_feasible_and_optimum_beats_greedy(instance: tuple) -> None:
    needs, arcs, caps, step = instance
    plan = solve(needs, arcs, caps, fairness_step=step)
    check_feasible(plan.pairs, needs, arcs, caps)
    check_feasible(plan.greedy_pairs, needs, arcs, caps)
    assert objective_units(plan.pairs, step) >= objective_units(plan.greedy_pairs, step)
    assert plan.objective >= plan.greedy_objective
    assert plan.objective == pytest.approx(objective(plan.pairs, step))
    assert plan.needs_served == len({p.need_id for p in plan.pairs})
    assert plan.resources_used == len({p.resource_id for p in plan.pairs})


@settings(max_examples=150, deadline=None)
@given(instances(max_needs=4, max_resources=3))
def test_optimum_equals_brute_force(instance: tuple) -> None:
    needs, arcs, caps, step = instance
    plan = solve(needs, arcs, caps, fairness_step=step)
    assert objective_units(plan.pairs, step) == brute_force_units(needs, arcs, caps, step)
