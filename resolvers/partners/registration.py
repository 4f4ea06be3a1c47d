"""Partner registration (issue 3 §2): units, members, 双报到 and members' weekly availability.

Each resolver is thin: role gate (who can never do this), validation (pydantic, camelCase
messages), then one transaction through `run_mutation` that reads the facts under lock, decides
who may act (resolvers/registration_authz.py) and writes (graph/registration.py).
Offerings, venues and funding programs are in resolvers/registration_assets.py.
"""

from __future__ import annotations

from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Forbidden
from graph.kernel.ids import label_of, new_id
from graph.partners import registration as reg
from resolvers.kernel.authz import require_role
from resolvers.kernel.context import Context
from resolvers.kernel.mutations import run_mutation
from resolvers.kernel.validation import validate
from resolvers.kernel.viewer import Role, Viewer
from resolvers.partners.authz import (
    STAFF,
    administers_unit,
    require_member_manager,
    require_staff_at,
    require_unit_manager,
    staff_reaches,
)
from resolvers.partners.forms import (
    RegisterMember,
    RegisterUnit,
    RegisterWithCommunity,
    SetAvailability,
    UpdateUnit,
    camel,
    changes,
)

Result = dict[str, Any]


async def register_unit(ctx: Context, data: dict[str, Any], key: str | None) -> Result:
    """A new 驻区单位, registered with at least one community: staff of those communities or CITY_ADMIN."""
    require_role(ctx.viewer, Role.CITY_ADMIN, *STAFF)
    form = validate(RegisterUnit, camel(data), prefix="input.")

    async def work(tx: Tx, viewer: Viewer) -> Result:
        communities = await reg.places(tx, form.community_ids, "communityIds")
        require_staff_at(viewer, communities, "registerUnit")
        unit_id = new_id("unit")
        await reg.create_units(tx, [form.row(unit_id)])
        return {"unitId": unit_id}

    return await run_mutation(ctx, "registerUnit", key, work)


async def update_unit(ctx: Context, data: dict[str, Any], key: str | None) -> Result:
    require_role(ctx.viewer, Role.CITY_ADMIN, *STAFF, Role.UNIT_ADMIN)
    form = validate(UpdateUnit, camel(data), prefix="input.")
    props = changes(form, "name", "kind", "phone", "address")
    if not props and form.location is None:
        raise BadUserInput("updateUnit: nothing to change; send at least one of name, kind, phone, address, location")

    async def work(tx: Tx, viewer: Viewer) -> Result:
        facts = await reg.unit_facts(tx, form.unit_id)
        require_unit_manager(viewer, form.unit_id, facts["placeIds"], "updateUnit")
        await reg.update_props(tx, "Unit", form.unit_id, props, form.location)
        return {"unitId": form.unit_id}

    return await run_mutation(ctx, "updateUnit", key, work)


async def register_member(ctx: Context, data: dict[str, Any], key: str | None) -> Result:
    """A party member of a unit, with skills, weekly windows and the communities they serve (双报到)."""
    require_role(ctx.viewer, Role.CITY_ADMIN, *STAFF, Role.UNIT_ADMIN)
    form = validate(RegisterMember, camel(data), prefix="input.")

    async def work(tx: Tx, viewer: Viewer) -> Result:
        unit = await reg.unit_facts(tx, form.unit_id)
        require_unit_manager(viewer, form.unit_id, unit["placeIds"], "registerMember")
        await reg.require_codes(tx, "Skill", form.skills)
        # Members also register where they live, which may lie outside the unit's area: no scope check.
        await reg.places(tx, form.community_ids, "communityIds")
        member_id = new_id("member")
        await reg.create_members(tx, [form.row(member_id)])
        return {"memberId": member_id}

    return await run_mutation(ctx, "registerMember", key, work)


async def register_with_community(ctx: Context, data: dict[str, Any], key: str | None) -> Result:
    """双报到: a unit or member registers with a community; registering again changes nothing."""
    require_role(ctx.viewer, Role.CITY_ADMIN, *STAFF, Role.UNIT_ADMIN, Role.MEMBER)
    form = validate(RegisterWithCommunity, camel(data), prefix="input.")
    label = label_of(form.subject_id, expected=("Unit", "Member"), field="subjectId")

    async def work(tx: Tx, viewer: Viewer) -> Result:
        if label == "Unit":
            facts = await reg.unit_facts(tx, form.subject_id)
            facts = {**facts, "unitId": form.subject_id}
        else:
            facts = await reg.member_facts(tx, form.subject_id)
        community = await reg.places(tx, [form.community_id], "communityId")
        _may_register(viewer, label, facts, community[form.community_id])
        created = await reg.register_with(tx, label, form.subject_id, form.community_id)
        return {"subjectId": form.subject_id, "communityId": form.community_id, "created": created}

    return await run_mutation(ctx, "registerWithCommunity", key, work)


def _may_register(viewer: Viewer, label: str, facts: dict[str, Any], community_places: list[str]) -> None:
    """Staff of the community (it accepts the registration) or of the subject; the unit's admin; the member."""
    if staff_reaches(viewer, community_places) or staff_reaches(viewer, facts["placeIds"]):
        return
    if administers_unit(viewer, facts["unitId"]):
        return
    if label == "Member" and viewer.role is Role.MEMBER and viewer.subject == facts["id"]:
        return
    raise Forbidden(
        f"registerWithCommunity: {facts['id']} may be registered by itself (a member), its unit's UNIT_ADMIN, "
        f"or coordinators and admins of that community or of where it already serves; "
        f"you are signed in as {viewer.role.value}" + (f" of {viewer.scope_id}" if viewer.scope_id else ""),
    )


async def set_availability(ctx: Context, data: dict[str, Any], key: str | None) -> Result:
    """A member's weekly windows and maximum open load; open assignments above a lowered cap stay."""
    require_role(ctx.viewer, Role.CITY_ADMIN, *STAFF, Role.UNIT_ADMIN, Role.MEMBER)
    form = validate(SetAvailability, camel(data), prefix="input.")

    async def work(tx: Tx, viewer: Viewer) -> Result:
        facts = await reg.member_facts(tx, form.member_id)
        require_member_manager(viewer, facts, "setAvailability")
        await reg.set_availability(tx, form.member_id, form.availability, form.max_load)
        return {"memberId": form.member_id}

    return await run_mutation(ctx, "setAvailability", key, work)
