"""What domains above the needs do inside a need's own moves. The needs cannot import them (they import the
needs), so a domain hands in its step when its module is imported (every module of resolvers/ is, with the
mutations: `resolvers.kernel.mutations.declared`), as the whistle does for intake (routing.py).

`before(operation)` steps run once the need is locked and the move allowed, before it is decided, and may
refuse it with a coded error; `after(operation)` steps run once it is decided, in the same transaction, so
what they write is part of the move. A step that has nothing to do for the need sends no statement.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from graph.kernel.db import Tx
from graph.needs.workflow import LockedNeed
from resolvers.kernel.mutations import Outbox
from resolvers.kernel.viewer import Viewer

# (transaction, who moves it, the need as its move read it under its lock, outbox)
Step = Callable[[Tx, Viewer, LockedNeed, Outbox], Awaitable[None]]

_BEFORE: dict[str, list[Step]] = {}
_AFTER: dict[str, list[Step]] = {}


def _register(table: dict[str, list[Step]], operation: str) -> Callable[[Step], Step]:
    def register(step: Step) -> Step:
        steps = table.setdefault(operation, [])
        if all(known.__qualname__ != step.__qualname__ for known in steps):
            steps.append(step)
        return step

    return register


def before(operation: str) -> Callable[[Step], Step]:
    """Registers a step to run before `operation` (a need move's mutation name) is decided."""
    return _register(_BEFORE, operation)


def after(operation: str) -> Callable[[Step], Step]:
    """Registers a step to run after `operation` is decided, in its transaction."""
    return _register(_AFTER, operation)


async def run_before(operation: str, tx: Tx, viewer: Viewer, state: LockedNeed, outbox: Outbox) -> None:
    for step in _BEFORE.get(operation, ()):
        await step(tx, viewer, state, outbox)


async def run_after(operation: str, tx: Tx, viewer: Viewer, state: LockedNeed, outbox: Outbox) -> None:
    for step in _AFTER.get(operation, ()):
        await step(tx, viewer, state, outbox)
