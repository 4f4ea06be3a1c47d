"""Registration of what partners offer: offerings, venues (阵地) and funding programs.

Same shape as resolvers/registration.py: role gate, validation, one transaction that reads facts
under lock, decides, writes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden
from graph.kernel.ids import new_id
from graph.partners import assets
from graph.partners import registration as reg
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.viewer import Role, Viewer
from resolvers.partners.authz import (
    STAFF,
    administers_unit,
    require_program_manager,
    require_staff_at,
    require_unit_manager,
    staff_reaches,
)
from resolvers.partners.forms import (
    AddOffering,
    CreateProgram,
    OfferingRef,
    RegisterVenue,
    UpdateOffering,
    UpdateProgram,
    UpdateVenue,
)

UNIT_ROLES = (Role.CITY_ADMIN, *STAFF, Role.UNIT_ADMIN)
PROGRAM_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)

# --- offerings ---------------------------------------------------------------------------------


@mutation("addOffering", roles=UNIT_ROLES, form=AddOffering)
async def add_offering(tx: Tx, viewer: Viewer, form: AddOffering, outbox: Outbox) -> Result:
    unit = await reg.unit_facts(tx, form.unit_id)
    require_unit_manager(viewer, form.unit_id, unit["placeIds"], "addOffering")
    await reg.require_codes(tx, "Category", [form.category_code])
    await reg.places(tx, form.area_ids, "areaIds")
    offering_id = new_id("offering")
    row = {
        "id": offering_id,
        "unitId": form.unit_id,
        "title": form.title,
        "description": form.description,
        "capacity": form.capacity,
        "categoryCode": form.category_code,
        "availability": form.availability,
        "areaIds": form.area_ids,
    }
    await assets.create_offering(tx, row)
    return {"offeringId": offering_id}


@mutation("updateOffering", roles=UNIT_ROLES, form=UpdateOffering)
async def update_offering(tx: Tx, viewer: Viewer, form: UpdateOffering, outbox: Outbox) -> Result:
    facts = await _managed_offering(tx, viewer, form.offering_id, "updateOffering")
    if facts["status"] == "WITHDRAWN":
        raise Conflict(f"{form.offering_id} was withdrawn and is kept as history; add a new offering instead")
    if form.category_code is not None:
        await reg.require_codes(tx, "Category", [form.category_code])
        await assets.set_offering_category(tx, form.offering_id, form.category_code)
    if form.area_ids is not None:
        await reg.places(tx, form.area_ids, "areaIds")
        await assets.set_offering_areas(tx, form.offering_id, form.area_ids)
    await reg.update_props(tx, "Offering", form.offering_id, form.props())
    return {"offeringId": form.offering_id}


@mutation("withdrawOffering", roles=UNIT_ROLES, form=OfferingRef)
async def withdraw_offering(tx: Tx, viewer: Viewer, form: OfferingRef, outbox: Outbox) -> Result:
    """No new needs reach it; assignments already open run to their end. Withdrawing twice changes nothing."""
    facts = await _managed_offering(tx, viewer, form.offering_id, "withdrawOffering")
    if facts["status"] != "WITHDRAWN":
        await reg.update_props(tx, "Offering", form.offering_id, {"status": "WITHDRAWN"})
    return {"offeringId": form.offering_id}


async def _managed_offering(tx: Tx, viewer: Viewer, offering_id: str, action: str) -> dict[str, Any]:
    facts = await assets.offering_facts(tx, offering_id)
    require_unit_manager(viewer, facts["unitId"], facts["placeIds"], action)
    return facts


# --- venues ------------------------------------------------------------------------------------


@mutation("registerVenue", roles=UNIT_ROLES, form=RegisterVenue)
async def register_venue(tx: Tx, viewer: Viewer, form: RegisterVenue, outbox: Outbox) -> Result:
    """Staff register venues in their communities; a UNIT_ADMIN registers its own unit's venues."""
    community = await reg.places(tx, [form.community_id], "communityId")
    owner = form.owner_unit_id
    if viewer.role is Role.UNIT_ADMIN:
        owner = owner or viewer.scope_id
        if owner != viewer.scope_id:
            raise Forbidden(f"registerVenue: a UNIT_ADMIN registers venues its unit {viewer.scope_id} owns")
    else:
        require_staff_at(viewer, community, "registerVenue")
    if owner:
        await reg.unit_facts(tx, owner)
    await reg.require_codes(tx, "Facility", form.facilities)
    venue_id = new_id("venue")
    await assets.create_venues(tx, [form.row(venue_id, owner)])
    return {"venueId": venue_id}


@mutation("updateVenue", roles=UNIT_ROLES, form=UpdateVenue)
async def update_venue(tx: Tx, viewer: Viewer, form: UpdateVenue, outbox: Outbox) -> Result:
    facts = await assets.venue_facts(tx, form.venue_id)
    owns = administers_unit(viewer, facts["ownerId"])
    if not (owns or staff_reaches(viewer, facts["placeIds"])):
        raise Forbidden(
            f"updateVenue: {form.venue_id} is managed by its owner unit's UNIT_ADMIN and the coordinators "
            f"and admins of its community; you are signed in as {viewer.role.value}"
        )
    if form.community_id is not None:
        moved_to = await reg.places(tx, [form.community_id], "communityId")
        if not owns:
            require_staff_at(viewer, moved_to, "updateVenue")
        await assets.relink(tx, "Venue", "AT", "Community", form.venue_id, form.community_id)
    if form.owner_unit_id is not None:
        if viewer.role is Role.UNIT_ADMIN and form.owner_unit_id != viewer.scope_id:
            raise Forbidden("updateVenue: a UNIT_ADMIN cannot hand a venue to another unit; ask its coordinator")
        await reg.unit_facts(tx, form.owner_unit_id)
        await assets.relink(tx, "Venue", "OWNED_BY", "Unit", form.venue_id, form.owner_unit_id)
    if form.facilities is not None:
        await reg.require_codes(tx, "Facility", form.facilities)
        await assets.set_facilities(tx, form.venue_id, form.facilities)
    await reg.update_props(tx, "Venue", form.venue_id, form.props(), form.location)
    return {"venueId": form.venue_id}


# --- funding programs --------------------------------------------------------------------------


@mutation("createFundingProgram", roles=PROGRAM_ROLES, form=CreateProgram)
async def create_funding_program(tx: Tx, viewer: Viewer, form: CreateProgram, outbox: Outbox) -> Result:
    require_program_manager(viewer, form.district_ids, form.level, "createFundingProgram")
    await reg.require_codes(tx, "Category", form.categories)
    await reg.places(tx, form.district_ids, "districtIds")
    program_id = new_id("program")
    row = {
        "id": program_id,
        "name": form.name,
        "source": form.source,
        "level": form.level,
        "budget": form.budget,
        "capPerGrant": form.cap_per_grant,
        "periodStart": form.period_start,
        "periodEnd": form.period_end,
        "categories": form.categories,
        "districtIds": form.district_ids,
    }
    await assets.create_program(tx, row)
    return {"programId": program_id}


@mutation("updateFundingProgram", roles=PROGRAM_ROLES, form=UpdateProgram)
async def update_funding_program(tx: Tx, viewer: Viewer, form: UpdateProgram, outbox: Outbox) -> Result:
    """Budget never below what is spent (CONFLICT); a DISTRICT_ADMIN cannot widen a program beyond their district."""
    now = await assets.program_facts(tx, form.program_id)
    action = "updateFundingProgram"
    require_program_manager(viewer, now["districtIds"], now["level"], action)
    require_program_manager(viewer, form.district_ids or now["districtIds"], form.level or now["level"], action)
    _check_program(form, now)
    if form.categories is not None:
        await reg.require_codes(tx, "Category", form.categories)
    if form.district_ids is not None:
        await reg.places(tx, form.district_ids, "districtIds")
    if form.categories is not None or form.district_ids is not None:
        await assets.set_program_links(tx, form.program_id, categories=form.categories, districtIds=form.district_ids)
    await reg.update_props(tx, "FundingProgram", form.program_id, form.props())
    return {"programId": form.program_id}


def _check_program(form: UpdateProgram, now: dict[str, Any]) -> None:
    """The program as it will be must still add up, given what it already holds."""
    budget = form.budget if form.budget is not None else now["budget"]
    cap = form.cap_per_grant if form.cap_per_grant is not None else now["capPerGrant"]
    if budget < now["spent"]:
        raise Conflict(
            f"budget {budget} fen is below the {now['spent']} fen already granted from {form.program_id}; "
            f"set it to at least {now['spent']}",
            spent=now["spent"],
        )
    if cap is not None and cap > budget:
        raise BadUserInput(f"input.capPerGrant: {cap} fen is more than the whole budget {budget} fen")
    start = form.period_start or _date(now["periodStart"])
    end = form.period_end or _date(now["periodEnd"])
    if start and end and end < start:
        raise BadUserInput(f"input.periodEnd: {end} is before periodStart {start}")


def _date(value: Any) -> date | None:
    return value.to_native() if hasattr(value, "to_native") else value
