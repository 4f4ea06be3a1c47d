"""Neo4j killed for real (SIGKILL of the launcher JVM of a Neo4j that `minhu serve` started for this
test, not the session's) under load: answers stay GraphQL answers, the breaker answers without
contacting Neo4j, the watchdog restarts it, the API recovers without a restart, and no
acknowledged write is lost or doubled (read back from the graph). Latencies: `make bench`."""

from __future__ import annotations

import pytest

from bench.outage import run_outage

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]  # `minhu serve` starts its own Neo4j

WORKERS = 6


async def test_neo4j_killed_under_load() -> None:
    report = await run_outage(workers=WORKERS, deadline=120)

    before, outage, after = report.of("before"), report.of("outage"), report.of("after")
    assert before and all(a.code == "ok" for a in before), {a.code for a in before}
    assert {a.code for a in outage} <= {"ok", "UNAVAILABLE"}, "only UNAVAILABLE while Neo4j is gone"
    unavailable = report.of("outage", "UNAVAILABLE")
    assert len(unavailable) >= WORKERS, "the load went on through the outage"

    # Fail fast: all but the requests caught in flight at the kill were refused by the open breaker,
    # without a connection attempt or a retry loop; the breaker probed until Neo4j was back.
    delta = {k: report.metrics_after.get(k, 0) - report.metrics_before.get(k, 0) for k in report.metrics_after}
    assert delta["minhu_neo4j_outages_total"] >= 1
    assert delta["minhu_neo4j_refused_total"] >= len(unavailable) - 3 * WORKERS, (delta, len(unavailable))
    assert delta["minhu_neo4j_probes_total"] >= 1
    assert report.metrics_after["minhu_neo4j_up"] == 1

    # Recovered alone: the watchdog restarted Neo4j, the same server answers again.
    assert report.restarts_logged >= 1
    assert len(after) >= 30 and all(a.code == "ok" for a in after[-10:])

    # Retried with their keys, the writes that got UNAVAILABLE landed; nothing is lost or doubled.
    assert all(a.code == "ok" for a in report.retried), {a.code for a in report.retried}
    acknowledged = {a.name for a in report.answers + report.retried if a.kind == "write" and a.code == "ok"}
    attempted = {a.name for a in report.answers if a.kind == "write"}
    assert acknowledged == attempted
    assert {name: n for name, n in report.units_by_name.items() if n != 1} == {}, "no write doubled"
    assert acknowledged - set(report.units_by_name) == set(), "no acknowledged write lost"
    warm_up = {name for name in report.units_by_name if name.startswith("单位-warm-")}
    assert set(report.units_by_name) - warm_up <= attempted
