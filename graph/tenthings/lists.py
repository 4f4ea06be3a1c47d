"""The practical matters' and joint meetings' root lists: at or below a place, by year and status."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from graph.kernel.kinds import ListFilter, RootList, Source, Where, label_scan
from graph.places.lists import TO_COMMUNITIES, place_label
from graph.tenthings.kinds import MatterSource, MatterStatus

PlaceId = Annotated[
    str | None,
    Field(
        max_length=80,
        description="Only those of the communities at or below this district, street or community.",
    ),
]
Year = Annotated[int | None, Field(ge=2000, le=2100, description="Only those of this year."), Where("x.year = $year")]


class PracticalMatterFilter(ListFilter):
    place_id: PlaceId = None  # the source: `_in_place`
    year: Year = None
    status: Annotated[list[MatterStatus] | None, Where("x.status IN $status")] = None
    source: Annotated[list[MatterSource] | None, Where("x.source IN $source")] = None
    category: Annotated[
        list[str] | None,
        Field(description="Only those of these categories (codes, e.g. SEWER)."),
        Where("EXISTS { MATCH (x)-[:OF]->(k:Category) WHERE k.code IN $category }"),
    ] = None


class JointMeetingFilter(ListFilter):
    place_id: PlaceId = None  # the source: `_in_place`
    year: Year = None


def _in_place(label: str, relation: str) -> Any:
    def source(f: dict[str, Any]) -> Source:
        if not f.get("placeId"):
            return label_scan(label)
        where = place_label(f["placeId"], ("District", "Street", "Community"))
        return TO_COMMUNITIES[where] + f"MATCH (c)<-[:{relation}]-(x:{label}) ", {}, False

    return source


MATTERS = RootList(
    "practicalMatters", "PracticalMatter", _in_place("PracticalMatter", "IN"), PracticalMatterFilter, newest_first=True
)
MEETINGS = RootList(
    "jointMeetings", "JointMeeting", _in_place("JointMeeting", "OF"), JointMeetingFilter, newest_first=True
)

LISTS = (MATTERS, MEETINGS)
