"""`matterCandidates`: who could take a selected practical matter on, found and ranked by the matcher that
serves needs (`matching/`): the offerings serving its category near its community, the venues of its street
and around it, the funding programs covering its category in its district.

The matter is matched as a need of its community would be (its category, the community's point, the words
of the needs behind it, any time), so the scores and reasons read as a need's do. Members are matched to a
need by their own hours; a matter takes a member's hours through the member's unit (`commitToMatter`), so
it is not offered members. Staff whose scope holds the matter's community, and the city.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graph.funding.kinds import FUNDS_PROJECTS
from graph.kernel.errors import BadUserInput, Forbidden, NotFound
from graph.kernel.ids import label_of
from graph.kernel.records import native
from graph.needs import candidates as cand
from graph.tenthings import matters as mt
from matching.models import CandidateKind, NeedProfile, Place
from matching.scoring import rank
from resolvers.kernel.authz import require_role
from resolvers.kernel.context import Context
from resolvers.kernel.viewer import PLACE_ROLES, Role
from resolvers.needs.candidates import RESOURCE_LABEL, CandidateResult, check_first

KINDS = (CandidateKind.UNIT, CandidateKind.VENUE, CandidateKind.FUNDING)


def _kinds(kinds: Iterable[Any] | None) -> list[CandidateKind]:
    if kinds is None:
        return list(KINDS)
    chosen = list(dict.fromkeys(CandidateKind(str(getattr(k, "value", k))) for k in kinds))
    other = [k for k in chosen if k not in KINDS]
    if not chosen or other:
        raise BadUserInput(
            "a practical matter is matched to UNIT (offerings), VENUE and FUNDING"
            + (f", not {', '.join(other)}" if other else "; kinds is empty"),
            field="kinds",
        )
    return chosen


def _need_profile(matter_id: str, facts: mt.MatterProfile) -> NeedProfile:
    point = native(facts.location)
    place = Place(
        community_id=facts.community_id,
        street_id=facts.street_id,
        district_id=facts.district_id,
        latitude=point.latitude if point is not None else None,
        longitude=point.longitude if point is not None else None,
    )
    return NeedProfile(
        id=matter_id,
        category_code=facts.category_code or "",
        category_name=facts.category_name or "",
        place=place,
        description=" ".join([facts.title, *facts.texts]),
    )


async def matter_candidates(
    ctx: Context, matter_id: str, kinds: Iterable[Any] | None, first: int | None
) -> list[CandidateResult]:
    viewer = require_role(ctx.viewer, *PLACE_ROLES)
    size = check_first(first)
    chosen = _kinds(kinds)
    label_of(matter_id, expected=("PracticalMatter",), field="matterId")
    facts = await ctx.graph.read_tx(lambda tx: mt.profile(tx, matter_id))
    if facts is None:
        raise NotFound(f"no practical matter with id {matter_id!r}", field="matterId", id=matter_id)
    places = frozenset(p for p in (facts.community_id, facts.street_id, facts.district_id) if p)
    if viewer.role is not Role.CITY_ADMIN and viewer.scope_id not in places:
        where = f"practical matter {matter_id} lies outside your scope {viewer.scope_id}"
        raise Forbidden(where, scope=viewer.scope_id)
    if not facts.category_code:
        raise BadUserInput(f"{facts.title} has no category: the matcher finds what serves a category", field="matterId")
    need = _need_profile(matter_id, facts)
    results: list[CandidateResult] = []
    for kind in chosen:
        pool: list[Any]
        if kind is CandidateKind.UNIT:
            pool = await ctx.graph.read_tx(lambda tx: cand.offering_candidates(tx, need, places))
        elif kind is CandidateKind.VENUE:
            pool = await ctx.graph.read_tx(lambda tx: cand.venue_candidates(tx, need.place, None, None))
        else:
            pool = await ctx.graph.read_tx(
                lambda tx: cand.programs_for(tx, need.category_code, facts.district_id, FUNDS_PROJECTS)
            )
        scored = rank(kind, need, pool, size, ctx.now)
        if not scored:
            continue
        records = await ctx.loaders.by_id(RESOURCE_LABEL[kind]).load_many([s.id for s in scored])
        results += [
            CandidateResult(kind.value, s.score, s.parts, s.reason, record)
            for s, record in zip(scored, records, strict=True)
            if record is not None
        ]
    return results
