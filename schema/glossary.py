"""The words of the API, described once: what a field, argument or type name means wherever it is used.

Types and fields declared with their own `description=` keep it. What is left undescribed takes its
description from here when the schema is built (`describe`): `FIELDS["Type.field"]` first, then
`FIELDS["field"]`. Inputs and payloads of one mutation are described from that mutation, filters
from their list. A test (tests/kernel/test_relay_conventions.py) fails when anything is still undescribed,
so a new field is described the day it is added — here, or where it is declared.
"""

from __future__ import annotations

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

TYPES = {
    "Query": "What can be read: needs, places, partners, venues, funds, matching and figures.",
    "Mutation": "What can be changed: a need's workflow, registrations, bookings, grants and dispatch plans.",
    "Subscription": "Events pushed over WebSocket (graphql-transport-ws) as they happen.",
    "Skill": "A skill a volunteer declares and a category may ask for (e.g. 水电维修).",
    "Facility": "Equipment a venue has (e.g. PROJECTOR).",
    "ProgramLevel": "Which level of government runs a funding program.",
    "BookingPayload": "A booking made or cancelled, and whether this answers a retry.",
    "DispatchPlanPayload": "A dispatch plan proposed or committed, and whether this answers a retry.",
    "EvaluateInput": ("A rating of one assignment: by the requester (satisfaction) or the coordinator (handling)."),
    "EvaluationPayload": "The evaluation recorded, and whether this answers a retry.",
    "GrantDecisionInput": "Which grant to approve or reject, and why.",
    "GrantPayload": "The grant requested, approved or rejected, and whether this answers a retry.",
    "NeedNoteInput": "Which need, and the note to record with the change.",
    "NeedReasonInput": "Which need, and why: the reason is kept in its history.",
    "Urgency": "How soon a need must be answered; it sets the response and completion deadlines.",
    "BookVenueSeriesInput": "The same window every week: `window` is the first occurrence.",
    "MergeNeedsInput": "Duplicates to close into one need.",
    "PlaceOpen311RequestInput": "Where an Open311 request the door could not place belongs.",
    "ResidentInput": "A resident's contact details; stored in full, shown masked to most viewers.",
    "UpdateFundingProgramInput": ("Fields left out (or null) stay as they are; the budget never goes below spent."),
    "UpdateOfferingInput": "Fields left out (or null) stay as they are; lists given replace the old ones.",
    "UpdateUnitInput": "Fields left out (or null) stay as they are.",
    "UpdateVenueInput": "Fields left out (or null) stay as they are; lists given replace the old ones.",
    "DutyLineInput": "One line of a duty list: a category, its duty, and who answers for it.",
    "WindowInput": "A time window [start, end); a time without offset is Xi'an time (UTC+8).",
}

FIELDS = {
    # identity and naming
    "id": "The Minhu id (`kind:key`).",
    "name": "The name people use (Chinese).",
    "code": "The catalogue code.",
    "officialName": "The name as registered with the civil affairs bureau.",
    "number": "The need's number as told to the resident (XA-year-district-sequence).",
    "title": "A short title.",
    "description": "What it is about, in the words of whoever wrote it.",
    "kind": "Which kind it is.",
    "level": "Its level of government.",
    "type": "What happened.",
    "status": "Its state now.",
    "role": "The role the token grants.",
    "subject": "Whose token it is (the user, member or resident id).",
    # places and contact
    "address": "The street address.",
    "location": "Where it is (WGS84).",
    "latitude": "WGS84 latitude, −90…90.",
    "longitude": "WGS84 longitude, −180…180.",
    "phone": "A phone number (masked unless the viewer may see it).",
    "community": "The community (社区) it belongs to.",
    "street": "The street (街道) it belongs to.",
    "district": "The district (区县) it belongs to.",
    "districts": "The districts it covers.",
    "compound": "The residential compound (小区) it concerns.",
    "households": "Households living in the compound.",
    "placeId": "A district, street, community or compound id.",
    "placeName": "The place's name.",
    "communityId": "A community id.",
    "districtId": "A district id.",
    "districtIds": "District ids.",
    "areaIds": "Ids of the places it serves.",
    "scopeId": "The place, unit or member whose figures or plan these are.",
    # needs
    "need": "The need.",
    "needId": "A need id.",
    "category": "The need category.",
    "categories": "The need categories it covers.",
    "categoryCode": "The category's code.",
    "categoryName": "The category's name.",
    "channel": "Through which door the need arrived.",
    "urgency": "How soon it must be answered.",
    "peopleNeeded": "How many helpers it needs.",
    "windowStart": "When help is wanted from.",
    "windowEnd": "When help is wanted until.",
    "responseDeadline": "By when a handler must accept (set at dispatch).",
    "completionDeadline": "By when it must be completed (set at dispatch).",
    "suspensionReason": "Why it is suspended, while it is.",
    "createdAt": "When it was created (UTC).",
    "updatedAt": "When it last changed (UTC).",
    "acceptedAt": "When the handler accepted (UTC).",
    "completedAt": "When the handler completed it (UTC).",
    "decidedAt": "When it was approved or rejected (UTC).",
    "committedAt": "When the plan was committed (UTC).",
    "at": "When it happened (UTC).",
    "actorId": "Who did it (a user, member or resident id).",
    "fromState": "The need's state before.",
    "toState": "The need's state after.",
    "note": "A note written with it.",
    "reason": "Why, in words a person reads.",
    "comment": "What the rater wrote.",
    "rating": "The rating, 1 (bad) to 5 (very good).",
    "assignment": "The assignment (派单) concerned.",
    "handlerId": "The member, unit or offering to hand it to.",
    "createdAfter": "Only those created at or after this time.",
    "createdBefore": "Only those created before this time.",
    "overdue": "Only those past a deadline now (true) or not (false).",
    "NeedEvent.type": "What happened to the need (one event type per change).",
    # partners
    "unit": "The resident unit (驻区单位).",
    "unitId": "A unit id.",
    "member": "The party-member volunteer.",
    "memberId": "A member id.",
    "offering": "The offering.",
    "offeringId": "An offering id.",
    "capacity": "How many people it serves at once.",
    "availability": 'Weekly windows, "D HH:MM-HH:MM", D = 1 (Mon)…7 (Sun).',
    "openLoad": "Open assignments now.",
    "completedCount": "Assignments completed so far.",
    "lastServedAt": "When the member last completed an assignment (UTC).",
    "created": "Whether this call created the registration (false: it existed).",
    # venues
    "venue": "The venue.",
    "venueId": "A venue id.",
    "owner": "The unit that owns it.",
    "ownerUnitId": "The owning unit's id.",
    "areaSqm": "Floor area in square metres.",
    "facilities": "Facility codes (e.g. PROJECTOR).",
    "feePerHour": "Fee per hour, in fen.",
    "minCapacity": "Only venues for at least this many people.",
    "distanceKm": "Distance from the search centre, in km.",
    "window": "The time window.",
    "start": "When it starts (UTC).",
    "end": "When it ends (UTC).",
    "purpose": "What it is for.",
    "bookedBy": "Who booked it.",
    "booking": "The booking.",
    "bookings": "The bookings made.",
    "bookingId": "A booking id.",
    "seriesId": "The weekly series it belongs to, if any.",
    "skipped": "The weeks left out because they clashed.",
    "clashingBookingId": "The booking it clashes with.",
    # funding
    "program": "The funding program.",
    "programId": "A funding program id.",
    "fundingProgram": "The funding program.",
    "grant": "The grant.",
    "grantId": "A grant id.",
    "amount": "The amount, in fen.",
    "budget": "The whole budget, in fen.",
    "capPerGrant": "The most one grant may take, in fen.",
    "spent": "Granted so far, in fen.",
    "remaining": "Budget left, in fen.",
    "source": "Where the money comes from.",
    "periodStart": "When the program opens (UTC).",
    "periodEnd": "When the program closes (UTC).",
    "withBudgetLeft": "Only programs with budget left (true) or spent (false).",
    # matching and plans
    "resource": "The member, offering, venue or program proposed.",
    "resourceId": "The proposed resource's id.",
    "score": "The score, 0…1: higher is a better match.",
    "parts": "How the score was made, factor by factor.",
    "factor": "What the factor measures.",
    "value": "The factor's value, 0…1.",
    "weight": "The factor's weight in the score.",
    "contribution": "value × weight: what the factor added to the score.",
    "why": "Why the pair was left out.",
    "plan": "The dispatch plan.",
    "planId": "A dispatch plan id.",
    "needsConsidered": "Open needs the plan looked at.",
    "needsServed": "Needs the plan pairs with a handler.",
    "greedyNeedsServed": "Needs a first-come greedy pass would serve: the plan's yardstick.",
    "evaluation": "The evaluation.",
    "project": "The project.",
    "projectId": "A project id.",
    "closedAt": "When it was closed (UTC).",
    # figures (docs/STATS.md defines each exactly)
    "from": "Start of the period (inclusive, UTC).",
    "to": "End of the period (exclusive, UTC).",
    "count": "Needs of the class in the period.",
    "previousCount": "Needs of the class in the period before, of equal length.",
    "received": "Needs in the cohort.",
    "dispatched": "Needs of the cohort with at least one assignment.",
    "responseDue": "Dispatched needs whose response can be judged now.",
    "respondedOnTime": "Needs accepted by their response deadline.",
    "responseRate": "respondedOnTime / responseDue (响应率); null when nothing is due.",
    "completionDue": "Needs completed, or dispatched and past their completion deadline.",
    "completedOnTime": "Needs completed by their completion deadline.",
    "completionRate": "completedOnTime / completionDue (办结率); null when nothing is due.",
    "ratings": "Requesters' ratings of the cohort's assignments.",
    "satisfiedRatings": "Of those, ratings of 4 or 5.",
    "satisfactionRate": "satisfiedRatings / ratings (满意率); null without ratings.",
    "averageRating": "Mean of the requesters' ratings.",
    "handlingRatings": "Coordinators' ratings of the handling.",
    "averageHandlingRating": "Mean of the coordinators' ratings.",
    "averageHoursToAccept": "Mean hours from an offer to its acceptance.",
    "averageHoursToComplete": "Mean hours from an offer to completion.",
    "overdueCount": "Needs of the cohort overdue now.",
    # mutations' inputs: what a field means there (`Type.field`)
    "AddOfferingInput.areaIds": "Where it serves: communities, streets, districts.",
    "AddOfferingInput.availability": 'Weekly windows, "D HH:MM-HH:MM", D = 1 (Mon)…7 (Sun), Xi\'an time.',
    "AddOfferingInput.capacity": "How many needs it takes at once (> 0).",
    "AddOfferingInput.categoryCode": "e.g. ELDERLY_CARE",
    "BookVenueSeriesInput.skipClashes": ("false: all or nothing; true: book the free dates and report the others."),
    "BookVenueSeriesInput.weeks": "How many weekly occurrences (1–52).",
    "CloseProjectInput.note": "What it achieved, for the record.",
    "CreateFundingProgramInput.categories": "Category codes it pays for.",
    "CreateFundingProgramInput.districtIds": "Districts it is available in.",
    "CreateFundingProgramInput.source": "e.g. 社区为民服务专项资金",
    "DispatchNeedInput.handlerId": "A member, unit or offering id.",
    "EscalateNeedInput.reason": "Why this level cannot solve it; the level above reads it.",
    "EvaluateInput.rating": "1 (very dissatisfied) to 5 (very satisfied).",
    "FundProjectInput.grantId": "A requested or approved grant; it funds one project.",
    "GrantDecisionInput.reason": "Required to reject.",
    "InviteCandidatesInput.candidateIds": "Members, units or offerings; first to accept wins.",
    "MergeNeedsInput.fromIds": (
        "Its duplicates, 1…20, not yet taken by a handler (SUBMITTED or DECLINED), of its category."
    ),
    "MergeNeedsInput.intoId": "The need that stays (still open).",
    "OpenProjectInput.leadId": "The unit or street that leads it.",
    "OpenProjectInput.placeIds": "Districts, streets or communities, 1…20.",
    "PlaceOpen311RequestInput.placeId": "The compound or community it concerns.",
    "PlaceOpen311RequestInput.token": "The token the door answered with (unplacedRequests lists them).",
    "ProposeDispatchPlanInput.needIds": (
        "Only these open needs (default: every SUBMITTED or DECLINED need of the scope)."
    ),
    "ProposeDispatchPlanInput.scopeId": "A district, street or community id, or 'city'.",
    "RegisterMemberInput.availability": 'Weekly windows, "D HH:MM-HH:MM", D = 1 (Mon)…7 (Sun), Xi\'an time.',
    "RegisterMemberInput.communityIds": "Communities they serve: their unit's, and where they live (双报到).",
    "RegisterMemberInput.latitude": ("Home location; WGS84 latitude; give both latitude and longitude, or neither."),
    "RegisterMemberInput.maxLoad": "Open assignments allowed at once (0–50).",
    "RegisterMemberInput.phone": "A mobile (1xxxxxxxxxx) or a Xi'an landline (029-xxxxxxxx).",
    "RegisterMemberInput.skills": "Skill codes, e.g. PLUMBING.",
    "RegisterUnitInput.creditCode": "统一社会信用代码 (18 characters); unique: a unit is registered once.",
    "RegisterUnitInput.latitude": "WGS84 latitude; give both latitude and longitude, or neither.",
    "RegisterUnitInput.phone": "A mobile (1xxxxxxxxxx) or a Xi'an landline (029-xxxxxxxx).",
    "RegisterVenueInput.capacity": "People (> 0).",
    "RegisterVenueInput.facilities": "Facility codes, e.g. PROJECTOR.",
    "RegisterVenueInput.feePerHour": "Fen (1/100 yuan) per hour; 0 is free.",
    "RegisterVenueInput.latitude": (
        "WGS84 latitude; give both latitude and longitude, or neither. The community's when left out."
    ),
    "RegisterVenueInput.openingHours": 'Weekly windows, "D HH:MM-HH:MM", D = 1 (Mon)…7 (Sun), Xi\'an time.',
    "RegisterVenueInput.ownerUnitId": "The unit that owns it; a UNIT_ADMIN's own unit when left out.",
    "RegisterWithCommunityInput.subjectId": "A unit or a member.",
    "ResidentInput.address": "Exact address: compound, building, unit, room.",
    "ResidentInput.email": "To write back when there is no phone.",
    "ResidentInput.phone": "To call back; a phone or an email, or neither.",
    "SetAvailabilityInput.availability": (
        'Weekly windows, "D HH:MM-HH:MM", D = 1 (Mon)…7 (Sun), Xi\'an time. Replaces the current windows.'
    ),
    "SetAvailabilityInput.maxLoad": "Open assignments allowed at once (0–50).",
    "SubmitNeedInput.categoryCode": "e.g. SEWER",
    "SubmitNeedInput.channel": "Required when staff file it; APP else.",
    "SubmitNeedInput.mediaUrl": "A photo or file of the problem (http or https URL), as Open311's media_url.",
    "SubmitNeedInput.placeId": "The compound (小区) or community it is at.",
    "SubmitNeedInput.resident": "Staff: a new resident; a resident: their own details to store.",
    "SubmitNeedInput.residentId": "Staff: a known resident.",
    "SubmitNeedInput.urgency": "NORMAL when left out.",
    "SuspendNeedInput.reason": "Why the clock stops (waiting for parts, a permit, the resident…).",
    "UpdateOfferingInput.availability": 'Weekly windows, "D HH:MM-HH:MM", D = 1 (Mon)…7 (Sun), Xi\'an time.',
    "UpdateUnitInput.phone": "A mobile (1xxxxxxxxxx) or a Xi'an landline (029-xxxxxxxx).",
    "UpdateVenueInput.openingHours": 'Weekly windows, "D HH:MM-HH:MM", D = 1 (Mon)…7 (Sun), Xi\'an time.',
    # node types: what a field means there (`Type.field`)
    "Need.canCallBack": (
        "Whether the community can call the resident back: a phone or an email is on file. "
        "False for a request filed without either (Open311 allows it): answer through whoever filed it."
    ),
    "Resident.email": "Masked like the phone unless you may see it.",
    "Community.compounds": "Residential compounds (小区).",
    "Community.members": "Party members registered here (双报到).",
    "Community.openNeeds": "Needs not yet closed, newest first.",
    "Community.units": "Units registered here (双报到).",
    "Community.venues": "Venues located in this community.",
    "Compound.hasServiceStation": "Has a 小区党群服务站.",
    "Compound.managements": "The property firms that managed it, newest first: `until` null is the one now.",
    "Compound.fallbacks": (
        "The fallback services (兜底) of its street and district, newest first; they serve it while no firm manages it."
    ),
    "Fallback.since": "From when it serves.",
    "Fallback.until": "When it stopped; null while it lasts.",
    "Management.endReason": "Why it ended (e.g. 满意度低，清退).",
    "Management.firm": "The property firm.",
    "Management.since": "From when the firm manages the compound.",
    "Management.until": "When it ended; null while it lasts.",
    "PropertyFirm.compounds": "The compounds it manages now.",
    "PropertyFirm.creditCode": "Its unified social credit code.",
    "PropertyFirm.managements": "Every management it held or holds, newest first.",
    "PropertyFirm.needs": (
        "The property needs counted against it (PROPERTY, or a dispute naming 物业), raised at a compound it "
        "managed that day; newest first."
    ),
    "PropertyFirmFigures.firmId": "The firm's id.",
    "PropertyFirmReport.firms": "Each firm's figures, worst satisfaction first.",
    "DispatchPlan.greedyObjective": "The same objective for first-come greedy assignment.",
    "DispatchPlan.membersUsed": "Distinct members in the plan.",
    "DispatchPlan.objective": "Σ scores − fairness costs of the plan.",
    "DispatchPlan.resourcesUsed": "Distinct members and offerings in the plan.",
    "DispatchPlan.status": "PROPOSED, then COMMITTED.",
    "District.streets": "Its street offices and towns (街道/镇).",
    "Evaluation.byRole": "REQUESTER (the resident) or COORDINATOR (the dispatcher).",
    "Member.communities": "Communities the member is registered with (双报到).",
    "Member.maxLoad": "Open assignments allowed at once.",
    "Member.skills": "What the member can do.",
    "Need.escalatedAt": "When it was last handed up a level.",
    "Need.mediaUrl": "A photo or file of the problem sent with it (Open311).",
    "Need.mergedInto": "The need this one was merged into as a duplicate (it is then CANCELLED).",
    "Need.suspendedAt": "When its clock was paused (SUSPENDED).",
    "PracticalMatter.title": "What the matter is, in words residents use (e.g. 书院小区下水管网改造).",
    "PracticalMatter.year": "The year whose ten practical things it is a candidate for.",
    "PracticalMatter.source": "Where it was raised from: residents' needs, a quarter's class or hotline calls.",
    "PracticalMatter.status": "CANDIDATE, SELECTED by a joint meeting, or COMPLETED.",
    "PracticalMatter.quarter": "RECURRING_CLASS: the quarter whose class it is (e.g. 2026-Q3).",
    "PracticalMatter.raisedBy": "Who raised it (a staff user).",
    "PracticalMatter.selectedAt": "When a joint meeting selected it.",
    "PracticalMatter.completedAt": "When it was completed.",
    "PracticalMatter.evidence": "What shows it done (acceptance records, photos).",
    "PracticalMatter.compounds": "The compounds its needs were raised at.",
    "PracticalMatter.meeting": "The joint meeting (党建联席会议) that selected it.",
    "PracticalMatter.lead": "Its lead unit.",
    "PracticalMatter.needs": "The residents' needs behind it, newest first.",
    "PracticalMatter.commitments": "What units committed to it.",
    "PracticalMatter.notes": "Progress, newest first.",
    "PracticalMatter.supportingNeeds": "How many needs are behind it.",
    "PracticalMatter.residents": "How many residents raised those needs.",
    "PracticalMatter.unitsInvolved": "How many units committed to it.",
    "PracticalMatter.ratings": "How many residents rated it.",
    "PracticalMatter.satisfaction": "The share of their ratings that are 4 or 5; null before any.",
    "JointMeeting.heldOn": "The day it was held (Beijing time).",
    "JointMeeting.year": "The year whose practical things it selected.",
    "JointMeeting.recordedBy": "Who recorded it (a staff user).",
    "JointMeeting.units": "The units present (registered with the community, 双报到).",
    "JointMeeting.selected": "The matters it selected.",
    "MatterCommitment.role": "LEAD or SUPPORTING.",
    "MatterCommitment.resource": "What it commits: an offering, a venue, program money or a member's hours.",
    "MatterCommitment.hours": "MEMBER_HOURS: how many hours.",
    "MatterCommitment.committedBy": "Who entered it (a user).",
    "MatterCommitment.program": "FUNDS: the funding program the money comes from.",
    "MatterCommitment.member": "MEMBER_HOURS: whose hours.",
    "MatterNote.text": "What was done, or where it stands.",
    "MatterNote.writtenBy": "Who wrote it (a user).",
    "MatterNote.unit": "The unit that wrote it, when a unit did.",
    "Project.category": "The category of needs it addresses.",
    "Project.end": "When it is planned to end (UTC).",
    "Project.note": "What was said when it closed.",
    "Skill.categories": "The categories of need this skill serves.",
    "Street.communities": "Communities (社区) of this street.",
    "Unit.communities": "Communities it is registered with (双报到).",
    "Unit.creditCode": "统一社会信用代码: the unit's unified social credit code, its key when rosters are re-imported.",
    "Unit.members": "Party-member volunteers of this unit.",
    "Unit.offerings": "What this unit offers (services, goods, expertise).",
    "Unit.venues": "Venues this unit owns.",
    "Venue.feePerHour": "Fee per hour in fen (1/100 yuan); 0 is free.",
    "Venue.openingHours": 'Weekly opening windows, "D HH:MM-HH:MM".',
    # root lists' filters: what a field means there (`Filter.field`)
    "CommunityFilter.kind": "社区 or 村.",
    "CommunityFilter.placeId": "A district or street.",
    "MemberFilter.placeId": "Members registered with a community at or below this place.",
    "MemberFilter.skill": "Skill codes, e.g. PLUMBING.",
    "NeedFilter.category": "Category codes, e.g. SEWER.",
    "NeedFilter.placeId": "A district, street, community or compound: needs at it or anywhere below it.",
    "NeedFilter.text": "Full-text search of title and description.",
    "ProjectFilter.category": "Category codes.",
    "ProjectFilter.placeId": "Projects in this place or in places within it.",
    "StreetFilter.kind": "街道 or 镇.",
    "UnitFilter.placeId": "Units registered with a community at or below this place.",
    "VenueFilter.facilities": "Facility codes; all must be present.",
    "VenueFilter.maxFee": "Fee per hour in fen.",
    # mutations' answers
    "replayed": "True when this answers a retry with the same idempotencyKey: nothing changed again.",
    # 吹哨报到 (issue 22 §1–§3): departments, duty lists, whistles, their calls and ratings
    "Department.hours": "When it answers, in words (e.g. 工作日 08:30–17:30；24小时值守).",
    "Department.stationedWith": "The street it is stationed with (派驻机构), if any: it answers to that street first.",
    "DutyList.version": "Its version: 1 for the first, one more for each change (versions are never changed).",
    "DutyList.current": "Whether this version is in force (routing and whistles follow it).",
    "DutyList.changes": "What this version changed against the one before (+ added, - removed, ~ changed lines).",
    "DutyList.changedBy": "Who made this version (a user id).",
    "DutyList.previous": "The version this one replaced.",
    "DutyList.items": "Its lines, by category.",
    "DutyItem.duty": "What the level does with the category: its own (自治), helps (协助), may not take (负面).",
    "DutyItem.lead": "The department that leads a whistle of the category.",
    "DutyItem.assisting": "Departments that assist (联合处置).",
    "DutyItem.dutyList": "The list version it belongs to.",
    "DutyItem.refusals": "How often departments refused a whistle of this category as not their duty, here.",
    "DutyItem.underReview": "Refused repeatedly: the line may be wrong and is up for review.",
    "DutyLineInput.duty": "What the level does with the category (自治, 协助, 负面).",
    "Need.routing": "Where intake sent the need by the communities' duty list, and why (负面清单 …).",
    "RoutingDecision.outcome": "To its community, or straight to the owning department (the negative list).",
    "RoutingDecision.explanation": "The decision in the list's words: 负面清单：燃气安全 → 碑林区燃气安全办公室.",
    "RoutingDecision.dutyItem": "The duty list line that decided it (null: the category is on no list).",
    "Whistle.byId": "Who whistled (a user id; system:routing for intake's negative list).",
    "Whistle.calls": "Its calls, one per department whistled (and per re-route).",
    "Whistle.departments": "The departments it called.",
    "Whistle.dutyItem": "The duty list line that let it go (null for the district's own whistles).",
    "WhistleCall.department": "The department called.",
    "WhistleCall.whistle": "The whistle it is part of.",
    "WhistleCall.handler": "Who handles it for the department, as named in its 报到.",
    "WhistleCall.reportNote": "What the department said with its 报到.",
    "WhistleCall.reportedAt": "When the department reported (报到).",
    "WhistleCall.respondBy": "When its 报到 is due (the response limit).",
    "WhistleCall.completeBy": "When its 反馈 is due (the completion limit).",
    "WhistleCall.respondedLate": "Reported after its response limit (counted).",
    "WhistleCall.completedLate": "Reported back after its completion limit (counted).",
    "WhistleCall.feedback": "What the department did (反馈).",
    "WhistleCall.doneAt": "When it reported back.",
    "WhistleCall.refusalReason": "Why the department refused (e.g. not its duty).",
    "WhistleCall.refusedAt": "When it refused.",
    "WhistleCall.reroutedTo": "The call the whistler sent in its place after a refusal.",
    "WhistleCall.escalations": "How often it was escalated to the district's leadership for being overdue.",
    "WhistleCall.escalatedAt": "When it was last escalated.",
    "WhistleCall.pausedAt": "When its clock was paused (null: running).",
    "WhistleCall.pauseReason": "Why its clock is paused.",
    "WhistleCall.departmentRating": "The whistler's rating of the department's handling (谁呼谁评).",
    "WhistleCall.whistleRating": "The department's rating of the whistle (谁应评谁).",
    "WhistleCallFilter.departmentId": "Only the calls to this department.",
    "DepartmentRating.response": "How it answered the whistle: speed of its 报到 (1–5).",
    "DepartmentRating.result": "What its handling achieved (1–5).",
    "DepartmentRating.attitude": "How it worked with the whistler (1–5).",
    "DepartmentRating.byId": "Who rated (a user id).",
    "DepartmentRating.call": "The call rated.",
    "DepartmentRating.department": "The department rated.",
    "WhistleRating.withinDuty": "Was the whistle within the department's duty?",
    "WhistleRating.informationEnough": "Did the whistle say enough to act on?",
    "WhistleRating.byId": "Who rated (a user id of the department's staff).",
    "WhistleRating.call": "The call whose whistle is rated.",
    "WhistleRating.department": "The department that rated.",
    "callId": "The whistle call (one department's part in a whistle).",
    "ReportToWhistleInput.handler": "Who handles it for the department: a name and a phone (报到).",
    "ReportBackInput.feedback": "What was done (反馈).",
}

ARGUMENTS = {
    "input": "What to do, checked as a whole before anything changes.",
    "first": "How many to return, at most 100.",
    "id": "A Minhu id.",
    "needId": "A need id.",
    "scopeId": "A district, street, community, unit or member id.",
    "districtId": "A district id (district:610103).",
    "from": "Start of the period (inclusive); Beijing time when no offset is given.",
    "to": "End of the period (exclusive); Beijing time when no offset is given.",
    "minCount": "Leave out classes with fewer needs than this.",
    "kinds": "Only candidates of these kinds.",
    "window": "When the venue is wanted.",
    "capacity": "At least this many people.",
    "facilities": "Facility codes it must have.",
    "near": "Where to look from.",
    "maxFee": "At most this fee per hour, in fen.",
}


def _mutation_of(schema: GraphQLSchema) -> dict[str, tuple[str, str]]:
    """Type name → (mutation name, "takes" or "answers") for inputs and payloads of one mutation."""
    seen: dict[str, list[tuple[str, str]]] = {}
    if schema.mutation_type is not None:
        for name, field in schema.mutation_type.fields.items():
            seen.setdefault(get_named_type(field.type).name, []).append((name, "answers"))
            for arg in field.args.values():
                seen.setdefault(get_named_type(arg.type).name, []).append((name, "takes"))
    return {type_name: uses[0] for type_name, uses in seen.items() if len({u[0] for u in uses}) == 1}


def _list_of(schema: GraphQLSchema) -> dict[str, str]:
    """Filter type name → the field it filters."""
    found: dict[str, str] = {}
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType):
            for name, field in named.fields.items():
                if "filter" in field.args:
                    found[get_named_type(field.args["filter"].type).name] = name
    return found


def _type_description(named: GraphQLNamedType, mutations: dict, lists: dict) -> str | None:
    if named.name in TYPES:
        return TYPES[named.name]
    if named.name in mutations:
        mutation, verb = mutations[named.name]
        return f"What `{mutation}` {verb}."
    if named.name in lists:
        return f"Which `{lists[named.name]}` to list: every condition given must hold."
    return None


def describe(schema: GraphQLSchema) -> GraphQLSchema:
    """Fills what is left undescribed from the glossary (see the module's docstring)."""
    mutations, lists = _mutation_of(schema), _list_of(schema)
    for named in schema.type_map.values():
        if named.name.startswith("__"):
            continue
        if not named.description:
            named.description = _type_description(named, mutations, lists)
        if not isinstance(named, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            continue
        for name, field in named.fields.items():
            if not field.description:
                field.description = FIELDS.get(f"{named.name}.{name}") or FIELDS.get(name)
            if isinstance(field, GraphQLField):
                for arg_name, arg in field.args.items():
                    if not arg.description:
                        arg.description = ARGUMENTS.get(f"{named.name}.{name}.{arg_name}") or ARGUMENTS.get(arg_name)
    return schema
