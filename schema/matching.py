"""Matching's GraphQL surface: ranked, explained candidates for a need (members, offerings, venues, funds).

Scores come from `matching/` with their parts (contribution = value × weight; a score is the sum of its
parts), and each candidate carries its resource's record, shown as that resource's type.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from matching import models
from resolvers.needs import candidates
from resolvers.tenthings import candidates as matter_candidates
from schema.funding import FundingProgram
from schema.partners import Member, Offering, Unit
from schema.venues import Venue

CandidateKind = strawberry.enum(models.CandidateKind, description="What a need can be matched to.")

Resource = Annotated[
    Member | Offering | Venue | FundingProgram | Unit,
    strawberry.union(
        "Resource",
        description="What a need is matched to (an offering leads to its unit; a fallback candidate is its unit).",
    ),
]


@strawberry.type(description="One factor of a score: contribution = value × weight; a score is the sum of its parts.")
class ScorePart:
    factor: str
    value: float
    weight: float
    contribution: float
    note: str | None = strawberry.field(
        default=None, description="How the value came about where the number alone does not say (Chinese)."
    )


@strawberry.type(description="A ranked candidate for a need, with why it ranks where it does.")
class Candidate:
    kind: CandidateKind
    score: float = strawberry.field(description="0–1; the sum of the parts' contributions.")
    parts: list[ScorePart]
    reason: str = strawberry.field(description="One readable sentence (Chinese).")
    resource: Resource


@strawberry.type
class MatchingQuery:
    @strawberry.field(description="Ranked, explained candidates for a need, best first within each kind.")
    async def match_candidates(
        self, info: Info, need_id: strawberry.ID, kinds: list[CandidateKind] | None = None, first: int = 10
    ) -> list[Candidate]:
        return await candidates.match_candidates(info.context, str(need_id), kinds, first)

    @strawberry.field(
        description="Who could take on a practical matter (实事), ranked and explained as for a need of its "
        "community: offerings (UNIT), venues and funding programs; best first within each kind."
    )
    async def matter_candidates(
        self, info: Info, matter_id: strawberry.ID, kinds: list[CandidateKind] | None = None, first: int = 10
    ) -> list[Candidate]:
        return await matter_candidates.matter_candidates(info.context, str(matter_id), kinds, first)
