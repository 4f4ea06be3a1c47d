"""What a partner may register, checked field by field: the one set of rules for the API and the CSV import.

Field names are the camelCase ones clients send (GraphQL input fields and CSV column headers), so
a message such as `phone: phone '1234' is not a mobile…` points at the thing to fix.
Checks that need the graph (does this community or skill code exist?) happen in the transaction.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator

from graph.funding.kinds import ProgramFunds, ProgramLevel
from graph.kernel.kinds import camel
from graph.kernel.records import Fen
from graph.partners.kinds import UnitKind
from graph.venues.kinds import VenueKind, venue_key
from matching.time_windows import parse_slot
from resolvers.kernel.validation import Form, id_of

# A generous box around Xi'an's 13 districts and counties: catches swapped or foreign coordinates.
LAT_RANGE = (33.3, 34.9)
LON_RANGE = (107.2, 110.0)

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^029-?\d{8}$")
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")


def _phone(value: str) -> str:
    text = re.sub(r"[\s()]", "", value)
    if _MOBILE.match(text):
        return text
    if _LANDLINE.match(text):
        # One stored form, so the same number never looks like two.
        return "029-" + text.removeprefix("029").removeprefix("-")
    raise ValueError(f"phone {value!r} is not a mobile (1xxxxxxxxxx) or 029 landline (029-xxxxxxxx)")


# GB 32100-2015: the unified social credit code (统一社会信用代码), 18 characters whose last is a check
# character over the first 17 in this alphabet (no I, O, Z, S, V).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The check character of a credit code's first 17 characters."""
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def _credit_code(value: str) -> str:
    text = value.strip().upper()
    if len(text) != 18 or any(ch not in _USCC_ALPHABET for ch in text):
        raise ValueError(
            f"creditCode {value!r} is not a unified social credit code (18 characters, digits and capital "
            "letters except I, O, Z, S, V)"
        )
    if uscc_check_char(text[:17]) != text[17]:
        raise ValueError(f"creditCode {value!r} fails its check character: a character was mistyped")
    return text


def _slot(value: str) -> str:
    parse_slot(value)  # its ValueError already says what a slot looks like
    return value.strip()


def _code(value: str) -> str:
    text = value.strip().upper()
    if not _CODE.match(text):
        raise ValueError(f"{value!r} is not a code: codes are capital letters, digits and _ (e.g. PLUMBING)")
    return text


def _id_of(*labels: str) -> Any:
    """A validator accepting ids of `labels` only; a bare 12-digit NBS code counts as a community id."""

    plain = id_of(*labels).func

    def check(value: str) -> str:
        text = value.strip()
        if "Community" in labels and re.fullmatch(r"\d{12}", text):
            text = f"community:{text}"
        return plain(text)

    return AfterValidator(check)


def _split(value: Any) -> Any:
    """CSV cells hold lists as `a;b;c`; the API sends real lists. Empty cells are empty lists."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return value


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


Phone = Annotated[str, AfterValidator(_phone)]
CreditCode = Annotated[str, AfterValidator(_credit_code)]
OptionalPhone = Annotated[Phone | None, BeforeValidator(_blank_to_none)]
SlotList = Annotated[list[Annotated[str, AfterValidator(_slot)]], BeforeValidator(_split), Field(max_length=50)]
CodeList = Annotated[list[Annotated[str, AfterValidator(_code)]], BeforeValidator(_split), Field(max_length=30)]
CommunityId = Annotated[str, _id_of("Community")]
CommunityIds = Annotated[list[CommunityId], BeforeValidator(_split), Field(max_length=20)]
AreaIds = Annotated[list[Annotated[str, _id_of("District", "Street", "Community")]], BeforeValidator(_split)]
UnitId = Annotated[str, _id_of("Unit")]
OptionalUnitId = Annotated[UnitId | None, BeforeValidator(_blank_to_none)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
# Constraints sit on the value's own type, inside the `| None`: put on the union, pydantic applies them
# to an explicit null too and fails with a TypeError instead of a validation error.
# A venue's code in a register of assets (e.g. a state-owned idle site's): letters, digits and dashes.
RegistryCode = Annotated[
    Annotated[str, Field(max_length=40, pattern=r"^[0-9A-Za-z][0-9A-Za-z-]*$")] | None,
    BeforeValidator(_blank_to_none),
    AfterValidator(lambda code: code.upper() if code else code),
]
Address = Annotated[Annotated[str, Field(max_length=200)] | None, BeforeValidator(_blank_to_none)]
Latitude = Annotated[float | None, BeforeValidator(_blank_to_none), Field(default=None)]
Longitude = Annotated[float | None, BeforeValidator(_blank_to_none), Field(default=None)]


def _one_of(field: str, values: type[StrEnum]) -> Any:
    """One of an enum's values, as its plain string; `field` names it in the message (any case, spaces
    around it ignored: a CSV cell is typed by hand)."""
    allowed = tuple(values)

    def check(value: Any) -> Any:
        text = value.strip().upper() if isinstance(value, str) else value
        if text not in allowed:
            raise ValueError(f"{field} {value!r} is not one of {', '.join(allowed)}")
        return text

    return Annotated[values, BeforeValidator(check)]


class Located(Form):
    latitude: Latitude = None
    longitude: Longitude = None

    @property
    def location(self) -> dict[str, float] | None:
        """The map Cypher's point() takes, or None."""
        if self.latitude is None or self.longitude is None:
            return None
        return {"latitude": self.latitude, "longitude": self.longitude}

    def row(self, node_id: str) -> dict[str, Any]:
        """The graph keeps the point, not its two halves."""
        return {
            **self.model_dump(by_alias=True, exclude={"latitude", "longitude"}),
            "id": node_id,
            "location": self.location,
        }

    @model_validator(mode="after")
    def both_or_neither_and_in_xian(self) -> Located:
        lat, lon = self.latitude, self.longitude
        if (lat is None) != (lon is None):
            raise ValueError("give both latitude and longitude, or neither")
        inside = (
            lat is None or lon is None or (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1])
        )
        if not inside:
            raise ValueError(
                f"location ({lat}, {lon}) is outside Xi'an (latitude {LAT_RANGE[0]}–{LAT_RANGE[1]}, "
                f"longitude {LON_RANGE[0]}–{LON_RANGE[1]}); are latitude and longitude swapped?"
            )
        return self


# --- units and members -----------------------------------------------------------------------


class UnitFields(Located):
    name: Name
    kind: _one_of("kind", UnitKind)
    phone: OptionalPhone = None
    address: Address = None


class RegisterUnit(UnitFields):
    community_ids: Annotated[CommunityIds, Field(min_length=1)] = Field(
        description="Where the unit is registered (双报到); at least one."
    )
    credit_code: Annotated[CreditCode | None, BeforeValidator(_blank_to_none)] = None

    # A roster's natural key (resolvers/partners/roster_import.py): a re-imported row updates its unit.
    ROSTER_KEY: ClassVar[str] = "creditCode"

    @property
    def roster_key(self) -> str | None:
        return self.credit_code


class UpdateUnit(Located):
    unit_id: UnitId
    name: Name | None = None
    kind: _one_of("kind", UnitKind) | None = None
    phone: OptionalPhone = None
    address: Address = None

    @model_validator(mode="after")
    def something_to_change(self) -> UpdateUnit:
        if not changes(self, "name", "kind", "phone", "address") and self.location is None:
            raise ValueError("updateUnit: nothing to change; send at least one of name, kind, phone, address, location")
        return self


class AvailabilityFields(Form):
    availability: SlotList = Field(default_factory=list)
    max_load: int = Field(default=2, ge=0, le=50)


class RegisterMember(Located, AvailabilityFields):
    unit_id: UnitId
    name: Name
    phone: Phone
    skills: CodeList = Field(default_factory=list)
    community_ids: CommunityIds = Field(default_factory=list)

    def row(self, node_id: str) -> dict[str, Any]:
        return {
            **super().row(node_id),
            "skills": sorted(set(self.skills)),
            "communityIds": sorted(set(self.community_ids)),
            "rosterKey": self.roster_key,
        }

    # A roster's natural key (resolvers/partners/roster_import.py), as RegisterUnit's.
    ROSTER_KEY: ClassVar[str] = "unitId and phone"

    @property
    def roster_key(self) -> str:
        """The natural key of a member: the same phone in the same unit is the same person."""
        return f"{self.unit_id}|{self.phone}"


class SetAvailability(AvailabilityFields):
    member_id: Annotated[str, _id_of("Member")]
    availability: SlotList  # the new windows replace the old ones: sent even when empty
    max_load: int = Field(ge=0, le=50)


class RegisterWithCommunity(Form):
    subject_id: Annotated[str, _id_of("Unit", "Member")]
    community_id: CommunityId


# --- offerings ---------------------------------------------------------------------------------


class OfferingFields(Form):
    title: Annotated[str | None, Field(default=None, min_length=2, max_length=100)] = None
    description: Annotated[str | None, Field(default=None, max_length=2000)] = None
    capacity: Annotated[int | None, Field(default=None, gt=0, le=10_000)] = None
    category_code: Annotated[str, AfterValidator(_code)] | None = None
    area_ids: AreaIds | None = None
    availability: SlotList | None = None


class AddOffering(OfferingFields):
    unit_id: UnitId
    title: Annotated[str, Field(min_length=2, max_length=100)]
    description: Annotated[str, Field(max_length=2000)] = ""
    capacity: Annotated[int, Field(gt=0, le=10_000)]
    category_code: Annotated[str, AfterValidator(_code)]
    area_ids: Annotated[AreaIds, Field(min_length=1, max_length=50)]
    availability: SlotList = Field(default_factory=list)


class UpdateOffering(OfferingFields):
    offering_id: Annotated[str, _id_of("Offering")]

    @model_validator(mode="after")
    def something_to_change(self) -> UpdateOffering:
        if not self.props() and self.category_code is None and self.area_ids is None:
            raise ValueError(
                "updateOffering: nothing to change; send at least one of title, description, capacity, "
                "availability, categoryCode, areaIds"
            )
        if self.area_ids is not None and not self.area_ids:
            raise ValueError("areaIds: an offering serves at least one community, street or district")
        return self

    def props(self) -> dict[str, Any]:
        return changes(self, "title", "description", "capacity", "availability")


class OfferingRef(Form):
    offering_id: Annotated[str, _id_of("Offering")]


# --- venues ------------------------------------------------------------------------------------


class VenueFields(Located):
    name: Name | None = None
    kind: _one_of("kind", VenueKind) | None = None
    community_id: CommunityId | None = None
    owner_unit_id: OptionalUnitId = None
    capacity: Annotated[int | None, Field(default=None, gt=0, le=100_000)] = None
    area_sqm: Annotated[Annotated[float, Field(gt=0, le=1_000_000)] | None, BeforeValidator(_blank_to_none)] = None
    facilities: CodeList | None = None
    opening_hours: SlotList | None = None
    fee_per_hour: Annotated[Fen | None, Field(default=None, ge=0, le=100_000_000)] = None
    address: Address = None
    registry_code: RegistryCode = None


class RegisterVenue(VenueFields):
    name: Name
    kind: _one_of("kind", VenueKind)
    community_id: CommunityId
    capacity: Annotated[int, Field(gt=0, le=100_000)]
    facilities: CodeList = Field(default_factory=list)
    opening_hours: SlotList = Field(default_factory=list)
    fee_per_hour: Annotated[Fen, Field(ge=0, le=100_000_000)] = Fen(0)

    def row(self, node_id: str, owner_unit_id: str | None = None) -> dict[str, Any]:
        owner = owner_unit_id or self.owner_unit_id
        return {**super().row(node_id), "ownerUnitId": owner, "rosterKey": self.key(owner)}

    # A roster's natural key (resolvers/partners/roster_import.py), as RegisterUnit's.
    ROSTER_KEY: ClassVar[str] = "registryCode, or ownerUnitId, communityId and name"

    def key(self, owner_unit_id: str | None) -> str:
        return venue_key(self.name, self.community_id, owner_unit_id, self.registry_code)

    @property
    def roster_key(self) -> str:
        return self.key(self.owner_unit_id)


class UpdateVenue(VenueFields):
    venue_id: Annotated[str, _id_of("Venue")]

    @model_validator(mode="after")
    def something_to_change(self) -> UpdateVenue:
        links = (self.community_id, self.owner_unit_id, self.facilities, self.location)
        if not self.props() and all(item is None for item in links):
            raise ValueError("updateVenue: nothing to change; send at least one field besides venueId")
        return self

    def props(self) -> dict[str, Any]:
        return changes(
            self, "name", "kind", "capacity", "area_sqm", "opening_hours", "fee_per_hour", "address", "registry_code"
        )


# --- funding programs ---------------------------------------------------------------------------

# 10 billion yuan: far above any program the document names, still well inside 64 bits.
MAX_FEN = 1_000_000_000_000


class ProgramFields(Form):
    name: Name | None = None
    source: Annotated[str | None, Field(default=None, max_length=100)] = None
    level: _one_of("level", ProgramLevel) | None = None
    funds: _one_of("funds", ProgramFunds) | None = None
    budget: Annotated[Fen | None, Field(default=None, ge=0, le=MAX_FEN)] = None
    cap_per_grant: Annotated[Fen | None, Field(default=None, gt=0, le=MAX_FEN)] = None
    categories: Annotated[CodeList | None, Field(default=None, min_length=1)] = None
    district_ids: Annotated[list[Annotated[str, _id_of("District")]] | None, Field(default=None, min_length=1)] = None
    period_start: date | None = None
    period_end: date | None = None

    @model_validator(mode="after")
    def consistent(self) -> ProgramFields:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValueError(f"periodEnd {self.period_end} is before periodStart {self.period_start}")
        if self.budget is not None and self.cap_per_grant is not None and self.cap_per_grant > self.budget:
            raise ValueError(f"capPerGrant {self.cap_per_grant} fen is more than the whole budget {self.budget} fen")
        return self


class CreateProgram(ProgramFields):
    name: Name
    source: Annotated[str, Field(max_length=100)] = ""
    level: _one_of("level", ProgramLevel)
    funds: _one_of("funds", ProgramFunds) = ProgramFunds.NEEDS
    budget: Annotated[Fen, Field(ge=0, le=MAX_FEN)]
    cap_per_grant: Annotated[Fen, Field(gt=0, le=MAX_FEN)]
    categories: Annotated[CodeList, Field(min_length=1)]
    district_ids: Annotated[list[Annotated[str, _id_of("District")]], Field(min_length=1, max_length=13)]
    period_start: date
    period_end: date


class UpdateProgram(ProgramFields):
    program_id: Annotated[str, _id_of("FundingProgram")]

    @model_validator(mode="after")
    def something_to_change(self) -> UpdateProgram:
        if not self.props() and self.categories is None and self.district_ids is None:
            raise ValueError("updateFundingProgram: nothing to change; send at least one field besides programId")
        return self

    def props(self) -> dict[str, Any]:
        return changes(
            self, "name", "source", "level", "funds", "budget", "cap_per_grant", "period_start", "period_end"
        )


def changes(form: BaseModel, *names: str) -> dict[str, Any]:
    """The given properties the client sent (None = leave as is), under their graph (camelCase) names."""
    return {camel(name): getattr(form, name) for name in names if getattr(form, name) is not None}
