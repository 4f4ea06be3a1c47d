"""Scope containment and the contact-masking policy against a real Neo4j.

The little world:

    district:610103 ── street:610103001 ── community:610103001001 ── compound:610103001001-1
                    └─ street:610103002 ── community:610103002001
    district:610113 ── street:610113001 ── community:610113001001 ── compound:610113001001-1

    need:1 at compound:610103001001-1, raised by resident:1, ACTIVE for member:1 (member:2 declined)
    need:2 at community:610103002001,  raised by resident:2, ACTIVE for unit:1
    need:3 at compound:610113001001-1, raised by resident:1, ACTIVE for offering:1 of unit:2
                                        (member:3 only INVITED)
    need:4 at community:610103001001,  raised by resident:2, unassigned
"""

from __future__ import annotations

import pytest

from graph.kernel.db import Graph
from graph.kernel.errors import BadUserInput, Forbidden, Unauthenticated
from graph.places.scopes import need_access, need_place, place_within, places_within
from resolvers.kernel.authz import (
    can_see_contact,
    contact_visibility,
    require_scope,
    require_scope_all,
)
from resolvers.kernel.viewer import Role, Viewer

D1, D2 = "district:610103", "district:610113"
S1, S2, S3 = "street:610103001", "street:610103002", "street:610113001"
C1, C2, C3 = "community:610103001001", "community:610103002001", "community:610113001001"
K1, K3 = "compound:610103001001-1", "compound:610113001001-1"
NEEDS = ["need:1", "need:2", "need:3", "need:4"]

WORLD = """
CREATE (d1:District {id: $d1}), (d2:District {id: $d2})
CREATE (s1:Street {id: $s1})-[:IN]->(d1), (s2:Street {id: $s2})-[:IN]->(d1), (s3:Street {id: $s3})-[:IN]->(d2)
CREATE (c1:Community {id: $c1})-[:IN]->(s1), (c2:Community {id: $c2})-[:IN]->(s2), (c3:Community {id: $c3})-[:IN]->(s3)
CREATE (k1:Compound {id: $k1})-[:IN]->(c1), (k3:Compound {id: $k3})-[:IN]->(c3)
CREATE (r1:Resident {id: 'resident:1', phone: '13812345678'}), (r2:Resident {id: 'resident:2'})
CREATE (m1:Member {id: 'member:1'}), (m2:Member {id: 'member:2'}), (m3:Member {id: 'member:3'})
CREATE (u1:Unit {id: 'unit:1'}), (u2:Unit {id: 'unit:2'})-[:OFFERS]->(o1:Offering {id: 'offering:1'})
CREATE (n1:Need {id: 'need:1'})-[:AT]->(k1), (n1)-[:RAISED_BY]->(r1)
CREATE (n2:Need {id: 'need:2'})-[:AT]->(c2), (n2)-[:RAISED_BY]->(r2)
CREATE (n3:Need {id: 'need:3'})-[:AT]->(k3), (n3)-[:RAISED_BY]->(r1)
CREATE (n4:Need {id: 'need:4'})-[:AT]->(c1), (n4)-[:RAISED_BY]->(r2)
CREATE (:Assignment {id: 'assignment:1', status: 'ACTIVE'})-[:OF]->(n1)
CREATE (:Assignment {id: 'assignment:2', status: 'DECLINED'})-[:OF]->(n1)
CREATE (:Assignment {id: 'assignment:3', status: 'ACTIVE'})-[:OF]->(n2)
CREATE (:Assignment {id: 'assignment:4', status: 'ACTIVE'})-[:OF]->(n3)
CREATE (:Assignment {id: 'assignment:5', status: 'INVITED'})-[:OF]->(n3)
WITH m1, m2, m3, u1, o1
MATCH (a1:Assignment {id: 'assignment:1'}), (a2:Assignment {id: 'assignment:2'}),
      (a3:Assignment {id: 'assignment:3'}), (a4:Assignment {id: 'assignment:4'}),
      (a5:Assignment {id: 'assignment:5'})
CREATE (a1)-[:TO]->(m1), (a2)-[:TO]->(m2), (a3)-[:TO]->(u1), (a4)-[:TO]->(o1), (a5)-[:TO]->(m3)
"""


@pytest.fixture
async def world(graph: Graph) -> Graph:
    await graph.write(WORLD, d1=D1, d2=D2, s1=S1, s2=S2, s3=S3, c1=C1, c2=C2, c3=C3, k1=K1, k3=K3)
    graph.counter.count = 0
    return graph


def coordinator(scope: str) -> Viewer:
    return Viewer("user:coordinator", Role.COORDINATOR, scope)


def district_admin(scope: str) -> Viewer:
    return Viewer("user:district", Role.DISTRICT_ADMIN, scope)


CITY = Viewer("user:city", Role.CITY_ADMIN, None)


# --- containment -----------------------------------------------------------------------------


# Each place, bottom up to its district: a place lies within itself and every place above it.
CHAINS = [(K1, C1, S1, D1), (C2, S2, D1), (K3, C3, S3, D2)]
INSIDE = sorted({(chain[i], above) for chain in CHAINS for i in range(len(chain)) for above in chain[i:]})
OUTSIDE = [
    (K1, C2),
    (K1, S2),
    (K1, D2),
    (C2, S1),
    (S3, D1),
    (C1, K1),  # a community is never inside a compound
    (D1, S1),
    (S1, S2),  # same level, different place
]


@pytest.mark.parametrize(
    ("place", "scope", "inside"), [(*pair, True) for pair in INSIDE] + [(*pair, False) for pair in OUTSIDE]
)
async def test_place_within(world: Graph, place: str, scope: str, inside: bool) -> None:
    assert await place_within(world, place, scope) is inside
    assert world.counter.count <= 1


async def test_places_within_answers_a_mixed_list_in_one_statement(world: Graph) -> None:
    places = [K1, K3, C1, C2, C3, S1, S2, S3, D1, D2]
    assert await places_within(world, places, D1) == {K1, C1, C2, S1, S2, D1}
    assert world.counter.count == 1
    assert await places_within(world, places, S1) == {K1, C1, S1}
    assert await places_within(world, [D1, D2], S1) == set()
    assert world.counter.count == 2  # the last call needed no query at all


async def test_places_within_refuses_ids_that_are_not_places(world: Graph) -> None:
    with pytest.raises(BadUserInput, match="expected a District or Street or Community or Compound id"):
        await places_within(world, ["need:1"], D1)
    with pytest.raises(BadUserInput, match="not a Minhu id"):
        await place_within(world, "community:1' OR 1=1 //", D1)


# --- require_scope ---------------------------------------------------------------------------


async def test_require_scope_lets_each_level_act_at_or_below_its_scope(world: Graph) -> None:
    assert await require_scope(world, coordinator(C1), K1)
    assert await require_scope(world, coordinator(S1), C1)
    assert await require_scope(world, district_admin(D1), C2)
    assert await require_scope(world, CITY, K3)


async def test_require_scope_forbids_outside_naming_the_scope(world: Graph) -> None:
    with pytest.raises(Forbidden, match=f"{C2} lies outside your scope {C1}"):
        await require_scope(world, coordinator(C1), C2)
    with pytest.raises(Forbidden, match=f"outside your scope {D1}") as caught:
        await require_scope_all(world, district_admin(D1), [K1, C3, K3])
    assert caught.value.details["outside"] == [C3, K3]
    with pytest.raises(Forbidden, match=f"outside your scope {S1}"):
        await require_scope(world, coordinator(S1), D1)


async def test_require_scope_needs_a_place_role_and_a_viewer(world: Graph) -> None:
    with pytest.raises(Unauthenticated, match="Bearer <token>"):
        await require_scope(world, None, K1)
    for viewer in (
        Viewer("resident:1", Role.RESIDENT, None),
        Viewer("member:1", Role.MEMBER, None),
        Viewer("user:u", Role.UNIT_ADMIN, "unit:1"),
    ):
        with pytest.raises(Forbidden, match="COORDINATOR, DISTRICT_ADMIN, CITY_ADMIN"):
            await require_scope(world, viewer, K1)
    assert world.counter.count == 0


async def test_city_admin_scope_needs_no_query(world: Graph) -> None:
    await require_scope_all(world, CITY, [K1, C2, S3, D2])
    assert world.counter.count == 0


# --- need facts ------------------------------------------------------------------------------


async def test_need_access_collects_places_requester_and_current_handlers(world: Graph) -> None:
    facts = await need_access(world, [*NEEDS, "need:missing"])
    assert world.counter.count == 1
    assert set(facts) == set(NEEDS)
    assert facts["need:1"].place_ids == {K1, C1, S1, D1}
    assert facts["need:1"].requester_id == "resident:1"
    assert facts["need:1"].handler_ids == {"member:1"}  # member:2 declined
    assert facts["need:2"].place_ids == {C2, S2, D1}
    assert facts["need:2"].handler_ids == {"unit:1"}
    assert facts["need:3"].handler_ids == {"offering:1", "unit:2"}  # member:3 only invited
    assert facts["need:4"].handler_ids == frozenset()


async def test_need_place_is_the_community(world: Graph) -> None:
    assert await need_place(world, "need:1") == C1
    assert await need_place(world, "need:2") == C2
    assert await need_place(world, "need:missing") is None


# --- contact masking -------------------------------------------------------------------------

VISIBILITY: list[tuple[str, Viewer | None, set[str]]] = [
    ("anonymous", None, set()),
    ("requester resident:1", Viewer("resident:1", Role.RESIDENT, None), {"need:1", "need:3"}),
    ("requester resident:2", Viewer("resident:2", Role.RESIDENT, None), {"need:2", "need:4"}),
    ("another resident", Viewer("resident:9", Role.RESIDENT, None), set()),
    ("active member", Viewer("member:1", Role.MEMBER, None), {"need:1"}),
    ("member who declined", Viewer("member:2", Role.MEMBER, None), set()),
    ("member only invited", Viewer("member:3", Role.MEMBER, None), set()),
    ("admin of the assigned unit", Viewer("user:u1", Role.UNIT_ADMIN, "unit:1"), {"need:2"}),
    ("admin of the offering's unit", Viewer("user:u2", Role.UNIT_ADMIN, "unit:2"), {"need:3"}),
    ("admin of an unrelated unit", Viewer("user:u3", Role.UNIT_ADMIN, "unit:3"), set()),
    ("coordinator of community 1", coordinator(C1), {"need:1", "need:4"}),
    ("coordinator of community 2", coordinator(C2), {"need:2"}),
    ("coordinator of street 1", coordinator(S1), {"need:1", "need:4"}),
    ("coordinator of street 3", coordinator(S3), {"need:3"}),
    ("admin of district 1", district_admin(D1), {"need:1", "need:2", "need:4"}),
    ("admin of district 2", district_admin(D2), {"need:3"}),
    ("city admin", CITY, set(NEEDS)),
]


@pytest.mark.parametrize(("who", "viewer", "visible"), VISIBILITY, ids=[row[0] for row in VISIBILITY])
async def test_contact_visibility(world: Graph, who: str, viewer: Viewer | None, visible: set[str]) -> None:
    decided = await contact_visibility(world, viewer, NEEDS)
    assert {nid for nid, shown in decided.items() if shown} == visible, who
    assert world.counter.count <= 1
    for nid in NEEDS:
        assert await can_see_contact(world, viewer, nid) is (nid in visible)


async def test_unknown_needs_are_never_visible(world: Graph) -> None:
    assert await contact_visibility(world, coordinator(C1), ["need:missing"]) == {"need:missing": False}


async def test_a_hundred_needs_are_decided_with_one_statement(world: Graph) -> None:
    ids = [f"need:bulk{i}" for i in range(100)]
    await world.write(
        "MATCH (k:Compound {id: $k1}), (r:Resident {id: 'resident:1'}) "
        "UNWIND $ids AS nid CREATE (n:Need {id: nid})-[:AT]->(k), (n)-[:RAISED_BY]->(r)",
        ids=ids,
        k1=K1,
    )
    world.counter.count = 0
    decided = await contact_visibility(world, coordinator(S1), ids)
    assert world.counter.count == 1
    assert all(decided[nid] for nid in ids)
    assert not any((await contact_visibility(world, coordinator(C2), ids)).values())
    assert world.counter.count == 2
