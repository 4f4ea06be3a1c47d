"""Exploring the graph (coordinators' half of the mission): what lies around a node, how two nodes link."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.explore import walks
from schema.relay import Node

NodeKindType = strawberry.enum(walks.NodeKind, name="NodeKind", description="A kind of node that can be explored.")


@strawberry.type(description="A directed, typed relationship of the graph (e.g. a need IN a community).")
class Relationship:
    type: str = strawberry.field(description="The relationship's type in the graph, e.g. IN, OF, OFFERED_TO.")
    from_id: strawberry.ID = strawberry.field(description="The node it starts from.")
    to_id: strawberry.ID = strawberry.field(description="The node it points to.")


@strawberry.type(description="Nodes around one node, nearest first, and the relationships among them.")
class Neighbourhood:
    centre: Node = strawberry.field(description="The node explored from.")
    nodes: list[Node] = strawberry.field(description="Every node found, the centre first, then hop by hop.")
    relationships: list[Relationship] = strawberry.field(description="The relationships among those nodes.")
    truncated: bool = strawberry.field(description="True when more nodes lie within reach than `first` allowed.")


@strawberry.type(description="One shortest path: its nodes in order from the start, and its relationships.")
class GraphPath:
    nodes: list[Node] = strawberry.field(description="From `fromId` to `toId`.")
    relationships: list[Relationship] = strawberry.field(description="One between each two nodes, in order.")
    length: int = strawberry.field(description="How many relationships the path has.")


def _relationships(found: walks.Explored) -> list[Relationship]:
    return [Relationship(type=r["type"], from_id=r["fromId"], to_id=r["toId"]) for r in found.relationships]


Kinds = Annotated[
    list[NodeKindType] | None,
    strawberry.argument(description="Walk only through these kinds (default: all but the catalogues)."),
]


@strawberry.type
class ExploreQuery:
    @strawberry.field(
        description="The nodes and relationships within `hops` of a node, as `node(id:)` would show them to you."
    )
    async def neighbourhood(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The node to explore from.")],
        hops: Annotated[int, strawberry.argument(description="How far to walk, 1…3.")] = 1,
        kinds: Kinds = None,
        first: Annotated[int, strawberry.argument(description="At most this many nodes, 1…200.")] = 50,
    ) -> Neighbourhood:
        args = {"id": str(id), "hops": hops, "kinds": kinds, "first": first}
        found = await walks.neighbourhood(info.context, args)
        return Neighbourhood(
            centre=found.nodes[0], nodes=found.nodes, relationships=_relationships(found), truncated=found.truncated
        )

    @strawberry.field(description="Shortest paths between two nodes through what you may see (who links them?).")
    async def paths(
        self,
        info: Info,
        from_id: Annotated[strawberry.ID, strawberry.argument(description="Where the paths start.")],
        to_id: Annotated[strawberry.ID, strawberry.argument(description="Where the paths end.")],
        max_hops: Annotated[int, strawberry.argument(description="The longest path looked for, 1…6.")] = 4,
        kinds: Kinds = None,
        first: Annotated[int, strawberry.argument(description="At most this many paths, 1…20.")] = 5,
    ) -> list[GraphPath]:
        args = {"from_id": str(from_id), "to_id": str(to_id), "max_hops": max_hops, "kinds": kinds, "first": first}
        found = await walks.paths(info.context, args)
        return [
            GraphPath(nodes=path.nodes, relationships=_relationships(path), length=len(path.relationships))
            for path in found
        ]
