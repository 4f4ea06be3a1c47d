"""A deterministic generator of Minhu's graph: the same (preset, seed, now) gives identical records.

Records stream out as `Node` and `Rel` values, nodes of a kind before the relationships that need
them, so the loader can write in batches without holding the whole graph. Only small indexes
(compounds, units, offerings, member profiles) stay in memory; needs are simulated twice with the
same random stream: once to learn every handler's load and ratings (which the members and
offerings carry), once to emit them.
"""

from __future__ import annotations

import itertools
import random
from collections import abc, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from graph.needs.kinds import OPEN_STATES, EventType
from graph.needs.write import need_number
from graph.venues.kinds import venue_key
from seeds import reference as ref
from seeds import texts

BEIJING = timedelta(hours=8)
DEMO_COMMUNITY = "610103001009"  # 书院门社区, 南院门街道, 碑林区
DEMO_STREET = "610103001"
# The state enterprise's maintenance service answers every day, 08:00–18:00.
DEMO_SERVICE_HOURS = [f"{day} 08:00-18:00" for day in range(1, 8)]
DEMO_VENUE_COMMUNITY = "610103001004"  # 南院门社区
GAOLING = "610117"
# Story 10: three communities of 南院门街道 where 噪音扰民 doubled last quarter (书院门, 南院门, 德福巷).
NOISE_COMMUNITIES = ("610103001009", "610103001004", "610103001010")
NOISE_BEFORE, NOISE_AFTER = 3, 6
# Story 11 (fund → project → outcome): 停车充电 in 南院门社区 came up six times in the 60 days before the
# charging project started (60 days before `now`) and twice since, so the project's outcome shows it fell.
PROJECT_COMMUNITY = "610103001004"
PROJECT_DAYS = 60
PROJECT_BEFORE_DAYS, PROJECT_AFTER_DAYS = (65, 72, 80, 90, 100, 110), (20, 45)
PROJECT_PROGRAM = ref.governance_share("610103")  # 碑林区's share of the 社区发展治理专项经费
# Story 12: two residents of one 德福巷社区 compound report the same broken lamps a day apart.
DUPLICATE_COMMUNITY = "610103001010"
DEMO_GRANT = "grant:demo-chargers"
DUPLICATE_CALLS = (  # (id, days before now, title, description)
    ("need:demo-lamp", 2, "小区路灯坏了晚上一片漆黑", "{place}院子里的路灯坏了好几盏，晚上一片漆黑，老人出门易摔"),
    ("need:demo-lamp-twin", 1, "院里路灯不亮晚上漆黑", "{place}路灯坏了，晚上院子里一片漆黑，老人孩子出门不安全"),
)
# Story 13 (issue 23 §4): two residents called in one blocked drain; the coordinator merged the later call
# into the first, which was then handled: the second caller follows it (ALSO_RAISED_BY) and may rate it.
MERGED_CALLS = (  # (id, (resident id, name), days before now, status)
    ("need:demo-backflow", ("resident:demo-zhou", "周建华"), 9, "COMPLETED"),
    ("need:demo-backflow-twin", ("resident:demo-sun", "孙丽"), 8, "CANCELLED"),
)
# Story 6: which of the ten coming Tuesdays (1-based) the demo room is already booked on.
NIGHT_SCHOOL_CLASHES = (3, 6)


class LatLon(NamedTuple):
    lat: float
    lon: float


class Node(NamedTuple):
    label: str
    props: dict[str, Any]


class Rel(NamedTuple):
    start_label: str
    type: str
    end_label: str
    start: str
    end: str


Record = Node | Rel


@dataclass(frozen=True)
class Preset:
    name: str
    compound_districts: tuple[str, ...] | None  # None = every district with street communities
    compounds_per_community: tuple[int, int]
    service_stations: int
    units: int
    members: int
    venues: int  # besides the compound stations
    needs: int
    demo_fixtures: bool
    grants_city: int
    grants_district: int
    booked_venue_share: float


PRESETS: dict[str, Preset] = {
    "demo": Preset(
        name="demo",
        compound_districts=("610103", "610102", GAOLING),
        compounds_per_community=(2, 4),
        service_stations=40,
        units=60,
        members=400,
        venues=40,
        needs=600,
        demo_fixtures=True,
        grants_city=20,
        grants_district=4,
        booked_venue_share=0.5,
    ),
    "city": Preset(
        name="city",
        compound_districts=None,
        compounds_per_community=(3, 7),
        service_stations=1373,
        units=3600,
        members=171_000,
        venues=3900 - 1373,
        needs=14_200,
        demo_fixtures=False,
        grants_city=300,
        grants_district=30,
        booked_venue_share=0.3,
    ),
}


def default_now() -> datetime:
    """Today at 00:00 UTC: the reference time, so one seed gives one graph per day."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _weighted(rng: random.Random, items: dict[str, int]) -> str:
    return rng.choices(tuple(items), weights=tuple(items.values()))[0]


STATE_WEIGHTS = {
    "SUBMITTED": 8,
    "DISPATCHED": 5,
    "ACCEPTED": 4,
    "IN_PROGRESS": 5,
    "COMPLETED": 14,
    "EVALUATED": 48,
    "DECLINED": 3,
    "ESCALATED": 4,
    "SUSPENDED": 2,
    "CANCELLED": 4,
    "REOPENED": 3,
}
CHANNEL_WEIGHTS = {"APP": 40, "HOTLINE_12345": 30, "GRID_WORKER": 15, "SENTINEL": 8, "VISIT": 7}
URGENCY_WEIGHTS = {"LOW": 15, "NORMAL": 60, "HIGH": 20, "URGENT": 5}
CATEGORY_WEIGHTS = {c.code: c.need_weight for c in ref.CATEGORIES}
RESPONSE_HOURS = {"URGENT": 2, "HIGH": 12, "NORMAL": 24, "LOW": 48}
COMPLETION_DAYS = {"URGENT": 1, "HIGH": 3, "NORMAL": 7, "LOW": 14}
UNIT_KIND_WEIGHTS = {k.code: k.weight for k in ref.UNIT_KINDS}
UNIT_KIND_CATEGORIES = {k.code: k.serves for k in ref.UNIT_KINDS}
VENUE_KIND_WEIGHTS = {k.code: k.weight for k in ref.VENUE_KINDS if k.weight}
SLOTS = ((1, 0, 3, 0), (6, 0, 8, 0), (11, 0, 13, 0))  # UTC (09–11, 14–16, 19–21 Beijing)


@dataclass
class Compound:
    id: str
    name: str
    community: int  # index into communities
    location: LatLon


@dataclass
class Unit:
    id: str
    name: str
    kind: str
    communities: tuple[int, ...]
    location: LatLon


@dataclass
class Offering:
    id: str
    unit: int
    categories: tuple[str, ...]
    capacity: int


@dataclass
class MemberProfile:
    id: str
    name: str
    phone: str
    unit: int
    communities: tuple[int, ...]
    skills: tuple[int, ...]
    max_load: int
    availability: tuple[str, ...]
    location: LatLon


@dataclass
class Stats:
    """A handler's counters as the live mutations keep them: openLoad = ACTIVE assignments,
    assignedCount = accepted ones, completedCount = COMPLETED ones, ratings = the requesters'
    evaluations of its assignments, lastServedAt = the latest completion."""

    open_load: int = 0
    assigned: int = 0
    completed: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    last_served: datetime | None = None

    def count(self, assignment: dict[str, Any], rating: int | None) -> None:
        self.open_load += assignment["status"] == "ACTIVE"
        self.assigned += assignment["acceptedAt"] is not None
        self.completed += assignment["status"] == "COMPLETED"
        if assignment["completedAt"] is not None:
            self.last_served = max(self.last_served or assignment["completedAt"], assignment["completedAt"])
        self.count_rating(rating)

    def count_rating(self, rating: int | None) -> None:
        if rating is not None:
            self.rating_sum += rating
            self.rating_count += 1


@dataclass
class NeedIndex:
    """What later phases (bookings, grants) need to know about the generated needs."""

    by_community_category: dict[tuple[int, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    by_district_category: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))


def _uid(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + f"{rng.randrange(10**9):09d}"


def _person(rng: random.Random) -> str:
    surname = rng.choices(texts.SURNAMES, weights=texts.SURNAME_WEIGHTS)[0]
    given = texts.GIVEN[rng.randrange(len(texts.GIVEN))]
    if rng.random() < 0.7:
        given += texts.GIVEN[rng.randrange(len(texts.GIVEN))]
    return surname + given


def _near(rng: random.Random, at: LatLon, km: float) -> LatLon:
    dlat = rng.uniform(-km, km) / 111.32
    dlon = rng.uniform(-km, km) / 92.0
    return LatLon(round(at.lat + dlat, 6), round(at.lon + dlon, 6))


def _availability(rng: random.Random) -> tuple[str, ...]:
    out = []
    for day in sorted(rng.sample(range(1, 8), rng.randint(1, 3))):
        start = rng.choice((8, 9, 14, 15, 18, 19))
        out.append(f"{day} {start:02d}:00-{start + rng.choice((2, 3, 4)):02d}:00")
    return tuple(out)


class Generator:
    def __init__(self, preset: str | Preset, seed: int = 20261125, now: datetime | None = None) -> None:
        if isinstance(preset, str):
            if preset not in PRESETS:
                raise ValueError(f"unknown preset {preset!r}; presets: {', '.join(sorted(PRESETS))}")
            preset = PRESETS[preset]
        self.preset = preset
        self.seed = seed
        self.now = now or default_now()
        self.districts = ref.districts()
        self.streets = ref.streets()
        self.communities = ref.communities()
        self.street_of = {s.code: s for s in self.streets}
        self.comm_index = {c.code: i for i, c in enumerate(self.communities)}
        wanted = preset.compound_districts
        self.active = [
            i for i, c in enumerate(self.communities) if wanted is None or self.street_of[c.street].district in wanted
        ]
        self.compounds: list[Compound] = []
        self.compounds_by_comm: dict[int, list[int]] = defaultdict(list)
        self.units: list[Unit] = []
        self.units_by_comm: dict[int, list[int]] = defaultdict(list)
        self.units_by_street: dict[str, list[int]] = defaultdict(list)
        self.offerings: list[Offering] = []
        self.offerings_by_area: dict[str, list[int]] = defaultdict(list)
        self.members: list[MemberProfile] = []
        self.members_by_comm: dict[int, list[int]] = defaultdict(list)
        self.skill_categories = [set(s.serves) for s in ref.SKILLS]

    def rng(self, phase: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.preset.name}:{phase}")

    def created(self, rng: random.Random, days: int = 400) -> datetime:
        return self.now - timedelta(days=days) + timedelta(seconds=rng.randrange(days * 86400 // 4))

    def district_of_comm(self, idx: int) -> str:
        return self.street_of[self.communities[idx].street].district

    # ------------------------------------------------------------------ stream

    def records(self) -> Iterator[Record]:
        yield from self._reference()
        yield from self._users()
        yield from self._compounds()
        units = list(self._units())  # held back until the simulation knows their ratings
        self._offering_index()
        self._member_profiles()
        state = self._simulate()
        yield from self._rated_units(units, state)
        yield from self._offerings(state)
        yield from self._members(state)
        index = NeedIndex()
        yield from self._needs(NeedState(), index)
        yield from self._venues(index)
        yield from self._funding(index)

    # ------------------------------------------------------------------ reference and places

    def _reference(self) -> Iterator[Record]:
        t0 = self.now - timedelta(days=500)
        for c in ref.CATEGORIES:
            yield Node(
                "Category",
                {
                    "id": f"category:{c.code}",
                    "code": c.code,
                    "name": c.name,
                    "description": c.description,
                    "createdAt": t0,
                },
            )
        for s in ref.SKILLS:
            yield Node("Skill", {"id": f"skill:{s.code}", "code": s.code, "name": s.name, "createdAt": t0})
            for cat in s.serves:
                yield Rel("Skill", "SERVES", "Category", f"skill:{s.code}", f"category:{cat}")
        for f in ref.FACILITIES:
            yield Node("Facility", {"id": f"facility:{f.code}", "code": f.code, "name": f.name, "createdAt": t0})
        for d in self.districts:
            yield _area("District", d, t0)
        for s in self.streets:
            yield _area("Street", s, t0)
            yield Rel("Street", "IN", "District", s.id, f"district:{s.district}")
        for c in self.communities:
            yield _area("Community", c, t0, officialName=c.official_name)
            yield Rel("Community", "IN", "Street", c.id, f"street:{c.street}")

    def _users(self) -> Iterator[Record]:
        rng = self.rng("users")
        t0 = self.now - timedelta(days=450)
        yield _user("user:city-admin", "西安市党建引领基层治理工作专班", "CITY_ADMIN", None, t0)
        for d in self.districts:
            yield _user(
                f"user:district-admin-{d.code}", f"{d.name}社区治理办{_person(rng)}", "DISTRICT_ADMIN", d.id, t0
            )
        for s in self.streets:
            yield _user(f"user:coord-{s.code}", f"{s.name}{_person(rng)}", "COORDINATOR", s.id, t0)
        for c in self.communities:
            yield _user(f"user:coord-{c.code}", f"{c.name}{_person(rng)}", "COORDINATOR", c.id, t0)

    def _compound_name(self, rng: random.Random, comm: ref.Community, taken: set[str]) -> str:
        for _ in range(20):
            if comm.kind == "村":
                name = comm.name + rng.choice(texts.VILLAGE_COMPOUND_SUFFIXES)
            elif rng.random() < 0.3:
                name = comm.name.removesuffix("社区") + rng.choice(texts.COMPOUND_SUFFIXES)
            else:
                name = rng.choice(texts.COMPOUND_WORDS) + rng.choice(texts.COMPOUND_SUFFIXES)
            if name not in taken:
                return name
        return f"{name}{len(taken) + 1}期"

    def _compounds(self) -> Iterator[Record]:
        rng = self.rng("compounds")
        lo, hi = self.preset.compounds_per_community
        for ci in self.active:
            comm = self.communities[ci]
            taken: set[str] = set()
            for n in range(1, rng.randint(lo, hi) + 1):
                name = self._compound_name(rng, comm, taken)
                taken.add(name)
                loc = _near(rng, LatLon(comm.lat, comm.lon), 0.6)
                self.compounds_by_comm[ci].append(len(self.compounds))
                self.compounds.append(Compound(f"compound:{comm.code}-{n}", name, ci, loc))
        stations = set(rng.sample(range(len(self.compounds)), min(self.preset.service_stations, len(self.compounds))))
        if self.preset.demo_fixtures:
            stations.add(self.compounds_by_comm[self.comm_index[DEMO_COMMUNITY]][0])
        self.stations = sorted(stations)
        for i, cp in enumerate(self.compounds):
            yield Node(
                "Compound",
                {
                    "id": cp.id,
                    "name": cp.name,
                    "households": rng.randrange(80, 2400, 10),
                    "hasServiceStation": i in stations,
                    "location": cp.location,
                    "createdAt": self.created(rng, 600),
                },
            )
            yield Rel("Compound", "IN", "Community", cp.id, self.communities[cp.community].id)

    def _unit_name(self, rng: random.Random, kind: str, ci: int) -> str:
        district = next(d.name for d in self.districts if d.code == self.district_of_comm(ci))
        w = rng.choice(texts.UNIT_WORDS)
        if kind == "STATE_ENTERPRISE":
            return f"陕西{w}{rng.choice(texts.STATE_INDUSTRIES)}集团有限公司"
        if kind == "SCHOOL":
            k = rng.choice(texts.SCHOOL_KINDS)
            return f"西安市第{rng.randint(20, 120)}中学" if k == "中学" else f"西安{w}{k}"
        if kind == "HOSPITAL":
            return rng.choice((f"西安{w}医院", f"西安市{w}中医医院", f"{district}{w}社区卫生服务中心"))
        if kind == "AGENCY":
            return f"{district}{rng.choice(texts.AGENCY_DEPTS)}"
        if kind == "COMPANY":
            return f"西安{w}{rng.choice(texts.COMPANY_TRADES)}有限公司"
        if kind == "SOCIAL_ORG":
            return f"{district}{w}{rng.choice(texts.SOCIAL_ORGS)}"
        return f"陕西{w}物业服务有限公司"

    def _units(self) -> Iterator[Record]:
        rng = self.rng("units")
        taken: set[str] = set()
        specs: list[tuple[str, str, int]] = []
        if self.preset.demo_fixtures:
            specs.append(("unit:demo-state-enterprise", "STATE_ENTERPRISE", self.comm_index[DEMO_COMMUNITY]))
            specs.append(("unit:demo-hospital", "HOSPITAL", self.comm_index[DEMO_VENUE_COMMUNITY]))
        for n in range(1, self.preset.units - len(specs) + 1):
            specs.append((f"unit:{n}", _weighted(rng, UNIT_KIND_WEIGHTS), rng.choice(self.active)))
        for uid, kind, ci in specs:
            if uid == "unit:demo-state-enterprise":
                name = "陕西秦川城市服务集团有限公司"
            elif uid == "unit:demo-hospital":
                name = "西安长安仁和医院"
            else:
                name = self._unit_name(rng, kind, ci)
                for _ in range(10):
                    if name not in taken:
                        break
                    name = self._unit_name(rng, kind, ci)
                else:
                    street_name = self.street_of[self.communities[ci].street].name
                    name = f"{name}{street_name}{'分公司' if kind in ('STATE_ENTERPRISE', 'COMPANY') else '分部'}"
                    suffix = 2
                    while name in taken:
                        name, suffix = f"{name.rstrip('0123456789')}{suffix}", suffix + 1
            taken.add(name)
            comm = self.communities[ci]
            regs = [ci]
            siblings = [j for j in self.active if self.communities[j].street == comm.street and j != ci]
            if siblings and rng.random() < 0.5:
                regs.append(rng.choice(siblings))
            loc = _near(rng, LatLon(comm.lat, comm.lon), 0.8)
            ui = len(self.units)
            self.units.append(Unit(uid, name, kind, tuple(regs), loc))
            self.units_by_street[comm.street].append(ui)
            for r in regs:
                self.units_by_comm[r].append(ui)
            street = self.street_of[comm.street]
            yield Node(
                "Unit",
                {
                    "id": uid,
                    "name": name,
                    "kind": kind,
                    "location": loc,
                    "address": f"西安市{self._district_name(street.district)}{street.name}{comm.name}附近"
                    f"{rng.choice(texts.UNIT_WORDS)}路{rng.randint(1, 300)}号",
                    "phone": f"029{rng.randrange(10**8):08d}",
                    "createdAt": self.created(rng, 500),
                },
            )
            for r in regs:
                yield Rel("Unit", "REGISTERED_WITH", "Community", uid, self.communities[r].id)
            admin = "user:unit-admin-" + uid.split(":", 1)[1]
            yield _user(admin, f"{name}{_person(rng)}", "UNIT_ADMIN", uid, self.created(rng, 500))

    def _rated_units(self, records: list[Record], state: NeedState) -> Iterator[Record]:
        index = {unit.id: ui for ui, unit in enumerate(self.units)}
        for record in records:
            if isinstance(record, Node) and record.label == "Unit":
                stats = state.unit_stats.get(index[record.props["id"]], Stats())
                record.props["ratingSum"], record.props["ratingCount"] = stats.rating_sum, stats.rating_count
            yield record

    def _district_name(self, code: str) -> str:
        return next(d.name for d in self.districts if d.code == code)

    # ------------------------------------------------------------------ offerings and members

    def _offering_index(self) -> None:
        rng = self.rng("offering-index")
        category_of = {c.code: c for c in ref.CATEGORIES}
        self.offering_meta: list[tuple[str, str, list[str], str, str, list[str]]] = []
        for ui, unit in enumerate(self.units):
            n_off = rng.choice((1, 1, 1, 2, 2, 3))
            cats = list(UNIT_KIND_CATEGORIES[unit.kind])
            if unit.id == "unit:demo-state-enterprise":
                plan = [
                    (
                        "offering:demo-sewer-service",
                        ["SEWER", "SEWER_RENOVATION", "PROPERTY"],
                        [f"street:{DEMO_STREET}"],
                    )
                ]
            else:
                plan = []
                for k in range(n_off):
                    cat_sel = rng.sample(cats, min(len(cats), rng.choice((1, 1, 2))))
                    comm = self.communities[unit.communities[0]]
                    reach = rng.random()
                    if reach < 0.5:
                        areas = [self.communities[c].id for c in unit.communities]
                    elif reach < 0.85:
                        areas = [f"street:{comm.street}"]
                    else:
                        areas = [f"district:{self.street_of[comm.street].district}"]
                    plan.append((f"offering:{ui + 1}-{k + 1}", cat_sel, areas))
            for oid, cat_sel, areas in plan:
                first = category_of[cat_sel[0]]
                title, desc = first.offering_title, first.offering_description
                oi = len(self.offerings)
                capacity = 5 if oid == "offering:demo-sewer-service" else rng.choice((2, 3, 5, 10, 30))
                self.offerings.append(Offering(oid, ui, tuple(cat_sel), capacity))
                self.offering_meta.append((oid, unit.name + "·" + title, cat_sel, desc, unit.id, areas))
                for area in areas:
                    self.offerings_by_area[area].append(oi)

    def _offerings(self, state: NeedState) -> Iterator[Record]:
        rng = self.rng("offerings")
        for oi, (oid, title, cats, desc, uid, areas) in enumerate(self.offering_meta):
            off = self.offerings[oi]
            # Draw for every offering, fixture or not, so the fixture does not shift the rest of the stream.
            availability = list(_availability(rng))
            stats = state.offering_stats.get(oi, Stats())
            status = "ACTIVE" if rng.random() < 0.95 or stats.open_load else "WITHDRAWN"
            if oid == "offering:demo-sewer-service":
                availability, status = DEMO_SERVICE_HOURS, "ACTIVE"
            yield Node(
                "Offering",
                {
                    "id": oid,
                    "title": title,
                    "description": desc,
                    "capacity": off.capacity,
                    "openLoad": stats.open_load,
                    "ratingSum": stats.rating_sum,
                    "ratingCount": stats.rating_count,
                    "availability": availability,
                    "status": status,
                    "createdAt": self.created(rng, 500),
                },
            )
            yield Rel("Unit", "OFFERS", "Offering", uid, oid)
            for cat in cats:
                yield Rel("Offering", "SERVES", "Category", oid, f"category:{cat}")
            for area in areas:
                label = {"district": "District", "street": "Street", "community": "Community"}[area.split(":")[0]]
                yield Rel("Offering", "IN_AREA", label, oid, area)

    def _member_profiles(self) -> None:
        rng = self.rng("members")
        n_skills = len(ref.SKILLS)
        plumbing = next(i for i, s in enumerate(ref.SKILLS) if s.code == "PLUMBING")
        demo_ci = self.comm_index[DEMO_COMMUNITY]
        for n in range(1, self.preset.members + 1):
            home = demo_ci if self.preset.demo_fixtures and n <= 45 else rng.choice(self.active)
            comm = self.communities[home]
            near_units = self.units_by_street.get(comm.street)
            unit = rng.choice(near_units) if near_units and rng.random() < 0.6 else rng.randrange(len(self.units))
            regs = [home]
            unit_comm = self.units[unit].communities[0]
            if unit_comm != home and rng.random() < 0.4:
                regs.append(unit_comm)
            skills = tuple(sorted(rng.sample(range(n_skills), rng.choice((1, 1, 2, 2, 3)))))
            mid = f"member:{n}"
            availability = _availability(rng)
            if self.preset.demo_fixtures and n == 1:
                mid, skills = "member:demo-plumber", (plumbing, 1)
                # Retired and free every morning (story 3: "free this morning" whatever day the demo runs).
                availability = tuple(f"{day} 08:00-12:00" for day in range(1, 8))
                unit = 0
            profile = MemberProfile(
                mid,
                _person(rng),
                _phone(rng),
                unit,
                tuple(regs),
                skills,
                rng.randint(2, 5),
                availability,
                _near(rng, LatLon(comm.lat, comm.lon), 0.8),
            )
            if mid == "member:demo-plumber":
                # He lives in the compound of Ms Wang's sewer need, a few doors away.
                sewer_compound = self.compounds[self.compounds_by_comm[demo_ci][0]]
                profile.name, profile.max_load, profile.location = "赵建国", 3, sewer_compound.location
            for r in regs:
                self.members_by_comm[r].append(len(self.members))
            self.members.append(profile)

    def _members(self, state: NeedState) -> Iterator[Record]:
        rng = self.rng("member-nodes")
        for mi, m in enumerate(self.members):
            s = state.member_stats.get(mi, Stats())
            created = self.created(rng, 500)
            yield Node(
                "Member",
                {
                    "id": m.id,
                    "rosterKey": f"{self.units[m.unit].id}|{m.phone}",
                    "name": m.name,
                    "phone": m.phone,
                    "location": m.location,
                    "availability": list(m.availability),
                    "maxLoad": m.max_load,
                    "openLoad": s.open_load,
                    "ratingSum": s.rating_sum,
                    "ratingCount": s.rating_count,
                    "completedCount": s.completed,
                    "assignedCount": s.assigned,
                    "lastServedAt": s.last_served,
                    "createdAt": created,
                },
            )
            yield Rel("Member", "BELONGS_TO", "Unit", m.id, self.units[m.unit].id)
            for r in m.communities:
                yield Rel("Member", "REGISTERED_WITH", "Community", m.id, self.communities[r].id)
            for sk in m.skills:
                yield Rel("Member", "HAS_SKILL", "Skill", m.id, f"skill:{ref.SKILLS[sk].code}")
            yield _user(member_user(m.id), m.name, "MEMBER", m.id, created)

    # ------------------------------------------------------------------ needs

    def _simulate(self) -> NeedState:
        """Runs the needs phase once without emitting, to learn every handler's counters."""
        state = NeedState()
        for _ in self._needs(state, NeedIndex()):
            pass
        return state

    def _demo_specs(self) -> list[dict[str, Any]]:
        """The demo's named needs (seeds/README.md), laid out against `now` so they hold on any date."""
        demo_ci = self.comm_index[DEMO_COMMUNITY]
        first = self.compounds_by_comm[demo_ci][0]
        today_0740 = self.now - BEIJING + timedelta(hours=7, minutes=40)
        if today_0740 > self.now:
            today_0740 -= timedelta(days=1)
        saturday = self.now + timedelta(days=(5 - self.now.weekday()) % 7 or 7) - BEIJING
        specs: list[dict[str, Any]] = [
            {
                "id": "need:demo-sewer",
                "community": demo_ci,
                "compound": first,
                "category": "SEWER",
                "status": "SUBMITTED",
                "channel": "APP",
                "urgency": "HIGH",
                "people": 1,
                "created": today_0740,
                "title": "楼下下水道堵塞，污水外溢",
                "resident": ("resident:demo-wang", "王秀兰"),
                "window": (today_0740 + timedelta(hours=1), today_0740 + timedelta(hours=10)),
            },
            {
                "id": "need:demo-meals",
                "community": demo_ci,
                "compound": None,
                "category": "ELDERLY_CARE",
                "status": "SUBMITTED",
                "channel": "GRID_WORKER",
                "urgency": "NORMAL",
                "people": 1,
                "created": self.now - timedelta(hours=20),
                "title": "周六上午为独居老人送餐",
                "description": "{place}有十余位独居老人行动不便，周六上午需要党员志愿者把社区食堂的午餐送到家中",
                "window": (saturday + timedelta(hours=9), saturday + timedelta(hours=12)),
            },
            {
                "id": "need:demo-noise",
                "community": demo_ci,
                "compound": self.compounds_by_comm[demo_ci][1],
                "category": "NOISE",
                "status": "SUBMITTED",
                "channel": "HOTLINE_12345",
                "urgency": "NORMAL",
                "people": 1,
                "created": self.now - timedelta(hours=30),
                "title": "夜间装修噪音扰民",
                "resident": ("resident:demo-li", "李桂芳"),
            },
            {
                "id": "need:demo-parking",
                "community": demo_ci,
                "compound": self.compounds_by_comm[demo_ci][1],
                "category": "PARKING_CHARGING",
                "status": "DISPATCHED",
                "channel": "APP",
                "urgency": "NORMAL",
                "people": 1,
                "created": self.now - timedelta(days=12),
                "title": "电动车充电难",
            },
        ]
        # Story 10: 噪音扰民 doubled in three communities of 南院门街道 — three a quarter before, six in
        # the last one (quarters of 91 days ending at `now`, as recurringNeeds counts by default).
        for code in NOISE_COMMUNITIES:
            ci = self.comm_index[code]
            for k in range(NOISE_BEFORE + NOISE_AFTER):
                days = 100 + 25 * k if k < NOISE_BEFORE else 8 + 13 * (k - NOISE_BEFORE)
                specs.append(
                    {
                        "community": ci,
                        "category": "NOISE",
                        "status": "EVALUATED" if days > 20 else "COMPLETED",
                        "created": self.now - timedelta(days=days, hours=6),
                    }
                )
        project_ci = self.comm_index[PROJECT_COMMUNITY]
        for days in PROJECT_BEFORE_DAYS + PROJECT_AFTER_DAYS:
            status = "EVALUATED" if days > PROJECT_DAYS else "COMPLETED"
            created = self.now - timedelta(days=days, hours=3)
            specs.append(
                {"community": project_ci, "category": "PARKING_CHARGING", "status": status, "created": created}
            )
        twin_ci = self.comm_index[DUPLICATE_COMMUNITY]
        for need_id, days, title, description in DUPLICATE_CALLS:
            specs.append(
                {
                    "id": need_id,
                    "community": twin_ci,
                    "compound": self.compounds_by_comm[twin_ci][0],
                    "category": "PROPERTY",
                    "status": "SUBMITTED",
                    "channel": "APP",
                    "urgency": "NORMAL",
                    "people": 1,
                    "created": self.now - timedelta(days=days, hours=2),
                    "title": title,
                    "description": description,
                }
            )
        return specs

    def _call(self, category: str, place: str) -> tuple[str, str]:
        """(title, description) of a need as a caller says it (seeds/texts.py CALL_*); the operator's title
        is the call's first clause."""
        r = self._call_rng
        where = r.choice(texts.CALL_WHERE).format(place=place, b=r.randint(1, 24), u=r.randint(1, 6))
        pool = texts.CALL_PROBLEMS[category]
        problem = r.choice(pool)
        # Half the calls go on about something another caller of the same kind said.
        if r.random() < 0.5:
            tails = [t for t in r.choice(pool).split("，")[1:] if "{where}" not in t]
            problem = "，".join([problem.split("，")[0], *tails])
        title = problem.replace("{where}", "").split("，")[0][:30]
        if "{where}" in problem:
            problem = problem.format(where=where)
        elif r.random() < 0.6:
            problem = f"{where}{r.choice(('', '，', '这边', '那块儿'))}{problem}"
        opener = r.choice(texts.CALL_OPENERS).format(place=place)
        return title, f"{opener}{problem}，{r.choice(texts.CALL_SINCE)}{r.choice(texts.CALL_ASKS)}".rstrip("，")

    def _needs(self, state: NeedState, index: NeedIndex) -> Iterator[Record]:
        rng = self.rng("needs")
        comm_pool = [ci for ci in self.active if self.compounds_by_comm.get(ci)]
        # Random needs of the stories' classes where they are told would blur them (stories 10 and 11).
        quiet: set[tuple[str, int]] = set()
        if self.preset.demo_fixtures:
            quiet = {("NOISE", self.comm_index[code]) for code in NOISE_COMMUNITIES}
            quiet.add(("PARKING_CHARGING", self.comm_index[PROJECT_COMMUNITY]))
        # And the governance projects' classes in their communities, in every preset (their outcomes).
        quiet |= {(p.category, self.comm_index[p.community]) for p in ref.GOVERNANCE_PROJECTS}
        specs = self._demo_specs() if self.preset.demo_fixtures else []
        # Its own stream: the calls' wording varies without moving anything else the seed draws.
        self._call_rng = self.rng("need-calls")
        for seq in range(1, self.preset.needs + 1):
            spec = specs[seq - 1] if seq <= len(specs) else None
            yield from self._need(rng, state, index, spec, seq, comm_pool, quiet)
        # The governance projects' classes and story 13, after the others so that nothing drawn before moves.
        merged = self._merged_specs() if self.preset.demo_fixtures else []
        for seq, spec in enumerate(self._project_specs() + merged, start=self.preset.needs + 1):
            yield from self._need(rng, state, index, spec, seq, comm_pool, quiet)
        if merged:
            (first, (_, _), *_), (twin, (follower, _), *_) = MERGED_CALLS
            yield Rel("Need", "MERGED_INTO", "Need", twin, first)
            yield Rel("Need", "ALSO_RAISED_BY", "Resident", first, follower)

    def _merged_specs(self) -> list[dict[str, Any]]:
        """Story 13's two calls in 德福巷社区 (seeds/README.md)."""
        ci = self.comm_index[DUPLICATE_COMMUNITY]
        return [
            {
                "id": need_id,
                "community": ci,
                "compound": self.compounds_by_comm[ci][-1],
                "category": "SEWER",
                "status": status,
                "channel": "APP",
                "urgency": "NORMAL",
                "people": 1,
                "resident": resident,
                "created": self.now - timedelta(days=days, hours=5),
                "title": "楼道下水管堵了污水往上返",
                "description": "{place}楼道里的下水管堵了，一楼污水往上返，味道很大",
            }
            for need_id, resident, days, status in MERGED_CALLS
        ]

    def _project_start(self, k: int) -> datetime:
        """When the k-th governance project started: 40 days before `now` and five days further each."""
        return self.now - timedelta(days=40 + 5 * k)

    def _project_specs(self) -> list[dict[str, Any]]:
        """Each governance project's class of needs in its community: three to five in the window before its
        start, one in the window since (as long), all handled — what its outcome reports."""
        specs: list[dict[str, Any]] = []
        for k, project in enumerate(ref.GOVERNANCE_PROJECTS):
            start = self._project_start(k)
            span = self.now - start
            before, after = 3 + k % 3, 1
            moments = [start - span + span * (j + 0.5) / before for j in range(before)]
            moments += [start + span * (j + 0.5) / after for j in range(after)]
            for j, created in enumerate(moments):
                specs.append(
                    {
                        "community": self.comm_index[project.community],
                        "compound": None,
                        "category": project.category,
                        "status": "EVALUATED" if j < before else "COMPLETED",
                        "created": created,
                    }
                )
        return specs

    def _need(
        self,
        rng: random.Random,
        state: NeedState,
        index: NeedIndex,
        spec: dict[str, Any] | None,
        seq: int,
        comm_pool: list[int],
        quiet: set[tuple[str, int]],
    ) -> Iterator[Record]:
        """One need (a fixture's when `spec` says so) with its requester, assignments, evaluation and Events.
        Every step draws from `rng` in this order, so one seed gives one graph."""
        spec = spec or {}
        place = self._need_place(rng, spec, comm_pool)
        matter = self._need_matter(rng, spec, place, quiet)
        resident_id = yield from self._requester(rng, state, spec, place, matter.created)
        history = self._history(rng, state, place, matter, resident_id)
        window = spec.get("window")
        if window is None and rng.random() < 0.3:
            start = matter.created + timedelta(hours=rng.randint(4, 96))
            window = (start, start + timedelta(hours=rng.choice((2, 3, 4))))
        district = place.street.district
        state.district_seq[district] += 1
        number = need_number((matter.created + BEIJING).year, district, state.district_seq[district])
        need_id = spec.get("id", f"need:{seq}")
        yield from self._need_records(rng, need_id, number, place, matter, resident_id, history, window)
        self._count_handlers(state, history)
        index.by_community_category[(place.community_index, matter.category)].append(need_id)
        index.by_district_category[(district, matter.category)].append(need_id)

    def _need_place(self, rng: random.Random, spec: dict[str, Any], comm_pool: list[int]) -> NeedPlace:
        """The community the need was raised in, and its compound (nine in ten name one)."""
        community_index = spec.get("community", rng.choice(comm_pool) if not spec else None)
        if "compound" in spec:
            compound_index = spec["compound"]
        else:
            compound_index = rng.choice(self.compounds_by_comm[community_index]) if rng.random() < 0.9 else None
        community = self.communities[community_index]
        return NeedPlace(
            community_index,
            community,
            self.street_of[community.street],
            compound_index,
            self.compounds[compound_index] if compound_index is not None else None,
        )

    def _need_matter(
        self, rng: random.Random, spec: dict[str, Any], place: NeedPlace, quiet: set[tuple[str, int]]
    ) -> NeedMatter:
        """What the need is about, how it came in, how it ends up, when it was raised, and its words."""
        category = spec.get("category") or _weighted(rng, CATEGORY_WEIGHTS)
        if (category, place.community_index) in quiet and "category" not in spec:
            category = next(c for c in ("DISPUTE_MEDIATION", "HOBBY") if (c, place.community_index) not in quiet)
        status = spec.get("status") or _weighted(rng, STATE_WEIGHTS)
        channel = spec.get("channel") or _weighted(rng, CHANNEL_WEIGHTS)
        urgency = spec.get("urgency") or _weighted(rng, URGENCY_WEIGHTS)
        people = spec.get("people") or (1 if rng.random() < 0.85 else rng.randint(2, 5))
        if "created" in spec:
            created = spec["created"]
        elif status in OPEN_STATES:
            created = self.now - timedelta(seconds=rng.randrange(1800, 20 * 86400))
        else:
            created = self.now - timedelta(seconds=rng.randrange(12 * 86400, 365 * 86400))
        title, description = rng.choice(texts.NEED_TEXTS[category])
        title = spec.get("title", title)
        if "title" in spec:
            matches = [d for t, d in texts.NEED_TEXTS[category] if t == title]
            description = spec.get("description") or (matches[0] if matches else "{place}" + title)
        description = description.format(place=place.name, b=rng.randint(1, 24))
        if "title" not in spec:
            title, description = self._call(category, place.name)
        if place.compound is not None:
            location = _near(rng, place.compound.location, 0.05)
        else:
            location = _near(rng, LatLon(place.community.lat, place.community.lon), 0.2)
        return NeedMatter(category, status, channel, urgency, people, created, title, description, location)

    def _requester(
        self, rng: random.Random, state: NeedState, spec: dict[str, Any], place: NeedPlace, created: datetime
    ) -> abc.Generator[Record, None, str]:
        """The resident who raised the need: a fixture's, one who raised a need at this place before (three
        in ten), or a new one, yielded with their User. Returns the resident's id."""
        known = state.residents_by_place[place.resident_key]
        if "resident" in spec:
            resident_id, name = spec["resident"]
            new_resident = True
        elif known and rng.random() < 0.3:
            resident_id, name = rng.choice(known)
            new_resident = False
        else:
            state.resident_seq += 1
            resident_id, name = f"resident:{state.resident_seq}", _person(rng)
            new_resident = True
        if not new_resident:
            return resident_id
        known.append((resident_id, name))
        street, community = place.street, place.community
        home = place.compound.name if place.compound else community.name
        address = (
            f"西安市{self._district_name(street.district)}{street.name}{community.name}{home}"
            f"{rng.randint(1, 24)}号楼{rng.randint(1, 4)}单元{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
        )
        yield Node(
            "Resident",
            {
                "id": resident_id,
                "name": name,
                "phone": _phone(rng),
                "address": address,
                "createdAt": created - timedelta(days=rng.randint(1, 300)),
            },
        )
        if place.compound:
            yield Rel("Resident", "LIVES_IN", "Compound", resident_id, place.compound.id)
        yield _user(resident_user(resident_id), name, "RESIDENT", resident_id, created - timedelta(days=1))
        return resident_id

    def _history(
        self, rng: random.Random, state: NeedState, place: NeedPlace, matter: NeedMatter, resident_id: str
    ) -> NeedHistory:
        """How the need came to its status, one move after another as the live mutations make them: its
        Events, assignments and evaluation, and the level and deadlines it ends with."""
        coordinator = f"user:coord-{place.community.code}"
        resident_actor = resident_user(resident_id)
        urgency = matter.urgency
        intake_actor = (resident_actor, "RESIDENT") if matter.channel == "APP" else (coordinator, "COORDINATOR")
        history = NeedHistory(coordinator)
        history.events.append(
            (matter.created, *intake_actor, None, "SUBMITTED", f"channel {matter.channel}", EventType.SUBMIT)
        )
        clock = _Clock(rng, matter.created, self.now)
        states = _path(matter.status)
        if matter.status == "ESCALATED" and rng.random() < 0.5:
            states = states[:2]  # escalated once (to the street), not yet on to the district
        if "DISPATCHED" in states:
            holding = matter.status in {"ACCEPTED", "IN_PROGRESS", "REOPENED"}
            history.handlers = self._pick_handlers(
                rng, state, place.community_index, matter.category, matter.people, holding
            )
        events, assignments = history.events, history.assignments
        for from_state, to_state in itertools.pairwise(states):
            if to_state == "DISPATCHED":
                t = clock.advance(0.2, 20)
                history.response_deadline = t + timedelta(hours=RESPONSE_HOURS[urgency])
                history.completion_deadline = t + timedelta(days=COMPLETION_DAYS[urgency])
                # As dispatchNeed does: an invitation each, accepted (ACTIVE) or declined later.
                for label, handler_id, _ in history.handlers:
                    assignments.append(
                        {
                            "id": f"assignment:{_uid(rng)}",
                            "label": label,
                            "to": handler_id,
                            "status": "INVITED",
                            "createdAt": t,
                            "acceptedAt": None,
                            "completedAt": None,
                            "note": None,
                        }
                    )
                events.append((t, coordinator, "COORDINATOR", from_state, to_state, "社区派单", "DISPATCH"))
            elif to_state == "ACCEPTED":
                t = clock.advance(0.1, RESPONSE_HOURS[urgency] * 0.9)
                for a in assignments:
                    a["status"], a["acceptedAt"] = "ACTIVE", t
                events.append((t, *self._handler_actor(history.handlers[0]), from_state, to_state, "已接单", "ACCEPT"))
            elif to_state == "IN_PROGRESS":
                t = clock.advance(0.5, 24)
                events.append(
                    (t, *self._handler_actor(history.handlers[0]), from_state, to_state, "已到场处理", "START")
                )
            elif to_state == "COMPLETED":
                t = clock.advance(1, 24 * COMPLETION_DAYS[urgency] * 0.8)
                for a in assignments:
                    a["status"], a["completedAt"] = "COMPLETED", t
                events.append(
                    (t, *self._handler_actor(history.handlers[0]), from_state, to_state, "已办结", "COMPLETE")
                )
            elif to_state == "EVALUATED":
                t = clock.advance(1, 72)
                history.evaluation = _evaluation(
                    rng, t, resident_id, assignments[0], reopened=matter.status == "REOPENED"
                )
                note = f"{history.evaluation['rating']}/5: {history.evaluation['comment']}"
                events.append((t, resident_actor, "RESIDENT", from_state, to_state, note, "EVALUATE"))
            elif to_state == "REOPENED":
                t = clock.advance(1, 48)
                history.completion_deadline = t + timedelta(days=COMPLETION_DAYS[urgency])
                # As reopenNeed does: back to the handler whose completion was rated, same assignment.
                assignments[0]["status"], assignments[0]["note"] = "ACTIVE", "问题未彻底解决，申请重办"
                events.append(
                    (t, resident_actor, "RESIDENT", from_state, to_state, "问题未彻底解决，申请重办", "REOPEN")
                )
            elif to_state == "DECLINED":
                t = clock.advance(0.2, 10)
                reason = rng.choice(texts.NOTE_DECLINE)
                for a in assignments:
                    a["status"], a["note"] = "DECLINED", reason
                events.append((t, *self._handler_actor(history.handlers[0]), from_state, to_state, reason, "DECLINE"))
            elif to_state == "ESCALATED":
                t = clock.advance(24, 24 * 8)
                if history.level == "COMMUNITY":
                    history.level, actor = "STREET", (coordinator, "COORDINATOR")
                else:
                    history.level, actor = "DISTRICT", (f"user:coord-{place.street.code}", "COORDINATOR")
                history.response_deadline = t + timedelta(hours=24)
                history.completion_deadline = t + timedelta(days=7 if history.level == "STREET" else 15)
                events.append((t, *actor, from_state, to_state, rng.choice(texts.NOTE_ESCALATE), "ESCALATE"))
            elif to_state == "SUSPENDED":
                t = clock.advance(1, 48)
                note = rng.choice(texts.NOTE_SUSPEND)
                events.append((t, coordinator, "COORDINATOR", from_state, to_state, note, "SUSPEND"))
            elif to_state == "CANCELLED":
                t = clock.advance(0.5, 48)
                note = rng.choice(texts.NOTE_CANCEL)
                events.append((t, resident_actor, "RESIDENT", from_state, to_state, note, "CANCEL"))
        return history

    def _need_records(
        self,
        rng: random.Random,
        need_id: str,
        number: str,
        place: NeedPlace,
        matter: NeedMatter,
        resident_id: str,
        history: NeedHistory,
        window: tuple[datetime, datetime] | None,
    ) -> Iterator[Record]:
        """The need's node and relationships, then its assignments, evaluation and Events."""
        yield Node(
            "Need",
            {
                "id": need_id,
                "number": number,
                "title": matter.title,
                "description": matter.description,
                "status": matter.status,
                "channel": matter.channel,
                "urgency": matter.urgency,
                "peopleNeeded": matter.people,
                "windowStart": window[0] if window else None,
                "windowEnd": window[1] if window else None,
                "location": matter.location,
                "level": history.level,
                "responseDeadline": history.response_deadline,
                "completionDeadline": history.completion_deadline,
                "createdAt": matter.created,
                "updatedAt": history.events[-1][0],
            },
        )
        yield Rel("Need", "RAISED_BY", "Resident", need_id, resident_id)
        if place.compound:
            yield Rel("Need", "AT", "Compound", need_id, place.compound.id)
        else:
            yield Rel("Need", "AT", "Community", need_id, place.community.id)
        yield Rel("Need", "OF", "Category", need_id, f"category:{matter.category}")
        for a in history.assignments:
            yield Node(
                "Assignment", {k: a[k] for k in ("id", "status", "acceptedAt", "completedAt", "note", "createdAt")}
            )
            yield Rel("Assignment", "OF", "Need", a["id"], need_id)
            yield Rel("Assignment", "TO", a["label"], a["id"], a["to"])
            yield Rel("Assignment", "BY", "User", a["id"], history.coordinator)
        evaluation = history.evaluation
        if evaluation:
            keys = ("id", "rating", "comment", "byRole", "byId", "forCompletionAt", "createdAt")
            yield Node("Evaluation", {k: evaluation[k] for k in keys})
            yield Rel("Evaluation", "OF", "Assignment", evaluation["id"], evaluation["of"])
        for at, actor, role, from_state, to_state, note, type_ in history.events:
            event_id = f"event:{_uid(rng)}"
            yield Node(
                "Event",
                {
                    "id": event_id,
                    "at": at,
                    "actorId": actor,
                    "role": role,
                    "fromState": from_state,
                    "toState": to_state,
                    "note": note,
                    "type": type_,
                    "createdAt": at,
                },
            )
            yield Rel("Event", "ABOUT", "Need", event_id, need_id)

    def _count_handlers(self, state: NeedState, history: NeedHistory) -> None:
        """The handlers' counters, by the definitions the live mutations keep (docs/GRAPH.md)."""
        evaluation = history.evaluation
        for a, (label, _, handler_index) in zip(history.assignments, history.handlers, strict=True):
            rating = evaluation["rating"] if evaluation and evaluation["of"] == a["id"] else None
            if label == "Member":
                state.member_stats[handler_index].count(a, rating)
            elif label == "Offering":
                state.offering_stats[handler_index].count(a, rating)
                state.unit_stats[self.offerings[handler_index].unit].count_rating(rating)
            else:
                state.unit_stats[handler_index].count_rating(rating)

    def _handler_actor(self, handler: tuple[str, str, int]) -> tuple[str, str]:
        label, hid, hi = handler
        if label == "Member":
            return member_user(hid), "MEMBER"
        unit_id = hid if label == "Unit" else self.units[self.offerings[hi].unit].id
        return "user:unit-admin-" + unit_id.split(":", 1)[1], "UNIT_ADMIN"

    def _pick_handlers(
        self, rng: random.Random, state: NeedState, ci: int, category: str, people: int, holding: bool
    ) -> list[tuple[str, str, int]]:
        """Who was dispatched: members of the community with a fitting skill, an offering serving the area,
        or a unit; `holding` (the need ends up accepted) keeps handlers within their limits."""
        roll = rng.random()
        if roll < 0.7:
            fits = [
                mi
                for mi in self.members_by_comm.get(ci, ())
                if any(category in self.skill_categories[sk] for sk in self.members[mi].skills)
                and (not holding or state.member_stats[mi].open_load < self.members[mi].max_load)
            ]
            if fits:
                chosen = rng.sample(fits, min(people, len(fits)))
                return [("Member", self.members[mi].id, mi) for mi in chosen]
        if roll < 0.85:
            comm = self.communities[ci]
            areas = (comm.id, f"street:{comm.street}", f"district:{self.street_of[comm.street].district}")
            offers = sorted(
                {
                    oi
                    for area in areas
                    for oi in self.offerings_by_area.get(area, ())
                    if category in self.offerings[oi].categories
                    and (not holding or state.offering_stats[oi].open_load < self.offerings[oi].capacity)
                }
            )
            if offers:
                oi = rng.choice(offers)
                return [("Offering", self.offerings[oi].id, oi)]
        units = self.units_by_comm.get(ci) or self.units_by_street.get(self.communities[ci].street)
        ui = rng.choice(units) if units else rng.randrange(len(self.units))
        return [("Unit", self.units[ui].id, ui)]

    # ------------------------------------------------------------------ venues and bookings

    def _venues(self, index: NeedIndex) -> Iterator[Record]:
        rng = self.rng("venues")
        facility_codes = [f.code for f in ref.FACILITIES]
        specs: list[tuple[str, str, int, LatLon, str]] = []
        if self.preset.demo_fixtures:
            dvc = self.comm_index[DEMO_VENUE_COMMUNITY]
            c = self.communities[dvc]
            specs.append(
                (
                    "venue:demo-classroom",
                    "COMMUNITY_CENTER",
                    dvc,
                    LatLon(c.lat, c.lon),
                    "南院门街道社区党群服务中心多功能教室",
                )
            )
        for n, cpi in enumerate(self.stations, start=1):
            cp = self.compounds[cpi]
            specs.append((f"venue:station-{n}", "COMPOUND_STATION", cp.community, cp.location, f"{cp.name}党群服务站"))
        for n in range(1, self.preset.venues + 1):
            ci = rng.choice(self.active)
            c = self.communities[ci]
            kind = _weighted(rng, VENUE_KIND_WEIGHTS)
            label = {
                "STATE_IDLE_SITE": rng.choice(("闲置厂房", "闲置办公楼", "闲置仓库")) + "共享空间",
                "CENTRAL_COMMUNITY": "中心社区服务大厅",
                "RED_STATION": "红色驿站",
                "COMMUNITY_CENTER": "社区党群服务中心",
                "SERVICE_AREA": "便民服务功能区",
            }[kind]
            specs.append((f"venue:{n}", kind, ci, _near(rng, LatLon(c.lat, c.lon), 0.5), f"{c.name}{label}"))
        monday = (self.now - timedelta(days=self.now.weekday())).date()
        # A community's second venue of one name is told apart by its number: a venue's name in its community
        # is (with its owner) its natural key (graph.venues.kinds.venue_key).
        named: dict[tuple[int, str], int] = defaultdict(int)
        for i, (vid, kind, ci, loc, name) in enumerate(specs):
            named[(ci, name)] += 1
            if named[(ci, name)] > 1:
                specs[i] = (vid, kind, ci, loc, f"{name}（{named[(ci, name)]}）")
        for vid, kind, ci, loc, name in specs:
            c = self.communities[ci]
            street = self.street_of[c.street]
            demo = vid == "venue:demo-classroom"
            capacity = (
                60
                if demo
                else {
                    "COMPOUND_STATION": rng.choice((15, 20, 30)),
                    "STATE_IDLE_SITE": rng.choice((50, 80, 120, 200)),
                }.get(kind, rng.choice((20, 30, 40, 50, 80)))
            )
            facilities = set(rng.sample(facility_codes, rng.randint(2, 6))) | {"TABLES_CHAIRS"}
            if demo:
                facilities |= {"PROJECTOR", "SOUND_SYSTEM", "AIR_CONDITIONING", "WIFI", "BARRIER_FREE", "WHITEBOARD"}
            fee = 0 if rng.random() < 0.65 or demo else rng.choice((1000, 2000, 3000, 5000, 8000))
            hours = [f"{d} 08:30-21:30" for d in range(1, 6)] + [f"{d} 09:00-17:00" for d in (6, 7)]
            if kind == "COMPOUND_STATION":
                hours = [f"{d} 09:00-18:00" for d in range(1, 8)]
            venue = {
                "id": vid,
                "name": name,
                "kind": kind,
                "capacity": capacity,
                "areaSqm": capacity * rng.randint(2, 4),
                "openingHours": hours,
                "feePerHour": fee,
                "address": f"西安市{self._district_name(street.district)}{street.name}{name}",
                "location": loc,
                "createdAt": self.created(rng, 500),
            }
            owners = self.units_by_comm.get(ci) or self.units_by_street.get(c.street)
            owner = None
            if owners and (kind == "STATE_IDLE_SITE" or demo or rng.random() < 0.3):
                owner = self.units[rng.choice(owners)].id
            yield Node("Venue", {**venue, "rosterKey": venue_key(name, c.id, owner, None)})
            yield Rel("Venue", "AT", "Community", vid, c.id)
            for f in sorted(facilities):
                yield Rel("Venue", "HAS", "Facility", vid, f"facility:{f}")
            if owner is not None:
                yield Rel("Venue", "OWNED_BY", "Unit", vid, owner)
            if demo or rng.random() < self.preset.booked_venue_share:
                yield from self._bookings(rng, vid, ci, monday, demo, index)

    def _bookings(
        self, rng: random.Random, vid: str, ci: int, monday: date, demo: bool, index: NeedIndex
    ) -> Iterator[Record]:
        taken: set[tuple[int, int]] = set()
        coord = f"user:coord-{self.communities[ci].code}"
        plans: list[tuple[int, int, str | None]] = []
        if rng.random() < 0.3:
            series, day, slot = f"series:{_uid(rng)}", rng.randrange(7), rng.randrange(3)
            plans += [(day + 7 * w, slot, series) for w in range(rng.randint(3, 8))]
        plans += [(rng.randrange(-14, 35), rng.randrange(3), None) for _ in range(rng.randint(1, 6))]
        bookings: list[tuple[datetime, datetime, str, str | None]] = []
        for day, slot, series in plans:
            if (day, slot) in taken or (demo and day % 7 == 1 and slot == 2):
                continue  # the demo room's Tuesday evenings are the night-school story's (two fixtures below)
            taken.add((day, slot))
            h0, m0, h1, m1 = SLOTS[slot]
            d = datetime.combine(monday + timedelta(days=day), datetime.min.time(), tzinfo=UTC)
            status = "CANCELLED" if rng.random() < 0.1 else "CONFIRMED"
            bookings.append((d + timedelta(hours=h0, minutes=m0), d + timedelta(hours=h1, minutes=m1), status, series))
        if demo:
            # Story 6: of the ten Tuesdays 19:00–21:00 from next Tuesday on, the 3rd and the 6th are taken.
            for tuesday in NIGHT_SCHOOL_CLASHES:
                start = night_school_tuesday(self.now, tuesday) + timedelta(minutes=30)
                bookings.append((start, start + timedelta(hours=1), "CONFIRMED", None))
        for start, end, status, series in bookings:
            bid = f"booking:{_uid(rng)}"
            yield Node(
                "Booking",
                {
                    "id": bid,
                    "start": start,
                    "end": end,
                    "status": status,
                    "purpose": rng.choice(texts.BOOKING_PURPOSES),
                    "seriesId": series,
                    "bookedBy": coord,
                    "createdAt": min(start, self.now) - timedelta(days=3),
                },
            )
            yield Rel("Booking", "OF", "Venue", bid, vid)
            needs = index.by_community_category.get((ci, rng.choice(("HOBBY", "JOB_TRAINING", "HEALTH"))))
            if needs and rng.random() < 0.5:
                yield Rel("Booking", "FOR", "Need", bid, rng.choice(needs))

    # ------------------------------------------------------------------ funding

    def _funding(self, index: NeedIndex) -> Iterator[Record]:
        rng = self.rng("funding")
        all_districts = [d.code for d in self.districts]
        for p in ref.programs((self.now + BEIJING).year):
            districts = [p.district] if p.district else all_districts
            n_grants = self.preset.grants_city if p.level == "CITY" else self.preset.grants_district
            grants = self._project_grants(p.id)
            spent = sum(g["amount"] for g in grants)
            # A need's grant from a district's share stays within 30万元, whatever its projects took.
            limit = p.cap_per_grant if p.level == "CITY" else min(p.cap_per_grant, 30 * ref.WAN)
            for _ in range(n_grants):
                amount = max(100 * ref.YUAN, rng.randint(limit // 20, limit) // 10_000 * 10_000)
                roll = rng.random()
                decided = self.now - timedelta(days=rng.randint(1, 300))
                status = "APPROVED" if roll < 0.6 else "REQUESTED" if roll < 0.8 else "REJECTED"
                if status == "APPROVED" and spent + amount > p.budget * 0.8:
                    status = "REJECTED"
                if status == "APPROVED":
                    spent += amount
                d = rng.choice(districts)
                pool = [n for cat in p.categories for n in index.by_district_category.get((d, cat), ())]
                grants.append(
                    {
                        "id": f"grant:{_uid(rng)}",
                        "amount": amount,
                        "status": status,
                        "purpose": f"{p.name}{rng.choice(texts.GRANT_PURPOSES)}",
                        "decidedAt": None if status == "REQUESTED" else decided,
                        "createdAt": decided - timedelta(days=rng.randint(3, 30)),
                        "for": rng.choice(pool) if pool and rng.random() < 0.7 else None,
                    }
                )
            if self.preset.demo_fixtures and p.id == PROJECT_PROGRAM:
                amount = min(p.cap_per_grant, 20 * 10_000 * ref.YUAN)
                spent += amount
                decided = self.now - timedelta(days=PROJECT_DAYS + 5)
                grants.append(
                    {
                        "id": DEMO_GRANT,
                        "amount": amount,
                        "status": "APPROVED",
                        "purpose": "南院门社区充电桩共建：首批 40 个充电位",
                        "decidedAt": decided,
                        "createdAt": decided - timedelta(days=10),
                        "for": None,
                    }
                )
            yield Node(
                "FundingProgram",
                {
                    "id": p.id,
                    "name": p.name,
                    "source": p.source,
                    "level": p.level,
                    "budget": p.budget,
                    "spent": spent,
                    "capPerGrant": p.cap_per_grant,
                    "periodStart": p.period_start,
                    "periodEnd": p.period_end,
                    "funds": p.funds,
                    "createdAt": datetime.combine(p.period_start, datetime.min.time(), tzinfo=UTC),
                },
            )
            for cat in p.categories:
                yield Rel("FundingProgram", "COVERS", "Category", p.id, f"category:{cat}")
            for d in districts:
                yield Rel("FundingProgram", "AVAILABLE_IN", "District", p.id, f"district:{d}")
            for g in grants:
                yield Node("Grant", {k: g[k] for k in ("id", "amount", "status", "purpose", "decidedAt", "createdAt")})
                yield Rel("Grant", "FROM", "FundingProgram", g["id"], p.id)
                if g["for"]:
                    yield Rel("Grant", "FOR", "Need", g["id"], g["for"])
                if g.get("funds"):
                    yield Rel("Grant", "FUNDS", "Project", g["id"], g["funds"])
        yield from self._governance_projects()
        if self.preset.demo_fixtures:
            yield from self._demo_project()

    def _project_grants(self, program: str) -> list[dict[str, Any]]:
        """The grants of a district's share of the governance fund to its projects, each for the project
        itself (no need), approved ten days before it started."""
        grants = []
        for k, project in enumerate(ref.GOVERNANCE_PROJECTS):
            if ref.governance_share(project.district) != program:
                continue
            start = self._project_start(k)
            grants.append(
                {
                    "id": "grant:" + project.id.removeprefix("project:"),
                    "amount": project.budget,
                    "status": "APPROVED",
                    "purpose": f"{project.name}建设与运行",
                    "decidedAt": start - timedelta(days=10),
                    "createdAt": start - timedelta(days=40),
                    "for": None,
                    "funds": project.id,
                }
            )
        return grants

    def _governance_projects(self) -> Iterator[Record]:
        """The 33 service projects the 社区发展治理专项经费 supports, each in its community, led by its street,
        addressing its class; their grants come with their programs (`_project_grants`)."""
        for k, project in enumerate(ref.GOVERNANCE_PROJECTS):
            start = self._project_start(k)
            community = self.communities[self.comm_index[project.community]]
            yield Node(
                "Project",
                {
                    "id": project.id,
                    "title": project.name,
                    "status": "OPEN",
                    "start": start,
                    "end": start + timedelta(days=365),
                    "createdAt": start - timedelta(days=40),
                },
            )
            yield Rel("Project", "ADDRESSES", "Category", project.id, f"category:{project.category}")
            yield Rel("Project", "IN", "Community", project.id, community.id)
            yield Rel("Project", "LED_BY", "Street", project.id, f"street:{community.street}")

    def _demo_project(self) -> Iterator[Record]:
        """Story 11: the charging project of 南院门社区, funded by the grant `_funding` approved for it."""
        start = self.now - timedelta(days=PROJECT_DAYS)
        yield Node(
            "Project",
            {
                "id": "project:demo-chargers",
                "title": "南院门社区电动车充电桩进小区",
                "status": "OPEN",
                "start": start,
                "end": start + timedelta(days=180),
                "note": "停车充电连续两季反复出现，街道牵头、驻区国企共建充电桩",
                "createdAt": start,
            },
        )
        yield Rel("Project", "ADDRESSES", "Category", "project:demo-chargers", "category:PARKING_CHARGING")
        yield Rel("Project", "IN", "Community", "project:demo-chargers", f"community:{PROJECT_COMMUNITY}")
        yield Rel("Project", "LED_BY", "Unit", "project:demo-chargers", "unit:demo-state-enterprise")
        yield Rel("Grant", "FUNDS", "Project", DEMO_GRANT, "project:demo-chargers")


@dataclass
class NeedState:
    member_stats: dict[int, Stats] = field(default_factory=lambda: defaultdict(Stats))
    offering_stats: dict[int, Stats] = field(default_factory=lambda: defaultdict(Stats))
    unit_stats: dict[int, Stats] = field(default_factory=lambda: defaultdict(Stats))
    residents_by_place: dict[int, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    resident_seq: int = 0
    district_seq: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass(frozen=True, slots=True)
class NeedPlace:
    """Where a need was raised: its community, and the compound in it when it names one."""

    community_index: int
    community: ref.Community
    street: ref.Street
    compound_index: int | None
    compound: Compound | None

    @property
    def name(self) -> str:
        return self.compound.name if self.compound else self.community.name

    @property
    def resident_key(self) -> int:
        """Where residents who raised needs here are remembered: the compound, or else the community."""
        return self.compound_index if self.compound_index is not None else -self.community_index - 1


@dataclass(frozen=True, slots=True)
class NeedMatter:
    """What a need is about, how it came in, the status it ends in, when it was raised, and its words."""

    category: str
    status: str
    channel: str
    urgency: str
    people: int
    created: datetime
    title: str
    description: str
    location: LatLon


# (at, actor, role, fromState, toState, note, type) of one audit Event
EventRow = tuple[datetime, str, str, str | None, str, str, str]


@dataclass(slots=True)
class NeedHistory:
    """How a need came to its status: its Events, the handlers dispatched and their assignments, the
    requester's evaluation, and the level and deadlines it ends with."""

    coordinator: str  # the User of the community's coordinator, who dispatches
    events: list[EventRow] = field(default_factory=list)
    handlers: list[tuple[str, str, int]] = field(default_factory=list)  # (label, id, index)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    evaluation: dict[str, Any] | None = None
    level: str = "COMMUNITY"
    response_deadline: datetime | None = None
    completion_deadline: datetime | None = None


class _Clock:
    """The time of a need's latest move, moved on by a random span and never past `now`."""

    def __init__(self, rng: random.Random, start: datetime, now: datetime) -> None:
        self.rng, self.t, self.now = rng, start, now

    def advance(self, hours_lo: float, hours_hi: float) -> datetime:
        span = self.rng.randrange(int(hours_lo * 3600), int(hours_hi * 3600) + 1)
        self.t = min(self.t + timedelta(seconds=span), self.now)
        return self.t


def _evaluation(
    rng: random.Random, at: datetime, resident_id: str, assignment: dict[str, Any], *, reopened: bool
) -> dict[str, Any]:
    """As evaluateNeed does: the requester rates the latest completion of one assignment (a need reopened
    after it was rated badly)."""
    rating = 1 + rng.choices(range(5), weights=(2, 3, 8, 30, 57))[0]
    if reopened:
        rating = rng.choice((1, 2))
    comment = rng.choice(
        texts.COMMENTS_GOOD if rating >= 4 else texts.COMMENTS_MID if rating == 3 else texts.COMMENTS_BAD
    )
    return {
        "id": f"evaluation:{_uid(rng)}",
        "rating": rating,
        "comment": comment,
        "byRole": "REQUESTER",
        "byId": resident_id,
        "forCompletionAt": assignment["completedAt"],
        "createdAt": at,
        "of": assignment["id"],
    }


def _path(status: str) -> list[str]:
    """The states a need passed through to reach `status` (first is SUBMITTED)."""
    main = ["SUBMITTED", "DISPATCHED", "ACCEPTED", "IN_PROGRESS", "COMPLETED", "EVALUATED"]
    if status in main:
        return main[: main.index(status) + 1]
    return {
        "DECLINED": ["SUBMITTED", "DISPATCHED", "DECLINED"],
        "ESCALATED": ["SUBMITTED", "ESCALATED", "ESCALATED"],
        "SUSPENDED": ["SUBMITTED", "SUSPENDED"],
        "CANCELLED": ["SUBMITTED", "CANCELLED"],
        "REOPENED": [*main, "REOPENED"],
    }[status]


def _area(label: str, area: ref.Area, at: datetime, **more: Any) -> Node:
    """The node of an official place (district, street, community) of the reference data."""
    props = {"id": area.id, "code": area.code, "name": area.name, **more, "kind": area.kind}
    return Node(label, {**props, "location": LatLon(area.lat, area.lon), "createdAt": at})


def _user(user_id: str, name: str, role: str, scope_id: str | None, created: datetime) -> Node:
    """A `User`: every actor who can hold a token (see README, "Users and token subjects")."""
    return Node("User", {"id": user_id, "name": name, "role": role, "scopeId": scope_id, "createdAt": created})


def night_school_tuesday(now: datetime, n: int) -> datetime:
    """19:00 Beijing (as UTC) on the n-th Tuesday after the Beijing date of `now` (n = 1: next Tuesday)."""
    today = (now + BEIJING).date()
    ahead = (1 - today.weekday()) % 7 or 7
    day = today + timedelta(days=ahead + 7 * (n - 1))
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=19) - BEIJING


def member_user(member_id: str) -> str:
    """`member:17` → `user:member-17` (the subject of a member's token)."""
    return "user:member-" + member_id.split(":", 1)[1]


def resident_user(resident_id: str) -> str:
    return "user:resident-" + resident_id.split(":", 1)[1]


def generate(preset: str, seed: int = 20261125, now: datetime | None = None) -> Iterator[Record]:
    return Generator(preset, seed, now).records()
