"""吹哨报到 (issue 22 §2): what a whistle call shows beyond its data (whether it is overdue now). Everything
else of the whistle, its calls, ratings and routing decisions is derived from the declarations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from graph.whistle import kinds
from schema.derive import node_type
from schema.relay import Node


@node_type(kinds.WHISTLE_CALL)
class WhistleCall(Node):
    @strawberry.field(description="Past its response limit (no 报到) or its completion limit (no 反馈), clock running.")
    def overdue(self, info: Info) -> bool:
        return kinds.call_overdue(self.status, self.paused_at, self.respond_by, self.complete_by, info.context.now)


TYPES = (WhistleCall,)
