"""吹哨报到: a coordinator whistles a need, within its duty list, to one lead department and any assisting
ones; each department reports (报到: acknowledges, names its handler) within the response limit and reports
back (反馈) within the completion limit, or refuses with a reason, and the whistler re-routes a refused call
in one step. The limits are the needs' time-limit policy (限时办结, by category and urgency), pausable with a
reason. The lead department is the need's handler: its report starts the work, its feedback completes the
need (the resident then rates it as always), its refusal hands the need back to the whistler.

Every move locks the need, then the call (graph/whistle/calls.py), writes in one statement with the audit
Event, and publishes the Event to the need's places' staff, the departments concerned (`myAssignments`)
and the resident.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from graph.departments.kinds import DUTY_WORDS, LEVEL_WORDS, Duty, DutyLevel
from graph.kernel.db import Tx
from graph.kernel.errors import Conflict, Forbidden, NotFound
from graph.kernel.ids import new_id
from graph.kernel.records import native
from graph.needs.kinds import AssignmentStatus, NeedStatus
from graph.whistle import calls
from graph.whistle.kinds import WHISTLE, WHISTLE_CALL, CallRole, CallStatus, WhistleEventType
from resolvers.kernel.events import Published
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.validation import Form, id_of, optional_text, required_text
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs.deadlines import limits_for

DepartmentId = Annotated[str, id_of("Department")]
CallId = Annotated[str, id_of("WhistleCall")]

# The need's states a whistle may start from: waiting for a dispatch at its level (new, handed back, escalated).
WHISTLABLE = (NeedStatus.SUBMITTED, NeedStatus.DECLINED, NeedStatus.ESCALATED)
CLOSED_NEEDS = (NeedStatus.COMPLETED, NeedStatus.EVALUATED, NeedStatus.CANCELLED)
# Who a coordinator's scope makes them, bottom up: the level whose duty list applies to their whistles.
_SCOPE_LEVELS = ("community", "street", "district")
_LIST_LEVEL = {"community": DutyLevel.COMMUNITY, "street": DutyLevel.STREET}


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="minutes")


class WhistleNeed(Form):
    need_id: Annotated[str, id_of("Need")]
    lead_department_id: DepartmentId = Field(description="The department that leads (牵头).")
    assisting_department_ids: Annotated[list[DepartmentId], Field(max_length=5)] = Field(
        default_factory=list, description="Departments that assist (联合处置)."
    )
    note: required_text("say what is asked of the departments (it goes with the whistle)", 300)

    @model_validator(mode="after")
    def distinct_departments(self) -> WhistleNeed:
        every = [self.lead_department_id, *self.assisting_department_ids]
        if len(set(every)) != len(every):
            raise ValueError("each department is whistled once: the lead does not assist, none assists twice")
        return self


class CallRef(Form):
    call_id: CallId


class ReportCall(CallRef):
    handler: required_text("name who handles it for the department (报到: name and phone)", 80)
    note: optional_text(300) = None


class ReportBack(CallRef):
    feedback: required_text("say what was done (反馈)", 500)


class CallReason(CallRef):
    reason: required_text("give the reason (it is kept in the need's trail)", 300)


class CallNote(CallRef):
    note: optional_text(300) = None


class RerouteCall(CallRef):
    department_id: DepartmentId = Field(description="The department the refused call goes to instead.")
    note: optional_text(300) = None


# --- who may do what -----------------------------------------------------------------------------------


def _scope_level(scope_id: str | None) -> int:
    """0 community, 1 street, 2 district, 3 the city (no scope)."""
    return _SCOPE_LEVELS.index(scope_id.split(":", 1)[0]) if scope_id else len(_SCOPE_LEVELS)


def _require_in_scope(viewer: Viewer, state: dict[str, Any]) -> None:
    if viewer.role is Role.CITY_ADMIN or viewer.scope_id in state["placeIds"]:
        return
    raise Forbidden(
        f"need {state['number']} lies outside your scope {viewer.scope_id}; "
        "only coordinators of its community, street or district may do this",
        scope=viewer.scope_id,
    )


def _require_whistler(viewer: Viewer, state: dict[str, Any]) -> None:
    """The whistler's side: staff in the need's scope at or above the level that whistled it."""
    _require_in_scope(viewer, state)
    whistled_by = state["whistle"]["scopeId"]
    if viewer.role is not Role.CITY_ADMIN and _scope_level(viewer.scope_id) < _scope_level(whistled_by):
        raise Forbidden(
            f"need {state['number']} was whistled by {whistled_by}; its coordinators act on the whistle, not you",
            scope=viewer.scope_id,
        )


def _require_department(viewer: Viewer, state: dict[str, Any]) -> None:
    """The department's side: its own staff alone."""
    if viewer.scope_id != state["department"]["id"]:
        raise Forbidden(
            f"this call is {state['department']['name']}'s; you answer for {viewer.scope_id}",
            scope=viewer.scope_id,
        )


def _require_open_need(state: dict[str, Any]) -> None:
    if state["status"] in CLOSED_NEEDS:
        raise Conflict(f"need {state['number']} is {state['status']}: its whistle is over", status=state["status"])


def _require_live_need(state: dict[str, Any]) -> None:
    """A department still answers its call on a need the lead completed (its own feedback is owed); not on a
    cancelled one."""
    if state["status"] == NeedStatus.CANCELLED:
        raise Conflict(f"need {state['number']} was cancelled: its whistle is over", status=state["status"])


def _require_call(state: dict[str, Any], operation: str, *allowed: CallStatus) -> None:
    status = state["call"]["status"]
    if status not in allowed:
        wanted = " or ".join(allowed)
        raise Conflict(
            f"{operation}: {state['department']['name']}'s call on need {state['number']} is {status}; "
            f"it needs {wanted}",
            status=status,
            allowed=list(allowed),
        )


# --- the duty list ---------------------------------------------------------------------------------------


def _list_name(state: dict[str, Any]) -> str:
    found = state["dutyList"]
    where = found["district"] or "西安市"
    return f"{where}{LEVEL_WORDS[DutyLevel(found['level'])]}清单 v{found['version']}"


def _within_duty(viewer: Viewer, state: dict[str, Any], level: DutyLevel | None, lead_name: str) -> dict[str, Any]:
    """The duty list line that lets this whistle go, and its explanation; FORBIDDEN naming the line (or its
    absence) when the list does not let the viewer's level whistle the need's category."""
    category = state["category"]["name"]
    if level is None:  # district and city admins whistle as the district's leadership
        return {"reason": f"区级吹哨：{category} → {lead_name}", "dutyItemId": None}
    if state["dutyList"] is None:
        raise Forbidden(
            f"no {LEVEL_WORDS[level]}duty list (清单) applies in {state['districtName']}: nothing may be whistled "
            "from this level until the district or the city publishes one",
            level=level,
        )
    item, listed = state["item"], _list_name(state)
    if item is None:
        raise Forbidden(
            f"{listed}：{category} is not on the list, so it may not be whistled from this level; "
            "escalate the need instead",
            dutyList=state["dutyList"]["id"],
            category=state["category"]["code"],
        )
    if item["duty"] == Duty.SELF_GOVERNED:
        raise Forbidden(
            f"{listed}：{category} is on the {DUTY_WORDS[Duty.SELF_GOVERNED]} (自治): "
            f"the {LEVEL_WORDS[level]} handles it itself and may not whistle it",
            dutyItem=item["id"],
        )
    return {"reason": f"{DUTY_WORDS[Duty(item['duty'])]}：{category} → {lead_name}", "dutyItemId": item["id"]}


def _limits(state: dict[str, Any], start: datetime) -> tuple[datetime, datetime]:
    limits = limits_for(state["category"]["code"], state["urgency"] or "NORMAL")
    return start + limits.respond, start + limits.complete


def _call_rows(departments: list[tuple[str, CallRole]], respond_by: datetime, complete_by: datetime) -> list[dict]:
    return [
        {
            "id": new_id("whistlecall"),
            "departmentId": department_id,
            "role": role,
            "respondBy": respond_by.isoformat(),
            "completeBy": complete_by.isoformat(),
        }
        for department_id, role in departments
    ]


def _published(event: dict[str, Any], state: dict[str, Any], *departments: str) -> Published:
    """The Event for the need's places' staff, its residents and the departments concerned."""
    return Published.of_need(event, state["placeIds"], state["residentIds"], {d for d in departments if d})


async def blow(
    tx: Tx,
    outbox: Outbox,
    state: dict[str, Any],
    actor: tuple[str, str],
    *,
    lead: dict[str, Any],
    assisting: list[str],
    note: str,
    whistle: dict[str, Any],
    event_type: WhistleEventType,
    need_props: dict[str, Any] | None = None,
) -> str:
    """Writes a whistle of the locked need (`state`) to `lead` ({id, name}) and `assisting` (ids): its calls
    with the limits of the need's category and urgency, the lead's assignment, the need DISPATCHED with the
    lead's deadlines; publishes its Event. Returns the whistle's id."""
    now = _now()
    respond_by, complete_by = _limits(state, now)
    rows = _call_rows(
        [(lead["id"], CallRole.LEAD), *((d, CallRole.ASSIST) for d in assisting)], respond_by, complete_by
    )
    whistle = {**whistle, "id": new_id("whistle"), "note": note}
    props = {
        "status": NeedStatus.DISPATCHED,
        "responseDeadline": respond_by,
        "completionDeadline": complete_by,
        **(need_props or {}),
    }
    lead_assignment = {"assignmentId": new_id("assignment"), "departmentId": lead["id"], "note": note}
    event = calls.event(
        actor_id=actor[0],
        role=actor[1],
        from_state=state["status"],
        to_state=NeedStatus.DISPATCHED,
        type=event_type,
        note=f"{whistle['reason']}；{note}（报到 by {_stamp(respond_by)}，反馈 by {_stamp(complete_by)}）",
    )
    written = await calls.write_whistle(tx, state["id"], props, whistle, rows, lead_assignment, actor, event)
    outbox.add(_published(written, state, lead["id"], *assisting))
    return whistle["id"]


@mutation("whistleNeed", roles=PLACE_ROLES, form=WhistleNeed, returns=WHISTLE.label)
async def whistle_need(tx: Tx, viewer: Viewer, form: WhistleNeed, outbox: Outbox) -> Result:
    """吹哨: a coordinator (community or street, within its duty list) or a district admin whistles a need it
    cannot solve to one lead department and any assisting ones, with a note of what is asked. Each must report
    (报到) and report back (反馈) within the limits of the need's category and urgency. FORBIDDEN naming the
    duty list line when the list does not let this level whistle the category; CONFLICT when the need is not
    waiting for a dispatch or its departments still owe an answer (re-route a refused call instead)."""
    scope_kind = viewer.scope_id.split(":", 1)[0] if viewer.scope_id else None
    level = _LIST_LEVEL.get(scope_kind) if viewer.role is Role.COORDINATOR else None
    wanted = [form.lead_department_id, *form.assisting_department_ids]
    state = await calls.whistle_facts(tx, form.need_id, level, wanted)
    _require_in_scope(viewer, state)
    held_at = state["level"] or "COMMUNITY"
    if viewer.role is not Role.CITY_ADMIN and _scope_level(viewer.scope_id) < _SCOPE_LEVELS.index(held_at.lower()):
        raise Forbidden(f"need {state['number']} is held by the {held_at} now; its coordinators whistle it, not you")
    if state["openCalls"]:
        raise Conflict(
            f"need {state['number']} is whistled to {', '.join(sorted(state['openCalls']))} already and they still "
            "owe an answer; re-route a refused call instead of whistling again",
            status=state["status"],
        )
    if state["status"] not in WHISTLABLE:
        raise Conflict(
            f"need {state['number']} is {state['status']}; whistleNeed needs {' or '.join(WHISTLABLE)}",
            status=state["status"],
            allowed=list(WHISTLABLE),
        )
    found = {d["id"]: d for d in state["departments"]}
    missing = [d for d in wanted if d not in found]
    if missing:
        raise NotFound(f"no Department with id {', '.join(missing)}", field="leadDepartmentId", keys=missing)
    lead = found[form.lead_department_id]
    allowed = _within_duty(viewer, state, level, lead["name"])
    whistle = {"level": (scope_kind or "city").upper(), "scopeId": viewer.scope_id, **allowed}
    whistle_id = await blow(
        tx,
        outbox,
        state,
        (viewer.subject, viewer.role.value),
        lead=lead,
        assisting=list(form.assisting_department_ids),
        note=form.note,
        whistle=whistle,
        event_type=WhistleEventType.WHISTLE,
    )
    return {"whistleId": whistle_id}


# --- the department's side ------------------------------------------------------------------------------


def _event(viewer: Viewer, state: dict[str, Any], kind: WhistleEventType, to_state: str, note: str) -> dict:
    return calls.event(
        actor_id=viewer.subject,
        role=viewer.role.value,
        from_state=state["status"],
        to_state=to_state,
        type=kind,
        note=f"{state['department']['name']}：{note}",
    )


def _race(form: CallRef) -> str:
    return f"WhistleCall:{form.call_id}"


def _lead(state: dict[str, Any]) -> bool:
    return state["call"]["role"] == CallRole.LEAD


@mutation("reportToWhistle", roles=(Role.DEPARTMENT_STAFF,), form=ReportCall, race=_race, returns=WHISTLE_CALL.label)
async def report_to_whistle(tx: Tx, viewer: Viewer, form: ReportCall, outbox: Outbox) -> Result:
    """报到: the department acknowledges a whistle and names its handler (its own staff). Late when past the
    response limit (counted). The lead's report starts work on the need. Reporting twice is a CONFLICT."""
    state = await calls.call_facts(tx, form.call_id)
    _require_department(viewer, state)
    _require_live_need(state)
    _require_call(state, "reportToWhistle", CallStatus.WHISTLED)
    now = _now()
    late = now > native(state["call"]["respondBy"])
    props = {"status": CallStatus.REPORTED, "handler": form.handler, "reportNote": form.note, "reportedAt": now}
    props["respondedLate"] = late
    need_props: dict[str, Any] = {}
    assignment = None
    to_state = state["status"]
    if _lead(state) and state["status"] == NeedStatus.DISPATCHED:
        to_state = NeedStatus.IN_PROGRESS
        need_props = {"status": to_state}
        assignment = {"id": state["assignmentId"], "status": AssignmentStatus.ACTIVE, "accepted": True}
    note = f"报到{'（逾期）' if late else ''}，经办人 {form.handler}" + (f"：{form.note}" if form.note else "")
    event = _event(viewer, state, WhistleEventType.REPORT, to_state, note)
    written = await calls.move_call(
        tx, form.call_id, event, call_props=props, need_props=need_props, assignment=assignment
    )
    outbox.add(_published(written, state, state["department"]["id"]))
    return {"whistleCallId": form.call_id}


@mutation("reportBack", roles=(Role.DEPARTMENT_STAFF,), form=ReportBack, race=_race, returns=WHISTLE_CALL.label)
async def report_back(tx: Tx, viewer: Viewer, form: ReportBack, outbox: Outbox) -> Result:
    """反馈: the department reports what it did. Late when past the completion limit (counted). The lead's
    feedback completes the need, which its resident then rates as always."""
    state = await calls.call_facts(tx, form.call_id)
    _require_department(viewer, state)
    _require_live_need(state)
    _require_call(state, "reportBack", CallStatus.REPORTED)
    now = _now()
    late = now > native(state["call"]["completeBy"])
    props = {"status": CallStatus.DONE, "feedback": form.feedback, "doneAt": now, "completedLate": late}
    need_props: dict[str, Any] = {}
    assignment = None
    to_state = state["status"]
    if _lead(state) and state["status"] == NeedStatus.IN_PROGRESS:
        to_state = NeedStatus.COMPLETED
        need_props = {"status": to_state}
        assignment = {"id": state["assignmentId"], "status": AssignmentStatus.COMPLETED, "completed": True}
    event = _event(
        viewer, state, WhistleEventType.FEEDBACK, to_state, f"反馈{'（逾期）' if late else ''}：{form.feedback}"
    )
    written = await calls.move_call(
        tx, form.call_id, event, call_props=props, need_props=need_props, assignment=assignment
    )
    outbox.add(_published(written, state, state["department"]["id"]))
    return {"whistleCallId": form.call_id}


@mutation("refuseWhistle", roles=(Role.DEPARTMENT_STAFF,), form=CallReason, race=_race, returns=WHISTLE_CALL.label)
async def refuse_whistle(tx: Tx, viewer: Viewer, form: CallReason, outbox: Outbox) -> Result:
    """The department refuses a whistle it has not reported to, with a reason ("not our duty"); the whistler
    re-routes it (rerouteWhistleCall). A lead's refusal hands the need back to the whistler (DECLINED).
    Refusals of a category are counted on its duty list lines, for review."""
    state = await calls.call_facts(tx, form.call_id)
    _require_department(viewer, state)
    _require_live_need(state)
    _require_call(state, "refuseWhistle", CallStatus.WHISTLED)
    props = {"status": CallStatus.REFUSED, "refusalReason": form.reason, "refusedAt": _now()}
    need_props: dict[str, Any] = {}
    assignment = None
    to_state = state["status"]
    if _lead(state) and state["status"] == NeedStatus.DISPATCHED:
        to_state = NeedStatus.DECLINED
        need_props = {"status": to_state}
        assignment = {"id": state["assignmentId"], "status": AssignmentStatus.DECLINED, "note": form.reason}
    event = _event(viewer, state, WhistleEventType.REFUSE, to_state, f"拒绝：{form.reason}")
    written = await calls.move_call(
        tx, form.call_id, event, call_props=props, need_props=need_props, assignment=assignment
    )
    outbox.add(_published(written, state, state["department"]["id"]))
    return {"whistleCallId": form.call_id}


# --- the whistler's side ----------------------------------------------------------------------------------


@mutation("rerouteWhistleCall", roles=PLACE_ROLES, form=RerouteCall, race=_race, returns=WHISTLE_CALL.label)
async def reroute_whistle_call(tx: Tx, viewer: Viewer, form: RerouteCall, outbox: Outbox) -> Result:
    """The whistler sends a refused call to another department in one step: same part (lead or assisting), fresh
    limits; a lead's re-route puts the need back in the new department's hands. Answers the new call."""
    state = await calls.call_facts(tx, form.call_id, form.department_id)
    _require_whistler(viewer, state)
    _require_open_need(state)
    _require_call(state, "rerouteWhistleCall", CallStatus.REFUSED)
    if state["call"].get("reroutedAt"):
        raise Conflict(f"this refused call on need {state['number']} was re-routed already", status="REFUSED")
    new = state["newDepartment"]
    if new is None:
        raise NotFound(f"no Department with id {form.department_id}", field="departmentId")
    if new["id"] in state["answeringIds"]:
        raise Conflict(f"{new['name']} is answering this whistle already", field="departmentId")
    now = _now()
    respond_by, complete_by = _limits(state, now)
    [row] = _call_rows([(new["id"], CallRole(state["call"]["role"]))], respond_by, complete_by)
    need_props: dict[str, Any] = {}
    lead = None
    to_state = state["status"]
    if _lead(state):
        if state["status"] != NeedStatus.DECLINED:
            raise Conflict(f"need {state['number']} is {state['status']}; its lead call is re-routed when DECLINED")
        to_state = NeedStatus.DISPATCHED
        need_props = {"status": to_state, "responseDeadline": respond_by, "completionDeadline": complete_by}
        lead = {"assignmentId": new_id("assignment"), "departmentId": new["id"], "note": form.note}
    note = f"改派 {new['name']}" + (f"：{form.note}" if form.note else "") + f"（报到 by {_stamp(respond_by)}）"
    event = _event(viewer, state, WhistleEventType.REROUTE, to_state, note)
    written = await calls.move_call(
        tx,
        form.call_id,
        event,
        call_props={"reroutedAt": now},
        need_props=need_props,
        new_call=row,
        lead=lead,
        by=(viewer.subject, viewer.role.value),
    )
    outbox.add(_published(written, state, state["department"]["id"], new["id"]))
    return {"whistleCallId": row["id"]}


@mutation("pauseWhistleCall", roles=PLACE_ROLES, form=CallReason, race=_race, returns=WHISTLE_CALL.label)
async def pause_whistle_call(tx: Tx, viewer: Viewer, form: CallReason, outbox: Outbox) -> Result:
    """Pauses a call's clock, with a reason (waiting for a permit, for the resident): it is never overdue while
    paused, and resuming gives back exactly the time that was left."""
    state = await calls.call_facts(tx, form.call_id)
    _require_whistler(viewer, state)
    _require_open_need(state)
    _require_call(state, "pauseWhistleCall", CallStatus.WHISTLED, CallStatus.REPORTED)
    if state["call"].get("pausedAt") is not None:
        raise Conflict(f"{state['department']['name']}'s call on need {state['number']} is paused already")
    props = {"pausedAt": _now(), "pauseReason": form.reason}
    event = _event(viewer, state, WhistleEventType.PAUSE_CALL, state["status"], f"暂停计时：{form.reason}")
    written = await calls.move_call(tx, form.call_id, event, call_props=props)
    outbox.add(_published(written, state, state["department"]["id"]))
    return {"whistleCallId": form.call_id}


@mutation("resumeWhistleCall", roles=PLACE_ROLES, form=CallNote, race=_race, returns=WHISTLE_CALL.label)
async def resume_whistle_call(tx: Tx, viewer: Viewer, form: CallNote, outbox: Outbox) -> Result:
    """Restarts a paused call's clock with the time it had left."""
    state = await calls.call_facts(tx, form.call_id)
    _require_whistler(viewer, state)
    _require_open_need(state)
    call = state["call"]
    if call.get("pausedAt") is None:
        raise Conflict(f"{state['department']['name']}'s call on need {state['number']} is not paused")
    # The limits move by exactly the time the clock stood still: what was left is left.
    stood = _now() - native(call["pausedAt"])
    respond_by = native(call["respondBy"]) + stood
    complete_by = native(call["completeBy"]) + stood
    props = {"pausedAt": None, "pauseReason": None, "respondBy": respond_by, "completeBy": complete_by}
    note = f"恢复计时（报到 by {_stamp(respond_by)}，反馈 by {_stamp(complete_by)}）" + (
        f"：{form.note}" if form.note else ""
    )
    event = _event(viewer, state, WhistleEventType.RESUME_CALL, state["status"], note)
    written = await calls.move_call(tx, form.call_id, event, call_props=props)
    outbox.add(_published(written, state, state["department"]["id"]))
    return {"whistleCallId": form.call_id}
