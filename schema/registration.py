"""Partner registration's GraphQL surface: units, members, 双报到, offerings, venues, funding programs.

Inputs are plain carriers: every rule (lengths, phones, slots, ids, codes) is checked by the
resolvers with the same pydantic forms the CSV import uses. Payloads carry the changed object,
read back after the commit, and `replayed` (true when an idempotency key matched an earlier call).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from resolvers.kernel import read
from resolvers.partners import assets
from resolvers.partners import registration as units
from schema.common import Fen
from schema.enums import ProgramLevel, UnitKind, VenueKind
from schema.inputs import as_dict
from schema.types import Community, FundingProgram, Member, Offering, Unit, Venue

KEY = "Send the same key again to retry safely: the first result is returned and nothing is written twice."
SLOTS = 'Weekly windows, "D HH:MM-HH:MM", D = 1 (Mon)…7 (Sun), Xi\'an time.'
PHONE = "A mobile (1xxxxxxxxxx) or a Xi'an landline (029-xxxxxxxx)."
LAT = "WGS84 latitude; give both latitude and longitude, or neither."


def _data(value: Any) -> dict[str, Any]:
    data = as_dict(value) or {}
    data.pop("idempotency_key", None)
    return data


# --- inputs ------------------------------------------------------------------------------------


@strawberry.input
class RegisterUnitInput:
    name: str
    kind: UnitKind
    community_ids: list[strawberry.ID] = strawberry.field(description="Communities it registers with (双报到).")
    phone: str | None = strawberry.field(default=None, description=PHONE)
    address: str | None = None
    latitude: float | None = strawberry.field(default=None, description=LAT)
    longitude: float | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Fields left out (or null) stay as they are.")
class UpdateUnitInput:
    unit_id: strawberry.ID
    name: str | None = None
    kind: UnitKind | None = None
    phone: str | None = strawberry.field(default=None, description=PHONE)
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class RegisterMemberInput:
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
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class RegisterWithCommunityInput:
    subject_id: strawberry.ID = strawberry.field(description="A unit or a member.")
    community_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class SetAvailabilityInput:
    member_id: strawberry.ID
    availability: list[str] = strawberry.field(description=SLOTS + " Replaces the current windows.")
    max_load: int = strawberry.field(description="Open assignments allowed at once (0–50).")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class AddOfferingInput:
    unit_id: strawberry.ID
    category_code: str = strawberry.field(description="e.g. ELDERLY_CARE")
    title: str
    capacity: int = strawberry.field(description="How many needs it takes at once (> 0).")
    area_ids: list[strawberry.ID] = strawberry.field(description="Where it serves: communities, streets, districts.")
    description: str = ""
    availability: list[str] = strawberry.field(default_factory=list, description=SLOTS)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Fields left out (or null) stay as they are; lists given replace the old ones.")
class UpdateOfferingInput:
    offering_id: strawberry.ID
    category_code: str | None = None
    title: str | None = None
    description: str | None = None
    capacity: int | None = None
    area_ids: list[strawberry.ID] | None = None
    availability: list[str] | None = strawberry.field(default=None, description=SLOTS)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class WithdrawOfferingInput:
    offering_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class RegisterVenueInput:
    name: str
    kind: VenueKind
    community_id: strawberry.ID
    capacity: int = strawberry.field(description="People (> 0).")
    owner_unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="The unit that owns it; a UNIT_ADMIN's own unit when left out."
    )
    area_sqm: float | None = None
    facilities: list[str] = strawberry.field(default_factory=list, description="Facility codes, e.g. PROJECTOR.")
    opening_hours: list[str] = strawberry.field(default_factory=list, description=SLOTS)
    fee_per_hour: Fen = strawberry.field(default=Fen(0), description="Fen (1/100 yuan) per hour; 0 is free.")
    address: str | None = None
    latitude: float | None = strawberry.field(default=None, description=LAT + " The community's when left out.")
    longitude: float | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Fields left out (or null) stay as they are; lists given replace the old ones.")
class UpdateVenueInput:
    venue_id: strawberry.ID
    name: str | None = None
    kind: VenueKind | None = None
    community_id: strawberry.ID | None = None
    owner_unit_id: strawberry.ID | None = None
    capacity: int | None = None
    area_sqm: float | None = None
    facilities: list[str] | None = None
    opening_hours: list[str] | None = strawberry.field(default=None, description=SLOTS)
    fee_per_hour: Fen | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class CreateFundingProgramInput:
    name: str
    level: ProgramLevel
    budget: Fen
    cap_per_grant: Fen = strawberry.field(description="The most one grant may take, in fen.")
    categories: list[str] = strawberry.field(description="Category codes it pays for.")
    district_ids: list[strawberry.ID] = strawberry.field(description="Districts it is available in.")
    period_start: date
    period_end: date
    source: str = strawberry.field(default="", description="e.g. 社区为民服务专项资金")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Fields left out (or null) stay as they are; the budget never goes below spent.")
class UpdateFundingProgramInput:
    program_id: strawberry.ID
    name: str | None = None
    level: ProgramLevel | None = None
    budget: Fen | None = None
    cap_per_grant: Fen | None = None
    categories: list[str] | None = None
    district_ids: list[strawberry.ID] | None = None
    period_start: date | None = None
    period_end: date | None = None
    source: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


# --- payloads ----------------------------------------------------------------------------------


@strawberry.type
class RegisterUnitPayload:
    unit: Unit
    replayed: bool = False


@strawberry.type
class UpdateUnitPayload:
    unit: Unit
    replayed: bool = False


@strawberry.type
class RegisterMemberPayload:
    member: Member
    replayed: bool = False


@strawberry.type(description="`created` is false when the registration already existed (nothing changed).")
class RegisterWithCommunityPayload:
    community: Community
    unit: Unit | None
    member: Member | None
    created: bool
    replayed: bool = False


@strawberry.type
class SetAvailabilityPayload:
    member: Member
    replayed: bool = False


@strawberry.type
class AddOfferingPayload:
    offering: Offering
    replayed: bool = False


@strawberry.type
class UpdateOfferingPayload:
    offering: Offering
    replayed: bool = False


@strawberry.type
class WithdrawOfferingPayload:
    offering: Offering
    replayed: bool = False


@strawberry.type
class RegisterVenuePayload:
    venue: Venue
    replayed: bool = False


@strawberry.type
class UpdateVenuePayload:
    venue: Venue
    replayed: bool = False


@strawberry.type
class CreateFundingProgramPayload:
    funding_program: FundingProgram
    replayed: bool = False


@strawberry.type
class UpdateFundingProgramPayload:
    funding_program: FundingProgram
    replayed: bool = False


async def _load(info: Info, label: str, node_id: str) -> Any:
    return await read.by_id(info.context, label, node_id)


def _replayed(result: dict[str, Any]) -> bool:
    return bool(result.get("replayed"))


@strawberry.type
class RegistrationMutation:
    @strawberry.mutation(description="Register a 驻区单位 with one or more communities (staff of those, CITY_ADMIN).")
    async def register_unit(self, info: Info, input: RegisterUnitInput) -> RegisterUnitPayload:
        result = await units.register_unit(info.context, _data(input), input.idempotency_key)
        return RegisterUnitPayload(unit=await _load(info, "Unit", result["unitId"]), replayed=_replayed(result))

    @strawberry.mutation(description="Change a unit's name, kind, phone, address or location.")
    async def update_unit(self, info: Info, input: UpdateUnitInput) -> UpdateUnitPayload:
        result = await units.update_unit(info.context, _data(input), input.idempotency_key)
        return UpdateUnitPayload(unit=await _load(info, "Unit", result["unitId"]), replayed=_replayed(result))

    @strawberry.mutation(description="Register a party member of a unit, with skills and weekly time.")
    async def register_member(self, info: Info, input: RegisterMemberInput) -> RegisterMemberPayload:
        result = await units.register_member(info.context, _data(input), input.idempotency_key)
        member = await _load(info, "Member", result["memberId"])
        return RegisterMemberPayload(member=member, replayed=_replayed(result))

    @strawberry.mutation(description="双报到: register a unit or member with a community; doing it again is harmless.")
    async def register_with_community(
        self, info: Info, input: RegisterWithCommunityInput
    ) -> RegisterWithCommunityPayload:
        result = await units.register_with_community(info.context, _data(input), input.idempotency_key)
        subject = result["subjectId"]
        is_unit = subject.startswith("unit:")
        return RegisterWithCommunityPayload(
            community=await _load(info, "Community", result["communityId"]),
            unit=await _load(info, "Unit", subject) if is_unit else None,
            member=None if is_unit else await _load(info, "Member", subject),
            created=bool(result["created"]),
            replayed=_replayed(result),
        )

    @strawberry.mutation(description="Set a member's weekly windows and how many open assignments they take.")
    async def set_availability(self, info: Info, input: SetAvailabilityInput) -> SetAvailabilityPayload:
        result = await units.set_availability(info.context, _data(input), input.idempotency_key)
        member = await _load(info, "Member", result["memberId"])
        return SetAvailabilityPayload(member=member, replayed=_replayed(result))

    @strawberry.mutation(description="List something a unit offers: a service, skill, goods or space.")
    async def add_offering(self, info: Info, input: AddOfferingInput) -> AddOfferingPayload:
        result = await assets.add_offering(info.context, _data(input), input.idempotency_key)
        offering = await _load(info, "Offering", result["offeringId"])
        return AddOfferingPayload(offering=offering, replayed=_replayed(result))

    @strawberry.mutation(description="Change an active offering.")
    async def update_offering(self, info: Info, input: UpdateOfferingInput) -> UpdateOfferingPayload:
        result = await assets.update_offering(info.context, _data(input), input.idempotency_key)
        offering = await _load(info, "Offering", result["offeringId"])
        return UpdateOfferingPayload(offering=offering, replayed=_replayed(result))

    @strawberry.mutation(description="Stop offering it; open assignments run to their end.")
    async def withdraw_offering(self, info: Info, input: WithdrawOfferingInput) -> WithdrawOfferingPayload:
        result = await assets.withdraw_offering(info.context, _data(input), input.idempotency_key)
        offering = await _load(info, "Offering", result["offeringId"])
        return WithdrawOfferingPayload(offering=offering, replayed=_replayed(result))

    @strawberry.mutation(description="Register a venue (阵地) in a community.")
    async def register_venue(self, info: Info, input: RegisterVenueInput) -> RegisterVenuePayload:
        result = await assets.register_venue(info.context, _data(input), input.idempotency_key)
        return RegisterVenuePayload(venue=await _load(info, "Venue", result["venueId"]), replayed=_replayed(result))

    @strawberry.mutation(description="Change a venue.")
    async def update_venue(self, info: Info, input: UpdateVenueInput) -> UpdateVenuePayload:
        result = await assets.update_venue(info.context, _data(input), input.idempotency_key)
        return UpdateVenuePayload(venue=await _load(info, "Venue", result["venueId"]), replayed=_replayed(result))

    @strawberry.mutation(description="Create a funding program (CITY_ADMIN; DISTRICT_ADMIN for their district only).")
    async def create_funding_program(self, info: Info, input: CreateFundingProgramInput) -> CreateFundingProgramPayload:
        result = await assets.create_funding_program(info.context, _data(input), input.idempotency_key)
        program = await _load(info, "FundingProgram", result["programId"])
        return CreateFundingProgramPayload(funding_program=program, replayed=_replayed(result))

    @strawberry.mutation(description="Change a funding program; its budget may not drop below what is spent.")
    async def update_funding_program(self, info: Info, input: UpdateFundingProgramInput) -> UpdateFundingProgramPayload:
        result = await assets.update_funding_program(info.context, _data(input), input.idempotency_key)
        program = await _load(info, "FundingProgram", result["programId"])
        return UpdateFundingProgramPayload(funding_program=program, replayed=_replayed(result))
