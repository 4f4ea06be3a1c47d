"""Oversight: time limits (suspend/resume), escalation (吹哨), evaluation, and the figures (`stats`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers.kernel import read
from resolvers.needs import escalation, evaluation
from resolvers.review import stats as stats_resolvers
from resolvers.review.stats import RecurringNeed as RecurringRecord
from resolvers.review.stats import Stats as StatsRecord
from schema.common import model_type
from schema.types import Need
from schema.workflow import KEY, NeedPayload


@strawberry.input
class SuspendNeedInput:
    need_id: strawberry.ID
    reason: str = strawberry.field(description="Why the clock stops (waiting for parts, a permit, the resident…).")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class ResumeNeedInput:
    need_id: strawberry.ID
    note: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class EscalateNeedInput:
    need_id: strawberry.ID
    reason: str = strawberry.field(description="Why this level cannot solve it; the level above reads it.")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class EvaluateInput:
    need_id: strawberry.ID
    rating: int = strawberry.field(description="1 (very dissatisfied) to 5 (very satisfied).")
    comment: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.type(description="A rating of one completed assignment (谁呼谁评、谁应评谁).")
class Evaluation:
    id: strawberry.ID
    rating: int
    comment: str | None
    by_role: str = strawberry.field(description="REQUESTER (the resident) or COORDINATOR (the dispatcher).")


@strawberry.type
class EvaluationPayload:
    need: Need | None
    evaluation: Evaluation | None
    replayed: bool = False


@strawberry.type(description="Figures for a place, unit or member over [from, to); see docs/STATS.md.")
@model_type(StatsRecord)
class Stats:
    scope_id: strawberry.ID
    start: datetime | None = strawberry.field(name="from")
    end: datetime | None = strawberry.field(name="to")
    received: int
    dispatched: int
    response_due: int
    responded_on_time: int
    response_rate: float | None
    completion_due: int
    completed_on_time: int
    completion_rate: float | None
    ratings: int
    satisfied_ratings: int
    satisfaction_rate: float | None
    average_rating: float | None
    handling_ratings: int
    average_handling_rating: float | None
    average_hours_to_accept: float | None
    average_hours_to_complete: float | None
    overdue_count: int


@strawberry.type(description="How often one category came up in one community, now and in the period before.")
@model_type(RecurringRecord)
class RecurringNeed:
    place_id: strawberry.ID
    place_name: str
    category_code: str
    category_name: str
    count: int
    previous_count: int
    change: float | None = strawberry.field(description="count / previousCount; null when new this period.")


async def _need_payload(info: Info, result: dict[str, Any]) -> NeedPayload:
    need = await read.by_id(info.context, "Need", result["needId"])
    return NeedPayload(need=need, replayed=bool(result.get("replayed")))


async def _evaluation_payload(info: Info, result: dict[str, Any]) -> EvaluationPayload:
    ctx = info.context
    need = await read.by_id(ctx, "Need", result["needId"])
    item = await evaluation.evaluation_record(ctx, result["evaluationId"])
    found = None
    if item:
        found = Evaluation(id=item["id"], rating=item["rating"], comment=item["comment"], by_role=item["byRole"])
    return EvaluationPayload(need=need, evaluation=found, replayed=bool(result.get("replayed")))


@strawberry.type
class OversightMutation:
    @strawberry.mutation(description="限时办结: pause the need's clock, with a reason (coordinators in scope).")
    async def suspend_need(self, info: Info, input: SuspendNeedInput) -> NeedPayload:
        ctx = info.context
        return await _need_payload(
            info, await escalation.suspend_need(ctx, input.need_id, input.reason, input.idempotency_key)
        )

    @strawberry.mutation(description="Restart a suspended need's clock with the time it had left.")
    async def resume_need(self, info: Info, input: ResumeNeedInput) -> NeedPayload:
        ctx = info.context
        return await _need_payload(
            info, await escalation.resume_need(ctx, input.need_id, input.note, input.idempotency_key)
        )

    @strawberry.mutation(
        description="吹哨: hand a need this level cannot solve to the level above (community → street → district)."
    )
    async def escalate_need(self, info: Info, input: EscalateNeedInput) -> NeedPayload:
        ctx = info.context
        return await _need_payload(
            info, await escalation.escalate_need(ctx, input.need_id, input.reason, input.idempotency_key)
        )

    @strawberry.mutation(description="谁呼谁评: the resident who raised a completed need rates it (1–5).")
    async def evaluate_need(self, info: Info, input: EvaluateInput) -> EvaluationPayload:
        result = await evaluation.evaluate_need(
            info.context, input.need_id, input.rating, input.comment, input.idempotency_key
        )
        return await _evaluation_payload(info, result)

    @strawberry.mutation(description="谁应评谁: the coordinator who dispatched a need rates how it was handled.")
    async def evaluate_handling(self, info: Info, input: EvaluateInput) -> EvaluationPayload:
        result = await evaluation.evaluate_handling(
            info.context, input.need_id, input.rating, input.comment, input.idempotency_key
        )
        return await _evaluation_payload(info, result)


@strawberry.type
class OversightQuery:
    @strawberry.field(
        description="Response, completion and satisfaction rates and more for a community, street, district, "
        "unit or member over [from, to) (both optional); see docs/STATS.md."
    )
    async def stats(
        self,
        info: Info,
        scope_id: strawberry.ID,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> Stats:
        return await stats_resolvers.scope_stats(info.context, str(scope_id), from_, to)

    @strawberry.field(
        description="Which categories keep coming back in which communities of a place, against the period "
        "of equal length before (default: the last 91 days)."
    )
    async def recurring_needs(
        self,
        info: Info,
        scope_id: strawberry.ID,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        min_count: int = 2,
        first: int = 20,
    ) -> list[RecurringNeed]:
        return await stats_resolvers.recurring_needs(info.context, str(scope_id), from_, to, min_count, first)
