"""Partners (双报到): units, their party members and offerings, the skill catalog; their registration.

Inputs are plain carriers: every rule (lengths, phones, slots, ids, codes) is checked by the
resolvers with the same pydantic forms the CSV import uses. Payloads carry the changed object,
read back after the commit, and `replayed` (true when an idempotency key matched an earlier call).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from graph.partners import kinds
from matching.review.scorecards import Level
from resolvers.kernel import read
from resolvers.kernel.authz import member_phone_for
from resolvers.partners import assets
from resolvers.partners import registration as units
from schema.derive import derived_type, input_for, mutation_field, node_type, record_payload, root_list
from schema.relay import Node, as_dict, listed_at_most
from schema.scorecards import scorecard_field

if TYPE_CHECKING:
    from schema.needs import Category
    from schema.places import Community
    from schema.venues import Venue

CategoryType = Annotated["Category", strawberry.lazy("schema.needs")]
CommunityType = Annotated["Community", strawberry.lazy("schema.places")]
VenueType = Annotated["Venue", strawberry.lazy("schema.venues")]

Skill = derived_type(kinds.SKILL)


@node_type(kinds.UNIT, description="驻区单位: an organisation located in the area.")
class Unit(Node):
    scorecard = scorecard_field(Level.UNIT)


@node_type(
    kinds.MEMBER,
    hide=("createdAt", "ratingSum", "ratingCount", "assignedCount", "location"),
    description="党员: a party-member volunteer with skills and limited weekly time.",
)
class Member(Node):
    @strawberry.field(description="Masked (138****5678) except for the member, their unit's admin and city admins.")
    def phone(self, info: Info) -> str | None:
        return member_phone_for(info.context.viewer, self.id, self.unit_id, self.phone)

    @strawberry.field(description="Average rating (1–5), null before the first rating.")
    def satisfaction(self) -> float | None:
        return kinds.satisfaction(self.rating_sum, self.rating_count)


@node_type(kinds.OFFERING, description="What a unit offers: a service, skill, goods or space.")
class Offering(Node):
    @strawberry.field(description="Where it serves: communities, streets or districts.")
    async def area(self, info: Info) -> list[Node]:
        return await read.present(info.context, listed_at_most(self.area_ids))


# --- lists -------------------------------------------------------------------------------------


class UnitFilter:
    kind: list[kinds.UnitKind] | None = None
    place_id: strawberry.ID | None = strawberry.field(
        default=None, description="Units registered with a community at or below this place."
    )
    name: str | None = None


class MemberFilter:
    place_id: strawberry.ID | None = strawberry.field(
        default=None, description="Members registered with a community at or below this place."
    )
    skill: list[str] | None = strawberry.field(default=None, description="Skill codes, e.g. PLUMBING.")
    unit_id: strawberry.ID | None = None
    name: str | None = None


class SkillFilter:
    category: list[str] | None = None


@strawberry.type
class PartnersQuery:
    units = root_list("units", "Resident units (驻区单位) located in the area, by id.")

    members = root_list("members", "Party-member volunteers (党员), by id.")

    skills = root_list("skills", "Skills volunteers declare, by code.")


# --- registration ------------------------------------------------------------------------------


RegisterWithCommunityInput = input_for(units.register_with_community)


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
        "Register a 驻区单位 with one or more communities (staff of those, CITY_ADMIN).",
    )
    update_unit = mutation_field(
        UpdateUnitPayload.build, units.update_unit, "Change a unit's name, kind, phone, address or location."
    )
    register_member = mutation_field(
        RegisterMemberPayload.build,
        units.register_member,
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
        "Set a member's weekly windows and how many open assignments they take.",
    )
    add_offering = mutation_field(
        AddOfferingPayload.build, assets.add_offering, "List something a unit offers: a service, skill, goods or space."
    )
    update_offering = mutation_field(UpdateOfferingPayload.build, assets.update_offering, "Change an active offering.")
    withdraw_offering = mutation_field(
        WithdrawOfferingPayload.build, assets.withdraw_offering, "Stop offering it; open assignments run to their end."
    )


TYPES = (Skill, Unit, Member, Offering)
