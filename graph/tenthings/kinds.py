"""The year's ten practical things (一年10件实事): what a community's residents worry about, collected as
candidate matters, up to ten of them selected at the party organisation's joint meeting (党建联席会议),
taken on by the units registered there, and done.

`(:PracticalMatter)-[:IN]->(:Community)`, `-[:OF]->(:Category)`: a candidate matter of one community and
year; `-[:SUPPORTED_BY]->(:Need)` the residents' needs behind it, `-[:CONCERNS]->(:Compound)` the compounds
they were raised at (written with them). `-[:SELECTED_AT]->(:JointMeeting)` once the meeting chose it,
`-[:LED_BY]->(:Unit)` its lead unit.
`(:JointMeeting)-[:OF]->(:Community)`, `-[:ATTENDED_BY]->(:Unit)`: the decision, with its date and the
units present. No likes, no votes: the document names 点赞投票 as formalism to be removed.
`(:MatterCommitment)-[:TO]->(:PracticalMatter)`, `-[:BY]->(:Unit)`, `-[:USES]->` the resource committed
(an offering, a venue, a funding program, a member's hours).
`(:MatterNote)-[:ON]->(:PracticalMatter)`: progress, `-[:BY]->(:Unit)` when a unit wrote it.
`(:MatterRating)-[:OF]->(:PracticalMatter)`, `-[:BY]->(:Resident)`: a resident's satisfaction with the
matter done, one per resident who raised one of its needs (who rated is never shown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from graph.kernel.kinds import declare, listed, many, one
from graph.kernel.records import Fen, NodeRecord

# At most this many matters a community selects in a year (一年10件实事).
TEN = 10
# The satisfied ratings, as for needs (docs/STATS.md): 4 or 5 of 5.
SATISFIED = 4


class MatterSource(StrEnum):
    """Where a candidate matter was raised from."""

    NEEDS = "NEEDS"  # residents' needs, named one by one
    RECURRING_CLASS = "RECURRING_CLASS"  # a quarter's class of needs (一类事): one category in the community
    HOTLINE = "HOTLINE"  # a concentration of 12345 hotline calls of one category in the year


class MatterStatus(StrEnum):
    """CANDIDATE when raised; SELECTED by a joint meeting (one of the year's ten); COMPLETED when done."""

    CANDIDATE = "CANDIDATE"
    SELECTED = "SELECTED"
    COMPLETED = "COMPLETED"


class CommitmentRole(StrEnum):
    """A unit's part in a matter: the LEAD unit answers for it (one per matter), SUPPORTING units help."""

    LEAD = "LEAD"
    SUPPORTING = "SUPPORTING"


class ResourceKind(StrEnum):
    """What a unit commits to a matter."""

    OFFERING = "OFFERING"  # one of its service offerings
    VENUE = "VENUE"  # a venue it owns
    FUNDS = "FUNDS"  # money from a funding program (fen)
    MEMBER_HOURS = "MEMBER_HOURS"  # hours of one of its party members


# Fixed Cypher over `x` (a matter): the ratings of it, and the figures read with it.
_RATINGS = "[(x)<-[:OF]-(rt:MatterRating) | rt.rating]"
MATTER_FIGURES = {
    "supportingNeeds": "COUNT { (x)-[:SUPPORTED_BY]->(:Need) }",
    "residents": "COUNT { MATCH (x)-[:SUPPORTED_BY]->(:Need)-[:RAISED_BY]->(res:Resident) RETURN DISTINCT res }",
    "unitsInvolved": "COUNT { MATCH (x)<-[:TO]-(:MatterCommitment)-[:BY]->(cu:Unit) RETURN DISTINCT cu }",
    "ratings": f"size({_RATINGS})",
    "satisfaction": f"CASE WHEN size({_RATINGS}) = 0 THEN null "
    f"ELSE round(toFloat(size([r IN {_RATINGS} WHERE r >= {SATISFIED}])) / size({_RATINGS}), 4) END",
}


@dataclass(slots=True)
class PracticalMatter(NodeRecord):
    """A practical matter (实事) residents of a community worry about, a candidate for the year's ten: raised
    from their needs, a quarter's class of needs (一类事) or a concentration of hotline calls, with the needs
    that support it; selected by the community's joint meeting (党建联席会议), led and supported by units,
    completed with evidence and rated by the residents who raised it."""

    title: str
    year: int
    source: MatterSource
    status: MatterStatus
    quarter: str | None = None
    raised_by: str | None = None
    selected_at: datetime | None = None
    completed_at: datetime | None = None
    evidence: str | None = None
    community_id: str = ""
    category_code: str | None = None
    compound_ids: list[str] = field(default_factory=list)
    meeting_id: str | None = None
    lead_id: str | None = None
    supporting_needs: int = 0
    residents: int = 0
    units_involved: int = 0
    ratings: int = 0
    satisfaction: float | None = None


@dataclass(slots=True)
class JointMeeting(NodeRecord):
    """A joint meeting (党建联席会议) of a community's party organisation with the units registered there,
    which selected some of the year's ten practical things: its date, the units present, what it chose."""

    held_on: date
    year: int
    note: str | None = None
    recorded_by: str | None = None
    community_id: str = ""
    unit_ids: list[str] = field(default_factory=list)
    matter_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class MatterCommitment(NodeRecord):
    """What a unit commits to a selected matter: its part (LEAD or SUPPORTING) and a resource — an offering,
    a venue, money from a funding program or a member's hours."""

    role: CommitmentRole
    resource: ResourceKind
    amount: Fen | None = None  # type: ignore[assignment]
    hours: int | None = None
    note: str | None = None
    committed_by: str | None = None
    matter_id: str = ""
    unit_id: str = ""
    offering_id: str | None = None
    venue_id: str | None = None
    program_id: str | None = None
    member_id: str | None = None


@dataclass(slots=True)
class MatterNote(NodeRecord):
    """A note of progress on a selected matter, by its community's staff or by a unit taking part."""

    text: str
    written_by: str | None = None
    matter_id: str = ""
    unit_id: str | None = None


@dataclass(slots=True)
class MatterRating(NodeRecord):
    """A resident's satisfaction with a completed matter (1–5), one per resident who raised one of its needs."""

    rating: int
    comment: str | None = None
    rated_at: datetime | None = None
    matter_id: str = ""


PRACTICAL_MATTER = declare(
    PracticalMatter,
    "matter",
    reader="public",
    extra=MATTER_FIGURES,
    lockable=True,
    indexes=("year", "status", "createdAt"),
).linking(
    community=one("(x)-[:IN]->(y:Community)", "Community", attr="communityId"),
    category=one("(x)-[:OF]->(y:Category)", "Category", attr="categoryCode", key="code"),
    compounds=listed("(x)-[:CONCERNS]->(y:Compound)", "Compound", attr="compoundIds"),
    meeting=one("(x)-[:SELECTED_AT]->(y:JointMeeting)", "JointMeeting", attr="meetingId"),
    lead=one("(x)-[:LED_BY]->(y:Unit)", "Unit", attr="leadId"),
    needs=many("(x)-[:SUPPORTED_BY]->(y:Need)", "Need", newest_first=True),
    commitments=many("(x)<-[:TO]-(y:MatterCommitment)", "MatterCommitment"),
    notes=many("(x)<-[:ON]-(y:MatterNote)", "MatterNote", newest_first=True),
)
JOINT_MEETING = declare(JointMeeting, "meeting", reader="public", indexes=("heldOn", "year")).linking(
    community=one("(x)-[:OF]->(y:Community)", "Community", attr="communityId"),
    units=listed("(x)-[:ATTENDED_BY]->(y:Unit)", "Unit", attr="unitIds"),
    selected=listed("(x)<-[:SELECTED_AT]-(y:PracticalMatter)", "PracticalMatter", attr="matterIds"),
)
MATTER_COMMITMENT = declare(MatterCommitment, "commitment", reader="public", indexes=("role",)).linking(
    matter=one("(x)-[:TO]->(y:PracticalMatter)", "PracticalMatter", attr="matterId"),
    unit=one("(x)-[:BY]->(y:Unit)", "Unit", attr="unitId"),
    offering=one("(x)-[:USES]->(y:Offering)", "Offering", attr="offeringId"),
    venue=one("(x)-[:USES]->(y:Venue)", "Venue", attr="venueId"),
    program=one("(x)-[:USES]->(y:FundingProgram)", "FundingProgram", attr="programId"),
    member=one("(x)-[:USES]->(y:Member)", "Member", attr="memberId"),
)
MATTER_NOTE = declare(MatterNote, "matternote", reader="public").linking(
    matter=one("(x)-[:ON]->(y:PracticalMatter)", "PracticalMatter", attr="matterId"),
    unit=one("(x)-[:BY]->(y:Unit)", "Unit", attr="unitId"),
)
# Never served by id nor listed: a matter shows its ratings' figures, not who rated.
MATTER_RATING = declare(MatterRating, "matterrating").linking(
    matter=one("(x)-[:OF]->(y:PracticalMatter)", "PracticalMatter", attr="matterId"),
)

KINDS = (PRACTICAL_MATTER, JOINT_MEETING, MATTER_COMMITMENT, MATTER_NOTE, MATTER_RATING)
