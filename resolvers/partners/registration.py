"""Partner registration (issue 3 §2): units, members, 双报到 and members' weekly availability.

Each mutation (resolvers/kernel/mutations.py) reads the facts under lock, decides who may act
(resolvers/partners/authz.py) and writes (graph/partners/registration.py). Offerings, venues and
funding programs are in resolvers/partners/assets.py.
"""

from __future__ import annotations

from collections.abc import Callable

from graph.kernel.db import Tx
from graph.kernel.errors import Conflict, Forbidden
from graph.kernel.ids import label_of, new_id
from graph.partners import registration as reg
from resolvers.kernel.mutations import Outbox, Result, mutation
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
    changes,
)

UNIT_ROLES = (Role.CITY_ADMIN, *STAFF, Role.UNIT_ADMIN)


@mutation("registerUnit", roles=(Role.CITY_ADMIN, *STAFF), form=RegisterUnit)
async def register_unit(tx: Tx, viewer: Viewer, form: RegisterUnit, outbox: Outbox) -> Result:
    """A new 驻区单位, registered with at least one community: staff of those communities or CITY_ADMIN."""
    communities = await reg.places(tx, form.community_ids, "communityIds")
    require_staff_at(viewer, communities, "registerUnit")
    if form.credit_code:
        await _refuse_taken(
            tx,
            "Unit",
            "creditCode",
            form.credit_code,
            lambda unit: f"creditCode {form.credit_code} is already registered as {unit}; update that unit instead",
            field="creditCode",
        )
    unit_id = new_id("unit")
    await reg.create_units(tx, [form.row(unit_id)])
    return {"unitId": unit_id}


@mutation("updateUnit", roles=UNIT_ROLES, form=UpdateUnit)
async def update_unit(tx: Tx, viewer: Viewer, form: UpdateUnit, outbox: Outbox) -> Result:
    facts = await reg.unit_facts(tx, form.unit_id)
    require_unit_manager(viewer, form.unit_id, facts.place_ids, "updateUnit")
    props = changes(form, "name", "kind", "phone", "address")
    await reg.update_props(tx, "Unit", form.unit_id, props, form.location)
    return {"unitId": form.unit_id}


@mutation("registerMember", roles=UNIT_ROLES, form=RegisterMember)
async def register_member(tx: Tx, viewer: Viewer, form: RegisterMember, outbox: Outbox) -> Result:
    """A party member of a unit, with skills, weekly windows and the communities they serve (双报到)."""
    unit = await reg.member_registration_facts(tx, form.unit_id, form.skills, form.community_ids)
    require_unit_manager(viewer, form.unit_id, unit.place_ids, "registerMember")
    reg.check_codes("Skill", form.skills, set(unit.codes))
    # Members also register where they live, which may lie outside the unit's area: no scope check.
    reg.checked_places(unit.places, form.community_ids, "communityIds")
    await _refuse_taken(
        tx,
        "Member",
        "rosterKey",
        form.roster_key,
        lambda member: (
            f"{form.unit_id} already has a member with phone {form.phone} ({member}); one phone is one person in a unit"
        ),
        field="phone",
    )
    member_id = new_id("member")
    await reg.create_members(tx, [form.row(member_id)])
    return {"memberId": member_id}


@mutation("registerWithCommunity", roles=(*UNIT_ROLES, Role.MEMBER), form=RegisterWithCommunity)
async def register_with_community(tx: Tx, viewer: Viewer, form: RegisterWithCommunity, outbox: Outbox) -> Result:
    """双报到: a unit or member registers with a community; registering again changes nothing."""
    label = label_of(form.subject_id, expected=("Unit", "Member"), field="subjectId")
    facts = await reg.registration_facts(tx, label, form.subject_id, form.community_id)
    community = reg.checked_places(facts.places, [form.community_id], "communityId")
    _may_register(viewer, label, facts, community[form.community_id])
    created = await reg.register_with(tx, label, form.subject_id, form.community_id)
    return {"subjectId": form.subject_id, "communityId": form.community_id, "created": created}


def _may_register(viewer: Viewer, label: str, facts: reg.Registered, community_places: list[str]) -> None:
    """Staff of the community (it accepts the registration) or of the subject; the unit's admin; the member."""
    if staff_reaches(viewer, community_places) or staff_reaches(viewer, facts.place_ids):
        return
    if administers_unit(viewer, facts.unit_id):
        return
    if label == "Member" and viewer.role is Role.MEMBER and viewer.subject == facts.id:
        return
    raise Forbidden(
        f"registerWithCommunity: {facts.id} may be registered by itself (a member), its unit's UNIT_ADMIN, "
        f"or coordinators and admins of that community or of where it already serves; "
        f"you are signed in as {viewer.role.value}" + (f" of {viewer.scope_id}" if viewer.scope_id else ""),
    )


@mutation("setAvailability", roles=(*UNIT_ROLES, Role.MEMBER), form=SetAvailability)
async def set_availability(tx: Tx, viewer: Viewer, form: SetAvailability, outbox: Outbox) -> Result:
    """A member's weekly windows and maximum open load; open assignments above a lowered cap stay."""
    facts = await reg.member_facts(tx, form.member_id)
    require_member_manager(viewer, facts, "setAvailability")
    await reg.set_availability(tx, form.member_id, form.availability, form.max_load)
    return {"memberId": form.member_id}


async def _refuse_taken(tx: Tx, label: str, key: str, value: str, message: Callable[[str], str], *, field: str) -> None:
    """CONFLICT when a `label` node already holds `value` under its natural `key`: `message` says so
    given its id, which the error also carries as `unitId` / `memberId`."""
    taken = await reg.taken_keys(tx, label, key, [value])
    if taken:
        raise Conflict(message(taken[value]), field=field, **{f"{label.lower()}Id": taken[value]})
