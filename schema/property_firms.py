"""Property firms' figures (`propertyFirmReport`). The firms, their managements and the fallback service
are derived from their declarations (graph/property/kinds.py), their mutations from their forms."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers.kernel import read
from resolvers.property import report
from schema.relay import in_nodes, record_type


async def _firm(self: Any, info: Info) -> Any:
    return await read.by_id(info.context, "PropertyFirm", self.firm_id)


@strawberry.type(
    name="PropertyFirmFigures",
    description="A property firm's figures over the report's period: the property needs counted against it "
    "(raised at a compound it managed that day) and its residents' satisfaction (the requesters' ratings, "
    "docs/STATS.md).",
)
class FirmFigures:
    firm_id: strawberry.ID
    rank: int = strawberry.field(description="1 for the lowest satisfaction rate; firms without ratings come last.")
    compounds: int = strawberry.field(description="How many compounds it manages now.")
    needs: int = strawberry.field(description="Property needs counted against it, raised in the period.")
    ratings: int
    satisfied_ratings: int
    satisfaction_rate: float | None
    average_rating: float | None
    below_threshold: bool = strawberry.field(
        description="Its satisfaction rate is below the report's threshold (a firm without ratings never is)."
    )

    firm = strawberry.field(resolver=in_nodes(_firm, "PropertyFirm | None"), description="The firm.")


FirmReport = record_type(
    report.FirmReport,
    "PropertyFirmReport",
    "The property firms a district registered, over [from, to), worst satisfaction first.",
    district_id=(strawberry.ID, strawberry.field()),
    start=strawberry.field(name="from"),
    end=strawberry.field(name="to"),
    threshold=strawberry.field(
        description="Firms below this satisfaction rate are flagged (MINHU_PROPERTY_SATISFACTION_THRESHOLD)."
    ),
    firms=(list[FirmFigures], strawberry.field()),
)


@strawberry.type
class PropertyQuery:
    @strawberry.field(
        description="The property firms of a district over [from, to) (default: the year up to now), worst "
        "satisfaction first, those below the satisfaction threshold flagged; the needs behind each figure are "
        "the firm's `needs`."
    )
    async def property_firm_report(
        self,
        info: Info,
        district_id: strawberry.ID,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> FirmReport:
        return await report.property_firm_report(info.context, str(district_id), from_, to)
