"""The demo's ten practical things (一年10件实事, issue 23 §1): every community with enough needs collects
candidate matters from them, its joint meeting (党建联席会议) selects at most ten, its registered units lead
and support them, and most are done and rated by the residents who raised them.

Laid over the needs the generator made, after it (as the property firms are): `with_ten_things` notes each
need's community, category, channel, time and requester, then raises what the API's rules would raise
(resolvers/tenthings/matters.py): a class of needs (一类事) for a category that came back at least twice in
a quarter, a hotline matter for a category with at least three 12345 calls in the year, and a matter of the year's
needs of each other category residents raised. So the figures
mean something — the matters rest on real needs — and no need any other story tells moves. Its own random
stream: nothing the generator draws changes.

Dates, so any day the demo runs tells the same story: the meeting is held 90 days before `now` (but not
before 1 January, so the matters are always this year's), the candidates raised a week before it from the
needs of the year before, and matters are completed between the meeting and `now` (none in the first two
weeks of a year).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from seeds.generator import Generator, Node, Record, Rel

XIAN = timedelta(hours=8)
CLASS_MIN = 2  # the API's rule (resolvers/tenthings/matters.py CLASS_MIN)
HOTLINE_MIN = 3  # the API's rule (HOTLINE_MIN)
TEN = 10
MEETING_BEFORE = timedelta(days=90)
MIN_WORKING = timedelta(days=14)  # nothing is done before the lead units have had two weeks
RAISED_BEFORE_MEETING = timedelta(days=7)
MAX_PRESENT = 8  # units recorded at a meeting
# The chance a selected matter is done by now: its lead unit has had 90 days.
DONE_SHARE = 0.8
HOTLINE = "HOTLINE_12345"
# The words of a matter's title, by category (what a community would call the work); others use the name.
WORK = {
    "SEWER": "下水管网疏通改造",
    "NOISE": "噪音扰民错峰治理",
    "PARKING_CHARGING": "停车充电设施增设",
    "ELDERLY_CARE": "助老服务提质",
    "DISPUTE_MEDIATION": "邻里纠纷调解",
    "PROPERTY": "老旧小区物业提升",
}
EVIDENCE = "完工验收单及施工前后照片已存档，居民代表现场确认"


@dataclass
class _Need:
    id: str
    created: datetime
    channel: str
    category: str = ""
    community: str = ""
    resident: str | None = None
    compound: str | None = None


@dataclass
class _Seen:
    needs: dict[str, _Need] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)  # code → name
    venues_of: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # unit → venues
    members_of: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # unit → members

    def note(self, record: Record) -> None:
        if isinstance(record, Node):
            props = record.props
            if record.label == "Need":
                self.needs[props["id"]] = _Need(props["id"], props["createdAt"], props.get("channel") or "")
            elif record.label == "Category":
                self.categories[props["code"]] = props["name"]
            return
        need = self.needs.get(record.start) if record.start_label == "Need" else None
        if need is not None:
            if record.type == "OF":
                need.category = record.end.removeprefix("category:")
            elif record.type == "RAISED_BY":
                need.resident = record.end
            elif record.type == "AT" and record.end_label == "Compound":
                need.compound = record.end  # its community: `_ten_things`, once the compounds are made
            elif record.type == "AT":
                need.community = record.end
        elif record.type == "OWNED_BY" and record.start_label == "Venue":
            self.venues_of[record.end].append(record.start)
        elif record.type == "BELONGS_TO" and record.start_label == "Member":
            self.members_of[record.end].append(record.start)


def with_ten_things(gen: Generator, stream: Iterable[Record]) -> Iterator[Record]:
    """`stream` (the generator's, with whatever was laid over it), then the demo's practical matters."""
    seen = _Seen()
    for record in stream:
        if gen.preset.demo_fixtures:
            seen.note(record)
        yield record
    if gen.preset.demo_fixtures:
        yield from _ten_things(gen, seen)


@dataclass
class _Candidate:
    title: str
    source: str
    category: str
    needs: list[_Need]
    quarter: str | None = None


def _quarters(before: datetime) -> list[tuple[str, datetime, datetime]]:
    """The quarters (Beijing time) begun before `before` and ending within the year before it."""
    local = (before + XIAN).replace(tzinfo=None)
    year, number = local.year, (local.month - 1) // 3 + 1
    out = []
    for _ in range(5):
        start = datetime(year, 3 * number - 2, 1, tzinfo=UTC) - XIAN
        end_year, end_number = (year, number + 1) if number < 4 else (year + 1, 1)
        end = datetime(end_year, 3 * end_number - 2, 1, tzinfo=UTC) - XIAN
        if end > before - timedelta(days=365):
            out.append((f"{year}-Q{number}", start, end))
        year, number = (year, number - 1) if number > 1 else (year - 1, 4)
    return out


def _candidates(community_name: str, needs: list[_Need], names: dict[str, str], raised: datetime, year: int):
    year_start = datetime(year, 1, 1, tzinfo=UTC) - XIAN
    found: list[_Candidate] = []
    for quarter, start, end in _quarters(raised):
        if int(quarter[:4]) > year:
            continue
        by_category: dict[str, list[_Need]] = defaultdict(list)
        for n in needs:
            if start <= n.created < min(end, raised):
                by_category[n.category].append(n)
        for category, those in sorted(by_category.items()):
            if len(those) >= CLASS_MIN:
                title = f"{community_name}{WORK.get(category, names.get(category, category) + '集中解决')}"
                found.append(_Candidate(f"{title}（{quarter}）", "RECURRING_CLASS", category, those, quarter))
    calls: dict[str, list[_Need]] = defaultdict(list)
    for n in needs:
        if n.channel == HOTLINE and year_start <= n.created < raised:
            calls[n.category].append(n)
    for category, those in sorted(calls.items()):
        if len(those) >= HOTLINE_MIN:
            title = f"12345热线反映集中的{names.get(category, category)}问题"
            found.append(_Candidate(title, "HOTLINE", category, those))
    # What residents raised in the year before that no class or calls gathered: a matter of their needs.
    gathered = {c.category for c in found}
    raised_by: dict[str, list[_Need]] = defaultdict(list)
    for n in needs:
        if raised - timedelta(days=365) <= n.created < raised and n.category not in gathered:
            raised_by[n.category].append(n)
    for category, those in sorted(raised_by.items()):
        title = f"{community_name}{WORK.get(category, names.get(category, category) + '问题解决')}"
        found.append(_Candidate(title, "NEEDS", category, those))
    # The meeting weighs the most residents first.
    found.sort(key=lambda c: (-len({n.resident for n in c.needs}), -len(c.needs), c.title))
    return found


def _ten_things(gen: Generator, seen: _Seen) -> Iterator[Record]:
    rng = random.Random(f"{gen.seed}-ten-things")
    local_now = gen.now + XIAN
    this_year = datetime(local_now.year, 1, 1, tzinfo=UTC) - XIAN
    meeting_at = max(gen.now - MEETING_BEFORE, this_year)
    raised = meeting_at - RAISED_BEFORE_MEETING
    working = gen.now - meeting_at  # what the lead units have had
    year = (meeting_at + XIAN).year
    held_on = (meeting_at + XIAN).date()
    community_of = {cp.id: f"community:{gen.communities[cp.community].code}" for cp in gen.compounds}
    by_community: dict[str, list[_Need]] = defaultdict(list)
    for need in seen.needs.values():
        if need.compound:
            need.community = community_of[need.compound]
        if need.community and need.created < raised:
            by_community[need.community].append(need)
    names = {f"community:{c.code}": c.name for c in gen.communities}
    units_of: dict[str, list[int]] = defaultdict(list)
    for ui, unit in enumerate(gen.units):
        for ci in unit.communities:
            units_of[f"community:{gen.communities[ci].code}"].append(ui)
    offerings_of: dict[int, list[int]] = defaultdict(list)
    for oi, offering in enumerate(gen.offerings):
        offerings_of[offering.unit].append(oi)

    for community in sorted(by_community):
        found = _candidates(names[community], by_community[community], seen.categories, raised, year)
        present = units_of.get(community, [])[:MAX_PRESENT]
        if not found or not present:
            continue
        key = community.removeprefix("community:")
        meeting = f"meeting:demo-{key}"
        yield Node("JointMeeting", {"id": meeting, "heldOn": held_on, "year": year, "createdAt": meeting_at,
                                    "note": "党建联席会议：驻区单位与居民代表共商，按涉及居民多少排序"})  # fmt: skip
        yield Rel("JointMeeting", "OF", "Community", meeting, community)
        for ui in present:
            yield Rel("JointMeeting", "ATTENDED_BY", "Unit", meeting, gen.units[ui].id)
        # The meeting takes what more than one resident raised (and the community's first matter in any case),
        # ten at most; the lead units finish most of them.
        chosen = [c for rank, c in enumerate(found) if rank == 0 or len({n.resident for n in c.needs}) > 1][:TEN]
        for rank, candidate in enumerate(found):
            matter = f"matter:demo-{key}-{rank + 1}"
            props: dict[str, object] = {"id": matter, "title": candidate.title, "year": year,
                                        "source": candidate.source, "status": "CANDIDATE",
                                        "quarter": candidate.quarter, "createdAt": raised}  # fmt: skip
            selected = candidate in chosen
            done = selected and rng.random() < DONE_SHARE and working >= MIN_WORKING
            share = min(0.3 + 0.05 * chosen.index(candidate), 0.9) if selected else 0.0
            completed = meeting_at + working * share if selected else None
            if selected:
                props.update(status="SELECTED", selectedAt=meeting_at)
            if done:
                props.update(status="COMPLETED", completedAt=completed, evidence=EVIDENCE)
            yield from _matter(props, community, candidate)
            if selected:
                yield Rel("PracticalMatter", "SELECTED_AT", "JointMeeting", matter, meeting)
                yield from _pulled_in(gen, seen, rng, matter, candidate, present, offerings_of, meeting_at, rank)
            if done:
                assert completed is not None
                yield from _ratings(rng, matter, candidate, completed)


def _matter(props: dict[str, object], community: str, candidate: _Candidate) -> Iterator[Record]:
    matter = str(props["id"])
    yield Node("PracticalMatter", props)
    yield Rel("PracticalMatter", "IN", "Community", matter, community)
    yield Rel("PracticalMatter", "OF", "Category", matter, f"category:{candidate.category}")
    for need in candidate.needs:
        yield Rel("PracticalMatter", "SUPPORTED_BY", "Need", matter, need.id)
    for compound in sorted({n.compound for n in candidate.needs if n.compound}):
        yield Rel("PracticalMatter", "CONCERNS", "Compound", matter, compound)


def _pulled_in(
    gen: Generator,
    seen: _Seen,
    rng: random.Random,
    matter: str,
    candidate: _Candidate,
    present: list[int],
    offerings_of: dict[int, list[int]],
    at: datetime,
    rank: int,
) -> Iterator[Record]:
    """The lead unit (one whose offering serves the category if one was present, else the first present)
    with an offering or a member's hours, and a supporting unit with a venue or money-free hours."""
    serving = [ui for ui in present if any(candidate.category in gen.offerings[oi].categories
                                           for oi in offerings_of[ui])]  # fmt: skip
    lead = serving[0] if serving else present[rank % len(present)]
    supporters = [ui for ui in present if ui != lead]
    parts = [(lead, "LEAD")] + ([(supporters[rank % len(supporters)], "SUPPORTING")] if supporters else [])
    for n, (ui, role) in enumerate(parts, start=1):
        unit = gen.units[ui]
        commitment = f"commitment:demo-{matter.removeprefix('matter:demo-')}-{n}"
        props: dict[str, object] = {"id": commitment, "role": role, "createdAt": at + timedelta(days=n)}
        offering = next((gen.offerings[oi].id for oi in offerings_of[ui]
                         if candidate.category in gen.offerings[oi].categories), None)  # fmt: skip
        venues, members = seen.venues_of.get(unit.id, []), seen.members_of.get(unit.id, [])
        if offering:
            props["resource"], uses, label = "OFFERING", offering, "Offering"
        elif venues and role == "SUPPORTING":
            props["resource"], uses, label = "VENUE", venues[0], "Venue"
        elif members:
            props["resource"], uses, label = "MEMBER_HOURS", members[rank % len(members)], "Member"
            props["hours"] = rng.choice((8, 16, 24, 40))
        else:
            continue
        yield Node("MatterCommitment", props)
        yield Rel("MatterCommitment", "TO", "PracticalMatter", commitment, matter)
        yield Rel("MatterCommitment", "BY", "Unit", commitment, unit.id)
        yield Rel("MatterCommitment", "USES", label, commitment, uses)
        if role == "LEAD":
            yield Rel("PracticalMatter", "LED_BY", "Unit", matter, unit.id)
            note = f"matternote:demo-{matter.removeprefix('matter:demo-')}"
            yield Node("MatterNote", {"id": note, "text": f"{unit.name}已进场，正在推进：{candidate.title}",
                                      "createdAt": at + timedelta(days=20)})  # fmt: skip
            yield Rel("MatterNote", "ON", "PracticalMatter", note, matter)
            yield Rel("MatterNote", "BY", "Unit", note, unit.id)


def _ratings(rng: random.Random, matter: str, candidate: _Candidate, completed: datetime) -> Iterator[Record]:
    """Most residents who raised a completed matter's needs say how satisfied they are."""
    residents = sorted({n.resident for n in candidate.needs if n.resident})
    for i, resident in enumerate(residents):
        if rng.random() < 0.25:  # not everyone says
            continue
        rating = rng.choices((5, 4, 3, 2), weights=(55, 33, 8, 4))[0]
        rid = f"matterrating:demo-{matter.removeprefix('matter:demo-')}-{i}"
        yield Node("MatterRating", {"id": rid, "rating": rating, "ratedAt": completed + timedelta(days=3),
                                    "createdAt": completed + timedelta(days=3)})  # fmt: skip
        yield Rel("MatterRating", "OF", "PracticalMatter", rid, matter)
        yield Rel("MatterRating", "BY", "Resident", rid, resident)


__all__ = ["with_ten_things"]
