"""`me`: who the caller is, and what is theirs (a member's record and tasks, a resident's needs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph.needs import assignments
from graph.needs import reads as need_details
from resolvers.kernel import read
from resolvers.kernel.authz import require_viewer
from resolvers.kernel.context import Context
from resolvers.kernel.viewer import Role, handler_ids


@dataclass
class Me:
    subject: str
    role: str
    scope_id: str | None
    member: Any = None
    open_assignments: list[need_details.Assignment] = field(default_factory=list)
    needs: list[Any] = field(default_factory=list)


async def me(ctx: Context) -> Me:
    viewer = require_viewer(ctx.viewer)
    out = Me(subject=viewer.subject, role=viewer.role.value, scope_id=viewer.scope_id)
    if viewer.role is Role.MEMBER:
        out.member = await read.by_id(ctx, "Member", viewer.subject)
    if viewer.role in (Role.MEMBER, Role.UNIT_ADMIN):
        rows = await assignments.open_for(ctx.graph, sorted(handler_ids(viewer)))
        out.open_assignments = [need_details.assignment_from_row(row) for row in rows]
    if viewer.role is Role.RESIDENT:
        ids = await need_details.needs_of_resident(ctx.graph, viewer.subject)
        out.needs = await read.by_ids(ctx, "Need", ids)
    return out
