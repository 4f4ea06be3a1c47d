"""Who acts: a `User` node for every token subject that is not a resident or member (staff, unit admins)."""

from __future__ import annotations

from graph.kernel.kinds import Kind

USER = Kind("User", "user", indexes=("role",))

KINDS = (USER,)
