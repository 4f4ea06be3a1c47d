"""Who is asking: the signed-in user a request acts for.

An unauthenticated request has no viewer: resolvers receive `None` (the `ANONYMOUS` convention),
never a placeholder object, so a forgotten check cannot mistake a guest for a user.

A viewer is built only through `Viewer.from_claims`, which checks that the role and its scope
fit together, so every `Viewer` in the system is well formed:

| role | subject | scope |
|---|---|---|
| RESIDENT | the resident's id (`resident:123`) | none |
| MEMBER | the party member's id (`member:45`) | none |
| UNIT_ADMIN | the user (`user:…`) | the unit it administers (`unit:7`) |
| COORDINATOR | the user | a community or a street (`community:…`, `street:…`) |
| DISTRICT_ADMIN | the user | a district (`district:610103`) |
| CITY_ADMIN | the user | none (`city` is accepted and stored as none) |
| DEPARTMENT_STAFF | the user | the functional department it works for (`department:…`) |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from graph.kernel.errors import DomainError, Unauthenticated
from graph.kernel.ids import label_of


class Role(StrEnum):
    RESIDENT = "RESIDENT"
    MEMBER = "MEMBER"
    UNIT_ADMIN = "UNIT_ADMIN"
    COORDINATOR = "COORDINATOR"
    DISTRICT_ADMIN = "DISTRICT_ADMIN"
    CITY_ADMIN = "CITY_ADMIN"
    # A functional department's staff (职能部门): answers the whistles blown to its department, nothing else.
    DEPARTMENT_STAFF = "DEPARTMENT_STAFF"


ANONYMOUS = None  # the viewer of a request without a token

# Which label the subject must have, for roles whose subject is a domain node.
SUBJECT_LABEL: dict[Role, str] = {Role.RESIDENT: "Resident", Role.MEMBER: "Member"}

# Which labels the scope may have; roles missing here take no scope.
SCOPE_LABELS: dict[Role, tuple[str, ...]] = {
    Role.UNIT_ADMIN: ("Unit",),
    Role.COORDINATOR: ("Community", "Street"),
    Role.DISTRICT_ADMIN: ("District",),
    Role.DEPARTMENT_STAFF: ("Department",),
}

# Roles whose scope is a place and who act on everything at or below it (CITY_ADMIN: everywhere).
PLACE_ROLES = (Role.COORDINATOR, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)

_MAX_SUBJECT = 200


@dataclass(frozen=True, slots=True)
class Viewer:
    subject: str
    role: Role
    scope_id: str | None

    @classmethod
    def from_claims(
        cls,
        subject: object,
        role: object,
        scope: object,
        *,
        error: type[DomainError] = Unauthenticated,
    ) -> Viewer:
        """A checked viewer from a token's `sub`, `role` and `scope` claims.

        Raises `error` (Unauthenticated for incoming tokens, BadUserInput when issuing one) with a
        message that says which claim is wrong and what it should look like.
        """
        parsed_role = _role(role, error)
        if not isinstance(subject, str) or not subject.strip() or len(subject) > _MAX_SUBJECT:
            raise error(f"the token's 'sub' claim must be a non-empty string of at most {_MAX_SUBJECT} characters")
        if scope is not None and not isinstance(scope, str):
            raise error("the token's 'scope' claim must be a string id such as 'community:610103001004'")
        scope_id = scope or None
        if parsed_role is Role.CITY_ADMIN and scope_id == "city":
            scope_id = None

        wanted_subject = SUBJECT_LABEL.get(parsed_role)
        if wanted_subject and _label(subject) != wanted_subject:
            kind = wanted_subject.lower()
            raise error(f"a {parsed_role.value} token's 'sub' must be a {kind} id like '{kind}:123', not {subject!r}")

        allowed = SCOPE_LABELS.get(parsed_role)
        if allowed is None:
            if scope_id is not None:
                raise error(f"a {parsed_role.value} token takes no 'scope' claim; got {scope_id!r}")
        elif scope_id is None or _label(scope_id) not in allowed:
            kinds = " or ".join(f"'{label.lower()}:…'" for label in allowed)
            raise error(f"a {parsed_role.value} token's 'scope' must be a {kinds} id; got {scope_id!r}")
        return cls(subject=subject, role=parsed_role, scope_id=scope_id)


def handler_ids(viewer: Viewer) -> frozenset[str]:
    """Whom the viewer answers for as a handler: a member themself; a unit admin their unit (and its
    offerings); a department's staff their department (the whistles blown to it); nobody for the others."""
    if viewer.role is Role.MEMBER:
        return frozenset({viewer.subject})
    if viewer.role in (Role.UNIT_ADMIN, Role.DEPARTMENT_STAFF) and viewer.scope_id:
        return frozenset({viewer.scope_id})
    return frozenset()


def _role(role: object, error: type[DomainError]) -> Role:
    try:
        return Role(str(role).upper()) if isinstance(role, str) else Role(role)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise error(f"the token's 'role' claim {role!r} is not a Minhu role (one of {names})") from None


def _label(node_id: str) -> str | None:
    try:
        return label_of(node_id)
    except DomainError:
        return None
