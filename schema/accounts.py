"""`me`: who the caller is, and what is theirs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from resolvers.accounts import me
from schema.relay import stands_for

if TYPE_CHECKING:
    from schema.needs import Assignment, Need
    from schema.partners import Member

AssignmentType = Annotated["Assignment", strawberry.lazy("schema.needs")]
NeedType = Annotated["Need", strawberry.lazy("schema.needs")]
MemberType = Annotated["Member", strawberry.lazy("schema.partners")]


@strawberry.type(description="Who you are, and what is yours.")
@stands_for(me.Me)
class Me:
    subject: str
    role: str
    scope_id: str | None
    member: MemberType | None = strawberry.field(description="Your member record (MEMBER).")
    open_assignments: list[AssignmentType] = strawberry.field(
        description="Offered to or held by you (MEMBER, UNIT_ADMIN)."
    )
    needs: list[NeedType] = strawberry.field(description="Needs you raised, newest first (RESIDENT).")


@strawberry.type
class AccountsQuery:
    @strawberry.field(description="Who you are (subject, role, scope) and what is yours.")
    async def me(self, info: Info) -> Me:
        return await me.me(info.context)
