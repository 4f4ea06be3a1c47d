"""限时办结 and 吹哨: suspending and resuming a need's clock, and handing a need up a level.

Escalation is an accountable hand-off: the need moves from the community to the street office,
then to the district; each step gets its own completion deadline from `ESCALATION_LIMITS`, and an
Event records who handed it on and why. Whoever held it is released (pending offers lapse, an
accepted assignment is TRANSFERRED and its load freed), because the level above now owns it and
re-dispatches it (ESCALATED is a dispatchable state) — possibly to the same handler.

The same `hand_up` runs for a coordinator's `escalateNeed` and for the overdue sweep
(resolvers/needs/sweep.py), so both leave the same trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from graph.kernel.db import Tx
from graph.kernel.errors import Conflict, Forbidden
from graph.needs import escalation
from graph.needs.kinds import AssignmentStatus
from graph.needs.workflow import Change, Escalation, LockedNeed, Suspension
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs import routing
from resolvers.needs.forms import HandUp, NeedNote
from resolvers.needs.guards import audience_of, begin, held

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# How long each level has to resolve a need handed up to it, by urgency. The street and the
# district pull in functional departments (吹哨报到), which takes longer than a community's own reach.
ESCALATION_LIMITS: dict[str, dict[str, timedelta]] = {
    "STREET": {"URGENT": 12 * HOUR, "HIGH": 2 * DAY, "NORMAL": 3 * DAY, "LOW": 5 * DAY},
    "DISTRICT": {"URGENT": 24 * HOUR, "HIGH": 3 * DAY, "NORMAL": 5 * DAY, "LOW": 10 * DAY},
}

# The highest level each scope kind answers for; CITY_ADMIN answers for all of them.
_SCOPE_LEVEL = {"community": "COMMUNITY", "street": "STREET", "district": "DISTRICT"}


def _now() -> datetime:
    return datetime.now(UTC)


def escalation_deadline(level: str, urgency: str | None, now: datetime) -> datetime:
    table = ESCALATION_LIMITS[level]
    return now + table.get(urgency or "NORMAL", table["NORMAL"])


def next_level(level: str | None) -> str | None:
    """The level above `level`, or None at the top (the district)."""
    index = escalation.LEVELS.index(level or "COMMUNITY")
    return escalation.LEVELS[index + 1] if index + 1 < len(escalation.LEVELS) else None


def viewer_level(viewer: Viewer) -> int:
    """How high the viewer answers for: 0 community, 1 street, 2 district, 3 city."""
    if viewer.role is Role.CITY_ADMIN or not viewer.scope_id:
        return len(escalation.LEVELS)
    return escalation.LEVELS.index(_SCOPE_LEVEL[viewer.scope_id.split(":", 1)[0]])


# --- hand-off shared with the sweep ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """A need handed one level up: from where, to where, due when, and the handlers it released."""

    below: str
    above: str
    deadline: datetime
    audience: set[str]

    def note(self, reason: str) -> str:
        return f"{self.below} → {self.above}, due {self.deadline.isoformat(timespec='minutes')}: {reason}"


def hand_up(state: LockedNeed, now: datetime, change: Change) -> Step:
    """Adds to `change` the move of a locked need one level up; returns the step taken. CONFLICT when the
    need is already at the district (nobody above it)."""
    level = state.level or "COMMUNITY"
    above = next_level(level)
    if above is None:
        raise Conflict(
            f"need {state.number} is already held by the DISTRICT, the highest level; dispatch it from there",
            status=state.status,
            level=level,
        )
    released = held(state)
    active = [r for r in released if r.status == AssignmentStatus.ACTIVE]
    for row in active:
        change.load(row, -1)
    change.set_assignments([r for r in released if r not in active], AssignmentStatus.LAPSED)
    change.set_assignments(active, AssignmentStatus.TRANSFERRED)
    deadline = escalation_deadline(above, state.urgency, now)
    change.escalate = Escalation(above, deadline, now)
    return Step(level, above, deadline, audience_of(released))


# --- mutations ---------------------------------------------------------------------------------


@mutation("escalateNeed", roles=PLACE_ROLES, form=HandUp)
async def escalate_need(tx: Tx, viewer: Viewer, form: HandUp, outbox: Outbox) -> Result:
    """吹哨: a coordinator hands a need it cannot solve to the level above it."""
    state, decide, to_state = await begin(tx, viewer, outbox, form.need_id, "escalateNeed")
    level = state.level or "COMMUNITY"
    if next_level(level) is not None and viewer_level(viewer) < escalation.LEVELS.index(level):
        raise Forbidden(
            f"need {state.number} is held by the {level} now; its coordinators escalate it, not you",
            level=level,
        )
    # A need departments still owe an answer on is not handed up past them (the whistle refuses it).
    await routing.run_before("escalateNeed", tx, viewer, state, outbox)
    change = Change()
    step = hand_up(state, _now(), change)
    await decide(change, to_state=to_state, note=step.note(form.reason), audience=step.audience)
    return {"needId": form.need_id, "level": step.above}


@mutation("suspendNeed", roles=PLACE_ROLES, form=HandUp)
async def suspend_need(tx: Tx, viewer: Viewer, form: HandUp, outbox: Outbox) -> Result:
    """Pauses the need's clock (e.g. waiting for the resident, for parts, for a permit)."""
    _, decide, to_state = await begin(tx, viewer, outbox, form.need_id, "suspendNeed")
    change = Change(suspend=Suspension(form.reason, _now()))
    await decide(change, to_state=to_state, note=form.reason)
    return {"needId": form.need_id}


@mutation("resumeNeed", roles=PLACE_ROLES, form=NeedNote)
async def resume_need(tx: Tx, viewer: Viewer, form: NeedNote, outbox: Outbox) -> Result:
    """Restarts the clock with the time that was left, in the state the need had before."""
    state, decide, _ = await begin(tx, viewer, outbox, form.need_id, "resumeNeed")
    back = state.status_before_suspension or "DISPATCHED"
    await decide(Change(resume=_now()), to_state=back, note=form.note)
    return {"needId": form.need_id}
