"""Dispatch plans (story 12): an optimal batch assignment of a scope's open needs, stored as proposed,
then committed. Its pairs, report and stats are JSON text on the node (read back as lists and maps)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from graph.kernel.kinds import declare
from graph.kernel.records import NodeRecord


class PlanStatus(StrEnum):
    PROPOSED = "PROPOSED"
    COMMITTED = "COMMITTED"


@dataclass(slots=True)
class DispatchPlan(NodeRecord):
    scope_id: str
    status: str
    objective: float = 0.0
    greedy_objective: float = 0.0
    needs_considered: int = 0
    needs_served: int = 0
    greedy_needs_served: int = 0
    members_used: int = 0
    resources_used: int = 0
    pairs: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    created_by: str | None = None
    committed_by: str | None = None
    committed_at: datetime | None = None

    def __post_init__(self) -> None:
        # Stored as JSON text: Neo4j properties hold no nested maps.
        if isinstance(self.pairs, str):
            self.pairs = json.loads(self.pairs or "[]")
        if isinstance(self.report, str):
            self.report = json.loads(self.report) if self.report else None
        if isinstance(self.stats, str):
            self.stats = json.loads(self.stats) if self.stats else {}


DISPATCH_PLAN = declare(
    DispatchPlan,
    "plan",
    reader="staff",
    scope_attr="scopeId",
    lockable=True,
    # Read from the JSON text on the node.
    interpreted=frozenset({"pairs", "skipped", "dispatchedCount", "improvement"}),
)

KINDS = (DISPATCH_PLAN,)
