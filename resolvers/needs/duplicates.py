"""Likely duplicates: the same matter called in twice (a neighbour calls about the same burst pipe).

Open needs of the same category at the same compound or in the same community, raised within
`MINHU_DUPLICATE_DAYS` (default 7) of the need, whose text is alike (graph/needs/duplicates.py).
`submitNeed` answers with them at once; coordinators list them for any need in their scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.kernel.errors import BadUserInput, NotFound
from graph.kernel.ids import label_of
from graph.needs.duplicates import likely_duplicates
from graph.places.scopes import need_place
from resolvers.kernel import read
from resolvers.kernel.authz import require_role, require_scope
from resolvers.kernel.context import Context
from resolvers.kernel.viewer import PLACE_ROLES

MAX_FIRST = 50


@dataclass(frozen=True)
class Duplicate:
    need: Any
    score: float  # the full-text score: higher is more alike; comparable within one answer only


def _days(ctx: Context) -> int:
    return int(getattr(ctx.settings, "minhu_duplicate_days", 7))


async def of_need(ctx: Context, need: Any, first: int = 5) -> list[Duplicate]:
    """The likely duplicates of a need record, the most alike first."""
    text = f"{need.title or ''} {need.description or ''}"
    rows = await likely_duplicates(ctx.graph, need.id, text, _days(ctx), first)
    found = await read.by_ids(ctx, "Need", [row["id"] for row in rows])
    score = {row["id"]: row["score"] for row in rows}
    return [Duplicate(n, round(score[n.id], 4)) for n in found]


async def duplicates_of(ctx: Context, need_id: str, first: int) -> list[Duplicate]:
    """For coordinators and admins whose scope holds the need."""
    require_role(ctx.viewer, *PLACE_ROLES)
    label_of(need_id, expected=("Need",), field="needId")
    if not 1 <= first <= MAX_FIRST:
        raise BadUserInput(f"first must be from 1 to {MAX_FIRST}", field="first")
    need = await read.by_id(ctx, "Need", need_id)
    if need is None:
        raise NotFound(f"no need {need_id!r}", field="needId")
    place = await need_place(ctx.graph, need_id)
    if place is not None:
        await require_scope(ctx.graph, ctx.viewer, place)
    return await of_need(ctx, need, first)
