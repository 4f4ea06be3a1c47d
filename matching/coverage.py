"""Where demand meets no supply: ranking communities for one category (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommunityCoverage:
    community_id: str
    open_needs: int  # open needs of the category raised in the community
    recent_needs: int  # needs of the category raised in the period
    members: int  # members within reach with a serving skill and load to spare
    member_slots: int  # the assignments those members can still take
    offerings: int  # active offerings with capacity left, for the community's area
    venues: int
    programs: int  # funding programs with budget left for the category and district

    @property
    def handlers(self) -> int:
        """Who could take a need now: members and offerings (venues and money do not handle needs)."""
        return self.members + self.offerings

    @property
    def gap(self) -> bool:
        """Demand and nobody within reach to meet it."""
        return self.open_needs + self.recent_needs > 0 and self.handlers == 0

    @property
    def shortfall(self) -> int:
        """Open needs beyond what the handlers within reach can take at once (0 when covered)."""
        return max(0, self.open_needs - self.member_slots - self.offerings)


def rank(rows: list[CommunityCoverage]) -> list[CommunityCoverage]:
    """Gaps first, most demand first; then the rest by shortfall and demand; ties by id, so stable."""
    return sorted(
        rows,
        key=lambda r: (not r.gap, -r.shortfall, -r.open_needs, -r.recent_needs, r.community_id),
    )
