"""Scorecards (考核), satisfaction first: `scorecards(level, period, within)` and each subject's
`scorecard(period)` (issue 22 §4; definitions: docs/STATS.md, "Scorecards"; who sees what: docs/ROLES.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graph.departments import kinds as departments
from graph.property import kinds as property_firms
from matching.review.scorecards import Card, Count, Figure, Flag, Level
from resolvers.kernel import read
from resolvers.scorecards import scorecards as resolve
from schema.derive import node_type
from schema.relay import Node, in_nodes

ScorecardLevel = strawberry.enum(
    Level, name="ScorecardLevel", description="What is scored: places, units, property firms, departments."
)
ScorecardFlag = strawberry.enum(
    Flag,
    name="ScorecardFlag",
    description="LOWEST_SATISFACTION: among the lowest residents' satisfaction rates of its ranking (communities, "
    "property firms); BELOW_SATISFACTION_THRESHOLD: under the threshold; NO_DATA: nothing to judge it on first.",
)
ScoreFigureName = strawberry.enum(Figure, name="ScoreFigureName", description="A figure a composite weighs.")

PeriodArgument = Annotated[
    str | None,
    strawberry.argument(
        description="A quarter such as 2026-Q3, a month such as 2026-07 or a year such as 2026 (Beijing time); "
        "default: the last full quarter."
    ),
]


FirstNeeds = Annotated[int, strawberry.argument(description="At most this many, 1…100.")]
MetNeeds = Annotated[
    bool | None, strawberry.argument(description="true: those that met it; false: those that did not; null: all.")
]


@strawberry.type(description="One figure of a scorecard: `met` of `of`, its weight, against the period before, and "
                 "the needs behind it (`needIds`, `needs`: one click away).")  # fmt: skip
class ScoreFigure:
    figure: ScoreFigureName = strawberry.field(description="Which figure it is.")
    count: strawberry.Private[Count]
    before: strawberry.Private[Count | None]
    weight: float = strawberry.field(description="Its weight in the composite (0 when it is not weighed).")

    @strawberry.field(
        description="met / of (for a rating: its average scaled from 1–5 to 0–1); null with nothing to judge."
    )
    def rate(self) -> float | None:
        return self.count.rate

    @strawberry.field(description="The average rating, 1–5 (ratings only).")
    def average(self) -> float | None:
        return self.count.average

    @strawberry.field(description="How many met it (satisfaction: ratings of 4 or 5).")
    def met(self) -> int:
        return self.count.met

    @strawberry.field(description="Of how many (satisfaction: residents' ratings; the other rates: needs).")
    def of(self) -> int:
        return self.count.of

    @strawberry.field(description="The rate over the period before.")
    def previous_rate(self) -> float | None:
        return self.before.rate if self.before is not None else None

    @strawberry.field(description="rate − previousRate; null when either is.")
    def change(self) -> float | None:
        now, then = self.count.rate, self.before.rate if self.before is not None else None
        return None if now is None or then is None else round(now - then, 4)

    @strawberry.field(description="The needs this figure judges (its denominator's), by id.")
    def need_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(i) for i in self.count.counted_ids]

    @strawberry.field(description="Of those, the needs that met it, by id.")
    def met_need_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(i) for i in self.count.met_ids]

    async def _needs(self, info: Info, first: FirstNeeds = 20, met: MetNeeds = None) -> list[Any]:
        return await resolve.figure_needs(info.context, self.count, first, met)

    needs = strawberry.field(
        resolver=in_nodes(_needs, "list[Need]", {"info": Info, "first": FirstNeeds, "met": MetNeeds}),
        description="The needs behind the figure, as `needIds` orders them: `first` (1…100, default 20); "
        "`met: true` those that met it, `met: false` those that did not.",
    )


def _figure(card: Card, figure: Figure) -> ScoreFigure | None:
    count = card.counts.get(figure)
    if count is None:
        return None
    before = card.previous.counts.get(figure) if card.previous is not None else None
    return ScoreFigure(figure=figure, count=count, before=before, weight=card.weights.get(figure, 0.0))


@strawberry.type(
    description="One subject's scorecard over a period: its figures, their composite, its rank among its peers, "
    "the change against the period before, its flags, and the needs behind each number."
)
class Scorecard:
    card: strawberry.Private[Card]
    level: ScorecardLevel
    period: str = strawberry.field(description="The period, e.g. 2026-Q3.")

    @strawberry.field(description="The community, street, district, unit, property firm or department scored.")
    def subject_id(self) -> strawberry.ID:
        return strawberry.ID(self.card.subject_id)

    @strawberry.field(description="Whom it is ranked among: a district or street; null for the whole city.")
    def container_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.card.container_id) if self.card.container_id else None

    @strawberry.field(description="Whose weights it is scored under, e.g. COMMUNITY or STATIONED_DEPARTMENT.")
    def profile(self) -> str:
        return self.card.profile.value

    @strawberry.field(description="Needs it is judged on in the period (for a unit: the needs offered to it).")
    def received(self) -> int:
        return self.card.received

    @strawberry.field(description="Those needs, by id.")
    def need_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(i) for i in self.card.need_ids]

    @strawberry.field(description="Σ rate × weight over the figures with data (weights renormalised over them), "
                      "0–1; null (NO_DATA) when its leading figure has none.")  # fmt: skip
    def composite(self) -> float | None:
        return self.card.composite

    @strawberry.field(description="The composite over the period before.")
    def previous_composite(self) -> float | None:
        return self.card.previous.composite if self.card.previous is not None else None

    @strawberry.field(description="composite − previousComposite.")
    def composite_change(self) -> float | None:
        return self.card.composite_change

    @strawberry.field(description="1 for the best composite among its peers; null with NO_DATA.")
    def rank(self) -> int | None:
        return self.card.rank

    @strawberry.field(description="Its rank over the period before.")
    def previous_rank(self) -> int | None:
        return self.card.previous.rank if self.card.previous is not None else None

    @strawberry.field(description="Places climbed since the period before (negative: fell).")
    def rank_change(self) -> int | None:
        return self.card.rank_change

    @strawberry.field(description="Its flags.")
    def flags(self) -> list[ScorecardFlag]:
        return list(self.card.flags)

    @strawberry.field(description="满意率: residents' ratings of 4 or 5 among their ratings (the requesters').")
    def satisfaction(self) -> ScoreFigure:
        return _figure(self.card, Figure.SATISFACTION)  # type: ignore[return-value]

    @strawberry.field(description="响应率: needs answered within the response limit, of those whose answer was due.")
    def response(self) -> ScoreFigure:
        return _figure(self.card, Figure.RESPONSE)  # type: ignore[return-value]

    @strawberry.field(description="办结率: needs completed, of those not cancelled.")
    def completion(self) -> ScoreFigure:
        return _figure(self.card, Figure.COMPLETION)  # type: ignore[return-value]

    @strawberry.field(description="限时办结率: needs completed within the completion limit, of those due.")
    def on_time(self) -> ScoreFigure:
        return _figure(self.card, Figure.ON_TIME)  # type: ignore[return-value]

    @strawberry.field(description="Departments: the whistlers' average rating of its handling (谁呼谁评).")
    def whistler_rating(self) -> ScoreFigure | None:
        return _figure(self.card, Figure.WHISTLER_RATING)

    @strawberry.field(description="Stationed departments: the rating of the street it is stationed with (weighs 60 %).")
    def street_rating(self) -> ScoreFigure | None:
        return _figure(self.card, Figure.STREET_RATING)

    @strawberry.field(description="Every figure it is weighed on, heaviest first.")
    def figures(self) -> list[ScoreFigure]:
        return [f for f in (_figure(self.card, figure) for figure in self.card.weights) if f is not None]

    @strawberry.field(description="The subject itself.")
    async def subject(self, info: Info) -> Node | None:
        return await read.node(info.context, self.card.subject_id)  # type: ignore[return-value]


@strawberry.type(description="A figure's weight in a profile's composite.")
class ScoreWeight:
    profile: str = strawberry.field(description="Whose weights: a level, or STATIONED_DEPARTMENT.")
    figure: ScoreFigureName = strawberry.field(description="The figure weighed.")
    weight: float = strawberry.field(description="Its weight (a profile's weights sum to 1).")


@strawberry.type(description="One level's scorecards over one period inside one place, best first.")
class Scorecards:
    result: strawberry.Private[resolve.Scorecards]

    @strawberry.field
    def level(self) -> ScorecardLevel:
        return self.result.level

    @strawberry.field(description="The period, e.g. 2026-Q3 (Beijing time).")
    def period(self) -> str:
        return self.result.period.name

    @strawberry.field(name="from", description="The period's first moment (UTC).")
    def start(self) -> datetime:
        return self.result.period.start

    @strawberry.field(name="to", description="The next period's first moment (UTC): figures are as of then.")
    def end(self) -> datetime:
        return self.result.period.end

    @strawberry.field(description="The period compared with, e.g. 2026-Q2.")
    def previous_period(self) -> str:
        return self.result.period.previous.name

    @strawberry.field(description="The place ranked within; null for the whole city.")
    def within(self) -> strawberry.ID | None:
        return strawberry.ID(self.result.within) if self.result.within else None

    @strawberry.field(description="The weights of the profiles on these cards (MINHU_SCORECARD_WEIGHTS).")
    def weights(self) -> list[ScoreWeight]:
        profiles = dict.fromkeys(c.profile for c in self.result.cards)
        return [
            ScoreWeight(profile=p.value, figure=f, weight=w)
            for p in profiles
            for f, w in self.result.weights[p].items()
        ]

    @strawberry.field(description="The cards, best first; those with NO_DATA last.")
    def cards(self) -> list[Scorecard]:
        level, period = self.result.level, self.result.period.name
        return [Scorecard(card=c, level=level, period=period) for c in self.result.cards]


@strawberry.type
class ScorecardsQuery:
    @strawberry.field(
        description="The scorecards of a level over a period, ranked within a place (default: your scope; the city "
        "for CITY_ADMIN), satisfaction first, against the period before, with the needs behind each number."
    )
    async def scorecards(
        self,
        info: Info,
        level: Annotated[ScorecardLevel, strawberry.argument(description="What to score and rank.")],
        period: PeriodArgument = None,
        within: Annotated[
            strawberry.ID | None, strawberry.argument(description="A district or street (a community for units).")
        ] = None,
    ) -> Scorecards:
        result = await resolve.level_scorecards(info.context, level, period, str(within) if within else None)
        return Scorecards(result=result)


def scorecard_field(level: Level) -> Any:
    """The `scorecard(period:)` field of a subject's type: its own card, ranked among its peers."""

    # Nullable: a viewer who may not see it gets an error on this field and the rest of the node.
    async def scorecard(self: Any, info: Info, period: PeriodArgument = None) -> Scorecard | None:
        card = await resolve.subject_scorecard(info.context, level, self.id, period)
        return Scorecard(card=card, level=level, period=resolve.period_of(period, info.context.now).name)

    return strawberry.field(
        resolver=scorecard,
        description="Its scorecard over a period (a quarter such as 2026-Q3, a month, a year), ranked among its peers: "
        "the same district's (the city's for districts and units); see `scorecards`.",
    )


@node_type(property_firms.PROPERTY_FIRM)
class PropertyFirm(Node):
    scorecard = scorecard_field(Level.PROPERTY_FIRM)


@node_type(departments.DEPARTMENT)
class Department(Node):
    scorecard = scorecard_field(Level.DEPARTMENT)


TYPES = (PropertyFirm, Department)
