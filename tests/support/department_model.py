"""The departments' scorecards of the demo, from the whistle's records alone (no Neo4j): what
graph/scorecards/whistles.py's statement reads, judged the same way in Python, then scored by the same
resolver step and `matching/` as the API does. The date sweep checks story 21's department ranking with it
for every day of a year; tests/scorecards/test_story21.py holds the API to it on the demo.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from graph.scorecards.figures import NeedFact
from graph.scorecards.whistles import DepartmentFacts, Rating
from matching.review.scorecards import WEIGHTS, Card, Period, scorecards
from resolvers.scorecards.scorecards import department_subject
from seeds import assessment, whistle
from seeds.generator import Node, Record


def whistle_records(now: datetime) -> list[Record]:
    """The demo's whistle records (seeds/whistle.py and seeds/assessment.py) as the loader lays them out:
    only the compound and the first need number differ, and neither counts here."""
    return [*whistle.records(now, f"compound:{whistle.COMMUNITY}-1", 1), *assessment.records(now, 3)]


def _call_fact(props: dict[str, Any], need: str, cut: datetime, residents: list[int], marks: list) -> tuple:
    refused = props.get("refusedAt") is not None and props["refusedAt"] < cut
    reported = props.get("reportedAt") is not None and props["reportedAt"] < cut
    done = props.get("doneAt") is not None and props["doneAt"] < cut
    fact = NeedFact(
        need,
        refused or reported or props["respondBy"] < cut,
        reported and not props.get("respondedLate", True),
        not refused,
        not refused and done,
        not refused and (done or props["completeBy"] < cut),
        not refused and done and not props.get("completedLate", True),
        () if refused else tuple(residents),
    )
    return fact, marks


def department_cards(records: list[Record], period: Period) -> list[Card]:
    """The DEPARTMENT cards of 碑林区 for `period` (and the one before), ranked as `scorecards` ranks them."""
    nodes: dict[str, dict[str, Any]] = {}
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    into: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in records:
        if isinstance(record, Node):
            nodes[record.props["id"]] = record.props
        else:
            out[(record.start, record.type)].append(record.end)
            into[(record.end, record.type)].append(record.start)
    windows = ((period.start, period.end), (period.previous.start, period.start))
    facts = []
    for department in sorted(d for d in nodes if d.startswith("department:")):
        stationed = (out[(department, "STATIONED_WITH")] or [None])[0]
        found: list[list[tuple]] = [[], []]
        for call in (c for c in into[(department, "TO")] if c.startswith("whistlecall:")):
            props = nodes[call]
            for w, (start, end) in enumerate(windows):
                if not start <= props["createdAt"] < end:
                    continue
                whistle_id = out[(call, "PART_OF")][0]
                need = out[(whistle_id, "ABOUT")][0]
                residents = [
                    nodes[e]["rating"]
                    for a in into[(need, "OF")]
                    if a.startswith("assignment:")
                    for e in into[(a, "OF")]
                    if nodes[e].get("byRole") == "REQUESTER" and nodes[e]["createdAt"] < end
                ]
                by_street = nodes[whistle_id]["level"] == "STREET" and nodes[whistle_id]["scopeId"] == stationed
                marks = [
                    Rating(need, (nodes[r]["response"] + nodes[r]["result"] + nodes[r]["attitude"]) / 3, by_street)
                    for r in into[(call, "OF")]
                    if r.startswith("departmentrating:") and nodes[r]["createdAt"] < end
                ]
                found[w].append(_call_fact(props, need, end, residents, marks))
        facts.append(
            DepartmentFacts(
                department,
                f"district:{whistle.DISTRICT}",
                stationed,
                current=tuple(f for f, _ in found[0]),
                previous=tuple(f for f, _ in found[1]),
                current_ratings=tuple(r for _, marks in found[0] for r in marks),
                previous_ratings=tuple(r for _, marks in found[1] for r in marks),
            )
        )
    current = [department_subject(f, "current") for f in facts]
    previous = [department_subject(f, "previous") for f in facts]
    return scorecards(current, previous, WEIGHTS, None)
