"""The demo preset as plain records, and the questions its stories ask, answered without Neo4j.

The generator alone decides most of what the README's examples show (who is registered where, who is
free when, which Tuesdays are booked, how counters add up), so the date sweep can check them for
hundreds of dates in seconds. What Neo4j decides (full-text scores) is checked against the real
server elsewhere; here offerings' text relevance is taken as equal for all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from graph.needs.candidates import POOL_RADIUS_M, POOL_SIZE, track_record
from matching.factors import rating_prior
from matching.models import CandidateKind, MemberCandidate, NeedProfile, OfferingCandidate, Place, SkillRef
from matching.place import distance_km
from matching.scoring import rank
from seeds.generator import Generator, LatLon, Node

PLACE_LABELS = ("Compound", "Community", "Street", "District")


@dataclass
class World:
    now: datetime
    nodes: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    out: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))  # (start, TYPE)
    into: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))  # (end, TYPE)

    @classmethod
    def generate(cls, now: datetime) -> World:
        world = cls(now)
        for record in Generator("demo", now=now).records():
            if isinstance(record, Node):
                world.nodes[record.props["id"]] = (record.label, record.props)
            else:
                world.out[(record.start, record.type)].append(record.end)
                world.into[(record.end, record.type)].append(record.start)
        return world

    def props(self, node_id: str) -> dict[str, Any]:
        return self.nodes[node_id][1]

    def of_label(self, label: str) -> list[dict[str, Any]]:
        return [props for lab, props in self.nodes.values() if lab == label]

    def one(self, node_id: str, rel: str) -> str | None:
        found = self.out.get((node_id, rel))
        return found[0] if found else None

    # --- places ------------------------------------------------------------------------------

    def chain(self, place_id: str) -> dict[str, str]:
        """label → id of the place and every place above it."""
        out: dict[str, str] = {}
        current: str | None = place_id
        while current is not None:
            out[self.nodes[current][0]] = current
            current = self.one(current, "IN")
        return out

    def community_of_need(self, need_id: str) -> str:
        return self.chain(self.one(need_id, "AT") or "")["Community"]

    def place_of(self, chain: dict[str, str], location: LatLon | None) -> Place:
        return Place(
            compound_id=chain.get("Compound"),
            community_id=chain.get("Community"),
            street_id=chain.get("Street"),
            district_id=chain.get("District"),
            latitude=location.lat if location else None,
            longitude=location.lon if location else None,
        )

    # --- matching, as graph/needs/candidates.py's statements do it ----------------------------------

    def need_profile(self, need_id: str) -> NeedProfile:
        need = self.props(need_id)
        category = self.props(self.one(need_id, "OF") or "")
        chain = self.chain(self.one(need_id, "AT") or "")
        peers = [self.props(m) for m in self.into[(chain["Community"], "REGISTERED_WITH")] if m.startswith("member:")]
        return NeedProfile(
            id=need_id,
            category_code=category["code"],
            category_name=category["name"],
            place=self.place_of(chain, need["location"]),
            window_start=need.get("windowStart"),
            window_end=need.get("windowEnd"),
            people_needed=need.get("peopleNeeded") or 1,
            urgency=need.get("urgency") or "NORMAL",
            description=f"{need['title']} {need['description']}",
            rating_prior=rating_prior(sum(p["ratingSum"] for p in peers), sum(p["ratingCount"] for p in peers)),
        )

    def skills(self, holder: str) -> tuple[SkillRef, ...]:
        out = []
        for sid in self.out.get((holder, "HAS_SKILL"), []):
            skill = self.props(sid)
            serves = frozenset(self.props(c)["code"] for c in self.out.get((sid, "SERVES"), []))
            out.append(SkillRef(skill["code"], skill["name"], serves))
        return tuple(out)

    def _best_registration(self, need: Place, holder: str) -> dict[str, str]:
        """As graph/needs/candidates.best_registration: the registration sharing the finest level with the need."""
        regs = [self.chain(c) for c in self.out.get((holder, "REGISTERED_WITH"), [])]
        levels = (("Community", need.community_id), ("Street", need.street_id), ("District", need.district_id))
        for label, wanted in levels:
            for reg in regs:
                if wanted and reg.get(label) == wanted:
                    return reg
        return regs[0] if regs else {}

    def _registered_place(self, need: Place, holder: str, location: LatLon) -> Place:
        reg = self._best_registration(need, holder)
        return Place(None, reg.get("Community"), reg.get("Street"), reg.get("District"), location.lat, location.lon)

    def member_pool(self, need: NeedProfile) -> list[MemberCandidate]:
        registered = set(self.into[(need.place.community_id or "", "REGISTERED_WITH")])
        pool = []
        for props in self.of_label("Member"):
            mid = props["id"]
            here = Place(latitude=props["location"].lat, longitude=props["location"].lon)
            km = distance_km(need.place, here)
            if mid not in registered and (km is None or km * 1000 >= POOL_RADIUS_M):
                continue
            skills = self.skills(mid)
            if props["maxLoad"] <= props["openLoad"] or not any(need.category_code in s.serves for s in skills):
                continue
            place = self._registered_place(need.place, mid, props["location"])
            tier = 2 if place.community_id == need.place.community_id else int(place.street_id == need.place.street_id)
            candidate = MemberCandidate(
                id=mid,
                name=props["name"],
                place=place,
                skills=skills,
                availability=tuple(props["availability"]),
                max_load=props["maxLoad"],
                open_load=props["openLoad"],
                record=track_record(props),
            )
            pool.append((-tier, km if km is not None else 1e9, candidate))
        pool.sort(key=lambda t: t[:2])
        return [c for _, _, c in pool[:POOL_SIZE]]

    def offering_pool(self, need: NeedProfile) -> list[OfferingCandidate]:
        at = need.place
        place_ids = {pid for pid in (at.compound_id, at.community_id, at.street_id, at.district_id) if pid}
        pool = []
        for props in self.of_label("Offering"):
            oid = props["id"]
            serves = frozenset(self.props(c)["code"] for c in self.out.get((oid, "SERVES"), []))
            areas = frozenset(self.out.get((oid, "IN_AREA"), []))
            full = props["capacity"] <= props["openLoad"]
            if props["status"] != "ACTIVE" or full or need.category_code not in serves:
                continue
            if areas and not areas & place_ids:
                continue
            unit_id = self.into[(oid, "OFFERS")][0]
            unit = self.props(unit_id)
            place = self._registered_place(need.place, unit_id, unit["location"])
            pool.append(
                OfferingCandidate(
                    id=oid,
                    title=props["title"],
                    unit_id=unit_id,
                    unit_name=unit["name"],
                    place=place,
                    serves=serves,
                    capacity=props["capacity"],
                    open_load=props["openLoad"],
                    availability=tuple(props["availability"]),
                    status=props["status"],
                    area_ids=areas,
                    record=track_record(props),
                )
            )
        return pool

    def ranked(self, need_id: str, kind: CandidateKind, first: int = 3, now: datetime | None = None) -> list[Any]:
        need = self.need_profile(need_id)
        pool = self.member_pool(need) if kind is CandidateKind.MEMBER else self.offering_pool(need)
        return rank(kind, need, pool, first, now or self.now)

    # --- counters, recomputed from the assignments and evaluations ------------------------------

    def recomputed_counters(self, holder: str) -> dict[str, Any]:
        assignments = [self.props(a) for a in self.into[(holder, "TO")]]
        label = self.nodes[holder][0]
        rated = list(assignments)
        if label == "Unit":
            for oid in self.out.get((holder, "OFFERS"), []):
                rated += [self.props(a) for a in self.into[(oid, "TO")]]
        ratings = [
            self.props(e)["rating"]
            for a in rated
            for e in self.into[(a["id"], "OF")]
            if self.props(e).get("byRole") == "REQUESTER"
        ]
        completed_at = [a["completedAt"] for a in assignments if a.get("completedAt")]
        return {
            "openLoad": sum(a["status"] == "ACTIVE" for a in assignments),
            "assignedCount": sum(a.get("acceptedAt") is not None for a in assignments),
            "completedCount": sum(a["status"] == "COMPLETED" for a in assignments),
            "ratingSum": sum(ratings),
            "ratingCount": len(ratings),
            "lastServedAt": max(completed_at) if completed_at else None,
        }


def quarter_counts(world: World, community_id: str, category: str) -> tuple[int, int]:
    """Needs of `category` at or below the community in the last 91 days and in the 91 days before."""
    now = world.now
    recent = previous = 0
    for need in world.of_label("Need"):
        if world.props(world.one(need["id"], "OF") or "")["code"] != category:
            continue
        if world.community_of_need(need["id"]) != community_id:
            continue
        if now - timedelta(days=91) <= need["createdAt"] < now:
            recent += 1
        elif now - timedelta(days=182) <= need["createdAt"] < now - timedelta(days=91):
            previous += 1
    return recent, previous
