"""matchCandidates and eligiblePrograms: who and what could serve a need, ranked and explained.

One statement for the need and one per kind asked for, each in its own read transaction and all at
once: the kinds' statements derive the need's category, place and window in Cypher from its id, so
none waits for the need's own read (but offerings, whose full-text query is built from the need's
text), and the request waits for the slowest instead of the sum (reads see committed data either
way: one transaction gave no snapshot across its statements). `matching/` scores and explains; each
kind's ranked resources are loaded in one batch (DataLoader) as soon as that kind is ranked. The
viewer's scope is checked on the need's facts before anything is returned. (Reading the records with
the candidates instead costs more than that batch: a kind's pool holds up to 200 rows.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graph.funding.kinds import FUNDS_NEEDS
from graph.kernel.errors import BadUserInput
from graph.kernel.ids import label_of
from graph.needs import candidates as cand
from matching.models import CandidateKind, ScorePart
from matching.scoring import rank
from resolvers.kernel.authz import require_need_scope, require_role
from resolvers.kernel.context import Context
from resolvers.kernel.viewer import PLACE_ROLES, Viewer

MAX_FIRST = 100
# Which label the resource of each kind has (for the batch load of the returned records).
RESOURCE_LABEL = {
    CandidateKind.MEMBER: "Member",
    CandidateKind.UNIT: "Offering",
    CandidateKind.VENUE: "Venue",
    CandidateKind.FUNDING: "FundingProgram",
    CandidateKind.FALLBACK: "Unit",
}


@dataclass(frozen=True, slots=True)
class CandidateResult:
    """What the GraphQL `Candidate` reads: the score, its parts, the reason and the resource record."""

    kind: str
    score: float
    parts: tuple[ScorePart, ...]
    reason: str
    resource: Any


def check_first(first: int | None, default: int = 10) -> int:
    if first is None:
        return default
    if not 1 <= first <= MAX_FIRST:
        raise BadUserInput(f"first must be between 1 and {MAX_FIRST} (got {first})", field="first")
    return first


def check_kinds(kinds: Iterable[str] | None) -> list[CandidateKind]:
    if kinds is None:
        return list(CandidateKind)
    chosen = list(dict.fromkeys(CandidateKind(str(getattr(k, "value", k))) for k in kinds))
    if not chosen:
        raise BadUserInput("kinds is empty: ask for MEMBER, UNIT, VENUE, FUNDING or FALLBACK (or leave it out for all)")
    return chosen


async def _kind(
    ctx: Context, need_id: str, need: asyncio.Future[cand.NeedFacts], kind: CandidateKind, first: int
) -> list[CandidateResult]:
    """One kind's pool, ranked, and its first `first` records: each kind goes on as soon as its own
    pool is read, so the request waits for the slowest kind's three steps, not for the slowest of each."""
    if kind is CandidateKind.UNIT:  # its full-text query is built from the need's text
        facts = await need
        pool: list[Any] = await ctx.graph.read_tx(
            lambda tx: cand.offering_candidates(tx, facts.profile, facts.place_ids)
        )
    elif kind is CandidateKind.MEMBER:
        rows = await ctx.graph.read_tx(lambda tx: cand.member_rows(tx, need_id))
        pool = cand.member_pool((await need).profile.place, rows)
    elif kind is CandidateKind.VENUE:
        pool = await ctx.graph.read_tx(lambda tx: cand.need_venues(tx, need_id))
    elif kind is CandidateKind.FALLBACK:  # read with the need's facts: no statement of its own
        pool = list((await need).fallbacks)
    else:
        pool = await ctx.graph.read_tx(lambda tx: cand.program_candidates(tx, need_id, FUNDS_NEEDS))
    scored = rank(kind, (await need).profile, pool, first, ctx.now)
    if not scored:  # nothing to load (a need no fallback serves costs no statement)
        return []
    records = await ctx.loaders.by_id(RESOURCE_LABEL[kind]).load_many([s.id for s in scored])
    return [
        CandidateResult(kind.value, s.score, s.parts, s.reason, record)
        for s, record in zip(scored, records, strict=True)
        if record is not None  # deleted between the two reads: drop rather than fail
    ]


async def ranked(
    ctx: Context, need_id: str, kinds: list[CandidateKind], first: int, viewer: Viewer
) -> list[CandidateResult]:
    """The ranked candidates of each kind with their records, in the order of `kinds` (scoring is pure, in
    `matching`). The need's facts and every kind are read at once; nothing is returned before the
    viewer's scope is checked on the need's facts."""
    label_of(need_id, expected=("Need",), field="needId")
    need = asyncio.ensure_future(ctx.graph.read_tx(lambda tx: cand.need_facts(tx, need_id)))
    done = await asyncio.gather(
        need, *(_kind(ctx, need_id, need, kind, first) for kind in kinds), return_exceptions=True
    )
    for outcome in done:  # the need's own error (NOT_FOUND) first
        if isinstance(outcome, BaseException):
            raise outcome
    facts: cand.NeedFacts = done[0]  # type: ignore[assignment]
    require_need_scope(viewer, facts.number or facts.profile.id, facts.place_ids)
    return [result for results in done[1:] for result in results]  # type: ignore[union-attr]


async def match_candidates(
    ctx: Context, need_id: str, kinds: Iterable[str] | None, first: int | None
) -> list[CandidateResult]:
    viewer = require_role(ctx.viewer, *PLACE_ROLES)
    size = check_first(first)
    chosen = check_kinds(kinds)
    return await ranked(ctx, need_id, chosen, size, viewer)


async def eligible_programs(ctx: Context, need_id: str, first: int | None) -> list[CandidateResult]:
    """Programs covering the need's category and district with budget left, best fit first."""
    viewer = require_role(ctx.viewer, *PLACE_ROLES)
    size = check_first(first, default=MAX_FIRST)
    return await ranked(ctx, need_id, [CandidateKind.FUNDING], size, viewer)
