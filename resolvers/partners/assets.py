"""Registration of what partners offer: offerings, venues (阵地) and funding programs.

Same shape as resolvers/partners/registration.py: role gate, validation, one transaction that reads facts
under lock, decides, writes.
"""

from __future__ import annotations

from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden, NotFound
from graph.kernel.ids import new_id
from graph.partners import assets
from graph.partners import registration as reg
from graph.venues.kinds import venue_key
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
    unit = await assets.offering_registration_facts(tx, form.unit_id, form.category_code, form.area_ids)
    require_unit_manager(viewer, form.unit_id, unit.place_ids, "addOffering")
    reg.check_codes("Category", [form.category_code], set(unit.codes))
    reg.checked_places(unit.places, form.area_ids, "areaIds")
    return {"offeringId": await assets.create_offering(tx, form.row(new_id("offering")))}


@mutation("updateOffering", roles=UNIT_ROLES, form=UpdateOffering)
async def update_offering(tx: Tx, viewer: Viewer, form: UpdateOffering, outbox: Outbox) -> Result:
    codes = [form.category_code] if form.category_code is not None else []
    facts = await assets.offering_facts(tx, form.offering_id, codes, form.area_ids or ())
    require_unit_manager(viewer, facts.unit_id, facts.place_ids, "updateOffering")
    if facts.status == "WITHDRAWN":
        raise Conflict(f"{form.offering_id} was withdrawn and is kept as history; add a new offering instead")
    reg.check_codes("Category", codes, set(facts.codes))
    if form.area_ids is not None:
        reg.checked_places(facts.places, form.area_ids, "areaIds")
    await assets.update_offering(tx, form.offering_id, form.props(), form.category_code, form.area_ids)
    return {"offeringId": form.offering_id}


@mutation("withdrawOffering", roles=UNIT_ROLES, form=OfferingRef)
async def withdraw_offering(tx: Tx, viewer: Viewer, form: OfferingRef, outbox: Outbox) -> Result:
    """No new needs reach it; assignments already open run to their end. Withdrawing twice changes nothing."""
    facts = await assets.offering_facts(tx, form.offering_id)
    require_unit_manager(viewer, facts.unit_id, facts.place_ids, "withdrawOffering")
    if facts.status != "WITHDRAWN":
        await reg.update_props(tx, "Offering", form.offering_id, {"status": "WITHDRAWN"})
    return {"offeringId": form.offering_id}


# --- venues ------------------------------------------------------------------------------------


@mutation("registerVenue", roles=UNIT_ROLES, form=RegisterVenue)
async def register_venue(tx: Tx, viewer: Viewer, form: RegisterVenue, outbox: Outbox) -> Result:
    """Staff register venues in their communities; a UNIT_ADMIN registers its own unit's venues."""
    owner = form.owner_unit_id
    if viewer.role is Role.UNIT_ADMIN:
        owner = owner or viewer.scope_id
    key = form.key(owner)
    facts = await assets.venue_registration_facts(tx, owner, form.community_id, form.facilities, key)
    community = reg.checked_places(facts.places, [form.community_id], "communityId")
    if viewer.role is Role.UNIT_ADMIN:
        if owner != viewer.scope_id:
            raise Forbidden(f"registerVenue: a UNIT_ADMIN registers venues its unit {viewer.scope_id} owns")
    else:
        require_staff_at(viewer, community, "registerVenue")
    if owner and facts.owner_id is None:
        raise NotFound(f"no unit with id {owner!r}", id=owner)
    reg.check_codes("Facility", form.facilities, set(facts.codes))
    if facts.taken_by is not None:
        raise _taken(facts.taken_by, form.registry_code)
    [venue_id] = await assets.create_venues(tx, [form.row(new_id("venue"), owner)])
    return {"venueId": venue_id}


def _taken(venue_id: str, registry_code: str | None) -> Conflict:
    """The refusal of a venue whose natural key another venue holds (graph.venues.kinds.venue_key)."""
    if registry_code:
        said = f"registry code {registry_code}"
        field = "registryCode"
    else:
        said = "this name in this community with this owner"
        field = "name"
    return Conflict(f"venue {venue_id} is already registered with {said}; update it instead", field=field,
                    venueId=venue_id)  # fmt: skip


@mutation("updateVenue", roles=UNIT_ROLES, form=UpdateVenue)
async def update_venue(tx: Tx, viewer: Viewer, form: UpdateVenue, outbox: Outbox) -> Result:
    facts = await assets.venue_facts(
        tx,
        form.venue_id,
        new_owner_id=form.owner_unit_id,
        community_id=form.community_id,
        facilities=form.facilities or (),
    )
    owns = administers_unit(viewer, facts.owner_id)
    if not (owns or staff_reaches(viewer, facts.place_ids)):
        raise Forbidden(
            f"updateVenue: {form.venue_id} is managed by its owner unit's UNIT_ADMIN and the coordinators "
            f"and admins of its community; you are signed in as {viewer.role.value}"
        )
    if form.community_id is not None:
        moved_to = reg.checked_places(facts.places, [form.community_id], "communityId")
        if not owns:
            require_staff_at(viewer, moved_to, "updateVenue")
    if form.owner_unit_id is not None:
        if viewer.role is Role.UNIT_ADMIN and form.owner_unit_id != viewer.scope_id:
            raise Forbidden("updateVenue: a UNIT_ADMIN cannot hand a venue to another unit; ask its coordinator")
        if facts.new_owner_id is None:
            raise NotFound(f"no unit with id {form.owner_unit_id!r}", id=form.owner_unit_id)
    if form.facilities is not None:
        reg.check_codes("Facility", form.facilities, set(facts.codes))
    registry_code = form.registry_code or facts.registry_code
    before = venue_key(facts.name, facts.community_id or "", facts.owner_id, facts.registry_code)
    key = venue_key(
        form.name or facts.name,
        form.community_id or facts.community_id or "",
        form.owner_unit_id or facts.owner_id,
        registry_code,
    )
    if key != before:
        taken = await reg.taken_keys(tx, "Venue", "rosterKey", [key])
        if taken.get(key, form.venue_id) != form.venue_id:
            raise _taken(taken[key], registry_code)
    await assets.update_venue(
        tx,
        form.venue_id,
        form.props(),
        form.location,
        community_id=form.community_id,
        owner_unit_id=form.owner_unit_id,
        facilities=form.facilities,
        key=key,
    )
    return {"venueId": form.venue_id}


# --- funding programs --------------------------------------------------------------------------


@mutation("createFundingProgram", roles=PROGRAM_ROLES, form=CreateProgram)
async def create_funding_program(tx: Tx, viewer: Viewer, form: CreateProgram, outbox: Outbox) -> Result:
    require_program_manager(viewer, form.district_ids, form.level, "createFundingProgram")
    refs = await assets.program_registration_facts(tx, form.categories, form.district_ids)
    reg.check_codes("Category", form.categories, set(refs.codes))
    reg.checked_places(refs.places, form.district_ids, "districtIds")
    return {"programId": await assets.create_program(tx, form.row(new_id("program")))}


@mutation("updateFundingProgram", roles=PROGRAM_ROLES, form=UpdateProgram)
async def update_funding_program(tx: Tx, viewer: Viewer, form: UpdateProgram, outbox: Outbox) -> Result:
    """Budget never below what is spent (CONFLICT); a DISTRICT_ADMIN cannot widen a program beyond their district."""
    now = await assets.program_facts(tx, form.program_id, form.categories or (), form.district_ids or ())
    action = "updateFundingProgram"
    require_program_manager(viewer, now.district_ids, now.level, action)
    require_program_manager(viewer, form.district_ids or now.district_ids, form.level or now.level, action)
    _check_program(form, now)
    if form.categories is not None:
        reg.check_codes("Category", form.categories, set(now.codes))
    if form.district_ids is not None:
        reg.checked_places(now.places, form.district_ids, "districtIds")
    await assets.update_program(
        tx, form.program_id, form.props(), categories=form.categories, district_ids=form.district_ids
    )
    return {"programId": form.program_id}


def _check_program(form: UpdateProgram, now: assets.LockedProgram) -> None:
    """The program as it will be must still add up, given what it already holds."""
    budget = form.budget if form.budget is not None else now.budget
    cap = form.cap_per_grant if form.cap_per_grant is not None else now.cap_per_grant
    if budget < now.spent:
        raise Conflict(
            f"budget {budget} fen is below the {now.spent} fen already granted from {form.program_id}; "
            f"set it to at least {now.spent}",
            spent=now.spent,
        )
    if cap is not None and cap > budget:
        raise BadUserInput(f"input.capPerGrant: {cap} fen is more than the whole budget {budget} fen")
    start = form.period_start or now.period_start
    end = form.period_end or now.period_end
    if start and end and end < start:
        raise BadUserInput(f"input.periodEnd: {end} is before periodStart {start}")
