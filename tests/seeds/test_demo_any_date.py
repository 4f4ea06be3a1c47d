"""The demo tells the README's stories on any date: the generator alone, for every day of a year.

The demo is generated against "now" (today, for `make run`), so whatever a story needs — who is free
this morning, which Tuesdays are booked, what is overdue, which program is in its period — must hold
whatever the date. These checks need no Neo4j: they read the generated records (tests/support/demo_world.py)
and rank candidates with `matching/` exactly as the API does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from matching.models import CandidateKind
from seeds.generator import (
    DEMO_GRANT,
    DUPLICATE_CALLS,
    NIGHT_SCHOOL_CLASHES,
    NOISE_COMMUNITIES,
    PROJECT_COMMUNITY,
    night_school_tuesday,
)
from tests.support.demo_world import World, quarter_counts

# Every day of a year that spans a year end and a leap day, at midnight UTC as `make run` uses.
START = datetime(2027, 12, 1, tzinfo=UTC)
DATES = [START + timedelta(days=d) for d in range(366)]
NUMBER = re.compile(r"^XA-\d{4}-(\d{6})-(\d{6})$")


def check_story_3(world: World) -> None:
    members = world.ranked("need:demo-sewer", CandidateKind.MEMBER)
    units = world.ranked("need:demo-sewer", CandidateKind.UNIT)
    assert members and members[0].id == "member:demo-plumber", [(m.id, m.score) for m in members]
    assert "同社区" in members[0].reason and "管道疏通" in members[0].reason
    assert units and units[0].id == "offering:demo-sewer-service", [(u.id, u.score) for u in units]
    assert members[0].score > units[0].score
    # Still so days later: the data stays in .minhu/neo4j between runs of `make run`.
    later = world.ranked("need:demo-sewer", CandidateKind.MEMBER, now=world.now + timedelta(days=30))
    assert later[0].id == "member:demo-plumber"


def check_story_6(world: World) -> None:
    room = "venue:demo-classroom"
    bookings = [world.props(b) for b in world.into[(room, "OF")] if b.startswith("booking:")]
    confirmed = [(b["start"], b["end"]) for b in bookings if b["status"] == "CONFIRMED"]
    clashing = []
    for n in range(1, 11):
        start = night_school_tuesday(world.now, n)
        end = start + timedelta(hours=2)
        if any(s < end and start < e for s, e in confirmed):
            clashing.append(n)
    assert clashing == list(NIGHT_SCHOOL_CLASHES)
    assert night_school_tuesday(world.now, 1) > world.now


def check_story_8(world: World) -> None:
    parking = world.props("need:demo-parking")
    assert parking["status"] == "DISPATCHED" and parking["responseDeadline"] < world.now


def check_story_7(world: World) -> None:
    canteen = world.props("program:gaoxing-canteen")
    today = (world.now + timedelta(hours=8)).date()
    assert canteen["spent"] < canteen["budget"]
    assert canteen["periodStart"] <= today <= canteen["periodEnd"]
    assert world.out[("program:gaoxing-canteen", "AVAILABLE_IN")] == ["district:610117"]


def check_story_4(world: World) -> None:
    meals = world.props("need:demo-meals")
    assert meals["windowStart"] > world.now and (meals["windowStart"] + timedelta(hours=8)).weekday() == 5
    registered = [m for m in world.into[("community:610103001009", "REGISTERED_WITH")] if m.startswith("member:")]
    assert len(registered) >= 40


def check_story_10(world: World) -> None:
    for code in NOISE_COMMUNITIES:
        recent, previous = quarter_counts(world, f"community:{code}", "NOISE")
        assert previous > 0 and recent >= 2 * previous, (code, recent, previous)


def check_story_11(world: World) -> None:
    """The funded charging project: its class fell in the window after its start against the one before."""
    project = world.props("project:demo-chargers")
    assert project["start"] < world.now < project["end"] and project["status"] == "OPEN"
    window = world.now - project["start"]
    before = after = 0
    for need in world.of_label("Need"):
        if world.props(world.one(need["id"], "OF") or "")["code"] != "PARKING_CHARGING":
            continue
        if world.community_of_need(need["id"]) != f"community:{PROJECT_COMMUNITY}":
            continue
        before += project["start"] - window <= need["createdAt"] < project["start"]
        after += project["start"] <= need["createdAt"] < world.now
    assert after < before / 2, (before, after)
    grant = world.props(DEMO_GRANT)
    assert grant["status"] == "APPROVED" and world.one(DEMO_GRANT, "FUNDS") == "project:demo-chargers"
    program = world.props(world.one(DEMO_GRANT, "FROM") or "")
    assert program["spent"] <= program["budget"]


def check_story_12(world: World) -> None:
    """Two open needs of one compound, one category, a day apart: likely duplicates."""
    twins = [world.props(need_id) for need_id, *_ in DUPLICATE_CALLS]
    assert {t["status"] for t in twins} == {"SUBMITTED"}
    assert len({world.one(t["id"], "AT") for t in twins}) == 1 and len({world.one(t["id"], "OF") for t in twins}) == 1
    assert abs(twins[0]["createdAt"] - twins[1]["createdAt"]) < timedelta(days=7)
    assert len({world.one(t["id"], "RAISED_BY") for t in twins}) == 2


STORIES = (
    check_story_3,
    check_story_4,
    check_story_6,
    check_story_7,
    check_story_8,
    check_story_10,
    check_story_11,
    check_story_12,
)


def check_counters(world: World) -> None:
    fields = {
        "Member": ("openLoad", "assignedCount", "completedCount", "ratingSum", "ratingCount", "lastServedAt"),
        "Offering": ("openLoad", "ratingSum", "ratingCount"),
        "Unit": ("ratingSum", "ratingCount"),
    }
    for label, names in fields.items():
        for props in world.of_label(label):
            expected = world.recomputed_counters(props["id"])
            assert {n: props.get(n) for n in names} == {n: expected[n] for n in names}, props["id"]
    members = world.of_label("Member")
    assert all(m["openLoad"] <= m["maxLoad"] for m in members)
    assert sum(m["ratingCount"] > 0 for m in members) >= 50, "enough rated members to rank them"
    units = [u for u in world.of_label("Unit") if u["id"].startswith("unit:")]
    assert sum(u["ratingCount"] > 0 for u in units) >= len(units) // 3, "enough rated units to rank them"


def check_needs(world: World) -> None:
    numbers = set()
    for need in world.of_label("Need"):
        match = NUMBER.match(need["number"])
        assert match, need["number"]
        district = world.chain(world.one(need["id"], "AT") or "")["District"]
        assert district == f"district:{match.group(1)}"
        numbers.add(need["number"])
        events = sorted((world.props(e) for e in world.into[(need["id"], "ABOUT")]), key=lambda e: e["at"])
        assert events[0]["type"] == "SUBMIT" and events[0]["toState"] == "SUBMITTED"
        assert events[-1]["toState"] == need["status"] or need["status"] == "SUBMITTED"
    assert len(numbers) == len(world.of_label("Need"))


@pytest.mark.parametrize("day", range(0, len(DATES), 61))
def test_every_story_holds(day: int) -> None:
    """All checks on a few dates (fast to read when one fails)."""
    world = World.generate(DATES[day])
    for check in STORIES:
        check(world)
    check_counters(world)
    check_needs(world)


def test_the_dated_stories_hold_on_every_day_of_a_year() -> None:
    """What depends on the calendar (weekday, time of day, year and quarter ends), on 366 days."""
    failures = []
    for now in DATES:
        world = World.generate(now)
        for check in STORIES:
            try:
                check(world)
            except AssertionError as exc:
                failures.append(f"{now.date()} {check.__name__}: {exc}")
    assert not failures, "\n".join(failures[:20])
