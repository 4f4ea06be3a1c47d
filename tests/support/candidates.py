"""Hand-made inputs of the matching algorithms (matching/models.py), for the tests that need no Neo4j."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import TypeVar

from matching.models import MemberCandidate, OfferingCandidate, Place, SkillRef, TrackRecord

PLUMBING = SkillRef("PLUMBING", "管道疏通", frozenset({"SEWER"}))
HANDYMAN = SkillRef("HANDYMAN", "家电维修", frozenset({"REPAIR", "SEWER", "ELECTRIC", "NOISE"}))
TUTORING = SkillRef("TUTORING", "课业辅导", frozenset({"CHILDCARE"}))

Handler = TypeVar("Handler", MemberCandidate, OfferingCandidate)
_COUNTERS = {f.name for f in fields(TrackRecord)}


def changed(candidate: Handler, **kw: object) -> Handler:
    """`candidate` with `kw` changed, its record's counters (rating_sum=…) named like its own fields."""
    counters = {name: kw.pop(name) for name in list(kw) if name in _COUNTERS}
    return replace(candidate, record=replace(candidate.record, **counters), **kw)


def member_candidate(member_id: str, place: Place, now: datetime, **kw: object) -> MemberCandidate:
    """A plumber free on Saturday mornings, one task open of three, rated 4.8 over ten, last out 20 days
    before `now`; `kw` changes any of it."""
    base = MemberCandidate(
        id=member_id,
        name="",
        place=place,
        skills=(PLUMBING,),
        availability=("6 08:00-12:00",),
        max_load=3,
        open_load=1,
        record=TrackRecord(
            assigned_count=11,
            completed_count=9,
            rating_sum=48,
            rating_count=10,
            last_served_at=now - timedelta(days=20),
        ),
    )
    return changed(base, **kw)
