"""Who acts: a `User` node for every token subject that is not a resident or member (staff, unit admins),
and an `ApiKey` for every partner system that files needs through the Open311 door."""

from __future__ import annotations

from graph.kernel.kinds import Kind

USER = Kind("User", "user", indexes=("role",))
# Stored by the sha256 of the secret (unique, migration 8); never served to GraphQL.
APIKEY = Kind("ApiKey", "apikey")

KINDS = (USER, APIKEY)
