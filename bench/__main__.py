"""`make bench` (`python -m bench`): matching figures on the `city` seed, printed as tables.

- the seed load time (bulk: CSV + neo4j-admin import + first start + migrations; bench/setup.py);
- matchCandidates latency p50/p95, all kinds and per kind, over HTTP (bench/candidates.py: `minhu
  serve` in a subprocess, one keep-alive client) over ~200 random open needs;
- availableVenues latency p50/p95 (200 searches near those needs' communities);
- reads, GraphQL against the raw driver (bench/reads.py): 100 needs, 10 needs, a community with 50
  members and their skills, a district's stats, and throughput with 16 clients, compiled and interpreted;
- the 100-way races over HTTP (bench/races.py: first accept, booking, grants; distinct callers): per-answer
  p50/p95, answers per second and the CPU spent per answer; goal p95 <= 500 ms;
- proposeDispatchPlan for the district with most open needs, for the whole city, for scarce supply
  (every handler's headroom cut to 1, each need seeing its 3 nearest members: over the open needs of
  the district and the city, and over the district's whole backlog, where needs compete for the same
  volunteers), and at the issue's scale (every need of the city, ~14,000, treated as open): time end
  to end, objective vs greedy, needs served, members used.
- suggestIntake's top-1/top-3 accuracy on held-out needs and hand-written calls (bench/intake.py).
Targets (issues 4 and 9): p95 < 50 ms; seed load < 60 s; reads ≤ 1.5× the driver;
a ~15,000-need city plan < 10 s; never worse than greedy, ≥ 2 %
better where supply is scarce. Plans made here are deleted at the end so the cached store stays clean.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from typing import Any

from bench import candidates, intake, races, reads
from bench.setup import LOAD, SERVED, bench_graph
from graph.kernel.db import Graph
from graph.needs.kinds import NeedStatus
from resolvers.kernel.context import Context
from resolvers.kernel.viewer import Role, Viewer
from resolvers.plans import plans

SAMPLES = 200
ALL_STATUSES = tuple(status.value for status in NeedStatus)


def load_line() -> str:
    """The seed load time: this run's bulk load, or the one that built the cached store."""
    if not LOAD or "total" not in LOAD:
        return "seed load: not measured (a cached store from before the bulk load; MINHU_BENCH_FRESH=1 reloads)"
    how = "transactional loader" if LOAD.get("transactional") else "bulk: CSV + neo4j-admin import, start, migrations"
    parts = ", ".join(f"{k} {LOAD[k]:.1f} s" for k in ("import", "start", "migrate") if k in LOAD)
    when = f"cached store, measured {LOAD.get('at', '?')}" if LOAD.get("cached") else "this run"
    verdict = "ok" if LOAD["total"] < 60 else "MISSED"
    return f"seed load ({how}): {LOAD['total']:.1f} s ({parts}; {when})   target < 60 s: {verdict}"


def admin_context(graph: Graph) -> Context:
    viewer = Viewer("user:bench", Role.CITY_ADMIN, None)
    return Context(graph=graph, authorization="Bearer bench", authenticate=lambda header: viewer)


async def plan_row(graph: Graph, label: str, scope: str, **options: Any) -> dict[str, Any]:
    started = time.perf_counter()
    # The plan as proposeDispatchPlan builds it, without storing it (the mutation's own transaction).
    plan = await plans.build_plan(admin_context(graph), None if scope == "city" else scope, None, **options)
    elapsed = time.perf_counter() - started
    gain = (plan["objective"] - plan["greedyObjective"]) / plan["greedyObjective"] if plan["greedyObjective"] else 0
    return {
        "label": label,
        "seconds": elapsed,
        "needs": plan["needsConsidered"],
        "served": plan["needsServed"],
        "greedy_served": plan["greedyNeedsServed"],
        "members": plan["membersUsed"],
        "objective": plan["objective"],
        "greedy": plan["greedyObjective"],
        "gain": gain,
        "timings": plan["stats"].get("timings", {}),
    }


async def main() -> int:
    async with bench_graph() as graph:
        needs = await graph.read(
            "MATCH (n:Need)-[:AT]->(p)-[:IN*0..1]->(c:Community)-[:IN]->(:Street)-[:IN]->(d:District) "
            "WHERE n.status IN ['SUBMITTED', 'DECLINED'] RETURN n.id AS id, c.id AS community, d.id AS district "
            "ORDER BY n.id"
        )
        sample = random.Random(2026).sample(needs, min(SAMPLES, len(needs)))
        print(f"\nMinhu bench — city seed, {len(needs):,} open needs (SUBMITTED/DECLINED)", flush=True)
        print(load_line(), flush=True)
        print(f"machine: {os.cpu_count()} cores, load average {'/'.join(f'{x:.1f}' for x in os.getloadavg())}")
        print("\nmatching over HTTP (minhu serve in a subprocess, one keep-alive client)", flush=True)
        rows = await candidates.run(graph, SERVED["uri"], sample)
        print(f"{'operation':<32}{'p50 ms':>10}{'p95 ms':>10}{'n':>6}   target p95 < 50 ms")
        for name, p50, p95, n in rows:
            print(f"{name:<32}{p50:>10.1f}{p95:>10.1f}{n:>6}   {'ok' if p95 < 50 else 'MISSED'}", flush=True)
        await reads.run(graph, SERVED["uri"])
        print(flush=True)
        races_right = await races.run(graph, SERVED["uri"])
        print(f"machine: load average {'/'.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)

        by_district: dict[str, int] = {}
        for n in needs:
            by_district[n["district"]] = by_district.get(n["district"], 0) + 1
        busiest = max(by_district, key=lambda d: by_district[d])
        results = [
            await plan_row(graph, f"district {busiest}", busiest),
            await plan_row(graph, "city (open needs)", "city"),
            # Scarce supply: every handler takes one task and each need sees only its 3 nearest members
            # (a district whose volunteers are few and already busy).
            await plan_row(graph, f"scarce: {busiest}", busiest, capacity_cap=1, preselect_members=3),
            await plan_row(graph, "scarce: city", "city", capacity_cap=1, preselect_members=3),
            # A district's backlog: every need of the district (all statuses) waits at once, each
            # volunteer has room for one more task, each need reaches its 3 nearest fitting volunteers.
            # Neighbouring needs now compete for the same few people; greedy (urgent first) hands them
            # out need by need, the flow re-routes them.
            await plan_row(
                graph, f"scarce backlog: {busiest}", busiest, statuses=ALL_STATUSES, capacity_cap=1, preselect_members=3
            ),
            await plan_row(graph, "scale: city, all 14k needs", "city", statuses=ALL_STATUSES),
        ]
        print(
            f"\n{'proposeDispatchPlan':<32}{'s':>7}{'needs':>8}{'served':>8}{'greedy':>8}{'members':>9}"
            f"{'objective':>11}{'greedy':>10}{'gain':>8}"
        )
        for r in results:
            print(
                f"{r['label']:<32}{r['seconds']:>7.2f}{r['needs']:>8,}{r['served']:>8,}{r['greedy_served']:>8,}"
                f"{r['members']:>9,}{r['objective']:>11.2f}{r['greedy']:>10.2f}{r['gain']:>7.1%}"
            )
        print(
            "\nphase timings (s): "
            + "; ".join(f"{r['label']}: " + ", ".join(f"{k} {v:.2f}" for k, v in r["timings"].items()) for r in results)
        )
        worse = [r["label"] for r in results if r["objective"] < r["greedy"]]
        print("plan never worse than greedy:", "ok" if not worse else f"MISSED ({', '.join(worse)})")
        await graph.write("MATCH (p:DispatchPlan {createdBy: 'user:bench'}) DETACH DELETE p")
        intake.report(await intake.measure(graph))
    return 0 if races_right else 1  # a race with the wrong number of winners fails the bench


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
