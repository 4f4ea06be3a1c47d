"""Needs from intake to reopening: submitNeed, updateNeed, cancelNeed, reopenNeed, and the reads
that hang off a need (history, requester with masking, assignments)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from graph.kernel.errors import BadUserInput, Forbidden
from graph.needs import assignments
from graph.needs import reads as need_details
from graph.needs import write as needs_write
from graph.needs.kinds import Assignment, Resident
from graph.places.scopes import NeedAccess
from matching.time_windows import to_local
from resolvers.kernel.authz import contact_visibility, in_scope, mask_address, mask_phone, require_role
from resolvers.kernel.context import Context
from resolvers.kernel.mutations import run_mutation
from resolvers.kernel.validation import validate
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs import lifecycle
from resolvers.needs.deadlines import limits_for
from resolvers.needs.guards import Outbox, audience_of, locked_need, require_requester_or_coordinator

CHANNELS = ("APP", "HOTLINE_12345", "GRID_WORKER", "SENTINEL", "VISIT")
URGENCIES = ("LOW", "NORMAL", "HIGH", "URGENT")


class ResidentDetails(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field(pattern=r"^\+?[0-9\- ]{7,20}$")
    address: str = Field(min_length=2, max_length=200)


class NeedFields(BaseModel):
    title: str | None = Field(default=None, min_length=2, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    category_code: str | None = Field(default=None, min_length=1, max_length=40)
    urgency: str | None = None
    people_needed: int | None = Field(default=None, ge=1, le=100)
    window_start: datetime | None = None
    window_end: datetime | None = None

    @model_validator(mode="after")
    def window_in_order(self) -> NeedFields:
        if self.window_start and self.window_end and self.window_end <= self.window_start:
            raise ValueError("windowEnd must be after windowStart")
        return self


class SubmitNeed(NeedFields):
    title: str = Field(min_length=2, max_length=100)
    description: str = Field(default="", max_length=2000)
    category_code: str = Field(min_length=1, max_length=40)
    urgency: str = "NORMAL"
    people_needed: int = Field(default=1, ge=1, le=100)
    place_id: str
    channel: str | None = None
    resident_id: str | None = None
    resident: ResidentDetails | None = None


def _now() -> datetime:
    return datetime.now(UTC)


# --- submitNeed ------------------------------------------------------------------------------


async def submit_need(ctx: Context, data: dict[str, Any], key: str | None) -> dict[str, Any]:
    """A resident raises a need for themself, or a coordinator files one on a resident's behalf."""
    require_role(ctx.viewer, Role.RESIDENT, *PLACE_ROLES)
    form = validate(SubmitNeed, data, prefix="input.")
    outbox = Outbox()

    async def work(tx: Any, viewer: Viewer) -> dict[str, Any]:
        outbox.clear()
        place = await needs_write.place(tx, form.place_id)
        if viewer.role is not Role.RESIDENT and not in_scope(
            viewer, NeedAccess("", None, frozenset(place["placeIds"]), frozenset())
        ):
            raise Forbidden(
                f"{form.place_id} lies outside your scope {viewer.scope_id}; file the need with its own community",
                scope=viewer.scope_id,
            )
        await needs_write.category_exists(tx, form.category_code)
        resident_id, channel = await _requester(tx, viewer, form, place)
        number = await needs_write.next_number(tx, place["districtId"], place["districtCode"], to_local(_now()).year)
        need_id = await needs_write.create_need(
            tx,
            {
                "number": number,
                "placeId": form.place_id,
                "categoryCode": form.category_code,
                "residentId": resident_id,
                "title": form.title,
                "description": form.description,
                "channel": channel,
                "urgency": form.urgency,
                "peopleNeeded": form.people_needed,
                "windowStart": form.window_start,
                "windowEnd": form.window_end,
                "location": None,
            },
        )
        state = {"id": need_id, "number": number, "status": None, "placeIds": place["placeIds"]}
        await outbox.record(tx, state, viewer, type="SUBMIT", to_state=lifecycle.SUBMITTED, note=f"channel {channel}")
        return {"needId": need_id, "number": number}

    result = await run_mutation(ctx, "submitNeed", key, work)
    outbox.publish(result)
    return result


async def _requester(tx: Any, viewer: Viewer, form: SubmitNeed, place: dict[str, Any]) -> tuple[str, str]:
    """(resident id, channel): residents file for themselves through the app; staff name the channel."""
    compound = form.place_id if place["label"] == "Compound" else None
    if form.urgency not in URGENCIES:
        raise BadUserInput(f"urgency must be one of {', '.join(URGENCIES)}", field="urgency")
    if viewer.role is Role.RESIDENT:
        if form.resident_id not in (None, viewer.subject):
            raise Forbidden("a resident files needs only for themself; leave residentId out")
        if form.channel not in (None, "APP"):
            raise BadUserInput("needs a resident files themself come through the APP channel", field="channel")
        details = form.resident
        resident_id = await needs_write.upsert_resident(
            tx,
            viewer.subject,
            name=details.name if details else None,
            phone=details.phone if details else None,
            address=details.address if details else None,
            compound_id=compound,
        )
        return resident_id, "APP"
    if form.channel is None:
        raise BadUserInput(
            f"channel is required when filing on a resident's behalf (one of {', '.join(CHANNELS)})", field="channel"
        )
    if form.resident_id:
        if not await needs_write.resident_exists(tx, form.resident_id):
            raise BadUserInput(f"no resident with id {form.resident_id!r}", field="residentId")
        return form.resident_id, form.channel
    if form.resident is None:
        raise BadUserInput(
            "say who raised the need: residentId of a known resident, or resident {name, phone, address}",
            field="resident",
        )
    resident_id = await needs_write.upsert_resident(
        tx,
        None,
        name=form.resident.name,
        phone=form.resident.phone,
        address=form.resident.address,
        compound_id=compound,
    )
    return resident_id, form.channel


# --- updateNeed, cancelNeed, reopenNeed ------------------------------------------------------


async def update_need(ctx: Context, need_id: str, data: dict[str, Any], key: str | None) -> dict[str, Any]:
    require_role(ctx.viewer, Role.RESIDENT, *PLACE_ROLES)
    form = validate(NeedFields, data, prefix="input.")
    if form.urgency is not None and form.urgency not in URGENCIES:
        raise BadUserInput(f"urgency must be one of {', '.join(URGENCIES)}", field="urgency")
    changes = {
        name: value
        for name, value in {
            "title": form.title,
            "description": form.description,
            "urgency": form.urgency,
            "peopleNeeded": form.people_needed,
            "windowStart": form.window_start,
            "windowEnd": form.window_end,
        }.items()
        if value is not None
    }
    outbox = Outbox()

    async def work(tx: Any, viewer: Viewer) -> dict[str, Any]:
        outbox.clear()
        state = await locked_need(tx, need_id)
        require_requester_or_coordinator(viewer, state, "updateNeed")
        status = lifecycle.check_transition("updateNeed", state["status"], state["number"])
        if form.category_code is not None:
            await needs_write.category_exists(tx, form.category_code)
        await needs_write.update_need(tx, need_id, changes, form.category_code)
        changed = sorted([*changes, *(["categoryCode"] if form.category_code else [])])
        await outbox.record(tx, state, viewer, type="UPDATE", to_state=status, note="changed " + ", ".join(changed))
        return {"needId": need_id}

    result = await run_mutation(ctx, "updateNeed", key, work)
    outbox.publish(result)
    return result


async def cancel_need(ctx: Context, need_id: str, reason: str | None, key: str | None) -> dict[str, Any]:
    require_role(ctx.viewer, Role.RESIDENT, *PLACE_ROLES)
    outbox = Outbox()

    async def work(tx: Any, viewer: Viewer) -> dict[str, Any]:
        outbox.clear()
        state = await locked_need(tx, need_id)
        require_requester_or_coordinator(viewer, state, "cancelNeed")
        to_state = lifecycle.check_transition("cancelNeed", state["status"], state["number"])
        pending = await assignments.of_need(tx, need_id, assignments.PENDING)
        # Whoever was still invited must not be able to accept a cancelled need.
        await assignments.set_status(tx, [row["id"] for row in pending], "LAPSED")
        await needs_write.set_status(tx, need_id, to_state)
        await outbox.record(
            tx, state, viewer, type="CANCEL", to_state=to_state, note=reason, audience=audience_of(pending)
        )
        return {"needId": need_id}

    result = await run_mutation(ctx, "cancelNeed", key, work)
    outbox.publish(result)
    return result


async def reopen_need(ctx: Context, need_id: str, reason: str, key: str | None) -> dict[str, Any]:
    """The requester says it was not solved: back to the same handler, with a new completion deadline."""
    require_role(ctx.viewer, Role.RESIDENT, *PLACE_ROLES)
    if not reason or not reason.strip():
        raise BadUserInput("say why the need is reopened (reason)", field="reason")
    outbox = Outbox()

    async def work(tx: Any, viewer: Viewer) -> dict[str, Any]:
        outbox.clear()
        state = await locked_need(tx, need_id)
        require_requester_or_coordinator(viewer, state, "reopenNeed")
        to_state = lifecycle.check_transition("reopenNeed", state["status"], state["number"])
        handler = await assignments.last_completed(tx, need_id)
        audience: set[str] = set()
        if handler is not None:
            await assignments.set_status(tx, [handler["id"]], "ACTIVE", note=reason)
            # The handler owes this task again; it is not a new one and is not refused for load.
            await assignments.change_load(tx, handler, +1, new_task=False, reopened=True)
            audience = audience_of([handler])
        limits = limits_for(state["categoryCode"], state["urgency"])
        await needs_write.set_status(tx, need_id, to_state, completionDeadline=_now() + limits.complete)
        await outbox.record(tx, state, viewer, type="REOPEN", to_state=to_state, note=reason, audience=audience)
        return {"needId": need_id, "assignmentId": handler["id"] if handler else None}

    result = await run_mutation(ctx, "reopenNeed", key, work)
    outbox.publish(result)
    return result


# --- reads hanging off a need ----------------------------------------------------------------


async def history(ctx: Context, need_id: str) -> list[Any]:
    """The need's events in order; signed-in viewers only (notes may name people and reasons)."""
    if ctx.viewer is None:
        return []
    loader = ctx.loaders.custom(("needHistory",), lambda ids: need_details.histories(ctx.graph, ids))
    return await loader.load(need_id)


async def _requesters_for(ctx: Context, need_ids: list[str]) -> list[Resident | None]:
    """One statement for the residents, one for who may see their contact details."""
    found = await need_details.requesters(ctx.graph, need_ids)
    visible = await contact_visibility(ctx.graph, ctx.viewer, [nid for nid in need_ids if nid in found])
    out: list[Resident | None] = []
    for nid in need_ids:
        resident = found.get(nid)
        if resident is not None and not visible.get(nid, False):
            resident = masked(resident)
        out.append(resident)
    return out


def masked(resident: Resident) -> Resident:
    name = resident.name[0] + "*" * max(1, len(resident.name) - 1) if resident.name else resident.name
    return Resident(
        id=resident.id,
        name=name,
        phone=mask_phone(resident.phone),
        address=mask_address(resident.address),
        created_at=resident.created_at,
    )


async def requester(ctx: Context, need_id: str) -> Resident | None:
    """Who raised the need, masked unless the viewer may see contact details; nothing for anonymous readers."""
    if ctx.viewer is None:
        return None
    loader = ctx.loaders.custom(("needRequester",), lambda ids: _requesters_for(ctx, ids))
    return await loader.load(need_id)


async def need_assignments(ctx: Context, need_id: str) -> list[Assignment]:
    if ctx.viewer is None:
        return []

    async def load(ids: list[str]) -> list[list[Assignment]]:
        rows = await assignments.by_needs(ctx.graph, ids)
        return [[need_details.assignment_from_row(row) for row in group] for group in rows]

    return await ctx.loaders.custom(("needAssignments",), load).load(need_id)


async def current_assignment(ctx: Context, need_id: str) -> Assignment | None:
    """The assignment handling the need now, else the newest one still waiting for an answer."""
    items = await need_assignments(ctx, need_id)
    active = [a for a in items if a.status == "ACTIVE"]
    if active:
        return active[-1]
    pending = [a for a in items if a.status in assignments.PENDING]
    return pending[-1] if pending else None
