"""What domains above the needs do inside the needs' own moves. The needs cannot import them (they import
the needs), so a domain hands in its step when its module is imported (every module of resolvers/ is, with
the mutations: `resolvers.kernel.mutations.declared`).

- `after_intake`: where a need goes right after intake; the whistle's duty lists send a need whose category
  is on the communities' negative list (负面清单) straight to the department that owns it. `file_need` runs
  the steps in the transaction that files the need, so it is never seen in its community's queue first.
- `before(operation)` steps run once a need move is allowed, before it is decided, and may refuse it with a
  coded error; `after(operation)` steps run once it is decided, in the same transaction, so what they write
  is part of the move (the whistle: cancelling closes its calls, escalating past them is refused). A step
  that has nothing to do for the need sends no statement.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from graph.kernel.db import Tx
from graph.needs.workflow import LockedNeed
from resolvers.kernel.mutations import Outbox
from resolvers.kernel.viewer import Viewer

# (transaction, who filed it, the need: {id, number, categoryCode, urgency, placeIds, residentIds}, outbox)
Step = Callable[[Tx, Viewer, dict[str, Any], Outbox], Awaitable[None]]

_STEPS: list[Step] = []


def after_intake(step: Step) -> Step:
    """Registers `step` to run on every need filed (once, however often its module is imported)."""
    if all(known.__qualname__ != step.__qualname__ for known in _STEPS):
        _STEPS.append(step)
    return step


async def route(tx: Tx, viewer: Viewer, need: dict[str, Any], outbox: Outbox) -> None:
    for step in _STEPS:
        await step(tx, viewer, need, outbox)


# (transaction, who moves it, the need as its move read it under its lock, outbox)
MoveStep = Callable[[Tx, Viewer, LockedNeed, Outbox], Awaitable[None]]

_BEFORE: dict[str, list[MoveStep]] = {}
_AFTER: dict[str, list[MoveStep]] = {}


def _register(table: dict[str, list[MoveStep]], operation: str) -> Callable[[MoveStep], MoveStep]:
    def register(step: MoveStep) -> MoveStep:
        steps = table.setdefault(operation, [])
        if all(known.__qualname__ != step.__qualname__ for known in steps):
            steps.append(step)
        return step

    return register


def before(operation: str) -> Callable[[MoveStep], MoveStep]:
    """Registers a step to run before `operation` (a need move's mutation name) is decided."""
    return _register(_BEFORE, operation)


def after(operation: str) -> Callable[[MoveStep], MoveStep]:
    """Registers a step to run after `operation` is decided, in its transaction."""
    return _register(_AFTER, operation)


async def run_before(operation: str, tx: Tx, viewer: Viewer, state: LockedNeed, outbox: Outbox) -> None:
    for step in _BEFORE.get(operation, ()):
        await step(tx, viewer, state, outbox)


async def run_after(operation: str, tx: Tx, viewer: Viewer, state: LockedNeed, outbox: Outbox) -> None:
    for step in _AFTER.get(operation, ()):
        await step(tx, viewer, state, outbox)
