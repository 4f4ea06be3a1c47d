"""What lies around a node and how two nodes are linked, under the rules of `node(id:)`.

A viewer is walked only through the kinds `node(id:)` would serve them (residents and accounts never;
bookings, grants and assignments only when signed in; plans only to coordinators and admins), and
every node found is then checked as `node(id:)` checks it (a plan outside a coordinator's scope is
left out, with its relationships). Catalogue kinds (categories, skills, facilities) tie thousands of
needs together, so they are walked only when asked for by `kinds`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from graph.explore import walks
from graph.kernel import registry
from graph.kernel.errors import NotFound
from graph.kernel.ids import label_of
from graph.kernel.kinds import snake
from resolvers.kernel import read
from resolvers.kernel.context import Context
from resolvers.kernel.validation import Form, id_of, validate
from resolvers.kernel.viewer import PLACE_ROLES

SHOWN_KINDS = {kind.label: kind for kind in registry.kinds() if kind.graphql and kind.reader}
NodeKind = StrEnum("NodeKind", {snake(label).upper(): label for label in sorted(SHOWN_KINDS)})


ExplorableId = Annotated[str, id_of(*sorted(SHOWN_KINDS))]


class Around(Form):
    id: ExplorableId
    hops: int = Field(default=1, ge=1, le=3)
    kinds: list[NodeKind] | None = Field(default=None, max_length=len(SHOWN_KINDS))
    first: int = Field(default=50, ge=1, le=200)


class Between(Form):
    from_id: ExplorableId
    to_id: ExplorableId
    max_hops: int = Field(default=4, ge=1, le=6)
    kinds: list[NodeKind] | None = Field(default=None, max_length=len(SHOWN_KINDS))
    first: int = Field(default=5, ge=1, le=20)


@dataclass
class Explored:
    """Nodes as records of their kinds, and the relationships among them."""

    nodes: list[Any]
    relationships: list[dict[str, str]]
    truncated: bool = False
    ids: list[str] = field(default_factory=list)


def _labels(ctx: Context, kinds: list[NodeKind] | None) -> list[str]:
    """The labels this viewer may be walked through."""
    viewer = ctx.viewer
    chosen = [str(k) for k in kinds] if kinds else [label for label, kind in SHOWN_KINDS.items() if not kind.catalog]
    allowed = []
    for label in chosen:
        reader = SHOWN_KINDS[label].reader
        if reader == "signed-in" and viewer is None:
            continue
        if reader == "staff" and (viewer is None or viewer.role not in PLACE_ROLES):
            continue
        allowed.append(label)
    return sorted(allowed)


async def _shown(ctx: Context, walk: walks.Walk, in_order: bool = False) -> Explored:
    """The walk's nodes the viewer may see and the relationships between them (in the walk's order
    for a path; else sorted, so an answer is stable)."""
    records = await asyncio.gather(*(read.node(ctx, node_id) for node_id in walk.ids))
    kept = {node_id: record for node_id, record in zip(walk.ids, records, strict=True) if record is not None}
    relationships = [r for r in walk.relationships if r["fromId"] in kept and r["toId"] in kept]
    if not in_order:
        relationships.sort(key=lambda r: (r["fromId"], r["type"], r["toId"]))
    return Explored(list(kept.values()), relationships, walk.truncated, list(kept))


async def neighbourhood(ctx: Context, args: dict[str, Any]) -> Explored:
    form = validate(Around, args)
    label = label_of(form.id)
    labels = sorted({*_labels(ctx, form.kinds), label})
    walk = await walks.neighbourhood(ctx.graph, form.id, label, form.hops, labels, form.first)
    found = await _shown(ctx, walk) if walk else None
    if found is None or not found.ids or found.ids[0] != form.id:
        raise NotFound(f"no node {form.id!r} you may see", field="id")
    return found


async def paths(ctx: Context, args: dict[str, Any]) -> list[Explored]:
    form = validate(Between, args)
    from_label, to_label = label_of(form.from_id), label_of(form.to_id)
    for node_id, name in ((form.from_id, "fromId"), (form.to_id, "toId")):
        if await read.node(ctx, node_id) is None:
            raise NotFound(f"no node {node_id!r} you may see", field=name)
    labels = sorted({*_labels(ctx, form.kinds), from_label, to_label})
    found = await walks.shortest_paths(
        ctx.graph, form.from_id, from_label, form.to_id, to_label, form.max_hops, labels, form.first
    )
    shown = [await _shown(ctx, walk, in_order=True) for walk in found]
    # A path through a node the viewer may not see is no path for them.
    return [path for walk, path in zip(found, shown, strict=True) if len(path.ids) == len(walk.ids)]
