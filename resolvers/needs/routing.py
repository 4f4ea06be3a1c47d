"""Where a need goes right after intake, decided by domains above the needs: the whistle's duty lists send a
need whose category is on the communities' negative list (负面清单) straight to the department that owns it.

A domain hands in its step with `after_intake` when its module is imported (every module of resolvers/ is,
with the mutations: `resolvers.kernel.mutations.declared`); `file_need` runs the steps in the transaction
that files the need, so the need is never seen in its community's queue first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from graph.kernel.db import Tx
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
