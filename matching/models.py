"""Plain inputs and outputs of matching: frozen, slotted dataclasses that mirror GRAPH.md in snake_case.

The graph layer fills them from Cypher rows; nothing here knows Neo4j. Money is integer fen,
times are ``datetime`` (aware or naive Xi'an local time), places carry ids of their four levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class CandidateKind(StrEnum):
    """What a need can be matched to."""

    MEMBER = "MEMBER"
    UNIT = "UNIT"  # an offering of a unit
    VENUE = "VENUE"
    FUNDING = "FUNDING"
    FALLBACK = "FALLBACK"  # a unit serving, as the fallback (兜底), compounds without a property firm


class Factor(StrEnum):
    """Names of score parts (``ScorePart.factor``), stable for the API and the weights table."""

    SKILL = "skill"
    CATEGORY = "category"
    TEXT = "text"
    PLACE = "place"
    AVAILABILITY = "availability"
    LOAD = "load"
    CAPACITY = "capacity"
    SATISFACTION = "satisfaction"
    COMPLETION = "completion"
    FAIRNESS = "fairness"
    FACILITIES = "facilities"
    FEE = "fee"
    COVERAGE = "coverage"
    SCOPE = "scope"
    BUDGET = "budget"
    PERIOD = "period"


class Blocker(StrEnum):
    """Why a candidate is ineligible; ``rank`` never returns a candidate with one."""

    NO_SKILL_FIT = "NO_SKILL_FIT"
    NO_CATEGORY_FIT = "NO_CATEGORY_FIT"
    NO_HEADROOM = "NO_HEADROOM"
    NO_CAPACITY = "NO_CAPACITY"
    NOT_AVAILABLE = "NOT_AVAILABLE"
    NOT_ACTIVE = "NOT_ACTIVE"
    OUT_OF_AREA = "OUT_OF_AREA"
    TOO_SMALL = "TOO_SMALL"
    MISSING_FACILITIES = "MISSING_FACILITIES"
    CLOSED = "CLOSED"
    BOOKED = "BOOKED"
    NO_BUDGET = "NO_BUDGET"
    CATEGORY_NOT_COVERED = "CATEGORY_NOT_COVERED"
    DISTRICT_NOT_COVERED = "DISTRICT_NOT_COVERED"
    OUT_OF_PERIOD = "OUT_OF_PERIOD"


@dataclass(frozen=True, slots=True)
class Place:
    """Where something is: the ids of its compound, community, street and district, and its point.

    Any field may be None (a unit known only by district, a member without a home point). Ids are the
    graph ids (``community:610103001004``); latitude/longitude are the point's y/x (WGS84).
    """

    compound_id: str | None = None
    community_id: str | None = None
    street_id: str | None = None
    district_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class NeedProfile:
    """The need being matched. ``window_start``/``window_end`` None means "any time"."""

    id: str
    category_code: str  # Category.code, e.g. SEWER
    category_name: str  # Category.name, e.g. 下水疏通 (for reasons)
    place: Place
    window_start: datetime | None = None
    window_end: datetime | None = None
    people_needed: int = 1
    urgency: str = "NORMAL"
    description: str = ""
    attendees: int = 0  # venues: people to seat (0 = not a venue search)
    required_facilities: frozenset[str] = frozenset()  # venues: Facility.code set that must be present
    requested_amount: int | None = None  # funding: fen asked for (None = not stated)
    # members: the mean rating (1–5) ratings are pulled toward — the need's community's (factors.rating_prior)
    rating_prior: float | None = None


@dataclass(frozen=True, slots=True)
class SkillRef:
    """A skill of a member and the category codes it SERVES."""

    code: str
    name: str
    serves: frozenset[str]


@dataclass(frozen=True, slots=True)
class TrackRecord:
    """What a handler's past says: when it last completed a task, how many it accepted and completed,
    the requesters' ratings (the counters the workflow keeps on its node). What it holds now, its open
    load, is the candidate's own, beside its limit."""

    last_served_at: datetime | None = None
    assigned_count: int = 0
    completed_count: int = 0
    rating_sum: int = 0
    rating_count: int = 0


@dataclass(frozen=True, slots=True)
class MemberCandidate:
    """A party member (``Member``) with the place of the community they REGISTERED_WITH and home point."""

    id: str
    name: str
    place: Place
    skills: tuple[SkillRef, ...]
    availability: tuple[str, ...] = ()
    max_load: int = 0
    open_load: int = 0
    record: TrackRecord = TrackRecord()


@dataclass(frozen=True, slots=True)
class OfferingCandidate:
    """An ``Offering`` of a ``Unit``; ``place`` is the unit's, ``area_ids`` the IN_AREA ids (empty = anywhere).

    ``text_score`` is the raw full-text score of the offering against the need's description (0 if none).
    Its record's ratings are the offering's own (a requester's rating counts for the offering and its unit).
    """

    id: str
    title: str
    unit_id: str
    unit_name: str
    place: Place
    serves: frozenset[str]  # Category codes the offering SERVES
    capacity: int
    open_load: int = 0
    availability: tuple[str, ...] = ()
    status: str = "ACTIVE"
    area_ids: frozenset[str] = frozenset()
    text_score: float = 0.0
    record: TrackRecord = TrackRecord()


@dataclass(frozen=True, slots=True)
class VenueCandidate:
    """A ``Venue``; ``bookings`` are (start, end) of its CONFIRMED bookings near the window."""

    id: str
    name: str
    kind: str
    place: Place
    capacity: int
    opening_hours: tuple[str, ...]
    fee_per_hour: int = 0  # fen
    facilities: frozenset[str] = frozenset()  # Facility.code
    area_sqm: int | None = None
    bookings: tuple[tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True, slots=True)
class ProgramCandidate:
    """A ``FundingProgram``; ``district_ids`` empty means available city-wide."""

    id: str
    name: str
    source: str
    level: str
    budget: int  # fen
    spent: int  # fen
    cap_per_grant: int | None  # fen; None = no cap
    categories: frozenset[str]  # Category codes it COVERS
    district_ids: frozenset[str] = frozenset()
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True, slots=True)
class FallbackCandidate:
    """A ``Unit`` (a state enterprise, 国企整片承包) giving the fallback service (兜底) to the compounds of
    an area with no property firm (无物业小区): offered for their property needs. ``id`` is the unit's
    (what the need is dispatched to); ``area_level`` says whether it took on the need's street or its
    whole district; its record's ratings are the unit's."""

    id: str
    name: str
    fallback_id: str
    area_name: str
    area_level: str  # "Street" or "District"
    since: datetime | None = None
    record: TrackRecord = TrackRecord()


Candidate = MemberCandidate | OfferingCandidate | VenueCandidate | ProgramCandidate | FallbackCandidate


@dataclass(frozen=True, slots=True)
class ScorePart:
    """One factor's share of a score: ``contribution = value * weight``."""

    factor: str
    value: float
    weight: float
    contribution: float
    note: str | None = None  # how the value came about, where a number alone does not say (Chinese)


@dataclass(frozen=True, slots=True)
class ScoredCandidate:
    """A candidate's score (exactly the sum of its parts' contributions), parts, Chinese reason.

    ``blockers`` is empty for an eligible candidate; scoring still reports parts for an ineligible one
    so a coordinator can ask "why is X not listed?", but ``rank`` drops it.
    """

    kind: CandidateKind
    id: str
    score: float
    parts: tuple[ScorePart, ...]
    reason: str
    blockers: tuple[Blocker, ...] = ()

    @property
    def eligible(self) -> bool:
        return not self.blockers


# --- batch dispatch --------------------------------------------------------------------------------

URGENCY_RANK = {"URGENT": 0, "HIGH": 1, "NORMAL": 2, "LOW": 3}


@dataclass(frozen=True, slots=True)
class PlanNeed:
    """An open need in a batch; urgency and created_at only order the greedy baseline."""

    id: str
    people_needed: int = 1
    urgency: str = "NORMAL"
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PlanArc:
    """An eligible (need, resource) pair with its score in 0–1."""

    need_id: str
    resource_id: str
    score: float


@dataclass(frozen=True, slots=True)
class PlanPair:
    """One chosen assignment in a plan."""

    need_id: str
    resource_id: str
    score: float


@dataclass(frozen=True, slots=True)
class Plan:
    """The optimal assignment and the greedy baseline, both valued by the same objective."""

    pairs: tuple[PlanPair, ...]
    objective: float
    greedy_objective: float
    needs_served: int
    resources_used: int
    greedy_pairs: tuple[PlanPair, ...] = field(default=())
    greedy_needs_served: int = 0
