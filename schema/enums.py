"""Enumerations clients can rely on; values are what the graph stores."""

from enum import Enum

import strawberry


@strawberry.enum(description="Where a need is in its life: 提交→派单→接单→办理→办结→评价, and the side roads.")
class NeedStatus(Enum):
    SUBMITTED = "SUBMITTED"
    DISPATCHED = "DISPATCHED"
    ACCEPTED = "ACCEPTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    EVALUATED = "EVALUATED"
    DECLINED = "DECLINED"
    ESCALATED = "ESCALATED"
    SUSPENDED = "SUSPENDED"
    CANCELLED = "CANCELLED"
    REOPENED = "REOPENED"


@strawberry.enum(description="How a need came in.")
class Channel(Enum):
    APP = "APP"
    HOTLINE_12345 = "HOTLINE_12345"
    GRID_WORKER = "GRID_WORKER"
    SENTINEL = "SENTINEL"
    VISIT = "VISIT"


@strawberry.enum
class Urgency(Enum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


@strawberry.enum(description="Who holds a need now: the community, the street office or the district.")
class Level(Enum):
    COMMUNITY = "COMMUNITY"
    STREET = "STREET"
    DISTRICT = "DISTRICT"


@strawberry.enum(description="Kinds of resident units (驻区单位).")
class UnitKind(Enum):
    STATE_ENTERPRISE = "STATE_ENTERPRISE"
    SCHOOL = "SCHOOL"
    HOSPITAL = "HOSPITAL"
    AGENCY = "AGENCY"
    COMPANY = "COMPANY"
    SOCIAL_ORG = "SOCIAL_ORG"
    PROPERTY_FIRM = "PROPERTY_FIRM"


@strawberry.enum(description="Kinds of venues (阵地).")
class VenueKind(Enum):
    STATE_IDLE_SITE = "STATE_IDLE_SITE"
    CENTRAL_COMMUNITY = "CENTRAL_COMMUNITY"
    RED_STATION = "RED_STATION"
    COMPOUND_STATION = "COMPOUND_STATION"
    COMMUNITY_CENTER = "COMMUNITY_CENTER"
    SERVICE_AREA = "SERVICE_AREA"


@strawberry.enum
class ProgramLevel(Enum):
    CITY = "CITY"
    DISTRICT = "DISTRICT"


@strawberry.enum
class OfferingStatus(Enum):
    ACTIVE = "ACTIVE"
    WITHDRAWN = "WITHDRAWN"


def values(items: list[Enum] | None) -> list[str] | None:
    return [item.value for item in items] if items else None
