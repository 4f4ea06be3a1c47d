"""Authorisation: who may act where, and who may see a resident's contact details.

Mutation resolvers call `require_viewer`, `require_role` and `require_scope` before writing.
Reads that return residents' phones and addresses mask them unless `contact_visible` says the
viewer may see them; for a list, `contact_visibility` decides for every need with one statement.

The contact policy (DESIGN.md: masked for everyone but the handler and the coordinators):
- the resident who raised the need;
- whoever handles it now: the MEMBER whose assignment is active, or the UNIT_ADMIN of the unit
  (or of the unit whose offering) it is assigned to, or the DEPARTMENT_STAFF of a department whose
  whistle on it is still open (吹哨报到);
- COORDINATOR and DISTRICT_ADMIN whose scope contains the need's place; CITY_ADMIN always.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from graph.kernel.db import Graph
from graph.kernel.errors import Forbidden, Unauthenticated
from graph.places.scopes import NeedAccess, need_access, places_within
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer

# --- who may act -----------------------------------------------------------------------------


def require_viewer(viewer: Viewer | None) -> Viewer:
    if viewer is None:
        raise Unauthenticated("this operation needs a signed-in user: send Authorization: Bearer <token>")
    return viewer


def require_role(viewer: Viewer | None, *roles: Role) -> Viewer:
    """The viewer, if its role is one of `roles`; Forbidden naming the roles allowed otherwise."""
    signed_in = require_viewer(viewer)
    if signed_in.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise Forbidden(
            f"this operation is for {allowed}; you are signed in as {signed_in.role.value}",
            allowed=[role.value for role in roles],
        )
    return signed_in


async def require_scope(graph: Graph, viewer: Viewer | None, place_id: str) -> Viewer:
    """The viewer, if it may act at `place_id` (a district, street, community or compound)."""
    return await require_scope_all(graph, viewer, [place_id])


async def require_scope_all(graph: Graph, viewer: Viewer | None, place_ids: list[str]) -> Viewer:
    """Like `require_scope` for many places at once, with one statement at most."""
    signed_in = require_role(viewer, *PLACE_ROLES)
    if signed_in.role is Role.CITY_ADMIN or not place_ids:
        return signed_in
    assert signed_in.scope_id is not None  # Viewer.from_claims guarantees it for scoped roles
    inside = await places_within(graph, place_ids, signed_in.scope_id)
    outside = sorted(set(place_ids) - inside)
    if outside:
        raise Forbidden(
            f"{', '.join(outside)} lies outside your scope {signed_in.scope_id}; "
            "ask a coordinator of that area or an administrator above it",
            scope=signed_in.scope_id,
            outside=outside,
        )
    return signed_in


def require_need_scope(viewer: Viewer, need: str, place_ids: Collection[str]) -> None:
    """Coordinators and admins whose scope holds the need's place (`place_ids`: it and every place above
    it); CITY_ADMIN everywhere. `need` names it in the refusal (its number)."""
    if viewer.role is Role.CITY_ADMIN or viewer.scope_id in place_ids:
        return
    raise Forbidden(f"need {need} lies outside your scope {viewer.scope_id}", scope=viewer.scope_id)


def in_scope(viewer: Viewer | None, access: NeedAccess) -> bool:
    """True when the viewer administers the place of the need (pure; facts from `need_access`)."""
    if viewer is None or viewer.role not in PLACE_ROLES:
        return False
    return viewer.role is Role.CITY_ADMIN or viewer.scope_id in access.place_ids


# --- who may see contact details -------------------------------------------------------------


def contact_visible(viewer: Viewer | None, access: NeedAccess) -> bool:
    """May `viewer` see the phone and address of the resident who raised this need? (pure)"""
    if viewer is None:
        return False
    match viewer.role:
        case Role.RESIDENT:
            return access.requester_id is not None and viewer.subject == access.requester_id
        case Role.MEMBER:
            return viewer.subject in access.handler_ids
        case Role.UNIT_ADMIN | Role.DEPARTMENT_STAFF:
            return viewer.scope_id in access.handler_ids
        case _:
            return in_scope(viewer, access)


async def contact_visibility(graph: Graph, viewer: Viewer | None, need_ids: list[str]) -> dict[str, bool]:
    """`contact_visible` for every need in the list: one statement, none for anonymous or CITY_ADMIN."""
    if viewer is None or viewer.role is Role.CITY_ADMIN:
        return dict.fromkeys(need_ids, viewer is not None)
    facts = await need_access(graph, need_ids)
    return {nid: nid in facts and contact_visible(viewer, facts[nid]) for nid in need_ids}


async def can_see_contact(graph: Graph, viewer: Viewer | None, need_id: str) -> bool:
    return (await contact_visibility(graph, viewer, [need_id]))[need_id]


# --- masking ---------------------------------------------------------------------------------

MASK = "****"


def mask_phone(phone: str | None) -> str | None:
    """`13812345678` → `138****5678`: enough to recognise, not enough to call."""
    if not phone:
        return phone
    text = phone.strip()
    if len(text) >= 8:
        return text[:3] + MASK + text[-4:]
    if len(text) > 4:
        return MASK + text[-2:]
    return MASK


def mask_email(email: str | None) -> str | None:
    """`wang.xl@example.com` → `w****@example.com`: whose and where, not enough to write to."""
    if not email:
        return email
    local, _, domain = email.strip().partition("@")
    return f"{local[:1]}{MASK}@{domain}" if domain else MASK


# Where the private part of an address begins: a building, entrance, floor or room number.
_PRIVATE_PART = re.compile(
    r"[0-9０-９A-Za-z一二三四五六七八九十百]+\s*(?:号楼|栋|幢|座|单元|层|楼|室|号(?!院|小区|街|路|巷|大院))"
)
# Failing that, the end of the last place name we may keep.
_PLACE_END = re.compile(r".*(?:小区|社区|家园|花园|公寓|大院|苑|院|村|城|区|街道|镇)")


def mask_address(address: str | None) -> str | None:
    """Keeps the district, community and compound; hides building, unit and room.

    `雁塔区小寨路社区 翠华小区 3号楼2单元501室` → `雁塔区小寨路社区 翠华小区 ****`. When no building part
    can be found, everything after the last place name (小区, 社区, 苑, 院 …) is hidden, and an
    address without either is hidden whole.
    """
    if not address:
        return address
    private = _PRIVATE_PART.search(address)
    if private:
        kept = address[: private.start()].rstrip()
    else:
        place = _PLACE_END.match(address)
        kept = place.group(0).rstrip() if place else ""
        if kept == address.rstrip():
            return kept
    return f"{kept} {MASK}" if kept else MASK


def member_phone_for(viewer: Viewer | None, member_id: str, unit_id: str | None, phone: str | None) -> str | None:
    """A member's phone in full for the member, their unit's admin and city admins; masked for others."""
    if viewer is not None and (
        viewer.role == Role.CITY_ADMIN
        or (viewer.role == Role.MEMBER and viewer.subject == member_id)
        or (viewer.role == Role.UNIT_ADMIN and unit_id is not None and viewer.scope_id == unit_id)
    ):
        return phone
    return mask_phone(phone)
