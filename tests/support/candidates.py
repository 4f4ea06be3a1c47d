"""Hand-made inputs of the matching algorithms (matching/models.py), for the tests that need no Neo4j."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from matching.models import MemberCandidate, Place, SkillRef

PLUMBING = SkillRef("PLUMBING", "管道疏通", frozenset({"SEWER"}))
HANDYMAN = SkillRef("HANDYMAN", "家电维修", frozenset({"REPAIR", "SEWER", "ELECTRIC", "NOISE"}))
TUTORING = SkillRef("TUTORING", "课业辅导", frozenset({"CHILDCARE"}))


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
        rating_sum=48,
        rating_count=10,
        completed_count=9,
        assigned_count=11,
        last_served_at=now - timedelta(days=20),
    )
    return replace(base, **kw)
