"""How each label is read: one map projection per label (variable `x`) and the record it fills.

Lists, DataLoaders and `node(id:)` all read through these, so a record always carries the
same linked ids whichever query produced it.
"""

from graph.kernel import models

PROJECTIONS: dict[str, str] = {
    "District": "x {.*}",
    "Street": "x {.*, districtId: [(x)-[:IN]->(d:District) | d.id][0]}",
    "Community": "x {.*, streetId: [(x)-[:IN]->(s:Street) | s.id][0]}",
    "Compound": "x {.*, communityId: [(x)-[:IN]->(c:Community) | c.id][0]}",
    "Category": "x {.*}",
    "Skill": "x {.*, categoryCodes: [(x)-[:SERVES]->(c:Category) | c.code]}",
    "Facility": "x {.*}",
    "Unit": "x {.*}",
    "Member": "x {.*, unitId: [(x)-[:BELONGS_TO]->(u:Unit) | u.id][0]}",
    "Offering": (
        "x {.*, unitId: [(u:Unit)-[:OFFERS]->(x) | u.id][0], "
        "categoryCode: [(x)-[:SERVES]->(c:Category) | c.code][0], areaIds: [(x)-[:IN_AREA]->(a) | a.id]}"
    ),
    "Venue": (
        "x {.*, communityId: [(x)-[:AT]->(c:Community) | c.id][0], ownerId: [(x)-[:OWNED_BY]->(u:Unit) | u.id][0], "
        "facilityCodes: [(x)-[:HAS]->(f:Facility) | f.code]}"
    ),
    "FundingProgram": (
        "x {.*, categoryCodes: [(x)-[:COVERS]->(c:Category) | c.code], "
        "districtIds: [(x)-[:AVAILABLE_IN]->(d:District) | d.id]}"
    ),
    "Need": (
        "x {.*, categoryCode: [(x)-[:OF]->(c:Category) | c.code][0], "
        "compoundId: [(x)-[:AT]->(p:Compound) | p.id][0], "
        "communityId: coalesce([(x)-[:AT]->(c:Community) | c.id][0], "
        "[(x)-[:AT]->(:Compound)-[:IN]->(c:Community) | c.id][0]), "
        "residentId: [(x)-[:RAISED_BY]->(r:Resident) | r.id][0]}"
    ),
}

MODELS: dict[str, type] = {
    "District": models.District,
    "Street": models.Street,
    "Community": models.Community,
    "Compound": models.Compound,
    "Category": models.Category,
    "Skill": models.Skill,
    "Facility": models.Facility,
    "Unit": models.Unit,
    "Member": models.Member,
    "Offering": models.Offering,
    "Venue": models.Venue,
    "FundingProgram": models.FundingProgram,
    "Need": models.Need,
}


def to_model(label: str, row: dict) -> object:
    return models.from_row(MODELS[label], row)
