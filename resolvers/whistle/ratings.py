"""谁呼谁评、谁应评谁: the whistler rates each department's handling (response, result, attitude, 1–5 each),
the department rates the whistle (was it within duty, was the information enough). One rating per side and
call, taken under the call's lock (a second is a CONFLICT); a low one needs its reason. The resident's own
evaluation of the need (evaluateNeed) stays the satisfaction signal.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from graph.kernel.db import Tx
from graph.kernel.errors import Conflict
from graph.kernel.ids import new_id
from graph.whistle import calls
from graph.whistle.kinds import WHISTLE_CALL, CallStatus, WhistleEventType
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.validation import optional_text
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.whistle.whistle import (
    CallRef,
    _event,
    _published,
    _race,
    _require_call,
    _require_department,
    _require_whistler,
)

Score = Annotated[int, Field(ge=1, le=5)]
# A score at or below this is low: it needs a reason.
LOW = 2


class RateDepartment(CallRef):
    response: Score = Field(description="How it answered the whistle: speed of its 报到 (1–5).")
    result: Score = Field(description="What its handling achieved (1–5).")
    attitude: Score = Field(description="How it worked with the whistler (1–5).")
    comment: optional_text(300) = None

    @model_validator(mode="after")
    def reason_when_low(self) -> RateDepartment:
        low = [name for name in ("response", "result", "attitude") if getattr(self, name) <= LOW]
        if low and not self.comment:
            raise ValueError(f"a score of {LOW} or less ({', '.join(low)}) needs its reason: give a comment")
        return self


class RateWhistle(CallRef):
    within_duty: bool = Field(description="Was the whistle within the department's duty (清单)?")
    information_enough: bool = Field(description="Did the whistle say enough to act on?")
    comment: optional_text(300) = None

    @model_validator(mode="after")
    def reason_when_low(self) -> RateWhistle:
        if not (self.within_duty and self.information_enough) and not self.comment:
            raise ValueError("a whistle rated outside duty or short of information needs its reason: give a comment")
        return self


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


@mutation("rateDepartment", roles=PLACE_ROLES, form=RateDepartment, race=_race, returns=WHISTLE_CALL.label)
async def rate_department(tx: Tx, viewer: Viewer, form: RateDepartment, outbox: Outbox) -> Result:
    """谁呼谁评: the whistler rates one department's handling of its whistle once it reported back (or
    refused): response, result, attitude, 1–5 each, a reason when any is 2 or less. Once per call."""
    state = await calls.call_facts(tx, form.call_id)
    _require_whistler(viewer, state)
    _require_call(state, "rateDepartment", CallStatus.DONE, CallStatus.REFUSED)
    if state["departmentRated"]:
        raise Conflict(f"{state['department']['name']}'s handling of need {state['number']} is rated already")
    rating = {
        "id": new_id("departmentrating"),
        "response": form.response,
        "result": form.result,
        "attitude": form.attitude,
        "comment": form.comment,
        "byId": viewer.subject,
    }
    note = f"评价部门：响应 {form.response}/5，结果 {form.result}/5，态度 {form.attitude}/5" + (
        f"：{form.comment}" if form.comment else ""
    )
    event = _event(viewer, state, WhistleEventType.RATE_DEPARTMENT, state["status"], note)
    written = await calls.move_call(tx, form.call_id, event, department_rating=rating)
    outbox.add(_published(written, state, state["department"]["id"]))
    return {"whistleCallId": form.call_id}


@mutation("rateWhistle", roles=(Role.DEPARTMENT_STAFF,), form=RateWhistle, race=_race, returns=WHISTLE_CALL.label)
async def rate_whistle(tx: Tx, viewer: Viewer, form: RateWhistle, outbox: Outbox) -> Result:
    """谁应评谁: the department rates the whistle it answered (after its 报到, or its refusal): within its
    duty? enough information? A reason when either is no. Once per call."""
    state = await calls.call_facts(tx, form.call_id)
    _require_department(viewer, state)
    _require_call(state, "rateWhistle", CallStatus.REPORTED, CallStatus.DONE, CallStatus.REFUSED)
    if state["whistleRated"]:
        raise Conflict(f"{state['department']['name']} rated the whistle on need {state['number']} already")
    rating = {
        "id": new_id("whistlerating"),
        "withinDuty": form.within_duty,
        "informationEnough": form.information_enough,
        "comment": form.comment,
        "byId": viewer.subject,
    }
    note = f"评价吹哨：属于职责 {_yes(form.within_duty)}，信息充分 {_yes(form.information_enough)}" + (
        f"：{form.comment}" if form.comment else ""
    )
    event = _event(viewer, state, WhistleEventType.RATE_WHISTLE, state["status"], note)
    written = await calls.move_call(tx, form.call_id, event, whistle_rating=rating)
    outbox.add(_published(written, state, state["department"]["id"]))
    return {"whistleCallId": form.call_id}
