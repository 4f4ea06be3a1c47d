"""Venue use over a period: every venue at or below a place, and the hours its confirmed bookings hold
within the period (clipped to it). One statement; opening hours are counted in matching/."""

from __future__ import annotations

from functools import cache
from typing import Any

from graph.kernel.db import Graph
from graph.review.stats import TO_COMMUNITIES
from graph.venues.kinds import BookingStatus


@cache
def _statement(place_label: str) -> str:
    return (
        f"{TO_COMMUNITIES[place_label]}MATCH (c)<-[:AT]-(v:Venue) "
        "WITH v, c, datetime($from) AS a, datetime($to) AS z "
        "RETURN v.id AS venueId, c.id AS communityId, coalesce(v.openingHours, []) AS openingHours, "
        "  reduce(s = 0, b IN [(b:Booking)-[:OF]->(v) "
        f"    WHERE b.status = '{BookingStatus.CONFIRMED}' AND b.start < z AND b.end > a | b] | "
        "    s + duration.inSeconds(CASE WHEN b.start > a THEN b.start ELSE a END, "
        "                           CASE WHEN b.end < z THEN b.end ELSE z END).seconds) AS bookedSeconds "
        "ORDER BY v.id"
    )


async def venue_use(graph: Graph, place_id: str, place_label: str, start: str, end: str) -> list[dict[str, Any]]:
    return await graph.read(_statement(place_label), "explore.venue_use", scope=place_id, **{"from": start, "to": end})
