"""Reference data for Xi'an (simplified Chinese): places from the official lists, and the categories,
skills, facilities, kinds and funding programs named or implied by the source document.

Money is integer fen (1 yuan = 100 fen). Places, categories, skills, facilities and kinds are read
from `seeds/data/*.csv` (its README says what each column means and where it comes from).
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

CHANNELS = ("APP", "HOTLINE_12345", "GRID_WORKER", "SENTINEL", "VISIT")
URGENCIES = ("LOW", "NORMAL", "HIGH", "URGENT")
ROLES = ("RESIDENT", "MEMBER", "UNIT_ADMIN", "COORDINATOR", "DISTRICT_ADMIN", "CITY_ADMIN")


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


SERVICE_FUND = "社区为民服务专项资金"
RENOVATION_FUND = "党费及体彩福彩公益金"
GOVERNANCE_FUND = "社区发展治理专项经费"

# The 33 projects of the 社区发展治理专项经费: three named in the document, thirty invented.
# (id suffix, district code, name, budget in 万元, cap in 万元, categories)
_PROJECTS: tuple[tuple[str, str, str, int, int, tuple[str, ...]], ...] = (
    ("beilin-neighbour-station", "610103", "碑林区小区邻里服务站", 600, 30, ("ELDERLY_CARE", "PROPERTY", "HOBBY")),
    ("lintong-grid", "610115", "临潼区网格化治理", 500, 20, ("DISPUTE_MEDIATION", "NOISE", "PROPERTY")),
    ("gaoxing-canteen", "610117", "高陵区“高幸食堂”", 450, 15, ("ELDERLY_CARE", "CONDOLENCE")),
    ("xincheng-night-school", "610102", "新城区社区夜校", 300, 10, ("JOB_TRAINING", "HOBBY")),
    ("xincheng-old-compound", "610102", "新城区老旧小区管网更新", 800, 50, ("SEWER_RENOVATION", "SEWER")),
    ("xincheng-mediation", "610102", "新城区“和事佬”调解室", 200, 5, ("DISPUTE_MEDIATION", "NOISE")),
    ("beilin-charging", "610103", "碑林区小区充电桩共建", 400, 25, ("PARKING_CHARGING",)),
    ("beilin-elderly-meals", "610103", "碑林区长者助餐点", 350, 10, ("ELDERLY_CARE",)),
    ("lianhu-childcare", "610104", "莲湖区社区托育驿站", 380, 15, ("CHILDCARE",)),
    ("lianhu-property", "610104", "莲湖区红色物业联建", 420, 20, ("PROPERTY", "PARKING_CHARGING")),
    ("lianhu-health", "610104", "莲湖区家门口健康小屋", 260, 8, ("HEALTH", "ELDERLY_CARE")),
    ("baqiao-sewer", "610111", "灞桥区雨污分流改造", 900, 60, ("SEWER_RENOVATION", "SEWER")),
    ("baqiao-volunteer", "610111", "灞桥区党员志愿服务站", 220, 5, ("CONDOLENCE", "ELDERLY_CARE", "HOBBY")),
    ("weiyang-parking", "610112", "未央区停车难综合治理", 700, 40, ("PARKING_CHARGING", "PROPERTY")),
    ("weiyang-embedded", "610112", "未央区社区嵌入式服务设施", 650, 30, ("ELDERLY_CARE", "CHILDCARE", "HEALTH")),
    ("weiyang-sentinel", "610112", "未央区“民情前哨”骑手驿站", 180, 5, ("NOISE", "PROPERTY", "DISPUTE_MEDIATION")),
    ("yanta-citizen-class", "610113", "雁塔区市民课堂", 320, 10, ("HOBBY", "JOB_TRAINING", "HEALTH")),
    ("yanta-quiet", "610113", "雁塔区宁静小区创建", 280, 10, ("NOISE", "DISPUTE_MEDIATION")),
    ("yanta-employment", "610113", "雁塔区家门口就业服务站", 300, 10, ("JOB_TRAINING",)),
    ("yanliang-elderly", "610114", "阎良区互助幸福院", 260, 10, ("ELDERLY_CARE", "CONDOLENCE")),
    ("yanliang-pipes", "610114", "阎良区老旧管网改造", 500, 40, ("SEWER_RENOVATION",)),
    ("lintong-tourism-jobs", "610115", "临潼区文旅技能培训", 240, 8, ("JOB_TRAINING",)),
    ("changan-grid", "610116", "长安区网格员赋能", 350, 10, ("DISPUTE_MEDIATION", "PROPERTY", "NOISE")),
    ("changan-villages", "610116", "长安区村组下水疏通", 420, 20, ("SEWER", "SEWER_RENOVATION")),
    ("changan-children", "610116", "长安区“四点半课堂”", 260, 8, ("CHILDCARE", "HOBBY")),
    ("gaoling-health", "610117", "高陵区村医巡诊", 200, 6, ("HEALTH", "ELDERLY_CARE")),
    ("huyi-farmer-painting", "610118", "鄠邑区农民画兴趣课堂", 150, 5, ("HOBBY",)),
    ("huyi-property", "610118", "鄠邑区无物业小区兜底服务", 300, 15, ("PROPERTY", "SEWER")),
    ("lantian-condolence", "610122", "蓝田县困难群众关爱行动", 200, 5, ("CONDOLENCE", "ELDERLY_CARE")),
    ("lantian-skills", "610122", "蓝田县厨师技能培训", 180, 6, ("JOB_TRAINING",)),
    ("zhouzhi-elderly", "610124", "周至县农村老年餐桌", 220, 8, ("ELDERLY_CARE",)),
    ("zhouzhi-mediation", "610124", "周至县“枫桥式”调解", 160, 5, ("DISPUTE_MEDIATION",)),
    ("xincheng-sports", "610102", "新城区社区运动会", 120, 5, ("HOBBY", "HEALTH")),
)


def programs(year: int) -> tuple[Program, ...]:
    """The 35 programs, their periods laid out around `year` (the year the data is generated for).

    Periods move with the year, so a demo generated on any date has programs in their period with
    budget left: the city's yearly service fund covers `year`, the renovation fund the three years
    ending with it, and the district projects run from January of `year` to the June after it.
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
    district = tuple(
        Program(
            f"program:{key}",
            name,
            GOVERNANCE_FUND,
            "DISTRICT",
            budget * WAN,
            cap * WAN,
            date(year, 1, 1),
            date(year + 1, 6, 30),
            cats,
            code,
        )
        for key, code, name, budget, cap, cats in _PROJECTS
    )
    return city + district


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
