"""`scorecards(level, period, within)` and each subject's `scorecard(period)`: validate, authorise, count
(graph/scorecards/: one statement per level), score (matching/review/scorecards.py). Who may see which:
docs/ROLES.md, "Scorecards".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from graph.kernel.errors import BadUserInput, Forbidden, NotFound
from graph.kernel.ids import label_of
from graph.places.scopes import places_within
from graph.review import stats
from graph.scorecards import figures, whistles
from matching.review.scorecards import (
    BOTTOM,
    SATISFACTION_THRESHOLD,
    Card,
    Count,
    Figure,
    FlagRule,
    Level,
    Period,
    Profile,
    Subject,
    Weights,
    scorecards,
    weights_from,
)
from resolvers.kernel import read
from resolvers.kernel.authz import require_viewer
from resolvers.kernel.context import Context
from resolvers.kernel.viewer import Role, Viewer
from resolvers.needs.deadlines import current_policy

# Departments may be inside a district (their own) or the city (`within` null).
WITHIN = {**figures.WITHIN, "DEPARTMENT": ("District",)}


@dataclass(frozen=True, slots=True)
class Scorecards:
    """One level's cards over one period inside one place (None: the city), best first."""

    level: Level
    period: Period
    within: str | None
    weights: Weights
    cards: list[Card]


def period_of(text: str | None, now: datetime) -> Period:
    """The period `text` names; by default the last full quarter before `now`."""
    if text is None:
        return Period.quarter_before(now)
    try:
        return Period.parse(text)
    except ValueError as error:
        raise BadUserInput(str(error), field="period") from error


def level_of(value: Any) -> Level:
    try:
        return Level(str(getattr(value, "value", value)))
    except ValueError as error:
        raise BadUserInput(
            f"{value!r} is not a scorecard level; use one of {', '.join(Level)}", field="level"
        ) from error


@lru_cache(maxsize=8)
def _weights(text: str) -> Weights:
    return weights_from(text)


def weights(ctx: Context) -> Weights:
    return _weights(str(getattr(ctx.settings, "minhu_scorecard_weights", "") or ""))


def _rule(ctx: Context, level: Level) -> FlagRule | None:
    """Communities (their secretaries) and property firms (their removal) are flagged for low satisfaction."""
    settings = ctx.settings
    if settings is None:  # a context built outside the server: the settings' defaults
        return FlagRule(BOTTOM, SATISFACTION_THRESHOLD) if level in (Level.COMMUNITY, Level.PROPERTY_FIRM) else None
    if level is Level.COMMUNITY:
        return FlagRule(settings.minhu_scorecard_bottom, settings.minhu_community_satisfaction_threshold)
    if level is Level.PROPERTY_FIRM:
        return FlagRule(settings.minhu_scorecard_bottom, settings.minhu_property_satisfaction_threshold)
    return None


def _limits() -> figures.Limits:
    policy = current_policy()
    by_urgency = {u: [int(lim.respond.total_seconds()), int(lim.complete.total_seconds())]
                  for u, lim in policy.by_urgency.items()}  # fmt: skip
    by_category = {
        f"{code}|{u}": [int(lim.respond.total_seconds()), int(lim.complete.total_seconds())]
        for code, table in policy.by_category.items()
        for u, lim in table.items()
    }
    return figures.Limits(by_urgency, by_category)


# --- who may see what ---------------------------------------------------------------------------


def _viewer(ctx: Context) -> Viewer:
    viewer = require_viewer(ctx.viewer)
    if viewer.role not in (Role.COORDINATOR, Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
        raise Forbidden(
            "scorecards are for the assessment office (DISTRICT_ADMIN, CITY_ADMIN) and coordinators within their "
            f"scope; you are signed in as {viewer.role.value}",
            allowed=["COORDINATOR", "DISTRICT_ADMIN", "CITY_ADMIN"],
        )
    return viewer


async def _may_rank_within(ctx: Context, viewer: Viewer, level: Level, within: str | None) -> None:
    """CITY_ADMIN anywhere; others a ranking inside their own scope; a street coordinator only its
    communities and units, a community coordinator only its units (FORBIDDEN naming what they may ask)."""
    if viewer.role is Role.CITY_ADMIN:
        return
    scope = viewer.scope_id
    assert scope is not None
    if within is None:
        raise Forbidden(f"a city-wide ranking is for CITY_ADMIN; ask within your scope {scope}", scope=scope)
    if within != scope and within not in await places_within(ctx.graph, [within], scope):
        raise Forbidden(f"{within} lies outside your scope {scope}", scope=scope, outside=[within])


# --- the cards ----------------------------------------------------------------------------------


def _count(facts: tuple[figures.NeedFact, ...], due: str, met: str) -> Count:
    counted = [f for f in facts if getattr(f, due)]
    done = [f for f in counted if getattr(f, met)]
    return Count(len(done), len(counted), tuple(f.need_id for f in counted), tuple(f.need_id for f in done))


def _satisfaction(facts: tuple[figures.NeedFact, ...]) -> Count:
    rated = [f for f in facts if f.ratings]
    satisfied = [f for f in rated if any(r >= 4 for r in f.ratings)]
    ratings = [r for f in rated for r in f.ratings]
    return Count(
        sum(1 for r in ratings if r >= 4),
        len(ratings),
        tuple(f.need_id for f in rated),
        tuple(f.need_id for f in satisfied),
    )


def counts_of(facts: tuple[figures.NeedFact, ...]) -> dict[Figure, Count]:
    """The four rates every level has, from its needs' facts (satisfaction counts ratings, the others needs)."""
    return {
        Figure.SATISFACTION: _satisfaction(facts),
        Figure.RESPONSE: _count(facts, "response_due", "responded_on_time"),
        Figure.COMPLETION: _count(facts, "completion_counted", "completed"),
        Figure.ON_TIME: _count(facts, "on_time_due", "on_time"),
    }


def _subject(facts: figures.SubjectFacts, level: str, window: str) -> Subject:
    needs = getattr(facts, window)
    return Subject(facts.subject_id, facts.container_id, Profile(level), len(needs), counts_of(needs),
                   tuple(f.need_id for f in needs))  # fmt: skip


def _ratings(ratings: tuple[whistles.Rating, ...], by_street: bool | None) -> Count:
    chosen = [r for r in ratings if by_street is None or r.by_stationed_street == by_street]
    ids = tuple(dict.fromkeys(r.need_id for r in chosen))
    return Count(0, len(chosen), ids, ids, rating_sum=float(sum(r.mark for r in chosen)))


def department_subject(facts: whistles.DepartmentFacts, window: str) -> Subject:
    needs = getattr(facts, window)
    ratings = getattr(facts, f"{window}_ratings")
    counts = counts_of(needs)
    if facts.stationed_street_id is not None:
        profile = Profile.STATIONED_DEPARTMENT
        counts[Figure.STREET_RATING] = _ratings(ratings, True)
    else:
        profile = Profile.DEPARTMENT
    counts[Figure.WHISTLER_RATING] = _ratings(ratings, None)
    return Subject(facts.department_id, facts.container_id, profile, len(needs), counts,
                   tuple(f.need_id for f in needs))  # fmt: skip


async def _subjects(
    ctx: Context, level: Level, period: Period, within: str | None, ids: list[str] | None
) -> tuple[list[Subject], list[Subject]]:
    """The level's subjects in the period and in the one before: one statement."""
    previous = period.previous
    if level is Level.DEPARTMENT:
        rows = await whistles.department_facts(
            ctx.graph, within=within, ids=ids, previous_start=previous.start, start=period.start, end=period.end
        )
        return [department_subject(r, "current") for r in rows], [department_subject(r, "previous") for r in rows]
    found = await figures.subject_facts(
        ctx.graph,
        level.value,
        within=within,
        within_label=label_of(within) if within else None,
        ids=ids,
        previous_start=previous.start,
        start=period.start,
        end=period.end,
        limits=_limits(),
    )
    return ([_subject(f, level.value, "current") for f in found],
            [_subject(f, level.value, "previous") for f in found])  # fmt: skip


async def level_scorecards(ctx: Context, level_value: Any, period_text: str | None, within: str | None) -> Scorecards:
    """`scorecards`: the level's cards inside `within` (default: the viewer's scope; the city for CITY_ADMIN)."""
    level = level_of(level_value)
    period = period_of(period_text, ctx.now)
    viewer = _viewer(ctx)
    if viewer.role is Role.COORDINATOR and level not in (Level.COMMUNITY, Level.UNIT):
        raise Forbidden(
            f"coordinators see the scorecards of the communities and units in their scope, not {level.value}",
            scope=viewer.scope_id,
        )
    if level is Level.DISTRICT and viewer.role is not Role.CITY_ADMIN:
        raise Forbidden(
            "district scorecards rank the city's districts: they are for CITY_ADMIN", allowed=["CITY_ADMIN"]
        )
    if within is None and viewer.role is not Role.CITY_ADMIN:
        within = viewer.scope_id
    if within is not None:
        allowed = WITHIN[level.value]
        label = label_of(within, field="within")
        if label not in allowed:
            inside = " or ".join(allowed) if allowed else "nothing but the city (leave `within` out)"
            raise BadUserInput(
                f"{level.value} scorecards are ranked within a {inside}; {within} is a {label}", field="within"
            )
    await _may_rank_within(ctx, viewer, level, within)
    current, previous = await _subjects(ctx, level, period, within, None)
    if within is not None and not current:
        await _require_place(ctx, within)
    return Scorecards(
        level, period, within, weights(ctx), scorecards(current, previous, weights(ctx), _rule(ctx, level))
    )


async def _require_place(ctx: Context, place_id: str) -> None:
    """NOT_FOUND naming `within` when no such place exists (asked only when a ranking came back empty)."""
    label = label_of(place_id)
    if not await stats.place_exists(ctx.graph, label, place_id):
        raise NotFound(f"no {label.lower()} with id {place_id!r}", field="within", id=place_id)


# --- a subject's own card -----------------------------------------------------------------------


async def _may_see(ctx: Context, viewer: Viewer, level: Level, subject_id: str, container: str | None) -> None:
    """Staff whose scope holds the subject (a place; for a firm or a department, its district), a unit's
    admin its own unit, a department's staff their own department, CITY_ADMIN anything."""
    if viewer.role is Role.CITY_ADMIN:
        return
    if viewer.role is Role.UNIT_ADMIN and level is Level.UNIT and viewer.scope_id == subject_id:
        return
    if viewer.role is Role.DEPARTMENT_STAFF and level is Level.DEPARTMENT and viewer.scope_id == subject_id:
        return
    if viewer.role in (Role.COORDINATOR, Role.DISTRICT_ADMIN) and viewer.scope_id is not None:
        place = subject_id if level.value in figures.PLACE_LEVELS else container
        if place is not None and await _inside(ctx, place, viewer.scope_id):
            return
    raise Forbidden(
        f"the scorecard of {subject_id} is for CITY_ADMIN and the staff whose scope holds it"
        + (", and the unit's own admin" if level is Level.UNIT else "")
        + (", and the department's own staff" if level is Level.DEPARTMENT else ""),
    )


async def _inside(ctx: Context, place: str, scope: str) -> bool:
    """Whether the place is the scope or below it; every subject of a request checked in one statement."""
    if place == scope:
        return True

    async def check(places: list[str]) -> list[bool]:
        inside = await places_within(ctx.graph, places, scope)
        return [p in inside for p in places]

    return bool(await ctx.loaders.custom(("scorecard.scope", scope), check).load(place))


async def subject_scorecard(ctx: Context, level: Level, subject_id: str, period_text: str | None) -> Card:
    """A subject's card, ranked among its own container's (its district's; the city's for districts and
    units). Every subject of one level and period asked in one request is counted by one statement."""
    period = period_of(period_text, ctx.now)
    viewer = require_viewer(ctx.viewer)
    staff = viewer.role in (Role.COORDINATOR, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
    if not staff and not (viewer.role is Role.UNIT_ADMIN and level is Level.UNIT and viewer.scope_id == subject_id):
        await _may_see(ctx, viewer, level, subject_id, None)  # refuses before anything is counted
    loader = ctx.loaders.custom(("scorecard", level.value, period.name), lambda ids: _load(ctx, level, period, ids))
    card: Card | None = await loader.load(subject_id)
    if card is None:
        raise NotFound(f"no scorecard for {subject_id}", id=subject_id)
    await _may_see(ctx, viewer, level, subject_id, card.container_id)
    return card


async def _load(ctx: Context, level: Level, period: Period, ids: list[str]) -> list[Card | None]:
    # Districts and units are ranked among the city's: every one of them is counted.
    peers = None if level in (Level.DISTRICT, Level.UNIT) else list(ids)
    current, previous = await _subjects(ctx, level, period, None, peers)
    cards = {c.subject_id: c for c in scorecards(current, previous, weights(ctx), _rule(ctx, level))}
    return [cards.get(i) for i in ids]


NEEDS_AT_MOST = 100


async def figure_needs(ctx: Context, count: Count, first: int, met: bool | None) -> list[Any]:
    """The needs behind a figure, `first` of them: all it counted, or (`met`) those that met it or not."""
    if not 1 <= first <= NEEDS_AT_MOST:
        raise BadUserInput(f"first must be from 1 to {NEEDS_AT_MOST}", field="first")
    ids = count.counted_ids
    if met is not None:
        hit = set(count.met_ids)
        ids = tuple(i for i in ids if (i in hit) == met)
    return await read.by_ids(ctx, "Need", list(ids[:first]))
