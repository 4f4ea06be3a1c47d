"""Who may register and change partners' records (docs/ROLES.md § Registration), decided on facts.

The facts (a unit's places, a member's unit…) are read under the node's write lock inside the
mutation's transaction (graph/partners/registration.py), so these checks are pure and cost no statement.
A place list holds every community the thing is registered with and the streets and districts
above them; a coordinator or district admin acts on it when their scope is in that list.
"""

from __future__ import annotations

from collections.abc import Iterable

from graph.kernel.errors import Forbidden
from graph.partners.registration import Registered
from resolvers.kernel.viewer import Role, Viewer

STAFF = (Role.COORDINATOR, Role.DISTRICT_ADMIN)


def staff_reaches(viewer: Viewer, place_ids: Iterable[str]) -> bool:
    """A CITY_ADMIN always; a coordinator or district admin whose scope is among the places."""
    if viewer.role is Role.CITY_ADMIN:
        return True
    return viewer.role in STAFF and viewer.scope_id in set(place_ids)


def administers_unit(viewer: Viewer, unit_id: str | None) -> bool:
    return viewer.role is Role.UNIT_ADMIN and unit_id is not None and viewer.scope_id == unit_id


def require_unit_manager(viewer: Viewer, unit_id: str, place_ids: list[str], action: str) -> None:
    """The unit's own UNIT_ADMIN, staff where it is registered, or a CITY_ADMIN."""
    if administers_unit(viewer, unit_id) or staff_reaches(viewer, place_ids):
        return
    raise Forbidden(
        f"{action}: {unit_id} is managed by its own UNIT_ADMIN, the coordinators and district admins "
        f"where it is registered, and CITY_ADMIN; {_you(viewer)}",
        unit=unit_id,
    )


def require_member_manager(viewer: Viewer, facts: Registered, action: str) -> None:
    """The member themself, the UNIT_ADMIN of their unit, staff where they or their unit serve, CITY_ADMIN."""
    if viewer.role is Role.MEMBER and viewer.subject == facts.id:
        return
    if administers_unit(viewer, facts.unit_id) or staff_reaches(viewer, facts.place_ids):
        return
    raise Forbidden(
        f"{action}: {facts.id} is managed by the member themself, their unit's UNIT_ADMIN, "
        f"and coordinators or admins where they serve; {_you(viewer)}",
        member=facts.id,
    )


def require_staff_at(viewer: Viewer, places: dict[str, list[str]], action: str) -> None:
    """Every one of the communities (each with the places above it) must lie in the viewer's scope."""
    outside = sorted(cid for cid, above in places.items() if not staff_reaches(viewer, above))
    if outside:
        raise Forbidden(
            f"{action}: {', '.join(outside)} lies outside your scope {viewer.scope_id}; "
            "ask a coordinator of that area or an administrator above it",
            outside=outside,
        )


def require_program_manager(viewer: Viewer, district_ids: list[str], level: str, action: str) -> None:
    """CITY_ADMIN: any program. DISTRICT_ADMIN: district-level programs available only in their district."""
    if viewer.role is Role.CITY_ADMIN:
        return
    if viewer.role is Role.DISTRICT_ADMIN and level == "DISTRICT" and set(district_ids) == {viewer.scope_id}:
        return
    if viewer.role is Role.DISTRICT_ADMIN:
        raise Forbidden(
            f"{action}: a DISTRICT_ADMIN manages only DISTRICT-level programs available in {viewer.scope_id} "
            f"alone (this one: level {level}, districts {', '.join(sorted(district_ids)) or 'none'}); "
            "programs across districts are for CITY_ADMIN",
        )
    raise Forbidden(f"{action} is for CITY_ADMIN and DISTRICT_ADMIN; {_you(viewer)}")


def _you(viewer: Viewer) -> str:
    scope = f" of {viewer.scope_id}" if viewer.scope_id else ""
    return f"you are signed in as {viewer.role.value}{scope}"
