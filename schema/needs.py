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
from schema.relay import GeoPointType, Node, about_node, connection, lookup, node_type

if TYPE_CHECKING:
    from schema.places import Community, Compound

CommunityType = Annotated["Community", strawberry.lazy("schema.places")]
CompoundType = Annotated["Compound", strawberry.lazy("schema.places")]

NeedStatus = strawberry.enum(
    kinds.NeedStatus, description="Where a need is in its life: 提交→派单→接单→办理→办结→评价, and the side roads."
)
Channel = strawberry.enum(kinds.Channel, description="How a need came in.")
Urgency = strawberry.enum(kinds.Urgency)
Level = strawberry.enum(
    kinds.Level, description="Who holds a need now: the community, the street office or the district."
)
AssignmentStatus = strawberry.enum(
    kinds.AssignmentStatus, description="Where an offer of a need to one handler stands."
)


@strawberry.type(description="A kind of need (下水疏通, 噪音扰民…).")
@node_type(kinds.Category)
class Category(Node):
    code: str
    name: str
    description: str | None


@strawberry.type(description="A resident's need (群众点单).")
@node_type(kinds.Need)
class Need(Node):
    number: str | None
    title: str
    description: str
    status: NeedStatus
    channel: Channel
    urgency: Urgency
    level: Level
    people_needed: int
    window_start: datetime | None
    window_end: datetime | None
    response_deadline: datetime | None
    completion_deadline: datetime | None
    location: GeoPointType | None
    media_url: str | None = strawberry.field(description="A photo or file of the problem sent with it (Open311).")
    created_at: datetime
    updated_at: datetime | None
    suspended_at: datetime | None = strawberry.field(description="When its clock was paused (SUSPENDED).")
    suspension_reason: str | None
    escalated_at: datetime | None = strawberry.field(description="When it was last handed up a level.")

    @strawberry.field(description="Past its response or completion deadline while its clock runs.")
    def overdue(self, info: Info) -> bool:
        return needs.is_overdue_now(info.context, self)

    can_call_back: bool = strawberry.field(
        description="Whether the community can call the resident back: a phone or an email is on file. "
        "False for a request filed without either (Open311 allows it): answer through whoever filed it."
    )

    category = lookup(read.by_code, "Category", "category_code", Category | None)

    community = lookup(read.by_id, "Community", "community_id", CommunityType | None)

    compound = lookup(read.by_id, "Compound", "compound_id", CompoundType | None)

    @strawberry.field(description="The need this one was merged into as a duplicate (it is then CANCELLED).")
    async def merged_into(self, info: Info) -> Need | None:
        return await read.by_id(info.context, "Need", self.merged_into_id)

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


@strawberry.type(description="One entry of a need's audit trail: who moved it, from where, to where, why.")
@node_type(kinds.Event)
class NeedEvent(Node):
    at: datetime
    type: str
    actor_id: str
    role: str
    from_state: str | None
    to_state: str | None
    note: str | None
    need_id: strawberry.ID | None

    need = lookup(read.by_id, "Need", "need_id", Need | None)


@strawberry.type(description="The resident who raised a need; phone and address masked unless you may see them.")
@node_type(kinds.Resident)
class Resident:
    id: strawberry.ID
    name: str | None
    phone: str | None
    email: str | None = strawberry.field(description="Masked like the phone unless you may see it.")
    address: str | None


@strawberry.type(description="An offer of a need to one handler (member, unit or offering), and its outcome.")
@node_type(kinds.Assignment)
class Assignment(Node):
    status: AssignmentStatus
    note: str | None
    accepted_at: datetime | None
    completed_at: datetime | None
    created_at: datetime | None

    @strawberry.field(description="The member, unit or offering it is addressed to.")
    async def handler(self, info: Info) -> Node | None:
        return await read.node(info.context, self.target_id)

    need = lookup(read.by_id, "Need", "need_id", Need | None)


@strawberry.type(description="A rating of one completed assignment (谁呼谁评、谁应评谁).")
@node_type(kinds.Evaluation)
class Evaluation(Node):
    rating: int
    comment: str | None
    by_role: str = strawberry.field(description="REQUESTER (the resident) or COORDINATOR (the dispatcher).")


@strawberry.input
class NeedFilter:
    status: list[NeedStatus] | None = None
    category: list[str] | None = strawberry.field(default=None, description="Category codes, e.g. SEWER.")
    channel: list[Channel] | None = None
    urgency: list[Urgency] | None = None
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

    needs = connection("needs", "Need", "Needs, newest first.", "NeedFilter")

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

    categories = connection("categories", "Category", "Need categories (需求类别) of the catalogue, by code.")


TYPES = (Category, Need, NeedEvent, Assignment, Evaluation)
