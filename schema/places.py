"""Places: 区/县 → 街道/镇 → 社区/村 → 小区, their lists and filters."""

from __future__ import annotations

import strawberry

from graph.places import kinds
from matching.review.scorecards import Level
from schema.derive import derived_type, node_type, root_list
from schema.relay import Node
from schema.scorecards import scorecard_field


# Their fields and links are their declarations' (graph/places/kinds.py), and each its scorecard (考核);
# when a place was loaded is not shown.
@node_type(kinds.DISTRICT, hide=("createdAt",), description="区/县: one of Xi'an's 11 districts and 2 counties.")
class District(Node):
    scorecard = scorecard_field(Level.DISTRICT)


@node_type(kinds.STREET, hide=("createdAt",), description="街道办事处 or 镇.")
class Street(Node):
    scorecard = scorecard_field(Level.STREET)


@node_type(kinds.COMMUNITY, hide=("createdAt",), description="社区 (or 村): where needs are raised and dispatched.")
class Community(Node):
    scorecard = scorecard_field(Level.COMMUNITY)


Compound = derived_type(kinds.COMPOUND, hide=("createdAt",), description="小区: a residential compound.")


class DistrictFilter:
    name: str | None = None


class StreetFilter:
    district_id: strawberry.ID | None = None
    name: str | None = None
    kind: str | None = strawberry.field(default=None, description="街道 or 镇.")


class CommunityFilter:
    place_id: strawberry.ID | None = strawberry.field(default=None, description="A district or street.")
    name: str | None = None
    kind: str | None = strawberry.field(default=None, description="社区 or 村.")


@strawberry.type
class PlacesQuery:
    districts = root_list("districts", "Districts (区县) of the city, by id.")

    streets = root_list("streets", "Streets (街道), by id.")

    communities = root_list("communities", "Communities (社区), by id.")


TYPES = (District, Street, Community, Compound)
