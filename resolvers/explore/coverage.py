"""Coverage: demand beside supply for one category in every community of a place (coordinators)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, model_validator

from graph.explore import coverage as graph_coverage
from graph.kernel.errors import NotFound
from graph.kernel.ids import label_of
from graph.kernel.kinds import snake
from matching.review import CommunityCoverage, rank
from resolvers.kernel import read
from resolvers.kernel.authz import require_role, require_scope
from resolvers.kernel.context import Context
from resolvers.kernel.validation import Form, aware, id_of, utc_text, validate
from resolvers.kernel.viewer import PLACE_ROLES

RECENT = timedelta(days=90)  # the period when none is given: the last quarter, roughly


class CoverageQuery(Form):
    place_id: Annotated[str, id_of("District", "Street", "Community")]
    category_id: Annotated[str, id_of("Category")]
    start: datetime | None = None
    end: datetime | None = None
    first: int = Field(default=50, ge=1, le=500)

    @model_validator(mode="after")
    def in_order(self) -> CoverageQuery:
        if self.start and self.end and aware(self.start) >= aware(self.end):
            raise ValueError("from must be before to")
        return self


@dataclass(frozen=True)
class Coverage:
    place_id: str
    category_id: str
    start: datetime
    end: datetime
    communities: list[CommunityCoverage]  # ranked, at most `first`
    gaps: int  # communities with demand and no handler within reach, of all at or below the place
    total: int  # communities at or below the place


async def coverage(ctx: Context, args: dict[str, Any]) -> Coverage:
    require_role(ctx.viewer, *PLACE_ROLES)  # who may ask, before what they asked
    form = validate(CoverageQuery, args)
    await require_scope(ctx.graph, ctx.viewer, form.place_id)
    for label, node_id, name in (("Category", form.category_id, "categoryId"), (None, form.place_id, "placeId")):
        if await read.by_id(ctx, label or label_of(node_id), node_id) is None:
            raise NotFound(f"no {name.removesuffix('Id')} {node_id!r}", field=name)
    end = aware(form.end) if form.end else ctx.now
    start = aware(form.start) if form.start else end - RECENT
    rows = await graph_coverage.coverage(
        ctx.graph, form.category_id, form.place_id, label_of(form.place_id), utc_text(start), utc_text(end)
    )
    ranked = rank([CommunityCoverage(**{snake(k): v for k, v in row.items()}) for row in rows])
    return Coverage(
        form.place_id, form.category_id, start, end, ranked[: form.first], sum(r.gap for r in ranked), len(ranked)
    )
