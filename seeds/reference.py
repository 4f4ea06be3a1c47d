"""Reference data for Xi'an (simplified Chinese): places from the official lists, and the categories,
skills, facilities, kinds and funding programs named or implied by the source document.

Money is integer fen (1 yuan = 100 fen). Everything but the two city-wide programs is read from
`seeds/data/*.csv` (its README says what each column means and where it comes from); this module
gives it its types.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import ClassVar, TypeVar

DATA = Path(__file__).parent / "data"

YUAN = 100  # fen per yuan
WAN = 10_000 * YUAN  # fen per 万元
YI = 100_000_000 * YUAN  # fen per 亿元


def _rows(name: str) -> list[dict[str, str]]:
    """The rows of one of seeds/data's CSV files, by the names in its header."""
    with (DATA / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    description: str
    need_weight: int  # its share of the generated needs
    # What a unit's offering in the category is called and says of itself.
    offering_title: str
    offering_description: str


CATEGORIES: tuple[Category, ...] = tuple(
    Category(
        r["code"],
        r["name"],
        r["description"],
        int(r["need_weight"]),
        r["offering_title"],
        r["offering_description"],
    )
    for r in _rows("categories.csv")
)
CATEGORY_CODES = tuple(c.code for c in CATEGORIES)


def _categories(cell: str) -> tuple[str, ...]:
    """The category codes a cell lists, separated by spaces; an unknown one is a typo in the file."""
    codes = tuple(cell.split())
    if unknown := sorted(set(codes) - set(CATEGORY_CODES)):
        raise ValueError(f"unknown categories {unknown} in seeds/data (categories.csv has {CATEGORY_CODES})")
    return codes


@dataclass(frozen=True)
class Skill:
    code: str
    name: str
    serves: tuple[str, ...]


SKILLS: tuple[Skill, ...] = tuple(Skill(r["code"], r["name"], _categories(r["serves"])) for r in _rows("skills.csv"))


@dataclass(frozen=True)
class Facility:
    code: str
    name: str


FACILITIES: tuple[Facility, ...] = tuple(Facility(r["code"], r["name"]) for r in _rows("facilities.csv"))


@dataclass(frozen=True)
class UnitKind:
    code: str
    name: str
    weight: int  # its share of the generated units
    serves: tuple[str, ...]  # the categories a unit of the kind offers services in


UNIT_KINDS: tuple[UnitKind, ...] = tuple(
    UnitKind(r["code"], r["name"], int(r["weight"]), _categories(r["serves"])) for r in _rows("unit_kinds.csv")
)


@dataclass(frozen=True)
class VenueKind:
    code: str
    name: str
    weight: int  # its share of the generated venues; 0 for the stations, which come with their compounds


VENUE_KINDS: tuple[VenueKind, ...] = tuple(
    VenueKind(r["code"], r["name"], int(r["weight"])) for r in _rows("venue_kinds.csv")
)


# ---------------------------------------------------------------- funding programs


@dataclass(frozen=True)
class Program:
    id: str
    name: str
    source: str
    level: str  # CITY / DISTRICT
    budget: int  # fen
    cap_per_grant: int  # fen
    period_start: date
    period_end: date
    categories: tuple[str, ...]
    district: str | None  # district code for DISTRICT programs; None = all 13 districts
    funds: str = "NEEDS"  # what its grants may be for (graph.funding.kinds.ProgramFunds)


SERVICE_FUND = "社区为民服务专项资金"
RENOVATION_FUND = "党费及体彩福彩公益金"
GOVERNANCE_FUND = "社区发展治理专项经费"


@dataclass(frozen=True)
class GovernanceProject:
    """One of the 33 service projects the 社区发展治理专项经费 supports (three named by the document)."""

    id: str
    district: str  # district code
    community: str  # community code: where it is built or piloted
    name: str
    budget: int  # fen: what the fund grants it
    categories: tuple[str, ...]  # the first is the class of needs it addresses; all are its share's

    @property
    def category(self) -> str:
        return self.categories[0]


GOVERNANCE_PROJECTS: tuple[GovernanceProject, ...] = tuple(
    GovernanceProject(
        r["id"], r["district_code"], r["community_code"], r["name"], int(r["budget_wan"]) * WAN,
        _categories(r["categories"]),
    )
    for r in _rows("governance_projects.csv")
)  # fmt: skip


def governance_share(district: str) -> str:
    """The id of a district's share of the 社区发展治理专项经费, which funds its projects."""
    return f"program:governance-{district}"


def programs(year: int) -> tuple[Program, ...]:
    """The city's two programs and the districts' shares of the governance fund, their periods laid out
    around `year` (the year the data is generated for).

    Periods move with the year, so a demo generated on any date has programs in their period with
    budget left: the city's yearly service fund covers `year`, the renovation fund the three years
    ending with it, and the governance fund's shares run from January of the year before to the June
    after `year` (its projects started in the months before `now`).
    """
    city = (
        Program(
            "program:city-service",
            f"{year}年度社区为民服务专项资金",
            SERVICE_FUND,
            "CITY",
            int(3.3 * YI),  # 每年投入不少于3.3亿元
            20 * WAN,
            date(year, 1, 1),
            date(year, 12, 31),
            CATEGORY_CODES,
            None,
        ),
        Program(
            "program:city-renovation",
            f"社区改造提升资金（{year - 2}—{year}年）",
            RENOVATION_FUND,
            "CITY",
            int(3.6 * YI),  # 三年累计划拨3.6亿元
            50 * WAN,
            date(year - 2, 1, 1),
            date(year, 12, 31),
            ("SEWER_RENOVATION", "PARKING_CHARGING", "PROPERTY", "ELDERLY_CARE", "CHILDCARE"),
            None,
        ),
    )
    # The 社区发展治理专项经费 as each district administers it: its projects' grants and half as much again
    # for the needs of the same classes (it funds both); one grant may take what its largest project did.
    names = {d.code: d.name for d in districts()}
    by_district: dict[str, list[GovernanceProject]] = {}
    for project in GOVERNANCE_PROJECTS:
        by_district.setdefault(project.district, []).append(project)
    shares = tuple(
        Program(
            governance_share(code),
            f"{names[code]}{GOVERNANCE_FUND}",
            GOVERNANCE_FUND,
            "DISTRICT",
            sum(p.budget for p in projects) * 3 // 2,
            max(p.budget for p in projects),
            date(year - 1, 1, 1),
            date(year + 1, 6, 30),
            tuple(dict.fromkeys(code for p in projects for code in p.categories)),
            code,
            funds="BOTH",
        )
        for code, projects in by_district.items()
    )
    return city + shares


# ---------------------------------------------------------------- places


@dataclass(frozen=True)
class Area:
    """An official place: its code, name and kind, and where it is; its id is `PREFIX:code`."""

    PREFIX: ClassVar[str] = ""
    code: str
    name: str
    kind: str
    lat: float = field(kw_only=True)
    lon: float = field(kw_only=True)

    @property
    def id(self) -> str:
        return f"{self.PREFIX}:{self.code}"


@dataclass(frozen=True)
class District(Area):
    PREFIX: ClassVar[str] = "district"


@dataclass(frozen=True)
class Street(Area):
    PREFIX: ClassVar[str] = "street"
    district: str  # district code


@dataclass(frozen=True)
class Community(Area):
    PREFIX: ClassVar[str] = "community"
    official_name: str
    street: str  # street code


_SUFFIXES = (
    ("社区居民委员会", "社区"),
    ("社区居民委会", "社区"),
    ("社区居委会", "社区"),
    ("社区委会", "社区"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
)


def short_name(official: str) -> str:
    """书院门社区居委会 → 书院门社区, 东张村委会 → 东张村; names without a suffix stay as they are."""
    for suffix, replacement in _SUFFIXES:
        if official.endswith(suffix):
            stem = official[: -len(suffix)]
            return stem if stem.endswith(replacement) else stem + replacement
    return official


def _unit_hash(key: str) -> tuple[float, float]:
    """Two deterministic numbers in [0, 1) from a key (stable across runs and Python versions)."""
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8]) / 2**64, int.from_bytes(digest[8:16]) / 2**64


def jitter(lat: float, lon: float, key: str, min_km: float, max_km: float) -> tuple[float, float]:
    """A point `min_km`..`max_km` from (lat, lon) in a direction fixed by `key`."""
    a, b = _unit_hash(key)
    angle = 2 * math.pi * a
    dist = min_km + (max_km - min_km) * math.sqrt(b)
    dlat = dist * math.cos(angle) / 111.32
    dlon = dist * math.sin(angle) / (111.32 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


CORE_DISTRICTS = frozenset({"610102", "610103", "610104"})  # 新城区, 碑林区, 莲湖区


_Parent = TypeVar("_Parent", bound=Area)


def _rows_within(name: str, parents: tuple[_Parent, ...], column: str) -> Iterator[tuple[dict[str, str], _Parent]]:
    """Each row of `name` with the place it lies in, whose code stands in the row's `column`."""
    by_code = {p.code: p for p in parents}
    for r in _rows(name):
        yield r, by_code[r[column]]


@cache
def districts() -> tuple[District, ...]:
    return tuple(
        District(
            r["district_code"],
            r["district"],
            "县" if r["district"].endswith("县") else "区",
            lat=float(r["lat"]),
            lon=float(r["lon"]),
        )
        for r in _rows("xian_districts.csv")
    )


@cache
def streets() -> tuple[Street, ...]:
    out = []
    for r, d in _rows_within("xian_divisions.csv", districts(), "district_code"):
        # Rural counties are wide: spread their towns further out.
        # Streets 3–8 km from the district's centre; the three small core districts are tighter,
        # and towns of the rural counties spread wider.
        if d.code in CORE_DISTRICTS:
            near, far = 0.8, 3.5
        elif d.kind == "县" or r["kind"] == "镇":
            near, far = 3.0, 12.0
        else:
            near, far = 3.0, 8.0
        lat, lon = jitter(d.lat, d.lon, "street:" + r["street_code"], near, far)
        out.append(Street(r["street_code"], r["street"], r["kind"], d.code, lat=lat, lon=lon))
    return tuple(out)


@cache
def communities() -> tuple[Community, ...]:
    out = []
    for r, s in _rows_within("xian_communities.csv", streets(), "street_code"):
        lat, lon = jitter(s.lat, s.lon, "community:" + r["community_code"], 0.1, 1.5)
        name = short_name(r["community"])
        out.append(Community(r["community_code"], name, r["kind"], r["community"], s.code, lat=lat, lon=lon))
    return tuple(out)
