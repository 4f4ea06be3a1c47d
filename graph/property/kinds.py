"""Property firms (物业企业), whom they manage, and the fallback service for compounds no firm manages.

`(:PropertyFirm)-[:OF]->(:District)`: a firm and the district that registered it.
`(:Management)-[:BY]->(:PropertyFirm)`, `(:Management)-[:OF]->(:Compound)`: one firm's management of one
compound from `since` until `until` (null while it lasts). A compound has at most one management without
`until`; the history stays, so a need is counted against the firm that managed its compound on the day it
was raised. `(:PropertyFirm)-[:MANAGES]->(:Compound)` mirrors the lasting managements (written and removed
with them, in the same transaction): what the current firm is, read in one hop.
`(:Fallback)-[:BY]->(:Unit)`, `(:Fallback)-[:FOR]->(:Street|District)`: a unit (a state enterprise,
国企整片承包) serving the compounds of an area that have no firm (无物业小区), from `since` until `until`.

The declarations are the kinds' one description: their GraphQL types, the firms' list and filter and the
inputs of the mutations derive from them and from the forms (schema/derive.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import Field

from graph.kernel.kinds import ListFilter, Where, declare, many, one
from graph.kernel.records import NodeRecord
from graph.places.lists import OfDistrict

# What a property need is (物业问题): its category is PROPERTY, or it is a dispute (纠纷调解) whose
# words name the property firm. Fixed Cypher over `y`, the need.
PROPERTY_CATEGORY = "PROPERTY"
DISPUTE_CATEGORY = "DISPUTE_MEDIATION"
FIRM_WORD = "物业"


def property_need(var: str) -> str:
    """Fixed Cypher: whether the need bound to `var` is a property need."""
    return (
        f"(EXISTS {{ ({var})-[:OF]->(:Category {{code: '{PROPERTY_CATEGORY}'}}) }} "
        f"OR (EXISTS {{ ({var})-[:OF]->(:Category {{code: '{DISPUTE_CATEGORY}'}}) }} "
        f"AND (coalesce({var}.title, '') CONTAINS '{FIRM_WORD}' "
        f"OR coalesce({var}.description, '') CONTAINS '{FIRM_WORD}')))"
    )


PROPERTY_NEED = property_need("y")
# The management in force when need `y` was raised, bound as `mgmt` by the pattern before it. A name no
# compiled statement gives its own variables (they are numbered: n1, page2…).
COUNTED_AGAINST = "mgmt.since <= y.createdAt AND (mgmt.until IS NULL OR y.createdAt < mgmt.until)"


@dataclass(slots=True)
class PropertyFirm(NodeRecord):
    """A property firm (物业企业) registered by a district: the compounds it manages, and the property
    needs of their residents, counted against it (its satisfaction: `propertyFirmReport`)."""

    name: str
    credit_code: str | None = None
    phone: str | None = None
    district_id: str = ""
    updated_at: datetime | None = None


@dataclass(slots=True)
class Management(NodeRecord):
    """A property firm's management of a compound (物业服务), from `since` until `until` (null while it
    lasts). A compound has one firm at a time; the history is kept."""

    since: datetime
    until: datetime | None = None
    end_reason: str | None = None
    firm_id: str = ""
    compound_id: str = ""


@dataclass(slots=True)
class Fallback(NodeRecord):
    """The fallback service (兜底) a unit — a state enterprise taking over a whole area (国企整片承包) —
    gives the compounds of a street or a district that have no property firm (无物业小区), from `since`
    until `until` (null while it lasts). The matcher offers the unit for their property needs."""

    since: datetime
    until: datetime | None = None
    unit_id: str = ""
    street_id: str | None = None
    district_id: str | None = None


class PropertyFirmFilter(ListFilter):
    district_id: Annotated[OfDistrict, Field(description="Only the firms registered by this district.")] = None
    name: Annotated[str | None, Field(min_length=1, max_length=50), Where("x.name CONTAINS $name")] = None


PROPERTY_FIRM = (
    declare(PropertyFirm, "propertyfirm", reader="public", lockable=True, indexes=("name",))
    .linking(
        district=one("(x)-[:OF]->(y:District)", "District", attr="districtId"),
        compounds=many("(x)-[:MANAGES]->(y:Compound)", "Compound"),
        managements=many("(x)<-[:BY]-(y:Management)", "Management", newest_first=True),
        needs=many(
            "(x)<-[:BY]-(mgmt:Management)-[:OF]->(:Compound)<-[:AT]-(y:Need)",
            "Need",
            newest_first=True,
            where=f"{COUNTED_AGAINST} AND {PROPERTY_NEED}",
        ),
    )
    .listed("propertyFirms", PropertyFirmFilter)
)
MANAGEMENT = declare(Management, "management", reader="public", indexes=("since",)).linking(
    firm=one("(x)-[:BY]->(y:PropertyFirm)", "PropertyFirm", attr="firmId"),
    compound=one("(x)-[:OF]->(y:Compound)", "Compound", attr="compoundId"),
)
FALLBACK = declare(Fallback, "fallback", reader="public", indexes=("since",)).linking(
    unit=one("(x)-[:BY]->(y:Unit)", "Unit", attr="unitId"),
    street=one("(x)-[:FOR]->(y:Street)", "Street", attr="streetId"),
    district=one("(x)-[:FOR]->(y:District)", "District", attr="districtId"),
)

KINDS = (PROPERTY_FIRM, MANAGEMENT, FALLBACK)

# Links shown on the places' kinds: who manages a compound is the property firms' fact. Newest first, so
# `managements(first: 1)` is the current firm's (its `until` null) or the last one's.
LENT = {
    "Compound": {
        "managements": many("(x)<-[:OF]-(y:Management)", "Management", newest_first=True),
        "fallbacks": many(
            "(x)-[:IN]->(:Community)-[:IN]->(:Street)-[:IN*0..1]->(area)<-[:FOR]-(y:Fallback)",
            "Fallback",
            newest_first=True,
        ),
    },
}
