"""Property firms (物业企业): a district registers them and says which compound each manages, one firm at a
time with its history kept; and a state enterprise takes on the fallback service (兜底) of a street or a
district for the compounds no firm manages (无物业小区).

District admins act in their district, city admins everywhere. Each mutation's input is its form
(GraphQL shows it as `<Mutation>Input`), its answer the node as the change left it (`returns`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from graph.kernel import writes
from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden, NotFound
from graph.kernel.ids import label_of, new_id
from graph.partners.kinds import UnitKind
from graph.property import firms
from graph.property.kinds import FALLBACK, MANAGEMENT, PROPERTY_FIRM
from resolvers.kernel.mutations import Dated, Outbox, Result, dated, mutation
from resolvers.kernel.validation import Form, aware, id_of, optional_text
from resolvers.kernel.viewer import Role, Viewer
from resolvers.partners.forms import CreditCode, OptionalPhone

ROLES = (Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
# Who may take on the fallback of an area: the document's state property enterprises (国有物业服务企业
# "整片承包"). A street's own public-interest service (街道领办公益性物业) would be a unit of its own.
FALLBACK_KINDS = (UnitKind.STATE_ENTERPRISE,)
Name = Annotated[str, Field(min_length=2, max_length=60)]
SINCE = "From when (default: now); not in the future."
UNTIL = "When it ends (default: now); not in the future."


def _in_district(viewer: Viewer, district_id: str | None, what: str) -> None:
    """A district admin acts in its own district only."""
    if viewer.role is Role.DISTRICT_ADMIN and district_id != viewer.scope_id:
        raise Forbidden(
            f"{what} lies outside your district {viewer.scope_id}; ask that district's admin or a city admin",
            scope=viewer.scope_id,
        )


def _moment(value: datetime | None, now: datetime, field: str) -> datetime:
    moment = now if value is None else aware(value)
    if moment > now:
        raise BadUserInput(f"{field} is in the future ({moment.isoformat()}); give a time up to now", field=field)
    return moment


# --- firms -------------------------------------------------------------------------------------------


class RegisterPropertyFirm(Form):
    name: Name
    district_id: Annotated[str, id_of("District")] = Field(description="The district that registers the firm.")
    credit_code: CreditCode | None = Field(
        default=None, description="Its unified social credit code (18 characters), its own among firms."
    )
    phone: OptionalPhone = None


@mutation("registerPropertyFirm", roles=ROLES, form=RegisterPropertyFirm, returns=PROPERTY_FIRM.label)
async def register_property_firm(tx: Tx, viewer: Viewer, form: RegisterPropertyFirm, outbox: Outbox) -> Result:
    """Register a property firm (物业企业) with its district (DISTRICT_ADMIN of that district, CITY_ADMIN).
    Its credit code is its own: CONFLICT when another firm has it."""
    _in_district(viewer, form.district_id, f"district {form.district_id}")
    if form.credit_code:
        await writes.require_free(tx, PROPERTY_FIRM, "creditCode", form.credit_code, "that firm is registered")
    firm_id = new_id("propertyfirm")
    props = {"name": form.name, "creditCode": form.credit_code, "phone": form.phone}
    props = {key: value for key, value in props.items() if value is not None}
    await writes.create(tx, PROPERTY_FIRM, firm_id, props, {"district": form.district_id})
    return {"propertyFirmId": firm_id}


# --- management --------------------------------------------------------------------------------------


class AssignManagement(Dated):
    compound_id: Annotated[str, id_of("Compound")] = Field(description="The compound the firm takes over.")
    firm_id: Annotated[str, id_of("PropertyFirm")] = Field(description="The property firm that manages it.")
    since: datetime | None = Field(default=None, description=SINCE)


def _compound(form: AssignManagement | EndManagement) -> str:
    return f"Compound:{form.compound_id}"


@mutation(
    "assignManagement", roles=ROLES, form=AssignManagement, prepare=dated, race=_compound, returns=MANAGEMENT.label
)
async def assign_management(tx: Tx, viewer: Viewer, form: AssignManagement, outbox: Outbox) -> Result:
    """A property firm takes over a compound's management (DISTRICT_ADMIN of the compound's district,
    CITY_ADMIN). A compound has one firm at a time: CONFLICT naming the firm that manages it now (end that
    first), or when `since` falls before its last management ended."""
    assert form.now is not None
    since = _moment(form.since, form.now, "since")
    facts = await firms.locked_compound(tx, form.compound_id, form.firm_id)
    if facts is None:
        raise NotFound(f"no compound with id {form.compound_id!r}", field="compoundId", id=form.compound_id)
    _in_district(viewer, facts.district_id, f"compound {form.compound_id}")
    if facts.asked_firm is None:
        raise NotFound(f"no property firm with id {form.firm_id!r}", field="firmId", id=form.firm_id)
    if facts.management_id is not None:
        who = "this firm" if facts.firm_id == form.firm_id else f"{facts.firm_name} ({facts.firm_id})"
        raise Conflict(
            f"compound {form.compound_id} is managed by {who} since {facts.management_since}; "
            "end that management first (endManagement)",
            field="compoundId",
            managementId=facts.management_id,
            propertyFirmId=facts.firm_id,
        )
    if facts.last_until is not None and since < facts.last_until:
        raise Conflict(
            f"since {since.isoformat()} falls before the compound's last management ended "
            f"({facts.last_until.isoformat()}); one firm at a time: start at or after it",
            field="since",
        )
    management_id = new_id("management")
    await firms.manage(tx, management_id, form.compound_id, form.firm_id, since)
    return {"managementId": management_id}


class EndManagement(Dated):
    compound_id: Annotated[str, id_of("Compound")] = Field(description="The compound whose firm leaves.")
    until: datetime | None = Field(default=None, description=UNTIL)
    reason: optional_text(200) = Field(default=None, description="Why (e.g. 满意度低，清退).")


@mutation("endManagement", roles=ROLES, form=EndManagement, prepare=dated, race=_compound, returns=MANAGEMENT.label)
async def end_management(tx: Tx, viewer: Viewer, form: EndManagement, outbox: Outbox) -> Result:
    """End the management of a compound by its firm (DISTRICT_ADMIN of the compound's district, CITY_ADMIN):
    the compound has no firm from then on (无物业小区) until another takes over; the history stays.
    CONFLICT when no firm manages it."""
    assert form.now is not None
    until = _moment(form.until, form.now, "until")
    facts = await firms.locked_compound(tx, form.compound_id)
    if facts is None:
        raise NotFound(f"no compound with id {form.compound_id!r}", field="compoundId", id=form.compound_id)
    _in_district(viewer, facts.district_id, f"compound {form.compound_id}")
    if facts.management_id is None:
        raise Conflict(f"no firm manages compound {form.compound_id} now", field="compoundId")
    assert facts.management_since is not None
    if until < facts.management_since:
        raise BadUserInput(
            f"until {until.isoformat()} is before the management began ({facts.management_since.isoformat()})",
            field="until",
        )
    await firms.end(tx, facts.management_id, until, form.reason)
    return {"managementId": facts.management_id}


# --- the fallback service (兜底) ----------------------------------------------------------------------


class AssignFallback(Dated):
    unit_id: Annotated[str, id_of("Unit")] = Field(description="The unit (a state enterprise) serving.")
    area_id: Annotated[str, id_of("Street", "District")] = Field(
        description="The street or district whose compounds without a property firm it serves."
    )
    since: datetime | None = Field(default=None, description=SINCE)


def _area(form: AssignFallback) -> str:
    return f"Area:{form.area_id}"


@mutation("assignFallback", roles=ROLES, form=AssignFallback, prepare=dated, race=_area, returns=FALLBACK.label)
async def assign_fallback(tx: Tx, viewer: Viewer, form: AssignFallback, outbox: Outbox) -> Result:
    """A state enterprise takes on the fallback service (兜底, 国企整片承包) of a street or a district: the
    matcher offers it for the property needs of the compounds there that no firm manages (DISTRICT_ADMIN of
    that district, CITY_ADMIN). One unit per area at a time: CONFLICT naming the one serving it now."""
    assert form.now is not None
    since = _moment(form.since, form.now, "since")
    label = label_of(form.area_id, expected=firms.AREA_LABELS, field="areaId")
    facts = await firms.locked_area(tx, label, form.area_id, form.unit_id)
    if facts is None:
        raise NotFound(f"no {label.lower()} with id {form.area_id!r}", field="areaId", id=form.area_id)
    _in_district(viewer, facts.district_id, f"{label.lower()} {form.area_id}")
    if facts.unit_id is None:
        raise NotFound(f"no unit with id {form.unit_id!r}", field="unitId", id=form.unit_id)
    if facts.unit_kind not in FALLBACK_KINDS:
        raise BadUserInput(
            f"{facts.unit_name} is a {facts.unit_kind} unit; the fallback service is taken on by a state "
            f"enterprise ({', '.join(FALLBACK_KINDS)})",
            field="unitId",
        )
    if facts.fallback_id is not None:
        raise Conflict(
            f"{form.area_id} is served by {facts.fallback_unit} ({facts.fallback_id}) now; "
            "end that first (endFallback)",
            field="areaId",
            fallbackId=facts.fallback_id,
        )
    fallback_id = new_id("fallback")
    await firms.take_on_fallback(tx, fallback_id, label, form.area_id, form.unit_id, since)
    return {"fallbackId": fallback_id}


class EndFallback(Dated):
    fallback_id: Annotated[str, id_of("Fallback")] = Field(description="The fallback service that ends.")
    until: datetime | None = Field(default=None, description=UNTIL)


@mutation("endFallback", roles=ROLES, form=EndFallback, prepare=dated, returns=FALLBACK.label)
async def end_fallback(tx: Tx, viewer: Viewer, form: EndFallback, outbox: Outbox) -> Result:
    """End a unit's fallback service of an area (DISTRICT_ADMIN of that district, CITY_ADMIN); CONFLICT when
    it has ended already."""
    assert form.now is not None
    until = _moment(form.until, form.now, "until")
    facts = await firms.locked_fallback(tx, form.fallback_id)
    if facts is None:
        raise NotFound(f"no fallback with id {form.fallback_id!r}", field="fallbackId", id=form.fallback_id)
    _in_district(viewer, facts.district_id, f"fallback {form.fallback_id}")
    if facts.until is not None:
        raise Conflict(f"fallback {form.fallback_id} ended at {facts.until.isoformat()}", field="fallbackId")
    if until < facts.since:
        raise BadUserInput(f"until {until.isoformat()} is before it began ({facts.since.isoformat()})", field="until")
    await firms.end_fallback(tx, form.fallback_id, until)
    return {"fallbackId": form.fallback_id}
