"""The year's ten practical things (一年10件实事), written: a community's staff raise candidate matters from
the needs behind them, the joint meeting (党建联席会议) selects at most ten a year, units commit resources,
note progress and complete them, and the residents who raised them say how satisfied they are.

Who: the community's party organisation decides, so COORDINATORs, DISTRICT_ADMINs whose scope holds the
community and CITY_ADMIN raise matters, record meetings, name the lead unit and complete a matter; a unit's
UNIT_ADMIN commits its own unit as a supporting unit, notes progress on a matter its unit takes part in and
completes one its unit leads; a RESIDENT who raised one of a completed matter's needs rates it. No likes,
no votes (the document names 点赞投票 as formalism to be removed).

Each mutation's input is its form (GraphQL shows it as `<Mutation>Input`), its answer the node as the
change left it (`returns`). Times are the request's clock (`prepare=dated`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, model_validator

from graph.funding.kinds import FUNDS_PROJECTS
from graph.kernel.db import Tx
from graph.kernel.errors import BadUserInput, Conflict, Forbidden, NotFound
from graph.kernel.ids import new_id
from graph.kernel.records import Fen
from graph.tenthings import matters as mt
from graph.tenthings.kinds import (
    JOINT_MEETING,
    MATTER_COMMITMENT,
    MATTER_NOTE,
    PRACTICAL_MATTER,
    TEN,
    CommitmentRole,
    MatterSource,
    MatterStatus,
    ResourceKind,
)
from matching.time_windows import XIAN_TZ
from resolvers.kernel.mutations import Dated, Outbox, Result, dated, mutation
from resolvers.kernel.validation import id_of, optional_text, required_text
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.review.classes import QuarterName, quarter_named

DECIDERS = PLACE_ROLES  # the community's party organisation and those above it
UNITS = (*PLACE_ROLES, Role.UNIT_ADMIN)
# A class of needs (一类事) is a category that came back: at least this many needs in the quarter, the
# quarter review's own default (`needClasses(minCount: 2)`).
CLASS_MIN = 2
# A concentration of hotline calls: at least this many 12345 calls of one category in the year.
HOTLINE_MIN = 3
MAX_NEEDS = 200
MAX_UNITS = 50
MAX_HOURS = 2000
FIRST_YEAR = 2020


def _local_year(moment: datetime) -> int:
    return moment.astimezone(XIAN_TZ).year


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=XIAN_TZ), datetime(year + 1, 1, 1, tzinfo=XIAN_TZ)


def _check_year(year: int, now: datetime) -> None:
    last = _local_year(now) + 1
    if not FIRST_YEAR <= year <= last:
        raise BadUserInput(f"year {year} is out of range: a year from {FIRST_YEAR} to {last}", field="year")


def _in_scope(viewer: Viewer, places: frozenset[str]) -> bool:
    return viewer.role is Role.CITY_ADMIN or (viewer.role in PLACE_ROLES and viewer.scope_id in places)


def _require_staff(viewer: Viewer, places: frozenset[str], what: str) -> None:
    if not _in_scope(viewer, places):
        raise Forbidden(
            f"{what} lies outside your scope {viewer.scope_id}; its community's coordinators, their street's "
            "or district's, or a city admin decide its practical matters",
            scope=viewer.scope_id,
        )


def _places(*ids: str | None) -> frozenset[str]:
    return frozenset(i for i in ids if i)


def _community(form: RaiseMatter | RecordJointMeeting) -> str:
    return f"Community:{form.community_id}"


def _matter(form: CommitToMatter | NoteMatterProgress | CompleteMatter | RateMatter) -> str:
    return f"PracticalMatter:{form.matter_id}"


# --- collect ---------------------------------------------------------------------------------------


class RaiseMatter(Dated):
    community_id: Annotated[str, id_of("Community")] = Field(description="The community whose matter it is.")
    year: int = Field(description="The year whose ten practical things it is a candidate for.")
    title: required_text("say what the matter is in words residents use (e.g. 书院小区下水管网改造)", 100)
    source: MatterSource = Field(description="Where it was raised from: NEEDS, RECURRING_CLASS or HOTLINE.")
    category_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="Its category (e.g. SEWER): required for RECURRING_CLASS and HOTLINE, whose needs are "
        "the community's needs of it.",
    )
    quarter: QuarterName = Field(
        default=None, description="RECURRING_CLASS: the quarter whose class it is (e.g. 2026-Q3), in `year` or before."
    )
    need_ids: list[Annotated[str, id_of("Need")]] | None = Field(
        default=None,
        max_length=MAX_NEEDS,
        description="NEEDS: the needs behind it, raised at the community or its compounds.",
    )

    @model_validator(mode="after")
    def _what_the_source_needs(self) -> RaiseMatter:
        if self.category_code:
            self.category_code = self.category_code.strip().upper()
        if self.source == MatterSource.NEEDS:
            if not self.need_ids:
                raise ValueError("a matter raised from NEEDS names them: give needIds (at least one)")
            if self.quarter:
                raise ValueError("quarter is for a RECURRING_CLASS matter; leave it out for NEEDS")
            self.need_ids = list(dict.fromkeys(self.need_ids))
            return self
        if self.need_ids:
            raise ValueError(f"a {self.source} matter finds its own needs: leave needIds out")
        if not self.category_code:
            raise ValueError(f"a {self.source} matter is about one category: give categoryCode")
        if self.source == MatterSource.RECURRING_CLASS and not self.quarter:
            raise ValueError("a RECURRING_CLASS matter names its quarter (e.g. 2026-Q3)")
        if self.source == MatterSource.HOTLINE and self.quarter:
            raise ValueError("a HOTLINE matter gathers the year's calls; leave quarter out")
        return self


@mutation(
    "raiseMatter", roles=DECIDERS, form=RaiseMatter, prepare=dated, race=_community, returns=PRACTICAL_MATTER.label
)
async def raise_matter(tx: Tx, viewer: Viewer, form: RaiseMatter, outbox: Outbox) -> Result:
    """Raise a candidate for a community's ten practical things of a year (COORDINATOR, DISTRICT_ADMIN whose
    scope holds the community, CITY_ADMIN), linked to the needs behind it: those named (NEEDS), the
    community's needs of the category in the quarter (RECURRING_CLASS, at least 2: a class of needs, 一类事)
    or its 12345 hotline calls of the category in the year (HOTLINE, at least 3). CONFLICT when that class or
    those calls were raised as a matter of the year already."""
    assert form.now is not None
    _check_year(form.year, form.now)
    facts = await mt.raise_facts(tx, form.community_id, form.year, form.source, form.category_code, form.quarter)
    if facts is None:
        raise NotFound(f"no community with id {form.community_id!r}", field="communityId", id=form.community_id)
    _require_staff(viewer, _places(form.community_id, facts.street_id, facts.district_id), form.community_id)
    if form.category_code and not facts.category:
        raise NotFound(f"no category with code {form.category_code!r}", field="categoryCode")
    if facts.same_matter is not None:
        raise Conflict(
            f"this {form.source} matter of {form.year} was raised already ({facts.same_matter}); add to that one",
            field="source",
            matterId=facts.same_matter,
        )
    need_ids = await _supporting_needs(tx, form, facts.category_name)
    await mt.create_matter(
        tx,
        {
            "id": (matter_id := new_id("matter")),
            "community": form.community_id,
            "title": form.title,
            "year": form.year,
            "source": form.source,
            "quarter": form.quarter,
            "category": form.category_code,
            "needIds": need_ids,
            "raisedBy": viewer.subject,
            "now": form.now.isoformat(),
        },
    )
    return {"practicalMatterId": matter_id}


async def _supporting_needs(tx: Tx, form: RaiseMatter, category_name: str | None) -> list[str]:
    assert form.now is not None
    if form.source == MatterSource.NEEDS:
        assert form.need_ids is not None
        named = await mt.named_needs(tx, form.community_id, form.need_ids)
        missing = [n.id for n in named if not n.found]
        if missing:
            raise NotFound(f"no need {', '.join(missing)}", field="needIds", ids=missing)
        elsewhere = [n.id for n in named if not n.here]
        if elsewhere:
            raise BadUserInput(
                f"{', '.join(elsewhere)} were raised outside {form.community_id}: a community's matter rests on "
                "its own residents' needs",
                field="needIds",
                ids=elsewhere,
            )
        return form.need_ids
    assert form.category_code is not None
    what = category_name or form.category_code
    if form.source == MatterSource.RECURRING_CLASS:
        quarter = quarter_named(form.quarter, form.now)
        if quarter.year > form.year or quarter.start >= form.now:
            raise BadUserInput(
                f"quarter {quarter.name} has not begun or falls after {form.year}: a class is what came back "
                "in a quarter that has begun, in the matter's year or before",
                field="quarter",
            )
        found = await mt.found_needs(tx, form.community_id, form.category_code, quarter.start, quarter.end, None)
        least, where = CLASS_MIN, f"in {quarter.name}"
    else:
        start, end = _year_bounds(form.year)
        found = await mt.found_needs(tx, form.community_id, form.category_code, start, end, mt.HOTLINE_CHANNEL)
        least, where = HOTLINE_MIN, f"through the 12345 hotline in {form.year}"
    if len(found) < least:
        raise BadUserInput(
            f"{len(found)} {what} needs of {form.community_id} came {where}; a {form.source} matter rests on at "
            f"least {least}: raise it from NEEDS instead, naming them",
            field="source",
            found=len(found),
        )
    return [n.id for n in found]


# --- decide ----------------------------------------------------------------------------------------


class RecordJointMeeting(Dated):
    community_id: Annotated[str, id_of("Community")] = Field(description="The community whose meeting it was.")
    held_on: date = Field(description="The day it was held (Beijing time); not in the future.")
    year: int = Field(description="The year whose practical things it selected.")
    unit_ids: list[Annotated[str, id_of("Unit")]] = Field(
        min_length=1, max_length=MAX_UNITS, description="The units present, each registered with the community."
    )
    selected_matter_ids: list[Annotated[str, id_of("PracticalMatter")]] = Field(
        min_length=1,
        max_length=TEN,
        description=f"The candidate matters it selected: with those selected before, at most {TEN} a year.",
    )
    note: optional_text(1000) = Field(default=None, description="The minutes, or what was said about the choice.")

    @model_validator(mode="after")
    def _distinct(self) -> RecordJointMeeting:
        self.unit_ids = list(dict.fromkeys(self.unit_ids))
        self.selected_matter_ids = list(dict.fromkeys(self.selected_matter_ids))
        return self


@mutation(
    "recordJointMeeting",
    roles=DECIDERS,
    form=RecordJointMeeting,
    prepare=dated,
    race=_community,
    returns=JOINT_MEETING.label,
)
async def record_joint_meeting(tx: Tx, viewer: Viewer, form: RecordJointMeeting, outbox: Outbox) -> Result:
    """Record a joint meeting (党建联席会议) of a community's party organisation with the units registered
    there, and the candidate matters it selected as practical things of the year (COORDINATOR, DISTRICT_ADMIN
    whose scope holds the community, CITY_ADMIN). At most ten a community and year: CONFLICT saying how many
    places remain, and two meetings at once never select more than ten between them."""
    assert form.now is not None
    _check_year(form.year, form.now)
    today = form.now.astimezone(XIAN_TZ).date()
    if form.held_on > today:
        raise BadUserInput(f"heldOn {form.held_on} is in the future; record a meeting once held", field="heldOn")
    if form.held_on.year not in (form.year - 1, form.year):
        raise BadUserInput(
            f"a meeting of {form.held_on.year} cannot choose {form.year}'s matters: hold it in that year or the "
            "one before",
            field="heldOn",
        )
    facts = await mt.meeting_facts(tx, form.community_id, form.year, form.selected_matter_ids, form.unit_ids)
    if facts is None:
        raise NotFound(f"no community with id {form.community_id!r}", field="communityId", id=form.community_id)
    _require_staff(viewer, _places(form.community_id, facts.street_id, facts.district_id), form.community_id)
    _check_units(form, facts)
    _check_matters(form, facts)
    room = TEN - facts.selected
    if len(form.selected_matter_ids) > room:
        raise Conflict(
            f"{facts.community_name} has selected {facts.selected} of its {TEN} practical things of {form.year}; "
            f"{max(room, 0)} place(s) remain, and this meeting selects {len(form.selected_matter_ids)}",
            field="selectedMatterIds",
            selected=facts.selected,
            remaining=max(room, 0),
        )
    await mt.create_meeting(
        tx,
        {
            "id": (meeting_id := new_id("meeting")),
            "community": form.community_id,
            "heldOn": form.held_on.isoformat(),
            "year": form.year,
            "note": form.note,
            "recordedBy": viewer.subject,
            "unitIds": form.unit_ids,
            "matterIds": form.selected_matter_ids,
            "now": form.now.isoformat(),
        },
    )
    return {"jointMeetingId": meeting_id}


def _check_units(form: RecordJointMeeting, facts: mt.MeetingFacts) -> None:
    missing = [u.id for u in facts.units if not u.found]
    if missing:
        raise NotFound(f"no unit {', '.join(missing)}", field="unitIds", ids=missing)
    strangers = [u for u in facts.units if not u.registered]
    if strangers:
        names = "、".join(f"{u.name} ({u.id})" for u in strangers)
        raise BadUserInput(
            f"{names} is not registered with {facts.community_name} (双报到): the joint meeting is the units "
            "registered there; register it first (registerWithCommunity)",
            field="unitIds",
            ids=[u.id for u in strangers],
        )


def _check_matters(form: RecordJointMeeting, facts: mt.MeetingFacts) -> None:
    missing = [m.id for m in facts.matters if not m.found]
    if missing:
        raise NotFound(f"no practical matter {', '.join(missing)}", field="selectedMatterIds", ids=missing)
    foreign = [m.id for m in facts.matters if m.community_id != form.community_id or m.year != form.year]
    if foreign:
        raise BadUserInput(
            f"{', '.join(foreign)} are not candidates of {form.community_id} for {form.year}",
            field="selectedMatterIds",
            ids=foreign,
        )
    chosen = [m for m in facts.matters if m.status != MatterStatus.CANDIDATE]
    if chosen:
        raise Conflict(
            f"{'、'.join(f'{m.title} ({m.id})' for m in chosen)} was selected already",
            field="selectedMatterIds",
            ids=[m.id for m in chosen],
        )


# --- pull in units ---------------------------------------------------------------------------------

_RESOURCE_FIELD = {
    ResourceKind.OFFERING: ("offering_id", "Offering"),
    ResourceKind.VENUE: ("venue_id", "Venue"),
    ResourceKind.FUNDS: ("program_id", "FundingProgram"),
    ResourceKind.MEMBER_HOURS: ("member_id", "Member"),
}


class CommitToMatter(Dated):
    matter_id: Annotated[str, id_of("PracticalMatter")] = Field(description="The selected matter.")
    unit_id: Annotated[str, id_of("Unit")] = Field(description="The unit taking part.")
    role: CommitmentRole = Field(description="LEAD (one per matter, named by the community) or SUPPORTING.")
    resource: ResourceKind = Field(description="What it commits; the matching id says which.")
    offering_id: Annotated[str, id_of("Offering")] | None = Field(default=None, description="OFFERING: its own.")
    venue_id: Annotated[str, id_of("Venue")] | None = Field(default=None, description="VENUE: one it owns.")
    program_id: Annotated[str, id_of("FundingProgram")] | None = Field(
        default=None, description="FUNDS: the funding program the money comes from."
    )
    amount: Fen | None = Field(default=None, gt=0, description="FUNDS: how much, in fen.")
    member_id: Annotated[str, id_of("Member")] | None = Field(
        default=None, description="MEMBER_HOURS: one of its party members."
    )
    hours: int | None = Field(default=None, ge=1, le=MAX_HOURS, description="MEMBER_HOURS: how many hours.")
    note: optional_text(500) = None

    @model_validator(mode="after")
    def _one_resource(self) -> CommitToMatter:
        wanted, _ = _RESOURCE_FIELD[self.resource]
        given = [name for name, _ in _RESOURCE_FIELD.values() if getattr(self, name) is not None]
        if given != [wanted]:
            others = [n for n in given if n != wanted]
            raise ValueError(
                f"a {self.resource} commitment names its {wanted.removesuffix('_id')} ({_camel(wanted)})"
                + (f" and nothing else (not {', '.join(_camel(n) for n in others)})" if others else "")
            )
        if (self.amount is not None) != (self.resource == ResourceKind.FUNDS):
            raise ValueError("amount (fen) goes with FUNDS, and only with it")
        if (self.hours is not None) != (self.resource == ResourceKind.MEMBER_HOURS):
            raise ValueError("hours go with MEMBER_HOURS, and only with them")
        return self

    @property
    def resource_id(self) -> str:
        return str(getattr(self, _RESOURCE_FIELD[self.resource][0]))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@mutation(
    "commitToMatter", roles=UNITS, form=CommitToMatter, prepare=dated, race=_matter, returns=MATTER_COMMITMENT.label
)
async def commit_to_matter(tx: Tx, viewer: Viewer, form: CommitToMatter, outbox: Outbox) -> Result:
    """A unit commits a resource to a selected matter: one of its offerings, a venue it owns, money from a
    funding program (not more than the program has left unpledged) or a member's hours. The community's staff
    (COORDINATOR, DISTRICT_ADMIN in scope, CITY_ADMIN) name the LEAD unit, one per matter (CONFLICT naming
    it) and may enter any unit's part; a UNIT_ADMIN commits its own unit as SUPPORTING."""
    assert form.now is not None
    label = _RESOURCE_FIELD[form.resource][1]
    facts = await _matter_facts(tx, form.matter_id, form.unit_id, (label, form.resource_id))
    staff = _in_scope(viewer, facts.places)
    if not staff and viewer.role is not Role.UNIT_ADMIN:
        _require_staff(viewer, facts.places, f"practical matter {form.matter_id}")
    if not staff:
        if viewer.scope_id != form.unit_id:
            raise Forbidden(
                f"a unit admin commits its own unit ({viewer.scope_id}), not {form.unit_id}", field="unitId"
            )
        if form.role == CommitmentRole.LEAD:
            raise Forbidden(
                "the lead unit is named by the community (its coordinators at the joint meeting); commit as SUPPORTING",
                field="role",
            )
    if facts.status != MatterStatus.SELECTED:
        raise Conflict(_not_open(form.matter_id, facts.status), field="matterId")
    if not facts.unit_found:
        raise NotFound(f"no unit with id {form.unit_id!r}", field="unitId", id=form.unit_id)
    if form.role == CommitmentRole.LEAD and facts.lead_id is not None:
        raise Conflict(
            f"{facts.title} is led by {facts.lead_name} ({facts.lead_id}); a matter has one lead unit, others support",
            field="role",
            leadId=facts.lead_id,
        )
    field = _camel(_RESOURCE_FIELD[form.resource][0])
    if not facts.resource_found:
        raise NotFound(f"no {form.resource.lower()} with id {form.resource_id!r}", field=field, id=form.resource_id)
    _check_resource(form, facts, field)
    await mt.commit(
        tx,
        label,
        {
            "id": (commitment_id := new_id("commitment")),
            "matter": form.matter_id,
            "unit": form.unit_id,
            "role": form.role,
            "resource": form.resource,
            "resourceId": form.resource_id,
            "amount": form.amount,
            "hours": form.hours,
            "note": form.note,
            "by": viewer.subject,
            "now": form.now.isoformat(),
        },
    )
    return {"matterCommitmentId": commitment_id}


def _check_resource(form: CommitToMatter, facts: mt.LockedMatter, field: str) -> None:
    if form.resource == ResourceKind.FUNDS:
        if not facts.program_here:
            raise BadUserInput(
                f"program {form.program_id} is not available in {facts.district_id}", field=field, id=form.program_id
            )
        if facts.program_funds not in FUNDS_PROJECTS:
            raise BadUserInput(
                f"program {form.program_id} funds needs only; a practical matter, a work of the community like a "
                "project, draws on programs that fund projects",
                field=field,
                id=form.program_id,
            )
        assert form.amount is not None and facts.unpledged is not None
        if form.amount > facts.unpledged:
            raise Conflict(
                f"program {form.program_id} has {max(facts.unpledged, 0)} fen left that no matter was pledged; "
                f"{form.amount} fen is more",
                field="amount",
                unpledged=max(facts.unpledged, 0),
            )
        return
    if not facts.units_own:
        owner = {"Offering": "offers", "Venue": "owns", "Member": "has as its member"}[str(facts.resource_label)]
        raise BadUserInput(
            f"{facts.unit_name} ({form.unit_id}) {owner} no {form.resource_id}: a unit commits what is its own",
            field=field,
        )
    if form.resource == ResourceKind.OFFERING and facts.resource_status != "ACTIVE":
        raise Conflict(f"offering {form.resource_id} is {facts.resource_status}", field=field)


def _not_open(matter_id: str, status: str) -> str:
    if status == MatterStatus.CANDIDATE:
        return f"{matter_id} is a candidate: the joint meeting has not selected it (recordJointMeeting)"
    return f"{matter_id} is {status}: it takes no more"


async def _matter_facts(
    tx: Tx, matter_id: str, unit_id: str | None = None, resource: tuple[str, str] | None = None
) -> mt.LockedMatter:
    facts = await mt.locked_matter(tx, matter_id, unit_id, resource)
    if facts is None:
        raise NotFound(f"no practical matter with id {matter_id!r}", field="matterId", id=matter_id)
    return facts


# --- track -----------------------------------------------------------------------------------------


class NoteMatterProgress(Dated):
    matter_id: Annotated[str, id_of("PracticalMatter")] = Field(description="The selected matter.")
    text: required_text("say what was done or where it stands", 1000)


@mutation(
    "noteMatterProgress", roles=UNITS, form=NoteMatterProgress, prepare=dated, race=_matter, returns=MATTER_NOTE.label
)
async def note_matter_progress(tx: Tx, viewer: Viewer, form: NoteMatterProgress, outbox: Outbox) -> Result:
    """Note progress on a selected matter: its community's staff (in scope), or the UNIT_ADMIN of a unit
    committed to it (the note says which unit)."""
    assert form.now is not None
    facts = await _matter_facts(tx, form.matter_id)
    unit_id = _require_part(viewer, facts, form.matter_id, lead_only=False)
    if facts.status != MatterStatus.SELECTED:
        raise Conflict(_not_open(form.matter_id, facts.status), field="matterId")
    note_id = new_id("matternote")
    row = {"id": note_id, "matter": form.matter_id, "text": form.text, "by": viewer.subject, "unit": unit_id}
    await mt.note(tx, {**row, "now": form.now.isoformat()})
    return {"matterNoteId": note_id}


def _require_part(viewer: Viewer, facts: mt.LockedMatter, matter_id: str, *, lead_only: bool) -> str | None:
    """Staff in scope (None), or the unit admin's unit when it takes part (leads, for `lead_only`)."""
    if _in_scope(viewer, facts.places):
        return None
    if viewer.role is Role.UNIT_ADMIN:
        part = [facts.lead_id] if lead_only else facts.unit_ids
        if viewer.scope_id in part:
            return viewer.scope_id
        raise Forbidden(
            f"{viewer.scope_id} {'does not lead' if lead_only else 'takes no part in'} {matter_id}: "
            + ("its lead unit or the community completes it" if lead_only else "commit to it first (commitToMatter)"),
            scope=viewer.scope_id,
        )
    _require_staff(viewer, facts.places, f"practical matter {matter_id}")
    return None


class CompleteMatter(Dated):
    matter_id: Annotated[str, id_of("PracticalMatter")] = Field(description="The selected matter.")
    evidence: required_text("say what shows it done: what changed, where, photos or acceptance records", 2000)


@mutation(
    "completeMatter", roles=UNITS, form=CompleteMatter, prepare=dated, race=_matter, returns=PRACTICAL_MATTER.label
)
async def complete_matter(tx: Tx, viewer: Viewer, form: CompleteMatter, outbox: Outbox) -> Result:
    """Complete a selected matter with the evidence of it (its community's staff in scope, or the UNIT_ADMIN
    of its lead unit). CONFLICT before a lead unit is named, or when it is not selected or done already."""
    assert form.now is not None
    facts = await _matter_facts(tx, form.matter_id)
    _require_part(viewer, facts, form.matter_id, lead_only=True)
    if facts.status != MatterStatus.SELECTED:
        raise Conflict(_not_open(form.matter_id, facts.status), field="matterId")
    if facts.lead_id is None:
        raise Conflict(f"{facts.title} has no lead unit yet: name one (commitToMatter, role LEAD)", field="matterId")
    if not await mt.complete(tx, form.matter_id, form.evidence, form.now):
        raise Conflict(f"{form.matter_id} changed meanwhile; read it again", field="matterId")
    return {"practicalMatterId": form.matter_id}


class RateMatter(Dated):
    matter_id: Annotated[str, id_of("PracticalMatter")] = Field(description="The completed matter.")
    rating: int = Field(ge=1, le=5, description="1 (very dissatisfied) to 5 (very satisfied).")
    comment: optional_text(500) = None


@mutation(
    "rateMatter",
    roles=(Role.RESIDENT,),
    form=RateMatter,
    prepare=dated,
    race=_matter,
    returns=PRACTICAL_MATTER.label,
)
async def rate_matter(tx: Tx, viewer: Viewer, form: RateMatter, outbox: Outbox) -> Result:
    """A resident who raised one of a completed matter's needs says how satisfied they are with it (1–5);
    rating again replaces their rating. FORBIDDEN for residents who raised none of them."""
    assert form.now is not None
    facts = await _matter_facts(tx, form.matter_id)
    if viewer.subject not in facts.resident_ids:
        raise Forbidden(
            f"you raised none of the needs behind {form.matter_id}: its satisfaction is its residents' word",
            field="matterId",
        )
    if facts.status != MatterStatus.COMPLETED:
        raise Conflict(f"{form.matter_id} is {facts.status}: rate it once it is completed", field="matterId")
    row = {"id": new_id("matterrating"), "matter": form.matter_id, "resident": viewer.subject}
    await mt.rate(tx, {**row, "rating": form.rating, "comment": form.comment, "now": form.now.isoformat()})
    return {"practicalMatterId": form.matter_id}
