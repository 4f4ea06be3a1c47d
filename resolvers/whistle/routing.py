"""Intake by the duty list (清单): every need filed gets a routing decision explained in the list's words, and
one whose category is on the communities' negative list (负面清单) never waits in its community's queue: it
is whistled at once to the department the list names, held by the street (which re-routes it if refused).
"""

from __future__ import annotations

from typing import Any

from graph.departments.kinds import DUTY_WORDS
from graph.kernel.db import Tx
from graph.whistle import calls
from graph.whistle.kinds import RouteOutcome, WhistleEventType
from resolvers.kernel.mutations import Outbox
from resolvers.kernel.viewer import Viewer
from resolvers.needs.routing import after_intake
from resolvers.whistle.whistle import blow

ACTOR = ("system:routing", "SYSTEM")
UNLISTED = "不在社区清单"
LEADS = "牵头"


@after_intake
async def route_by_duty_list(tx: Tx, viewer: Viewer, need: dict[str, Any], outbox: Outbox) -> None:
    decided = await calls.route(
        tx, need["id"], {duty.value: words for duty, words in DUTY_WORDS.items()}, UNLISTED, LEADS
    )
    if decided["outcome"] != RouteOutcome.DEPARTMENT:
        return
    item = decided["item"]
    state = {
        **need,
        "status": "SUBMITTED",
        "category": {"code": need["categoryCode"]},
        "urgency": need["urgency"] or "NORMAL",
    }
    whistle = {
        "level": "ROUTING",
        "scopeId": decided["streetId"],
        "reason": decided["explanation"],
        "dutyItemId": item["id"],
    }
    await blow(
        tx,
        outbox,
        state,
        ACTOR,
        lead={"id": item["leadId"], "name": item["leadName"]},
        assisting=list(item["assistingIds"]),
        note="负面清单事项，不进入社区派单，直接交由责任部门处置",
        whistle=whistle,
        event_type=WhistleEventType.ROUTE,
        need_props={"level": "STREET"},
    )
