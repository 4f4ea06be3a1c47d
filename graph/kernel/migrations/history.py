"""Every schema migration ever released, in order, written out literally.

APPEND ONLY. An applied migration is recorded with a checksum of its statements, and a store whose
record no longer matches is refused (graph/kernel/migrations/__init__.py): to change the schema,
append a new migration. `tests/kernel/test_migrations.py` checks that what the kinds declare
(graph/<domain>/kinds.py: unique ids, range, point and full-text indexes) exists after migrating and
prints the statements of a missing migration.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "unique ids for every label",
        (
            "CREATE CONSTRAINT district_id IF NOT EXISTS FOR (n:District) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT street_id IF NOT EXISTS FOR (n:Street) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT community_id IF NOT EXISTS FOR (n:Community) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT compound_id IF NOT EXISTS FOR (n:Compound) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT resident_id IF NOT EXISTS FOR (n:Resident) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT need_id IF NOT EXISTS FOR (n:Need) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT category_id IF NOT EXISTS FOR (n:Category) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT skill_id IF NOT EXISTS FOR (n:Skill) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT unit_id IF NOT EXISTS FOR (n:Unit) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT member_id IF NOT EXISTS FOR (n:Member) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT offering_id IF NOT EXISTS FOR (n:Offering) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT venue_id IF NOT EXISTS FOR (n:Venue) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT facility_id IF NOT EXISTS FOR (n:Facility) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT booking_id IF NOT EXISTS FOR (n:Booking) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT fundingprogram_id IF NOT EXISTS FOR (n:FundingProgram) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT grant_id IF NOT EXISTS FOR (n:Grant) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT assignment_id IF NOT EXISTS FOR (n:Assignment) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT evaluation_id IF NOT EXISTS FOR (n:Evaluation) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT user_id IF NOT EXISTS FOR (n:User) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT dispatchplan_id IF NOT EXISTS FOR (n:DispatchPlan) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT idempotencyrecord_id IF NOT EXISTS FOR (n:IdempotencyRecord) REQUIRE n.id IS UNIQUE",
        ),
    ),
    Migration(
        2,
        "range indexes for filters and sort keys",
        (
            "CREATE INDEX need_status IF NOT EXISTS FOR (n:Need) ON (n.status)",
            "CREATE INDEX need_createdat IF NOT EXISTS FOR (n:Need) ON (n.createdAt)",
            "CREATE INDEX need_channel IF NOT EXISTS FOR (n:Need) ON (n.channel)",
            "CREATE INDEX need_urgency IF NOT EXISTS FOR (n:Need) ON (n.urgency)",
            "CREATE INDEX need_responsedeadline IF NOT EXISTS FOR (n:Need) ON (n.responseDeadline)",
            "CREATE INDEX need_completiondeadline IF NOT EXISTS FOR (n:Need) ON (n.completionDeadline)",
            "CREATE INDEX need_level IF NOT EXISTS FOR (n:Need) ON (n.level)",
            "CREATE INDEX need_number IF NOT EXISTS FOR (n:Need) ON (n.number)",
            "CREATE INDEX category_code IF NOT EXISTS FOR (n:Category) ON (n.code)",
            "CREATE INDEX skill_code IF NOT EXISTS FOR (n:Skill) ON (n.code)",
            "CREATE INDEX facility_code IF NOT EXISTS FOR (n:Facility) ON (n.code)",
            "CREATE INDEX district_code IF NOT EXISTS FOR (n:District) ON (n.code)",
            "CREATE INDEX street_code IF NOT EXISTS FOR (n:Street) ON (n.code)",
            "CREATE INDEX community_code IF NOT EXISTS FOR (n:Community) ON (n.code)",
            "CREATE INDEX unit_kind IF NOT EXISTS FOR (n:Unit) ON (n.kind)",
            "CREATE INDEX unit_name IF NOT EXISTS FOR (n:Unit) ON (n.name)",
            "CREATE INDEX member_name IF NOT EXISTS FOR (n:Member) ON (n.name)",
            "CREATE INDEX venue_kind IF NOT EXISTS FOR (n:Venue) ON (n.kind)",
            "CREATE INDEX venue_capacity IF NOT EXISTS FOR (n:Venue) ON (n.capacity)",
            "CREATE INDEX offering_status IF NOT EXISTS FOR (n:Offering) ON (n.status)",
            "CREATE INDEX booking_start IF NOT EXISTS FOR (n:Booking) ON (n.start)",
            "CREATE INDEX booking_end IF NOT EXISTS FOR (n:Booking) ON (n.end)",
            "CREATE INDEX booking_status IF NOT EXISTS FOR (n:Booking) ON (n.status)",
            "CREATE INDEX grant_status IF NOT EXISTS FOR (n:Grant) ON (n.status)",
            "CREATE INDEX assignment_status IF NOT EXISTS FOR (n:Assignment) ON (n.status)",
            "CREATE INDEX event_at IF NOT EXISTS FOR (n:Event) ON (n.at)",
            "CREATE INDEX user_role IF NOT EXISTS FOR (n:User) ON (n.role)",
            "CREATE INDEX fundingprogram_periodend IF NOT EXISTS FOR (n:FundingProgram) ON (n.periodEnd)",
        ),
    ),
    Migration(
        3,
        "point indexes on locations",
        (
            "CREATE POINT INDEX district_location IF NOT EXISTS FOR (n:District) ON (n.location)",
            "CREATE POINT INDEX street_location IF NOT EXISTS FOR (n:Street) ON (n.location)",
            "CREATE POINT INDEX community_location IF NOT EXISTS FOR (n:Community) ON (n.location)",
            "CREATE POINT INDEX compound_location IF NOT EXISTS FOR (n:Compound) ON (n.location)",
            "CREATE POINT INDEX need_location IF NOT EXISTS FOR (n:Need) ON (n.location)",
            "CREATE POINT INDEX unit_location IF NOT EXISTS FOR (n:Unit) ON (n.location)",
            "CREATE POINT INDEX member_location IF NOT EXISTS FOR (n:Member) ON (n.location)",
            "CREATE POINT INDEX venue_location IF NOT EXISTS FOR (n:Venue) ON (n.location)",
        ),
    ),
    Migration(
        4,
        "full-text (cjk) over needs and offerings",
        (
            "CREATE FULLTEXT INDEX need_text IF NOT EXISTS FOR (n:Need) ON EACH [n.title, n.description] "
            "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}",
            "CREATE FULLTEXT INDEX offering_text IF NOT EXISTS FOR (n:Offering) ON EACH [n.title, n.description] "
            "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}",
        ),
    ),
    Migration(
        5,
        "indexes for assignment order and idempotency keys",
        (
            "CREATE INDEX assignment_createdat IF NOT EXISTS FOR (n:Assignment) ON (n.createdAt)",
            "CREATE INDEX idempotency_key IF NOT EXISTS FOR (n:IdempotencyRecord) ON (n.key)",
        ),
    ),
    Migration(
        6,
        "unique ids for migration records",
        ("CREATE CONSTRAINT migration_id IF NOT EXISTS FOR (n:Migration) REQUIRE n.id IS UNIQUE",),
    ),
    Migration(
        7,
        "idempotency records expire: the sweep finds old ones by createdAt",
        ("CREATE INDEX idempotencyrecord_createdat IF NOT EXISTS FOR (n:IdempotencyRecord) ON (n.createdAt)",),
    ),
    Migration(
        8,
        "natural keys for re-imported rosters (unit credit codes, members by unit and phone); API keys",
        (
            # Members stored before the key get it; of duplicates already stored, the oldest keeps it.
            "MATCH (m:Member)-[:BELONGS_TO]->(u:Unit) WHERE m.phone IS NOT NULL "
            "WITH u.id + '|' + m.phone AS key, m ORDER BY m.createdAt, m.id "
            "WITH key, collect(m) AS ms WHERE all(x IN ms WHERE x.rosterKey IS NULL) "
            "WITH key, ms[0] AS first SET first.rosterKey = key",
            "CREATE CONSTRAINT member_rosterkey IF NOT EXISTS FOR (n:Member) REQUIRE n.rosterKey IS UNIQUE",
            "CREATE CONSTRAINT unit_creditcode IF NOT EXISTS FOR (n:Unit) REQUIRE n.creditCode IS UNIQUE",
            "CREATE CONSTRAINT apikey_id IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT apikey_hash IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.hash IS UNIQUE",
        ),
    ),
    Migration(
        9,
        "several API processes: the events outbox in commit order, leases for periodic jobs",
        (
            "CREATE CONSTRAINT outboxentry_id IF NOT EXISTS FOR (n:OutboxEntry) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT lease_id IF NOT EXISTS FOR (n:Lease) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX outboxentry_at IF NOT EXISTS FOR (n:OutboxEntry) ON (n.at)",
        ),
    ),
    Migration(
        10,
        "projects opened from a class of needs",
        (
            "CREATE CONSTRAINT project_id IF NOT EXISTS FOR (n:Project) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX project_createdat IF NOT EXISTS FOR (n:Project) ON (n.createdAt)",
        ),
    ),
    Migration(
        11,
        "Open311 requests kept until an operator places them (the token flow)",
        (
            "CREATE CONSTRAINT pendingrequest_id IF NOT EXISTS FOR (n:PendingRequest) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX pendingrequest_createdat IF NOT EXISTS FOR (n:PendingRequest) ON (n.createdAt)",
        ),
    ),
    Migration(
        12,
        "functional departments (职能部门), each with its own code",
        (
            "CREATE CONSTRAINT department_id IF NOT EXISTS FOR (n:Department) REQUIRE n.id IS UNIQUE",
            # Two registrations of one code at once: the constraint lets one through (registerDepartment).
            "CREATE CONSTRAINT department_code IF NOT EXISTS FOR (n:Department) REQUIRE n.code IS UNIQUE",
            "CREATE INDEX department_level IF NOT EXISTS FOR (n:Department) ON (n.level)",
        ),
    ),
    Migration(
        14,
        "property firms (物业企业), their managements of compounds, the fallback service (兜底)",
        (
            "CREATE CONSTRAINT propertyfirm_id IF NOT EXISTS FOR (n:PropertyFirm) REQUIRE n.id IS UNIQUE",
            # Two registrations of one credit code at once: the constraint lets one through.
            "CREATE CONSTRAINT propertyfirm_creditcode IF NOT EXISTS "
            "FOR (n:PropertyFirm) REQUIRE n.creditCode IS UNIQUE",
            "CREATE INDEX propertyfirm_name IF NOT EXISTS FOR (n:PropertyFirm) ON (n.name)",
            "CREATE CONSTRAINT management_id IF NOT EXISTS FOR (n:Management) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX management_since IF NOT EXISTS FOR (n:Management) ON (n.since)",
            "CREATE CONSTRAINT fallback_id IF NOT EXISTS FOR (n:Fallback) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX fallback_since IF NOT EXISTS FOR (n:Fallback) ON (n.since)",
        ),
    ),
    Migration(
        15,
        "吹哨报到: duty lists (one key per version), whistles, their calls, ratings both ways, routing decisions",
        (
            "CREATE CONSTRAINT dutylist_id IF NOT EXISTS FOR (n:DutyList) REQUIRE n.id IS UNIQUE",
            # Two first versions of one list at once: the key lets one through (reviseDutyList).
            "CREATE CONSTRAINT dutylist_key IF NOT EXISTS FOR (n:DutyList) REQUIRE n.key IS UNIQUE",
            "CREATE INDEX dutylist_level IF NOT EXISTS FOR (n:DutyList) ON (n.level)",
            "CREATE INDEX dutylist_current IF NOT EXISTS FOR (n:DutyList) ON (n.current)",
            "CREATE CONSTRAINT dutyitem_id IF NOT EXISTS FOR (n:DutyItem) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT whistle_id IF NOT EXISTS FOR (n:Whistle) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX whistle_createdat IF NOT EXISTS FOR (n:Whistle) ON (n.createdAt)",
            "CREATE CONSTRAINT whistlecall_id IF NOT EXISTS FOR (n:WhistleCall) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX whistlecall_status IF NOT EXISTS FOR (n:WhistleCall) ON (n.status)",
            "CREATE INDEX whistlecall_createdat IF NOT EXISTS FOR (n:WhistleCall) ON (n.createdAt)",
            "CREATE INDEX whistlecall_respondby IF NOT EXISTS FOR (n:WhistleCall) ON (n.respondBy)",
            "CREATE INDEX whistlecall_completeby IF NOT EXISTS FOR (n:WhistleCall) ON (n.completeBy)",
            "CREATE CONSTRAINT departmentrating_id IF NOT EXISTS FOR (n:DepartmentRating) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT whistlerating_id IF NOT EXISTS FOR (n:WhistleRating) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT routingdecision_id IF NOT EXISTS FOR (n:RoutingDecision) REQUIRE n.id IS UNIQUE",
        ),
    ),
    Migration(
        16,
        "what funding programs fund (needs, projects or both); venues' natural key",
        (
            # Every program stored before the declaration funded needs, the only thing a grant could be for.
            "MATCH (p:FundingProgram) WHERE p.funds IS NULL SET p.funds = 'NEEDS'",
            # Venues stored before the key get it (graph.venues.kinds.venue_key, as it was then: owner|community|name);
            # of duplicates already stored (a roster imported twice), the oldest keeps it.
            "MATCH (v:Venue)-[:AT]->(c:Community) WHERE v.rosterKey IS NULL "
            "WITH v, coalesce([(v)-[:OWNED_BY]->(u:Unit) | u.id][0], '') + '|' + c.id + '|' + v.name AS key "
            "ORDER BY v.createdAt, v.id "
            "WITH key, collect(v) AS vs WHERE NOT EXISTS { MATCH (:Venue {rosterKey: key}) } "
            "WITH key, vs[0] AS first SET first.rosterKey = key",
            "CREATE CONSTRAINT venue_rosterkey IF NOT EXISTS FOR (n:Venue) REQUIRE n.rosterKey IS UNIQUE",
        ),
    ),
    Migration(
        17,
        "the year's ten practical things (一年10件实事): matters, joint meetings, commitments, notes, ratings",
        (
            "CREATE CONSTRAINT practicalmatter_id IF NOT EXISTS FOR (n:PracticalMatter) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX practicalmatter_year IF NOT EXISTS FOR (n:PracticalMatter) ON (n.year)",
            "CREATE INDEX practicalmatter_status IF NOT EXISTS FOR (n:PracticalMatter) ON (n.status)",
            "CREATE INDEX practicalmatter_createdat IF NOT EXISTS FOR (n:PracticalMatter) ON (n.createdAt)",
            "CREATE CONSTRAINT jointmeeting_id IF NOT EXISTS FOR (n:JointMeeting) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX jointmeeting_heldon IF NOT EXISTS FOR (n:JointMeeting) ON (n.heldOn)",
            "CREATE INDEX jointmeeting_year IF NOT EXISTS FOR (n:JointMeeting) ON (n.year)",
            "CREATE CONSTRAINT mattercommitment_id IF NOT EXISTS FOR (n:MatterCommitment) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX mattercommitment_role IF NOT EXISTS FOR (n:MatterCommitment) ON (n.role)",
            "CREATE CONSTRAINT matternote_id IF NOT EXISTS FOR (n:MatterNote) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT matterrating_id IF NOT EXISTS FOR (n:MatterRating) REQUIRE n.id IS UNIQUE",
        ),
    ),
    Migration(
        18,
        "partners' webhooks, their deliveries and every try of them (issue 24 §2)",
        (
            "CREATE CONSTRAINT webhook_id IF NOT EXISTS FOR (n:Webhook) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX webhook_apikeyid IF NOT EXISTS FOR (n:Webhook) ON (n.apiKeyId)",
            "CREATE CONSTRAINT webhookdelivery_id IF NOT EXISTS FOR (n:WebhookDelivery) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX webhookdelivery_status IF NOT EXISTS FOR (n:WebhookDelivery) ON (n.status)",
            "CREATE INDEX webhookdelivery_nextattemptat IF NOT EXISTS FOR (n:WebhookDelivery) ON (n.nextAttemptAt)",
            "CREATE INDEX webhookdelivery_needid IF NOT EXISTS FOR (n:WebhookDelivery) ON (n.needId)",
            "CREATE INDEX webhookdelivery_createdat IF NOT EXISTS FOR (n:WebhookDelivery) ON (n.createdAt)",
            # Try n of a delivery is one node (its id holds n): two relays can never both record it.
            "CREATE CONSTRAINT webhookattempt_id IF NOT EXISTS FOR (n:WebhookAttempt) REQUIRE n.id IS UNIQUE",
        ),
    ),
)
