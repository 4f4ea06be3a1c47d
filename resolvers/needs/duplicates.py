"""Likely duplicates: the same matter called in twice (a neighbour calls about the same burst pipe).

Open needs of the same category at the same compound or in the same community, raised within
`MINHU_DUPLICATE_DAYS` (default 7) of the need, whose text is alike (graph/needs/duplicates.py).
`submitNeed` answers with them at once; coordinators list them for any need in their scope, and
close them into one with `mergeNeeds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, model_validator

from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, NotFound
from graph.kernel.ids import label_of
from graph.needs.duplicates import likely_duplicates
from graph.needs.kinds import OPEN_STATES, NeedStatus
from graph.needs.merge import merge as merge_into
from graph.needs.merge import merge_facts as merge_needs_facts
from graph.places.scopes import need_place
from resolvers.kernel import read
from resolvers.kernel.authz import require_role, require_scope
from resolvers.kernel.context import Context
from resolvers.kernel.events import Published
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.validation import Form, id_of, optional_text
from resolvers.kernel.viewer import PLACE_ROLES, Viewer
from resolvers.needs.guards import require_coordinator

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


MERGEABLE = (NeedStatus.SUBMITTED, NeedStatus.DECLINED)  # no handler holds them: nothing to take back
MAX_MERGED = 20


class MergeNeeds(Form):
    into_id: Annotated[str, id_of("Need")]
    from_ids: list[Annotated[str, id_of("Need")]] = Field(min_length=1, max_length=MAX_MERGED)
    reason: optional_text(500) = None

    @model_validator(mode="after")
    def _distinct(self) -> MergeNeeds:
        self.from_ids = list(dict.fromkeys(self.from_ids))
        if self.into_id in self.from_ids:
            raise ValueError("a need cannot be merged into itself: leave intoId out of fromIds")
        return self


@mutation("mergeNeeds", roles=PLACE_ROLES, form=MergeNeeds)
async def merge_needs(tx: Tx, viewer: Viewer, form: MergeNeeds, outbox: Outbox) -> Result:
    """Duplicates closed into one need: they become CANCELLED and MERGED_INTO it, their requesters follow
    it (ALSO_RAISED_BY), both trails record the MERGE, and `stats` counts the need once."""
    found = {row.id: row for row in await merge_needs_facts(tx, [form.into_id, *form.from_ids])}
    for need_id, name in ((form.into_id, "intoId"), *((f, "fromIds") for f in form.from_ids)):
        if need_id not in found:
            raise NotFound(f"no need {need_id!r}", field=name)
    into = found[form.into_id]
    froms = [found[f] for f in form.from_ids]
    for row in (into, *froms):
        require_coordinator(viewer, row)
    if into.status not in OPEN_STATES or into.merged_into:
        raise Conflict(f"need {into.number} is {into.status}: merge into a need that is still open")
    for row in froms:
        if row.merged_into:
            raise Conflict(f"need {row.number} was already merged into {row.merged_into}", field="fromIds")
        if row.status not in MERGEABLE:
            raise Conflict(
                f"need {row.number} is {row.status}: only needs not yet taken by a handler "
                f"({', '.join(MERGEABLE)}) can be merged; cancel its assignment first",
                field="fromIds",
            )
        if row.category != into.category:
            raise BadUserInput(
                f"need {row.number} is {row.category}, not {into.category}: only the same matter merges",
                field="fromIds",
            )
    events = await merge_into(tx, into, froms, viewer.subject, viewer.role.value, form.reason)
    # The surviving need's residents now include those of the needs merged into it.
    residents = {row.id: row.resident_ids for row in froms}
    residents[into.id] = sorted({*into.resident_ids, *(r for row in froms for r in row.resident_ids)})
    for event in events:
        need = found[event["needId"]]
        outbox.add(Published.of_need(event, need.place_ids, residents[need.id]))
    return {"needId": form.into_id}
