"""The whistle's root list: the calls a viewer may see, newest first. Where it starts is who asks: a
department's staff its department's calls and nothing else; coordinators and district admins the calls
on needs in their scope; the city every call; anyone else none."""

from __future__ import annotations

from typing import Any

from graph.kernel.kinds import RootList, Source, label_scan
from graph.places.lists import TO_COMMUNITIES
from graph.whistle.kinds import WhistleCallFilter

_ON_NEEDS = (
    "MATCH (c)<-[:IN*0..1]-(:Compound|Community)<-[:AT]-(:Need)<-[:ABOUT]-(:Whistle)<-[:PART_OF]-(x:WhistleCall) "
)
_SCOPE_LABEL = {"district": "District", "street": "Street", "community": "Community"}


def _calls_source(f: dict[str, Any]) -> Source:
    role, scope = f.get("viewerRole"), f.get("viewerScope") or ""
    if role == "CITY_ADMIN":
        return label_scan("WhistleCall")
    if role == "DEPARTMENT_STAFF":
        return "MATCH (:Department {id: $viewerScope})<-[:TO]-(x:WhistleCall) ", {}, False
    label = _SCOPE_LABEL.get(scope.split(":", 1)[0]) if role in ("COORDINATOR", "DISTRICT_ADMIN") else None
    if label is None:
        return "MATCH (x:WhistleCall) WHERE false ", {}, False
    return TO_COMMUNITIES[label] + _ON_NEEDS, {"placeId": scope}, True


WHISTLE_CALLS = RootList("whistleCalls", "WhistleCall", _calls_source, WhistleCallFilter, newest_first=True)

LISTS = (WHISTLE_CALLS,)
