"""The role matrix of a mutation or read on the hand-made world (tests/support/factories.py's TOKENS)."""

from __future__ import annotations

# The coordinators and admins whose scope holds 书院门社区, from the community up to the city.
SCOPE_STAFF = ("COORDINATOR", "STREET_COORDINATOR", "DISTRICT_ADMIN", "CITY_ADMIN")


def role_matrix(allowed: tuple[str, ...], forbidden: tuple[str, ...]) -> list[tuple[str | None, str | None]]:
    """(role, expected error code) rows: `allowed` roles succeed, `forbidden` ones get FORBIDDEN, and a
    caller without a token UNAUTHENTICATED."""
    return [
        *((role, None) for role in allowed),
        *((role, "FORBIDDEN") for role in forbidden),
        (None, "UNAUTHENTICATED"),
    ]
