"""Needs from intake to reopening: submitNeed, updateNeed, cancelNeed, reopenNeed, and the reads
that hang off a need (history, requester with masking, assignments)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Forbidden
from graph.kernel.ids import new_id
from graph.needs import assignments
from graph.needs import reads as need_details
from graph.needs import write as needs_write
from graph.needs.kinds import (
    PENDING,
    Assignment,
    AssignmentStatus,
    Channel,
    Need,
    Resident,
    is_overdue,
)
from graph.needs.workflow import Change
from graph.needs.write import Intake
from graph.places.scopes import NeedAccess
from matching.time_windows import to_local
from resolvers.kernel.authz import contact_visibility, in_scope, mask_address, mask_email, mask_phone
from resolvers.kernel.context import Context
from resolvers.kernel.events import Published
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs import routing
from resolvers.needs.deadlines import limits_for
from resolvers.needs.forms import NeedReason, ReopenNeed, SubmitNeed, UpdateNeed
from resolvers.needs.guards import audience_of, begin, held

RAISERS = (Role.RESIDENT, *PLACE_ROLES)


def _now() -> datetime:
    return datetime.now(UTC)


# --- submitNeed ------------------------------------------------------------------------------


@mutation("submitNeed", roles=RAISERS, form=SubmitNeed)
async def submit_need(tx: Tx, viewer: Viewer, form: SubmitNeed, outbox: Outbox) -> Result:
    """A resident raises a need for themself, or a coordinator files one on a resident's behalf."""
    return await file_need(tx, viewer, form, outbox)


async def file_need(tx: Tx, viewer: Viewer, form: SubmitNeed, outbox: Outbox, placed_from: str | None = None) -> Result:
    """submitNeed's work; `placed_from`: the unplaced Open311 request (its node's id) the need becomes."""
    place = await needs_write.intake_facts(tx, form.place_id, form.category_code, form.resident_id)
    if viewer.role is not Role.RESIDENT and not in_scope(
        viewer, NeedAccess("", None, frozenset(place.place_ids), frozenset())
    ):
        raise Forbidden(
            f"{form.place_id} lies outside your scope {viewer.scope_id}; file the need with its own community",
            scope=viewer.scope_id,
        )
    if not place.category_exists:
        raise BadUserInput(f"categoryCode {form.category_code!r} is not a known category", field="categoryCode")
    resident, channel = _requester(viewer, form, place)
    fields = {
        "categoryCode": form.category_code,
        "title": form.title,
        "description": form.description,
        "channel": channel,
        "urgency": form.urgency,
        "peopleNeeded": form.people_needed,
        "windowStart": form.window_start,
        "windowEnd": form.window_end,
        "mediaUrl": form.media_url,
    }
    created = await needs_write.create_need(
        tx, place, fields, resident, (viewer.subject, viewer.role.value), to_local(_now()).year, placed_from
    )
    outbox.add(Published(created["event"], frozenset(place.place_ids), frozenset(), frozenset({resident["id"]})))
    need = {
        "id": created["id"],
        "number": created["number"],
        "categoryCode": form.category_code,
        "urgency": form.urgency,
        "placeIds": list(place.place_ids),
        "residentIds": [resident["id"]],
    }
    await routing.route(tx, viewer, need, outbox)
    return {"needId": created["id"], "number": created["number"]}


def _requester(viewer: Viewer, form: SubmitNeed, place: Intake) -> tuple[dict[str, Any], str]:
    """(resident, channel): residents file for themselves through the app; staff name the channel and a
    known resident, or a new one's details."""
    lives_in = form.place_id if place.label == "Compound" else None
    if viewer.role is Role.RESIDENT:
        if form.resident_id not in (None, viewer.subject):
            raise Forbidden("a resident files needs only for themself; leave residentId out")
        if form.channel not in (None, Channel.APP):
            raise BadUserInput("needs a resident files themself come through the APP channel", field="channel")
        details = form.resident.model_dump() if form.resident else {}
        return {"id": viewer.subject, **details, "livesIn": lives_in}, Channel.APP
    if form.channel is None:
        raise BadUserInput(
            f"channel is required when filing on a resident's behalf (one of {', '.join(Channel)})", field="channel"
        )
    if form.resident_id:
        if not place.resident_exists:
            raise BadUserInput(f"no resident with id {form.resident_id!r}", field="residentId")
        return {"id": form.resident_id}, form.channel
    if form.resident is None:
        raise BadUserInput(
            "say who raised the need: residentId of a known resident, or resident {name, phone, address}",
            field="resident",
        )
    return {"id": new_id("resident"), **form.resident.model_dump(), "livesIn": lives_in}, form.channel


# --- updateNeed, cancelNeed, reopenNeed ------------------------------------------------------


@mutation("updateNeed", roles=RAISERS, form=UpdateNeed)
async def update_need(tx: Tx, viewer: Viewer, form: UpdateNeed, outbox: Outbox) -> Result:
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
    state, decide, status = await begin(
        tx, viewer, outbox, form.need_id, "updateNeed", requester=True, category=form.category_code
    )
    if not state.category_exists:
        raise BadUserInput(f"categoryCode {form.category_code!r} is not a known category", field="categoryCode")
    changed = sorted([*changes, *(["categoryCode"] if form.category_code else [])])
    change = Change(props=changes, category=form.category_code)
    await decide(change, to_state=status, note="changed " + ", ".join(changed))
    return {"needId": form.need_id}


@mutation("cancelNeed", roles=RAISERS, form=NeedReason)
async def cancel_need(tx: Tx, viewer: Viewer, form: NeedReason, outbox: Outbox) -> Result:
    state, decide, to_state = await begin(tx, viewer, outbox, form.need_id, "cancelNeed", requester=True)
    pending = held(state, PENDING)
    change = Change(status=to_state)
    # Whoever was still invited must not be able to accept a cancelled need.
    change.set_assignments(pending, AssignmentStatus.LAPSED)
    await decide(change, to_state=to_state, note=form.reason, audience=audience_of(pending))
    # The departments a whistle still waits on are told it is over (the whistle closes their calls).
    await routing.run_after("cancelNeed", tx, viewer, state, outbox)
    return {"needId": form.need_id}


@mutation("reopenNeed", roles=RAISERS, form=ReopenNeed)
async def reopen_need(tx: Tx, viewer: Viewer, form: ReopenNeed, outbox: Outbox) -> Result:
    """The requester says it was not solved: back to the same handler, with a new completion deadline."""
    state, decide, to_state = await begin(tx, viewer, outbox, form.need_id, "reopenNeed", requester=True)
    done = held(state, (AssignmentStatus.COMPLETED,))
    handler = done[-1] if done else None
    limits = limits_for(state.category_code, state.urgency)
    change = Change(status=to_state, props={"completionDeadline": _now() + limits.complete})
    audience: set[str] = set()
    if handler is not None:
        change.set_assignments([handler], AssignmentStatus.ACTIVE, note=form.reason)
        # The handler owes this task again; it is not a new one and is not refused for load.
        change.load(handler, +1, new_task=False, reopened=True)
        audience = audience_of([handler])
    await decide(change, to_state=to_state, note=form.reason, audience=audience)
    return {"needId": form.need_id, "assignmentId": handler.id if handler else None}


# --- reads hanging off a need ----------------------------------------------------------------


def is_overdue_now(ctx: Context, need: Need) -> bool:
    """Past its response or completion deadline at the request's clock, while its clock runs."""
    return is_overdue(need.status, need.response_deadline, need.completion_deadline, ctx.now)


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


async def requesters_for(ctx: Context, need_ids: list[str]) -> list[Resident | None]:
    """Who raised each need, masked as `requester` masks them (for the Open311 door)."""
    return await _requesters_for(ctx, need_ids)


def masked(resident: Resident) -> Resident:
    name = resident.name[0] + "*" * max(1, len(resident.name) - 1) if resident.name else resident.name
    return Resident(
        id=resident.id,
        name=name,
        phone=mask_phone(resident.phone),
        email=mask_email(resident.email),
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
    active = [a for a in items if a.status == AssignmentStatus.ACTIVE]
    if active:
        return active[-1]
    pending = [a for a in items if a.status in PENDING]
    return pending[-1] if pending else None
