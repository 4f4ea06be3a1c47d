"""The 100-way races over HTTP on the city seed: throughput and p95 while a lock is hot.

First accept (抢单): 100 members accept one need opened for claim to all of them (`acceptNeed`); exactly
one wins, the others get CONFLICT.
Booking: 100 clients ask at once for overlapping windows of one venue (`bookVenue`, one keep-alive
pool to `minhu serve` in a subprocess); exactly one may win, the others get CONFLICT. Grants: 100
requested grants of one program are approved at once (`approveGrant`), each queueing on the
program's lock; what is left of the budget admits about `FUNDED` of them. The time each answer took and the whole
race's throughput (answers per second) are printed, for several rounds.
`python -m bench.races [SOURCE_DIR]` runs it alone; with a source folder (e.g. a
`git archive` of an older commit) the server runs that code instead, for before/after figures.
Bookings, grants and events made here are deleted at the end (by `user:bench-race`), and the
program's `spent` restored.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.candidates import api, pct
from graph.kernel.db import Graph
from server.auth import issue_token
from server.settings import get_settings

RACERS = 100
ROUNDS = 3
BOOK = "mutation($input: BookVenueInput!) { bookVenue(input: $input) { booking { id } } }"
SUBJECT = "user:bench-race"


async def _timed(http: httpx.AsyncClient, token: str, mutation: str, input: dict[str, Any]) -> tuple[float, str]:
    """One racer's request: milliseconds to its answer, and "ok" or the error's code."""
    sent = time.perf_counter()
    response = await http.post(
        "/graphql",
        json={"query": mutation, "variables": {"input": input}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    code = "ok" if not body.get("errors") else str((body["errors"][0].get("extensions") or {}).get("code"))
    return (time.perf_counter() - sent) * 1000, code


async def _round(http: httpx.AsyncClient, token: str, venue: str, start: datetime) -> tuple[list[float], float, int]:
    async def one(i: int) -> tuple[float, str]:
        begin = start + timedelta(minutes=i % 30)
        window = {"start": begin.isoformat(), "end": (begin + timedelta(hours=1)).isoformat()}
        return await _timed(http, token, BOOK, {"venueId": venue, "window": window})

    started = time.perf_counter()
    answers = await asyncio.gather(*(one(i) for i in range(RACERS)))
    seconds = time.perf_counter() - started
    codes = [code for _ms, code in answers]
    if sorted(set(codes)) != ["CONFLICT", "ok"] or codes.count("ok") != 1:
        raise RuntimeError(f"the race did not end with exactly one winner: {sorted(codes)[:5]}…")
    return [ms for ms, _code in answers], RACERS / seconds, codes.count("ok")


APPROVE = "mutation($input: GrantDecisionInput!) { approveGrant(input: $input) { grant { id status } } }"
FUNDED = 10
_GRANTS = """
MATCH (p:FundingProgram {id: $program}), (n:Need {id: $need})
UNWIND range(1, $n) AS i
CREATE (g:Grant {id: 'grant:bench-race-' + $round + '-' + i, amount: $amount, status: 'REQUESTED',
                 purpose: 'bench', requestedBy: $by, createdAt: datetime()})-[:FROM]->(p)
CREATE (g)-[:FOR]->(n)
"""


async def grant_race(graph: Graph, http: httpx.AsyncClient, token: str) -> tuple[list[float], list[float]]:
    """ROUNDS + 1 rounds (the first warms up): 100 approvals at once of one program, FUNDED fit its budget."""
    row = (
        await graph.read(
            "MATCH (p:FundingProgram {level: 'CITY'})-[:COVERS]->(:Category)<-[:OF]-(n:Need) "
            "RETURN p.id AS program, n.id AS need, coalesce(p.spent, 0) AS spent, p.budget AS budget, "
            "p.capPerGrant AS cap ORDER BY p.id, n.id LIMIT 1"
        )
    )[0]
    amount = (row["budget"] - row["spent"]) // FUNDED
    if row["cap"] is not None:
        amount = min(amount, row["cap"])
    all_ms: list[float] = []
    rates: list[float] = []
    try:
        for round_ in range(ROUNDS + 1):
            await graph.write(
                _GRANTS,
                program=row["program"],
                need=row["need"],
                n=RACERS,
                round=str(round_),
                amount=amount,
                by=SUBJECT,
            )

            async def one(i: int, round_: int = round_) -> tuple[float, str]:
                return await _timed(http, token, APPROVE, {"grantId": f"grant:bench-race-{round_}-{i}"})

            started = time.perf_counter()
            answers = await asyncio.gather(*(one(i) for i in range(1, RACERS + 1)))
            rate = RACERS / (time.perf_counter() - started)
            approved = [code for _ms, code in answers].count("ok")
            if approved * amount > row["budget"] - row["spent"] or approved == 0:
                raise RuntimeError(f"the grant race went wrong: {approved} approved of {amount} fen each")
            if round_ > 0:
                all_ms += [ms for ms, _code in answers]
                rates.append(rate)
            # Back to the seed's numbers before the next round, so each round has room for FUNDED.
            await graph.write(
                "MATCH (p:FundingProgram {id: $id}) SET p.spent = $spent", id=row["program"], spent=row["spent"]
            )
    finally:
        await graph.write("MATCH (g:Grant {requestedBy: $by}) DETACH DELETE g", by=SUBJECT)
        await graph.write("MATCH (e:Event {actorId: $by}) DETACH DELETE e", by=SUBJECT)
        await graph.write(
            "MATCH (p:FundingProgram {id: $id}) SET p.spent = $spent", id=row["program"], spent=row["spent"]
        )
    return all_ms, rates


ACCEPT = "mutation($input: NeedKeyInput!) { acceptNeed(input: $input) { need { id status } } }"
# A need opened for claim to RACERS members with headroom (what openNeedForClaim leaves), made here so
# the race has that many claimants whatever the seed holds; undone by _UNDO_CLAIMS with the saved state.
_CLAIMS = """
MATCH (n:Need {id: $need})
SET n.status = 'DISPATCHED', n.updatedAt = datetime()
WITH n
UNWIND range(0, size($members) - 1) AS i
MATCH (m:Member {id: $members[i]})
CREATE (a:Assignment {id: 'assignment:bench-race-' + $round + '-' + i, status: 'OPEN_CLAIM', createdAt: datetime()})
CREATE (a)-[:OF]->(n), (a)-[:TO]->(m)
"""
_UNDO_CLAIMS = """
MATCH (n:Need {id: $need})
SET n = $needProps
WITH n
OPTIONAL MATCH (n)<-[:OF]-(a:Assignment) WHERE a.id STARTS WITH 'assignment:bench-race-'
DETACH DELETE a
WITH DISTINCT n
OPTIONAL MATCH (n)<-[:ABOUT]-(e:Event) WHERE e.actorId IN $members
DETACH DELETE e
WITH DISTINCT n
UNWIND $memberProps AS saved
MATCH (m:Member {id: saved.id})
SET m = saved
"""


async def accept_race(graph: Graph, http: httpx.AsyncClient) -> tuple[list[float], list[float]]:
    """ROUNDS + 1 rounds (the first warms up): RACERS members accept one need opened for claim at once;
    exactly one wins, the others are told it is taken (CONFLICT)."""
    need = (await graph.read("MATCH (n:Need {status: 'SUBMITTED'}) RETURN n.id AS id, n {.*} AS props LIMIT 1"))[0]
    members = await graph.read(
        "MATCH (m:Member) WHERE coalesce(m.maxLoad, 0) > coalesce(m.openLoad, 0) + 1 "
        "RETURN m.id AS id, m {.*} AS props ORDER BY m.id LIMIT $n",
        n=RACERS,
    )
    ids = [m["id"] for m in members]
    tokens = [issue_token("MEMBER", None, mid, timedelta(hours=1), get_settings()) for mid in ids]
    all_ms: list[float] = []
    rates: list[float] = []

    undo = {
        "need": need["id"],
        "needProps": need["props"],
        "members": ids,
        "memberProps": [m["props"] for m in members],
    }
    try:
        for round_ in range(ROUNDS + 1):
            await graph.write(_CLAIMS, need=need["id"], members=ids, round=str(round_))
            started = time.perf_counter()
            answers = await asyncio.gather(*(_timed(http, t, ACCEPT, {"needId": need["id"]}) for t in tokens))
            rate = len(tokens) / (time.perf_counter() - started)
            codes = [code for _ms, code in answers]
            if codes.count("ok") != 1 or set(codes) != {"ok", "CONFLICT"}:
                raise RuntimeError(f"the accept race did not end with exactly one winner: {sorted(set(codes))}")
            if round_ > 0:
                all_ms += [ms for ms, _code in answers]
                rates.append(rate)
            await graph.write(_UNDO_CLAIMS, **undo)
    finally:
        await graph.write(_UNDO_CLAIMS, **undo)
    return all_ms, rates


async def run(graph: Graph, neo4j_uri: str, source: Path | None = None, label: str = "") -> None:
    """Prints the booking race's p50/p95 per answer and its throughput, over ROUNDS rounds."""
    token = issue_token("CITY_ADMIN", None, SUBJECT, timedelta(hours=1), get_settings())
    venues = [
        row["id"]
        for row in await graph.read(
            "MATCH (v:Venue) WHERE size(coalesce(v.openingHours, [])) >= 7 RETURN v.id AS id, v.openingHours AS hours "
            "ORDER BY v.id LIMIT 50"
        )
    ]
    # Wednesdays 10:00 Beijing (02:00 UTC), weeks ahead: inside any venue open every day.
    today = datetime.now(UTC).date()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 + 7 * 20)
    start = datetime(wednesday.year, wednesday.month, wednesday.day, 2, tzinfo=UTC)
    all_ms: list[float] = []
    rates: list[float] = []
    grant_ms: list[float] = []
    grant_rates: list[float] = []
    try:
        async with api(neo4j_uri, source=source) as http:
            accept_ms, accept_rates = await accept_race(graph, http)
            grant_ms, grant_rates = await grant_race(graph, http, token)
            for attempt, venue in enumerate(venues):
                if len(rates) == ROUNDS + 1:
                    break
                try:
                    ms, rate, _ = await _round(http, token, venue, start + timedelta(weeks=attempt))
                except RuntimeError:
                    continue  # closed that day or hour: the next venue
                if rates:  # the first round that took place warmed up the server and is not counted
                    all_ms += ms
                rates.append(rate)
    finally:
        await graph.write("MATCH (b:Booking {bookedBy: $by}) DETACH DELETE b", by=SUBJECT)
    print(
        f"100-way acceptNeed race{label} ({len(accept_rates)} rounds, one winner each): per answer p50 "
        f"{statistics.median(accept_ms):.0f} ms, p95 {pct(accept_ms, 0.95):.0f} ms; "
        f"{statistics.median(accept_rates):.0f} answers/s"
    )
    print(
        f"100-way approveGrant race{label} ({len(grant_rates)} rounds, {FUNDED} fit the budget): per answer p50 "
        f"{statistics.median(grant_ms):.0f} ms, p95 {pct(grant_ms, 0.95):.0f} ms; "
        f"{statistics.median(grant_rates):.0f} answers/s"
    )
    measured = rates[1:]
    if not measured:
        print(f"booking race{label}: no venue took the race (none open that hour)")
        return
    print(
        f"100-way bookVenue race{label} ({len(measured)} rounds, one winner each): per answer p50 "
        f"{statistics.median(all_ms):.0f} ms, p95 {pct(all_ms, 0.95):.0f} ms; "
        f"{statistics.median(measured):.0f} answers/s"
    )


async def _main() -> None:
    from bench.setup import SERVED, bench_graph

    source = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else None
    async with bench_graph() as graph:
        await run(graph, SERVED["uri"], source, f" ({source.name})" if source else "")


if __name__ == "__main__":
    asyncio.run(_main())
