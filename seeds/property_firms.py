"""The demo's property firms (story 22): four firms of 碑林区 managing its compounds, one with clearly the
worst satisfaction, and an old compound with no firm (无物业小区) in a street whose fallback service (兜底)
a state enterprise took on.

The firms are laid over the needs the generator made, after it: the stream passes through `with_firms`,
which notes which property needs (graph/property/kinds.py: PROPERTY, or a dispute naming 物业) each 碑林
compound had and how their residents rated them, then gives the worst-rated compounds to one firm. So
the ranking means something without changing a single need the other stories tell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

from seeds.generator import Generator, Node, Record, Rel

BEILIN = "610103"
# The firms of 碑林区: the last has the worst satisfaction (it manages the worst-rated compounds).
FIRMS = (
    ("propertyfirm:beilin-anju", "碑林安居物业服务有限公司", "029-87210001"),
    ("propertyfirm:guchengjiayuan", "古城家园物业管理有限公司", "029-87210002"),
    ("propertyfirm:xijing-jinwan", "西京锦湾物业服务有限公司", "029-87210003"),
    ("propertyfirm:changan-suda", "长安速达物业管理有限公司", "029-87210004"),
)
WORST = FIRMS[-1][0]
WORST_COMPOUNDS = 4
# The street whose compounds without a firm a state enterprise serves (兜底): 柏树林街道, away from the
# stories of 南院门街道.
FALLBACK_STREET = "610103002"
FALLBACK_ID = "fallback:baishulin"
# How many of that street's compounds are left without a firm (the old ones; the first is the story's).
UNMANAGED = 3
DISPUTE_WORD = "物业"


class _Seen:
    """What the stream said of the needs: where each was raised, its category, words, and ratings."""

    def __init__(self) -> None:
        self.compound: dict[str, str] = {}
        self.property: set[str] = set()
        self.disputes: set[str] = set()
        self.words: dict[str, str] = {}
        self.need_of_assignment: dict[str, str] = {}
        self.rating: dict[str, int] = {}  # evaluation id → the requester's rating
        self.evaluated: dict[str, str] = {}  # evaluation id → assignment id

    def note(self, record: Record) -> None:
        if isinstance(record, Node):
            props = record.props
            if record.label == "Need":
                self.words[props["id"]] = f"{props.get('title') or ''}{props.get('description') or ''}"
            elif record.label == "Evaluation" and props.get("byRole") == "REQUESTER":
                self.rating[props["id"]] = props["rating"]
            return
        if record.start_label == "Need" and record.type == "AT" and record.end_label == "Compound":
            self.compound[record.start] = record.end
        elif record.start_label == "Need" and record.type == "OF":
            if record.end == "category:PROPERTY":
                self.property.add(record.start)
            elif record.end == "category:DISPUTE_MEDIATION":
                self.disputes.add(record.start)
        elif record.start_label == "Assignment" and record.type == "OF":
            self.need_of_assignment[record.start] = record.end
        elif record.start_label == "Evaluation" and record.type == "OF":
            self.evaluated[record.start] = record.end

    def ratings_by_compound(self) -> dict[str, list[int]]:
        property_needs = self.property | {n for n in self.disputes if DISPUTE_WORD in self.words.get(n, "")}
        out: dict[str, list[int]] = defaultdict(list)
        for evaluation, rating in self.rating.items():
            need = self.need_of_assignment.get(self.evaluated.get(evaluation, ""))
            if need in property_needs and need in self.compound:
                out[self.compound[need]].append(rating)
        return out


def with_firms(gen: Generator) -> Iterator[Record]:
    """The generator's stream, then (for the demo) the property firms laid over it: what the loaders load."""
    seen = _Seen()
    for record in gen.records():
        if gen.preset.demo_fixtures:
            seen.note(record)
        yield record
    if gen.preset.demo_fixtures:
        yield from _firms(gen, seen)


def _firms(gen: Generator, seen: _Seen) -> Iterator[Record]:
    t0 = gen.now - timedelta(days=3 * 365)
    beilin = [cp for cp in gen.compounds if gen.district_of_comm(cp.community) == BEILIN]
    street_of = {cp.id: gen.communities[cp.community].street for cp in beilin}
    # Party members who can help with property matters live there too (story 22: the state enterprise is
    # offered beside them): the old compounds are those of communities such members registered with.
    helped = {
        ci
        for m in gen.members
        if any("PROPERTY" in gen.skill_categories[skill] for skill in m.skills)
        for ci in m.communities
    }
    street = sorted((cp.community not in helped, cp.id) for cp in beilin if street_of[cp.id] == FALLBACK_STREET)
    unmanaged = {compound for _, compound in street[:UNMANAGED]}
    ratings = seen.ratings_by_compound()

    def mean(compound: str) -> float:
        found = ratings.get(compound)
        return sum(found) / len(found) if found else 4.0

    managed = sorted((cp.id for cp in beilin if cp.id not in unmanaged), key=lambda c: (mean(c), c))
    rated = [c for c in managed if ratings.get(c)]
    worst = set(rated[:WORST_COMPOUNDS])
    # The rated compounds first, dealt round, so each of the other firms has ratings to show.
    others = [c for c in rated if c not in worst] + [c for c in managed if c not in worst and c not in ratings]
    firm_of = {c: WORST for c in worst}
    for i, compound in enumerate(others):
        firm_of[compound] = FIRMS[i % (len(FIRMS) - 1)][0]

    district = f"district:{BEILIN}"
    for firm_id, name, phone in FIRMS:
        yield Node("PropertyFirm", {"id": firm_id, "name": name, "phone": phone, "createdAt": t0})
        yield Rel("PropertyFirm", "OF", "District", firm_id, district)
    for n, (compound, firm_id) in enumerate(sorted(firm_of.items()), start=1):
        management = f"management:demo-{n}"
        yield Node("Management", {"id": management, "since": t0, "createdAt": t0})
        yield Rel("Management", "BY", "PropertyFirm", management, firm_id)
        yield Rel("Management", "OF", "Compound", management, compound)
        yield Rel("PropertyFirm", "MANAGES", "Compound", firm_id, compound)

    unit = _state_enterprise(gen)
    since = gen.now - timedelta(days=2 * 365)
    yield Node("Fallback", {"id": FALLBACK_ID, "since": since, "createdAt": since})
    yield Rel("Fallback", "BY", "Unit", FALLBACK_ID, unit)
    yield Rel("Fallback", "FOR", "Street", FALLBACK_ID, f"street:{FALLBACK_STREET}")


def _state_enterprise(gen: Generator) -> str:
    """The state enterprise that serves the street: the first registered in 碑林区 (the demo always has one)."""
    for unit in gen.units:
        if unit.kind == "STATE_ENTERPRISE" and any(gen.district_of_comm(ci) == BEILIN for ci in unit.communities):
            return unit.id
    raise RuntimeError("the demo has no state enterprise in 碑林区 to serve the fallback")


__all__ = ["FALLBACK_ID", "FIRMS", "WORST", "with_firms"]
