"""Idle venues: use per venue and per community over a period, and the recurring classes beside them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, model_validator

from graph.explore import venues as graph_venues
from graph.kernel.ids import label_of
from matching.review import VenueUse, idle_first, total_utilisation, venue_use
from resolvers.kernel.authz import require_role, require_scope
from resolvers.kernel.context import Context
from resolvers.kernel.validation import Form, aware, id_of, utc_text, validate
from resolvers.kernel.viewer import PLACE_ROLES
from resolvers.review.stats import RecurringNeed, recurring_needs

MAX_PERIOD = timedelta(days=366)


class UseQuery(Form):
    place_id: Annotated[str, id_of("District", "Street", "Community")]
    start: datetime
    end: datetime
    first: int = Field(default=50, ge=1, le=500)

    @model_validator(mode="after")
    def in_order(self) -> UseQuery:
        self.start, self.end = aware(self.start), aware(self.end)
        if self.end <= self.start:
            raise ValueError("to must be after from")
        if self.end - self.start > MAX_PERIOD:
            raise ValueError("a period of at most a year; ask for each year on its own")
        return self


@dataclass(frozen=True)
class CommunityUse:
    community_id: str
    venues: int
    open_hours: float
    booked_hours: float
    utilisation: float | None


@dataclass(frozen=True)
class VenueReport:
    place_id: str
    start: datetime
    end: datetime
    venues: list[VenueUse]  # idle first, at most `first`
    communities: list[CommunityUse]  # least used first
    utilisation: float | None  # of every venue at or below the place
    recurring: dict[str, list[RecurringNeed]] = field(default_factory=dict)  # by community


async def venue_report(ctx: Context, args: dict[str, Any]) -> VenueReport:
    require_role(ctx.viewer, *PLACE_ROLES)  # who may ask, before what they asked
    form = validate(UseQuery, args)
    await require_scope(ctx.graph, ctx.viewer, form.place_id)
    rows = await graph_venues.venue_use(
        ctx.graph, form.place_id, label_of(form.place_id), utc_text(form.start), utc_text(form.end)
    )
    uses = [
        venue_use(r["venueId"], r["communityId"], r["openingHours"], r["bookedSeconds"], form.start, form.end)
        for r in rows
    ]
    by_community: dict[str, list[VenueUse]] = {}
    for use in uses:
        by_community.setdefault(use.community_id, []).append(use)
    communities = [
        CommunityUse(
            cid,
            len(group),
            sum(u.open_hours for u in group),
            sum(u.booked_hours for u in group),
            total_utilisation(group),
        )
        for cid, group in by_community.items()
    ]
    communities.sort(key=lambda c: (c.utilisation is None, c.utilisation or 0.0, c.community_id))
    classes = await recurring_needs(ctx, form.place_id, form.start, form.end, min_count=2, first=100)
    recurring: dict[str, list[RecurringNeed]] = {}
    for cls in classes:
        recurring.setdefault(cls.place_id, []).append(cls)
    return VenueReport(
        form.place_id,
        form.start,
        form.end,
        idle_first(uses)[: form.first],
        communities,
        total_utilisation(uses),
        recurring,
    )
