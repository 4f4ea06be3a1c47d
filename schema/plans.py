"""Dispatch plans (story 12): the optimal batch assignment of a scope's open needs, against greedy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from graph.plans import kinds
from resolvers.kernel import read
from resolvers.plans import plans
from schema.derive import input_for, node_type
from schema.relay import Node, as_dict, lookup

if TYPE_CHECKING:
    from schema.matching import CandidateKind, Resource
    from schema.needs import Need

NeedType = Annotated["Need", strawberry.lazy("schema.needs")]
CandidateKindType = Annotated["CandidateKind", strawberry.lazy("schema.matching")]
ResourceType = Annotated["Resource", strawberry.lazy("schema.matching")]


@strawberry.type(description="One (need, handler) pair of a plan, with its score and reason.")
class PlanPair:
    kind: CandidateKindType
    score: float
    reason: str
    need_id: strawberry.ID
    resource_id: strawberry.ID

    need = lookup(read.by_id, "Need", "need_id", NeedType | None)

    @strawberry.field
    async def resource(self, info: Info) -> ResourceType | None:
        return await read.node(info.context, self.resource_id)


@strawberry.type(description="A pair of a plan that was not dispatched at commit, and why.")
class SkippedPair:
    need_id: strawberry.ID
    resource_id: strawberry.ID
    why: str


@node_type(
    kinds.DISPATCH_PLAN,
    hide=("report", "stats", "createdBy", "committedBy"),
    description="An optimal batch assignment of a scope's open needs (min-cost flow), vs greedy.",
)
class DispatchPlan(Node):
    @strawberry.field(description="How much better than greedy, as a share of greedy's objective.")
    def improvement(self) -> float:
        return (self.objective - self.greedy_objective) / self.greedy_objective if self.greedy_objective else 0.0

    @strawberry.field(description="The plan's pairs, needs in plan order.")
    def pairs(self, first: int | None = None) -> list[PlanPair]:
        rows = self.pairs if first is None else self.pairs[: max(first, 0)]
        return [
            PlanPair(
                kind=r["kind"], score=r["score"], reason=r["reason"], need_id=r["needId"], resource_id=r["resourceId"]
            )
            for r in rows
        ]

    @strawberry.field(description="After commit: how many pairs were dispatched.")
    def dispatched_count(self) -> int | None:
        return len(self.report["dispatched"]) if self.report else None

    @strawberry.field(description="After commit: pairs skipped because the need or handler changed.")
    def skipped(self) -> list[SkippedPair]:
        rows = self.report["skipped"] if self.report else []
        return [SkippedPair(need_id=r["needId"], resource_id=r["resourceId"], why=r["why"]) for r in rows]


ProposeDispatchPlanInput = input_for(plans.propose_dispatch_plan)
CommitDispatchPlanInput = input_for(plans.commit_dispatch_plan)


@strawberry.type
class DispatchPlanPayload:
    plan: DispatchPlan | None
    replayed: bool = False


@strawberry.type
class PlansQuery:
    @strawberry.field(description="A stored dispatch plan.")
    async def dispatch_plan(self, info: Info, id: strawberry.ID) -> DispatchPlan:
        return await plans.dispatch_plan(info.context, str(id))


@strawberry.type
class PlansMutation:
    @strawberry.mutation(description="Plan the best assignment of a scope's open needs (min-cost flow), vs greedy.")
    async def propose_dispatch_plan(self, info: Info, input: ProposeDispatchPlanInput) -> DispatchPlanPayload:
        result = await plans.propose_dispatch_plan(info.context, as_dict(input))
        plan = await read.by_id(info.context, "DispatchPlan", result["planId"])
        return DispatchPlanPayload(plan=plan, replayed=bool(result.get("replayed")))

    @strawberry.mutation(description="Dispatch a proposed plan's pairs; changed pairs are skipped and reported.")
    async def commit_dispatch_plan(self, info: Info, input: CommitDispatchPlanInput) -> DispatchPlanPayload:
        result = await plans.commit_dispatch_plan(info.context, as_dict(input))
        plan = await read.by_id(info.context, "DispatchPlan", result["planId"])
        return DispatchPlanPayload(plan=plan, replayed=bool(result.get("replayed")))
