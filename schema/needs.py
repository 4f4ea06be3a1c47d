"""Needs (群众点单) and what hangs off them: categories, the audit trail, the requester, assignments,
evaluations; the needs list and its filter."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from graph.needs import kinds
from resolvers.kernel import read
from resolvers.needs import duplicates, open311, suggest
from resolvers.needs import intake as needs
from schema.derive import derived_type, node_type, root_list
from schema.relay import Node, about_node, lookup

if TYPE_CHECKING:
    from schema.places import Community, Compound

CommunityType = Annotated["Community", strawberry.lazy("schema.places")]
CompoundType = Annotated["Compound", strawberry.lazy("schema.places")]

Category = derived_type(kinds.CATEGORY, description="A kind of need (下水疏通, 噪音扰民…).")


@node_type(kinds.NEED, description="A resident's need (群众点单).")
class Need(Node):
    @strawberry.field(description="Past its response or completion deadline while its clock runs.")
    def overdue(self, info: Info) -> bool:
        return needs.is_overdue_now(info.context, self)

    history = about_node(needs.history, "list[NeedEvent]", "Every state change, oldest first (signed-in viewers).")

    requester = about_node(
        needs.requester,
        "Resident | None",
        "Who raised it; contact details masked unless you may see them; null for guests.",
    )

    assignments = about_node(
        needs.need_assignments,
        "list[Assignment]",
        "Every offer of this need to a handler, oldest first (signed-in viewers).",
    )

    current_assignment = about_node(
        needs.current_assignment,
        "Assignment | None",
        "The assignment handling it now, else the newest one awaiting an answer.",
    )


NeedEvent = derived_type(
    kinds.EVENT,
    hide=("createdAt",),
    ids=("needId",),
    description="One entry of a need's audit trail: who moved it, from where, to where, why.",
)
Resident = derived_type(
    kinds.RESIDENT,
    hide=("createdAt",),
    description="The resident who raised a need; phone and address masked unless you may see them.",
)


@node_type(
    kinds.ASSIGNMENT,
    hide=("updatedAt", "by", "targetLabel"),
    description="An offer of a need to one handler (member, unit, offering, or the department leading its "
    "whistle), and its outcome.",
)
class Assignment(Node):
    @strawberry.field(description="The member, unit, offering or department it is addressed to.")
    async def handler(self, info: Info) -> Node | None:
        return await read.node(info.context, self.target_id)


Evaluation = derived_type(
    kinds.EVALUATION,
    hide=("createdAt", "byId", "assignment"),
    description="A rating of one completed assignment (谁呼谁评、谁应评谁).",
)


class NeedFilter:
    status: list[kinds.NeedStatus] | None = None
    category: list[str] | None = strawberry.field(default=None, description="Category codes, e.g. SEWER.")
    channel: list[kinds.Channel] | None = None
    urgency: list[kinds.Urgency] | None = None
    place_id: strawberry.ID | None = strawberry.field(
        default=None, description="A district, street, community or compound: needs at it or anywhere below it."
    )
    created_after: datetime | None = None
    created_before: datetime | None = None
    text: str | None = strawberry.field(default=None, description="Full-text search of title and description.")
    overdue: bool | None = None


@strawberry.type(description="A category the intake suggests for a call, and why.")
class CategorySuggestion:
    code: str = strawberry.field(description="The category's code, as submitNeed takes it.")
    confidence: float = strawberry.field(description="The model's probability for it, 0–1 (they sum to 1).")
    words: list[str] = strawberry.field(description="The words of the text that weighed most for it.")

    category = lookup(read.by_code, "Category", "code", Category | None, "The category itself.")


@strawberry.type(description="A place the intake found named in a call (a compound or a community).")
class PlaceSuggestion:
    place_id: strawberry.ID = strawberry.field(description="A compound or community id, as submitNeed's placeId.")
    kind: str = strawberry.field(description="Compound or Community.")
    name: str = strawberry.field(description="Its name.")
    confidence: float = strawberry.field(description="Its share of the evidence for a place, 0–1.")
    matched: str = strawberry.field(description="The words of the text that named it.")
    community_id: strawberry.ID = strawberry.field(description="Its community (itself for a community).")

    community = lookup(read.by_id, "Community", "community_id", CommunityType | None, "Its community.")


@strawberry.type(description="What the intake suggests for a call before it is submitted.")
class IntakeSuggestion:
    categories: list[CategorySuggestion] = strawberry.field(description="The likely categories, best first.")
    places: list[PlaceSuggestion] = strawberry.field(description="The places the text names, best first.")


@strawberry.type(description="A need that looks like the one asked about.")
class DuplicateNeed:
    need: Need = strawberry.field(description="The other need.")
    score: float = strawberry.field(description="How alike their texts are (full-text score; higher is closer).")


@strawberry.type(description="An Open311 request kept because it could not be placed (the spec's token flow).")
class UnplacedRequest:
    token: str = strawberry.field(description="What the partner was answered; give it to placeOpen311Request.")
    service_code: str = strawberry.field(description="The category asked for (or suggested).")
    title: str = strawberry.field(description="The need's title as it will be filed.")
    description: str = strawberry.field(description="What the caller said.")
    address_string: str = strawberry.field(description="The address the partner sent, if any.")
    scope_id: strawberry.ID | None = strawberry.field(description="The scope of the partner's API key.")
    notice: str = strawberry.field(description="Why it could not be placed.")
    created_at: datetime = strawberry.field(description="When it arrived (UTC).")


@strawberry.type
class NeedsQuery:
    @strawberry.field(
        description="Open311 requests waiting to be placed, oldest first (CITY_ADMIN all; others those whose "
        "partner's key scope lies within theirs)."
    )
    async def unplaced_requests(
        self, info: Info, first: Annotated[int, strawberry.argument(description="At most this many, 1…100.")] = 20
    ) -> list[UnplacedRequest]:
        found = await open311.unplaced_requests(info.context, first)
        return [
            UnplacedRequest(
                token=r.token, service_code=r.service_code, title=r.title, description=r.description,
                address_string=r.address_string, scope_id=r.scope_id, notice=r.notice,
                created_at=r.created_at.to_native() if hasattr(r.created_at, "to_native") else r.created_at,
            )
            for r in found
        ]  # fmt: skip

    needs = root_list("needs", "Needs, newest first.")

    @strawberry.field(
        description="For a call's free text: the likely categories (with the words that decided it) and the "
        "places it names; learnt from the city's own needs. Signed-in callers."
    )
    async def suggest_intake(
        self,
        info: Info,
        text: Annotated[str, strawberry.argument(description="What the caller said, 1–2000 characters.")],
        district_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The caller's district, when known.")
        ] = None,
    ) -> IntakeSuggestion:
        found = await suggest.suggest_intake(info.context, text, district_id)
        return IntakeSuggestion(
            categories=[
                CategorySuggestion(code=g.code, confidence=g.confidence, words=list(g.words)) for g in found.categories
            ],
            places=[
                PlaceSuggestion(
                    place_id=strawberry.ID(p.id),
                    kind=p.label,
                    name=p.name,
                    confidence=p.confidence,
                    matched=p.matched,
                    community_id=strawberry.ID(p.community_id),
                )
                for p in found.places
            ],
        )

    @strawberry.field(
        description="Likely duplicates of a need (same category and place, alike in text, raised within days of "
        "it), most alike first: for coordinators and admins whose scope holds it."
    )
    async def duplicates_of(
        self,
        info: Info,
        need_id: Annotated[strawberry.ID, strawberry.argument(description="The need.")],
        first: Annotated[int, strawberry.argument(description="At most this many, 1…50.")] = 10,
    ) -> list[DuplicateNeed]:
        found = await duplicates.duplicates_of(info.context, str(need_id), first)
        return [DuplicateNeed(need=d.need, score=d.score) for d in found]

    categories = root_list("categories", "Need categories (需求类别) of the catalogue, by code.")


TYPES = (Category, Need, NeedEvent, Assignment, Evaluation)
