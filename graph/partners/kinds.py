"""Partners (双报到): resident units, their party members, their offerings, and the skill catalog.

`(:Unit)-[:REGISTERED_WITH]->(:Community)`, `(:Member)-[:REGISTERED_WITH]->(:Community)`,
`(:Member)-[:BELONGS_TO]->(:Unit)`, `(:Member)-[:HAS_SKILL]->(:Skill)-[:SERVES]->(:Category)`,
`(:Unit)-[:OFFERS]->(:Offering)-[:SERVES]->(:Category)`, `(:Offering)-[:IN_AREA]->(place)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from graph.kernel.kinds import declare, listed, many, one
from graph.kernel.records import CatalogEntry, GeoPoint, NodeRecord


class UnitKind(StrEnum):
    """Kinds of resident units (驻区单位)."""

    STATE_ENTERPRISE = "STATE_ENTERPRISE"
    SCHOOL = "SCHOOL"
    HOSPITAL = "HOSPITAL"
    AGENCY = "AGENCY"
    COMPANY = "COMPANY"
    SOCIAL_ORG = "SOCIAL_ORG"
    PROPERTY_FIRM = "PROPERTY_FIRM"


class OfferingStatus(StrEnum):
    """Whether an offering can be matched: ACTIVE, or WITHDRAWN by its unit."""

    ACTIVE = "ACTIVE"
    WITHDRAWN = "WITHDRAWN"


@dataclass(slots=True)
class Skill(CatalogEntry):
    category_codes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Unit(NodeRecord):
    name: str
    kind: UnitKind
    address: str | None = None
    phone: str | None = None
    credit_code: str | None = None
    location: GeoPoint | None = None


@dataclass(slots=True)
class Member(NodeRecord):
    name: str
    phone: str | None = None
    unit_id: str | None = None
    availability: list[str] = field(default_factory=list)
    max_load: int = 0
    open_load: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    completed_count: int = 0
    assigned_count: int = 0
    last_served_at: datetime | None = None
    location: GeoPoint | None = None


@dataclass(slots=True)
class Offering(NodeRecord):
    title: str
    description: str = ""
    unit_id: str = ""
    category_code: str | None = None
    capacity: int = 0
    open_load: int = 0
    availability: list[str] = field(default_factory=list)
    status: OfferingStatus = OfferingStatus.ACTIVE
    area_ids: list[str] = field(default_factory=list)


def satisfaction(rating_sum: int, rating_count: int) -> float | None:
    """The average rating to two places, halves rounded up, in integers (so Cypher's answer is the same)."""
    return ((200 * rating_sum + rating_count) // (2 * rating_count)) / 100 if rating_count else None


SATISFACTION_CYPHER = (
    "CASE WHEN coalesce(x.ratingCount, 0) > 0 THEN "
    "toFloat((200 * coalesce(x.ratingSum, 0) + x.ratingCount) / (2 * x.ratingCount)) / 100 END"
)
# resolvers/kernel/authz.py's mask_phone and member_phone_for, in Cypher: in full for the member,
# their unit's admin and city admins, else `138****5678`.
_PHONE = "trim(x.phone)"
MASKED_PHONE_CYPHER = (
    f"CASE WHEN x.phone IS NULL OR x.phone = '' THEN x.phone "
    f"WHEN size({_PHONE}) >= 8 THEN left({_PHONE}, 3) + '****' + right({_PHONE}, 4) "
    f"WHEN size({_PHONE}) > 4 THEN '****' + right({_PHONE}, 2) ELSE '****' END"
)
MEMBER_PHONE_CYPHER = (
    "CASE WHEN $viewerRole = 'CITY_ADMIN' OR ($viewerRole = 'MEMBER' AND $viewerSubject = x.id) "
    "OR ($viewerRole = 'UNIT_ADMIN' AND $viewerScope = [(x)-[:BELONGS_TO]->(u:Unit) | u.id][0]) "
    f"THEN x.phone ELSE {MASKED_PHONE_CYPHER} END"
)


SKILL = declare(Skill, "skill", reader="public", catalog=True, indexes=("code",)).linking(
    categories=listed("(x)-[:SERVES]->(y:Category)", "Category", attr="categoryCodes", key="code"),
)
UNIT = declare(Unit, "unit", reader="public", lockable=True, indexes=("kind", "name"), point=True).linking(
    members=many("(x)<-[:BELONGS_TO]-(y:Member)", "Member"),
    offerings=many("(x)-[:OFFERS]->(y:Offering)", "Offering"),
    venues=many("(x)<-[:OWNED_BY]-(y:Venue)", "Venue"),
    communities=many("(x)-[:REGISTERED_WITH]->(y:Community)", "Community"),
)
MEMBER = declare(
    Member,
    "member",
    reader="public",
    computed={"satisfaction": SATISFACTION_CYPHER, "phone": MEMBER_PHONE_CYPHER},
    lockable=True,
    indexes=("name",),
    point=True,
).linking(
    unit=one("(x)-[:BELONGS_TO]->(y:Unit)", "Unit", attr="unitId"),
    skills=many("(x)-[:HAS_SKILL]->(y:Skill)", "Skill"),
    communities=many("(x)-[:REGISTERED_WITH]->(y:Community)", "Community"),
)
OFFERING = declare(
    Offering, "offering", reader="public", lockable=True, indexes=("status",), fulltext=("title", "description")
).linking(
    unit=one("(x)<-[:OFFERS]-(y:Unit)", "Unit", attr="unitId"),
    category=one("(x)-[:SERVES]->(y:Category)", "Category", attr="categoryCode", key="code"),
    area=listed("(x)-[:IN_AREA]->(y)", ("District", "Street", "Community", "Compound"), attr="areaIds"),
)

KINDS = (SKILL, UNIT, MEMBER, OFFERING)
