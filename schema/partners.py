"""Partners (双报到): units, their party members and offerings, the skill catalog; their registration.

Inputs are plain carriers: every rule (lengths, phones, slots, ids, codes) is checked by the
resolvers with the same pydantic forms the CSV import uses. Payloads carry the changed object,
read back after the commit, and `replayed` (true when an idempotency key matched an earlier call).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from graph.partners import kinds
from resolvers.kernel import read
from resolvers.kernel.authz import member_phone_for
from resolvers.partners import assets
from resolvers.partners import registration as units
from schema.mutations import MutationInput, mutation_field, record_payload
from schema.relay import GeoPointType, Node, as_dict, connection, listed_at_most, lookup, node_type

if TYPE_CHECKING:
    from schema.needs import Category
    from schema.places import Community
    from schema.venues import Venue

CategoryType = Annotated["Category", strawberry.lazy("schema.needs")]
CommunityType = Annotated["Community", strawberry.lazy("schema.places")]
VenueType = Annotated["Venue", strawberry.lazy("schema.venues")]

SLOTS = 'Weekly windows, "D HH:MM-HH:MM", D = 1 (Mon)…7 (Sun), Xi\'an time.'
PHONE = "A mobile (1xxxxxxxxxx) or a Xi'an landline (029-xxxxxxxx)."
LAT = "WGS84 latitude; give both latitude and longitude, or neither."

UnitKind = strawberry.enum(kinds.UnitKind, description="Kinds of resident units (驻区单位).")
OfferingStatus = strawberry.enum(kinds.OfferingStatus)


@strawberry.type
@node_type(kinds.Skill)
class Skill(Node):
    code: str
    name: str

    categories = lookup(
        read.by_codes, "Category", "category_codes", list[CategoryType], "The categories of need this skill serves."
    )


@strawberry.type(description="驻区单位: an organisation located in the area.")
@node_type(kinds.Unit)
class Unit(Node):
    name: str
    kind: UnitKind
    address: str | None
    phone: str | None
    credit_code: str | None = strawberry.field(
        description="统一社会信用代码: the unit's unified social credit code, its key when rosters are re-imported."
    )
    location: GeoPointType | None
    created_at: datetime | None

    members = connection("Unit.members", "Member", "Party-member volunteers of this unit.")

    offerings = connection("Unit.offerings", "Offering", "What this unit offers (services, goods, expertise).")

    venues = connection("Unit.venues", "VenueType", "Venues this unit owns.")

    communities = connection("Unit.communities", "CommunityType", "Communities it is registered with (双报到).")


@strawberry.type(description="党员: a party-member volunteer with skills and limited weekly time.")
@node_type(kinds.Member)
class Member(Node):
    name: str
    availability: list[str] = strawberry.field(description='Weekly windows, "D HH:MM-HH:MM", D = 1 (Mon)…7 (Sun).')
    max_load: int = strawberry.field(description="Open assignments allowed at once.")
    open_load: int = strawberry.field(description="Open assignments now.")
    completed_count: int
    last_served_at: datetime | None

    @strawberry.field(description="Masked (138****5678) except for the member, their unit's admin and city admins.")
    def phone(self, info: Info) -> str | None:
        return member_phone_for(info.context.viewer, self.id, self.unit_id, self.phone)

    @strawberry.field(description="Average rating (1–5), null before the first rating.")
    def satisfaction(self) -> float | None:
        return kinds.satisfaction(self.rating_sum, self.rating_count)

    unit = lookup(read.by_id, "Unit", "unit_id", Unit | None)

    skills = connection("Member.skills", "Skill", "What the member can do.")

    communities = connection(
        "Member.communities", "CommunityType", "Communities the member is registered with (双报到)."
    )


@strawberry.type(description="What a unit offers: a service, skill, goods or space.")
@node_type(kinds.Offering)
class Offering(Node):
    title: str
    description: str
    capacity: int
    open_load: int
    availability: list[str]
    status: OfferingStatus
    created_at: datetime | None

    unit = lookup(read.by_id, "Unit", "unit_id", Unit | None)

    category = lookup(read.by_code, "Category", "category_code", CategoryType | None)

    @strawberry.field(description="Where it serves: communities, streets or districts.")
    async def area(self, info: Info) -> list[Node]:
        return await read.present(info.context, listed_at_most(self.area_ids))


# --- lists -------------------------------------------------------------------------------------


@strawberry.input
class UnitFilter:
    kind: list[UnitKind] | None = None
    place_id: strawberry.ID | None = strawberry.field(
        default=None, description="Units registered with a community at or below this place."
    )
    name: str | None = None


@strawberry.input
class MemberFilter:
    place_id: strawberry.ID | None = strawberry.field(
        default=None, description="Members registered with a community at or below this place."
    )
    skill: list[str] | None = strawberry.field(default=None, description="Skill codes, e.g. PLUMBING.")
    unit_id: strawberry.ID | None = None
    name: str | None = None


@strawberry.input
class SkillFilter:
    category: list[str] | None = None


@strawberry.type
class PartnersQuery:
    units = connection("units", "Unit", "Resident units (驻区单位) located in the area, by id.", "UnitFilter")

    members = connection("members", "Member", "Party-member volunteers (党员), by id.", "MemberFilter")

    skills = connection("skills", "Skill", "Skills volunteers declare, by code.", "SkillFilter")


# --- registration ------------------------------------------------------------------------------


@strawberry.input
class RegisterUnitInput(MutationInput):
    name: str
    kind: UnitKind
    community_ids: list[strawberry.ID] = strawberry.field(description="Communities it registers with (双报到).")
    phone: str | None = strawberry.field(default=None, description=PHONE)
    address: str | None = None
    latitude: float | None = strawberry.field(default=None, description=LAT)
    longitude: float | None = None
    credit_code: str | None = strawberry.field(
        default=None, description="统一社会信用代码 (18 characters); unique: a unit is registered once."
    )


@strawberry.input(description="Fields left out (or null) stay as they are.")
class UpdateUnitInput(MutationInput):
    unit_id: strawberry.ID
    name: str | None = None
    kind: UnitKind | None = None
    phone: str | None = strawberry.field(default=None, description=PHONE)
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@strawberry.input
class RegisterMemberInput(MutationInput):
    unit_id: strawberry.ID
    name: str
    phone: str = strawberry.field(description=PHONE)
    skills: list[str] = strawberry.field(default_factory=list, description="Skill codes, e.g. PLUMBING.")
    availability: list[str] = strawberry.field(default_factory=list, description=SLOTS)
    max_load: int = strawberry.field(default=2, description="Open assignments allowed at once (0–50).")
    community_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Communities they serve: their unit's, and where they live (双报到)."
    )
    latitude: float | None = strawberry.field(default=None, description="Home location; " + LAT)
    longitude: float | None = None


@strawberry.input
class RegisterWithCommunityInput(MutationInput):
    subject_id: strawberry.ID = strawberry.field(description="A unit or a member.")
    community_id: strawberry.ID


@strawberry.input
class SetAvailabilityInput(MutationInput):
    member_id: strawberry.ID
    availability: list[str] = strawberry.field(description=SLOTS + " Replaces the current windows.")
    max_load: int = strawberry.field(description="Open assignments allowed at once (0–50).")


@strawberry.input
class AddOfferingInput(MutationInput):
    unit_id: strawberry.ID
    category_code: str = strawberry.field(description="e.g. ELDERLY_CARE")
    title: str
    capacity: int = strawberry.field(description="How many needs it takes at once (> 0).")
    area_ids: list[strawberry.ID] = strawberry.field(description="Where it serves: communities, streets, districts.")
    description: str = ""
    availability: list[str] = strawberry.field(default_factory=list, description=SLOTS)


@strawberry.input(description="Fields left out (or null) stay as they are; lists given replace the old ones.")
class UpdateOfferingInput(MutationInput):
    offering_id: strawberry.ID
    category_code: str | None = None
    title: str | None = None
    description: str | None = None
    capacity: int | None = None
    area_ids: list[strawberry.ID] | None = None
    availability: list[str] | None = strawberry.field(default=None, description=SLOTS)


@strawberry.input
class WithdrawOfferingInput(MutationInput):
    offering_id: strawberry.ID


RegisterUnitPayload = record_payload("RegisterUnitPayload", "unit", Unit, "unitId")


UpdateUnitPayload = record_payload("UpdateUnitPayload", "unit", Unit, "unitId")


RegisterMemberPayload = record_payload("RegisterMemberPayload", "member", Member, "memberId")


@strawberry.type(description="`created` is false when the registration already existed (nothing changed).")
class RegisterWithCommunityPayload:
    community: CommunityType
    unit: Unit | None
    member: Member | None
    created: bool
    replayed: bool = False


SetAvailabilityPayload = record_payload("SetAvailabilityPayload", "member", Member, "memberId")


AddOfferingPayload = record_payload("AddOfferingPayload", "offering", Offering, "offeringId")


UpdateOfferingPayload = record_payload("UpdateOfferingPayload", "offering", Offering, "offeringId")


WithdrawOfferingPayload = record_payload("WithdrawOfferingPayload", "offering", Offering, "offeringId")


async def load(info: Info, label: str, node_id: str) -> Any:
    return await read.by_id(info.context, label, node_id)


def replayed(result: dict[str, Any]) -> bool:
    return bool(result.get("replayed"))


@strawberry.type
class PartnersMutation:
    register_unit = mutation_field(
        RegisterUnitPayload.build,
        units.register_unit,
        RegisterUnitInput,
        "Register a 驻区单位 with one or more communities (staff of those, CITY_ADMIN).",
    )
    update_unit = mutation_field(
        UpdateUnitPayload.build,
        units.update_unit,
        UpdateUnitInput,
        "Change a unit's name, kind, phone, address or location.",
    )
    register_member = mutation_field(
        RegisterMemberPayload.build,
        units.register_member,
        RegisterMemberInput,
        "Register a party member of a unit, with skills and weekly time.",
    )

    @strawberry.mutation(description="双报到: register a unit or member with a community; doing it again is harmless.")
    async def register_with_community(
        self, info: Info, input: RegisterWithCommunityInput
    ) -> RegisterWithCommunityPayload:
        result = await units.register_with_community(info.context, as_dict(input))
        subject = result["subjectId"]
        is_unit = subject.startswith("unit:")
        return RegisterWithCommunityPayload(
            community=await load(info, "Community", result["communityId"]),
            unit=await load(info, "Unit", subject) if is_unit else None,
            member=None if is_unit else await load(info, "Member", subject),
            created=bool(result["created"]),
            replayed=replayed(result),
        )

    set_availability = mutation_field(
        SetAvailabilityPayload.build,
        units.set_availability,
        SetAvailabilityInput,
        "Set a member's weekly windows and how many open assignments they take.",
    )
    add_offering = mutation_field(
        AddOfferingPayload.build,
        assets.add_offering,
        AddOfferingInput,
        "List something a unit offers: a service, skill, goods or space.",
    )
    update_offering = mutation_field(
        UpdateOfferingPayload.build,
        assets.update_offering,
        UpdateOfferingInput,
        "Change an active offering.",
    )
    withdraw_offering = mutation_field(
        WithdrawOfferingPayload.build,
        assets.withdraw_offering,
        WithdrawOfferingInput,
        "Stop offering it; open assignments run to their end.",
    )


TYPES = (Skill, Unit, Member, Offering)
