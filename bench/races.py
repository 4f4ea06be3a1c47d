"""The 100-way races over HTTP on the city seed: how fast a hundred callers at once are answered.

First accept (抢单): 100 members accept one need opened for claim to all of them (`acceptNeed`); exactly
one wins, the others get CONFLICT. Booking: 100 callers ask at once for overlapping windows of one
venue (`bookVenue`); exactly one wins, the others get CONFLICT. Grants: 100 requested grants of one
program are approved at once (`approveGrant`) by 100 deciders; what is left of the budget (set so for
the race) admits `FUNDED` of them, every round exactly that many, the others get CONFLICT.
Each racer is a caller of its own, as a hundred phones would be: its own token (its own subject: rate
limits, the token cache) and its own connection, opened before the round (the client is the lean
`Wire`: httpx would spend as much CPU on these two cores as the server does on a refusal). Before the
rounds each mutation is answered once alone (and refused once), so Neo4j plans its statements then and
not under the first race; the first round is a warm-up all the same, and not counted.

Printed per race: p50/p95 of the time each answer took, the answers per second, and the CPU the API
process and Neo4j spent per answer in the measured rounds (what is spent where; the machine is shared,
so a busy neighbour lengthens the times but not the CPU). Goal (issue 20): p95 ≤ 500 ms for all three.
`python -m bench.races [SOURCE_DIR]` runs it alone; with a source folder (e.g. a `git archive` of an
older commit) the server runs that code instead, for before/after figures. Bookings, grants and events
made here are deleted at the end (by the `user:bench-race` subjects), and the program's `spent` restored.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.candidates import api, pct, server_pid
from bench.serving import Wire
from graph.kernel.db import Graph
from server.auth import issue_token
from server.settings import get_settings

RACERS = 100
ROUNDS = 3
BOOK = "mutation($input: BookVenueInput!) { bookVenue(input: $input) { booking { id } } }"
SUBJECT = "user:bench-race"
# One caller per racer: their subjects, and a token for each with `role`.
SUBJECTS = [f"{SUBJECT}-{i}" for i in range(RACERS)]


def _tokens(role: str, subjects: list[str]) -> list[str]:
    return [issue_token(role, None, subject, timedelta(hours=1), get_settings()) for subject in subjects]


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int | None) -> float:
    """CPU seconds (user + system) process `pid` has used so far; 0 when unknown."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


@dataclass
class Race:
    """The answers of one race's measured rounds: milliseconds each, rounds' rates, CPU spent by the API
    process and by Neo4j while they were answered."""

    name: str
    note: str = "one winner each"
    ms: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    api_cpu: float = 0.0
    neo4j_cpu: float = 0.0
    # Answers neither a win nor CONFLICT (UNAVAILABLE: past the request's deadline), by code.
    others: Counter[str] = field(default_factory=Counter)
    # Rounds that did not end with exactly the winners they must have.
    wrong: list[str] = field(default_factory=list)

    def line(self, label: str) -> str:
        if not self.ms:
            return f"{self.name}{label}: not measured"
        answers = len(self.ms)
        return (
            f"100-way {self.name} race{label} ({len(self.rates)} rounds, {self.note}): per answer p50 "
            f"{statistics.median(self.ms):.0f} ms, p95 {pct(self.ms, 0.95):.0f} ms; "
            f"{statistics.median(self.rates):.0f} answers/s; CPU per answer: "
            f"API {self.api_cpu / answers * 1000:.1f} ms, Neo4j {self.neo4j_cpu / answers * 1000:.1f} ms   "
            "goal p95 <= 500 ms: " + ("ok" if pct(self.ms, 0.95) <= 500 else "MISSED")
        )


@dataclass
class Racers:
    """Where the racers send their requests, and which processes answer them."""

    base_url: Any
    api_pid: int
    neo4j_pid: int | None

    async def once(self, token: str, mutation: str, input: dict[str, Any]) -> str:
        """One request alone, on a connection of its own: "ok" or the error's code."""
        wire = await Wire.open(self.base_url)
        try:
            return (await _timed(wire, token, mutation, input))[1]
        finally:
            await wire.close()

    async def race(self, calls: list[tuple[str, str, dict[str, Any]]], into: Race | None) -> list[str]:
        """Every call (token, mutation, input) sent at once, each on its own connection opened before;
        the codes of the answers. Into `into` go the times, the rate and the CPU spent (None: a warm-up)."""
        wires = await asyncio.gather(*(Wire.open(self.base_url) for _ in calls))
        try:
            cpu = _cpu(self.api_pid), _cpu(self.neo4j_pid)
            started = time.perf_counter()
            answers = await asyncio.gather(*(_timed(w, *call) for w, call in zip(wires, calls, strict=True)))
            seconds = time.perf_counter() - started
            if into is not None:
                into.others.update(code for _ms, code in answers if code not in ("ok", "CONFLICT"))
                into.ms += [ms for ms, _code in answers]
                into.rates.append(len(calls) / seconds)
                into.api_cpu += _cpu(self.api_pid) - cpu[0]
                into.neo4j_cpu += _cpu(self.neo4j_pid) - cpu[1]
        finally:
            await asyncio.gather(*(w.close() for w in wires))
        return [code for _ms, code in answers]


async def _timed(wire: Wire, token: str, mutation: str, input: dict[str, Any]) -> tuple[float, str]:
    """One racer's request: milliseconds to its answer, and "ok" or the error's code."""
    body = orjson.dumps({"query": mutation, "variables": {"input": input}})
    sent = time.perf_counter()
    status, answer = await wire.post("/graphql", body, {"Authorization": f"Bearer {token}"})
    ms = (time.perf_counter() - sent) * 1000
    errors = orjson.loads(answer).get("errors") if status in (200, 400) else [{"extensions": {"code": str(status)}}]
    return ms, "ok" if not errors else str((errors[0].get("extensions") or {}).get("code"))


def _tally(codes: list[str]) -> str:
    return ", ".join(f"{n} {code}" for code, n in sorted(Counter(codes).items()))


def _window(begin: datetime) -> dict[str, str]:
    return {"start": begin.isoformat(), "end": (begin + timedelta(hours=1)).isoformat()}


async def booking_race(graph: Graph, racers: Racers, venues: list[str], start: datetime) -> Race:
    """ROUNDS + 1 rounds (the first warms up), each on a venue open that hour: 100 callers book
    overlapping windows at once; exactly one wins."""
    tokens = _tokens("CITY_ADMIN", SUBJECTS)
    race = Race("bookVenue")
    # Twice alone before the rounds (a week earlier, deleted with the rest): its statements planned.
    for _ in range(2):
        await racers.once(tokens[0], BOOK, {"venueId": venues[0], "window": _window(start - timedelta(weeks=1))})
    rounds = 0
    for attempt, venue in enumerate(venues):
        if rounds == ROUNDS + 1:
            break
        begin = start + timedelta(weeks=attempt)
        calls = [
            (t, BOOK, {"venueId": venue, "window": _window(begin + timedelta(minutes=i % 30))})
            for i, t in enumerate(tokens)
        ]
        measured = Race(race.name)
        codes = await racers.race(calls, measured)
        if codes.count("ok") == 0 and set(codes) <= {"BAD_USER_INPUT", "CONFLICT"}:
            continue  # closed that day or hour: the next venue
        if codes.count("ok") != 1:
            race.wrong.append(f"{codes.count('ok')} won, {_tally(codes)}")
        if rounds > 0:  # the first round that took place warmed up the server and is not counted
            race.ms += measured.ms
            race.rates += measured.rates
            race.api_cpu += measured.api_cpu
            race.neo4j_cpu += measured.neo4j_cpu
            race.others += measured.others
        rounds += 1
    return race


APPROVE = "mutation($input: GrantDecisionInput!) { approveGrant(input: $input) { grant { id status } } }"
FUNDED = 10
_GRANTS = """
MATCH (p:FundingProgram {id: $program}), (n:Need {id: $need})
UNWIND range(1, $n) AS i
CREATE (g:Grant {id: 'grant:bench-race-' + $round + '-' + i, amount: $amount, status: 'REQUESTED',
                 purpose: 'bench', requestedBy: $by, createdAt: datetime()})-[:FROM]->(p)
CREATE (g)-[:FOR]->(n)
"""


async def grant_race(graph: Graph, racers: Racers) -> Race:
    """ROUNDS + 1 rounds (the first warms up): 100 deciders approve 100 grants of one program at once;
    exactly FUNDED fit its budget."""
    row = (
        await graph.read(
            "MATCH (p:FundingProgram {level: 'CITY'})-[:COVERS]->(:Category)<-[:OF]-(n:Need) "
            "RETURN p.id AS program, n.id AS need, coalesce(p.spent, 0) AS spent, p.budget AS budget, "
            "p.capPerGrant AS cap ORDER BY p.id, n.id LIMIT 1"
        )
    )[0]
    # Grants of `amount` (within the cap), and the program's `spent` set for the race so that exactly
    # FUNDED of them fit what is left (half a grant more is left, so the next is refused on the budget).
    left = row["budget"] - row["spent"]
    amount = min(left // (FUNDED + 1), row["cap"] if row["cap"] is not None else left)
    race_spent = row["budget"] - FUNDED * amount - amount // 2
    tokens = _tokens("CITY_ADMIN", SUBJECTS)
    race = Race("approveGrant", note=f"{FUNDED} fit the budget each")

    async def grants(round_: str, n: int) -> None:
        await graph.write(
            _GRANTS, program=row["program"], need=row["need"], n=n, round=round_, amount=amount, by=SUBJECT
        )

    async def spend(spent: int) -> None:
        await graph.write("MATCH (p:FundingProgram {id: $id}) SET p.spent = $s", id=row["program"], s=spent)

    try:
        # Once alone, approved and refused: every statement of the race is planned before it.
        await grants("solo", 1)
        for _ in range(2):
            await racers.once(tokens[0], APPROVE, {"grantId": "grant:bench-race-solo-1"})
        for round_ in range(ROUNDS + 1):
            await spend(race_spent)
            await grants(str(round_), RACERS)
            calls = [(t, APPROVE, {"grantId": f"grant:bench-race-{round_}-{i + 1}"}) for i, t in enumerate(tokens)]
            codes = await racers.race(calls, race if round_ > 0 else None)
            if codes.count("ok") != FUNDED:
                race.wrong.append(f"{codes.count('ok')} approved of {FUNDED}, {_tally(codes)}")
    finally:
        await graph.write("MATCH (g:Grant {requestedBy: $by}) DETACH DELETE g", by=SUBJECT)
        await graph.write("MATCH (e:Event) WHERE e.actorId STARTS WITH $by DETACH DELETE e", by=SUBJECT)
        await spend(row["spent"])
    return race


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


async def accept_race(graph: Graph, racers: Racers) -> Race:
    """ROUNDS + 1 rounds (the first warms up): RACERS members accept one need opened for claim at once;
    exactly one wins, the others are told it is taken (CONFLICT)."""
    need = (await graph.read("MATCH (n:Need {status: 'SUBMITTED'}) RETURN n.id AS id, n {.*} AS props LIMIT 1"))[0]
    members = await graph.read(
        "MATCH (m:Member) WHERE coalesce(m.maxLoad, 0) > coalesce(m.openLoad, 0) + 1 "
        "RETURN m.id AS id, m {.*} AS props ORDER BY m.id LIMIT $n",
        n=RACERS,
    )
    ids = [m["id"] for m in members]
    tokens = _tokens("MEMBER", ids)
    race = Race("acceptNeed")
    undo = {
        "need": need["id"],
        "needProps": need["props"],
        "members": ids,
        "memberProps": [m["props"] for m in members],
    }
    try:
        # Once alone, won and refused: every statement of the race is planned before it.
        await graph.write(_CLAIMS, need=need["id"], members=ids, round="solo")
        for token in tokens[:2]:
            await racers.once(token, ACCEPT, {"needId": need["id"]})
        await graph.write(_UNDO_CLAIMS, **undo)
        for round_ in range(ROUNDS + 1):
            await graph.write(_CLAIMS, need=need["id"], members=ids, round=str(round_))
            codes = await racers.race([(t, ACCEPT, {"needId": need["id"]}) for t in tokens], race if round_ else None)
            if codes.count("ok") != 1:
                race.wrong.append(f"{codes.count('ok')} won, {_tally(codes)}")
            await graph.write(_UNDO_CLAIMS, **undo)
    finally:
        await graph.write(_UNDO_CLAIMS, **undo)
    return race


async def run(graph: Graph, neo4j_uri: str, source: Path | None = None, label: str = "") -> bool:
    """Prints each race's p50/p95 per answer, its throughput and the CPU spent per answer; False when a
    round did not end with exactly the winners it must have (printed, after the figures)."""
    venues = [
        row["id"]
        for row in await graph.read(
            "MATCH (v:Venue) WHERE size(coalesce(v.openingHours, [])) >= 7 RETURN v.id AS id ORDER BY v.id LIMIT 50"
        )
    ]
    # Wednesdays 10:00 Beijing (02:00 UTC), weeks ahead: inside any venue open every day.
    today = datetime.now(UTC).date()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 + 7 * 20)
    start = datetime(wednesday.year, wednesday.month, wednesday.day, 2, tzinfo=UTC)
    neo4j_pid = _local_neo4j_pid(neo4j_uri)
    try:
        async with api(neo4j_uri, source=source) as served:
            racers = Racers(served.base_url, server_pid(served), neo4j_pid)
            accept = await accept_race(graph, racers)
            grant = await grant_race(graph, racers)
            booking = await booking_race(graph, racers, venues, start)
    finally:
        await graph.write("MATCH (b:Booking) WHERE b.bookedBy STARTS WITH $by DETACH DELETE b", by=SUBJECT)
    for race in (accept, grant, booking):
        print(race.line(label))
    return not any(race.wrong for race in (accept, grant, booking))


def _local_neo4j_pid(uri: str) -> int | None:
    """The process of the bench's own Neo4j (bench/setup.py), when `uri` is it."""
    from bench.setup import HOME
    from graph.local import server as local_neo4j

    server = local_neo4j.running(HOME)
    return server.pid if server is not None and server.uri == uri else None


async def _main() -> bool:
    from bench.setup import SERVED, bench_graph

    source = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else None
    async with bench_graph() as graph:
        return await run(graph, SERVED["uri"], source, f" ({source.name})" if source else "")


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(_main()) else 1)
