"""The read API: thin resolvers that validate, fetch through `graph/`, and return records."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel

from graph.kernel.db import Graph
from graph.kernel.ids import label_of
from graph.kernel.listing import Page
from graph.kernel.projections import PROJECTIONS
from graph.needs import directory
from resolvers.kernel import filters
from resolvers.kernel.context import Context
from resolvers.kernel.validation import page_size, validate

Lister = Callable[[Graph, int, str | None, dict[str, Any]], Awaitable[Page]]

LISTS: dict[str, tuple[Lister, type[BaseModel]]] = {
    "needs": (directory.list_needs, filters.NeedFilter),
    "units": (directory.list_units, filters.UnitFilter),
    "members": (directory.list_members, filters.MemberFilter),
    "venues": (directory.list_venues, filters.VenueFilter),
    "fundingPrograms": (directory.list_programs, filters.FundingProgramFilter),
    "districts": (directory.list_districts, filters.PlaceFilter),
    "streets": (directory.list_streets, filters.PlaceFilter),
    "communities": (directory.list_communities, filters.PlaceFilter),
    "categories": (directory.list_categories, filters.PlaceFilter),
    "skills": (directory.list_skills, filters.SkillFilter),
}


async def list_page(ctx: Context, name: str, first: int | None, after: str | None, filter_: dict | None) -> Page:
    lister, filter_model = LISTS[name]
    size = page_size(first)
    checked = validate(filter_model, filter_ or {}, prefix="filter.")
    return await lister(ctx.graph, size, after, filters.as_params(checked))


async def node(ctx: Context, node_id: str) -> object | None:
    label = label_of(node_id)
    if label not in PROJECTIONS:
        # A kind with no public read model (an audit event, a migration) is not served here.
        return None
    return await ctx.loaders.by_id(label).load(node_id)


async def by_id(ctx: Context, label: str, node_id: str | None) -> Any:
    if not node_id:
        return None
    return await ctx.loaders.by_id(label).load(node_id)


async def by_ids(ctx: Context, label: str, node_ids: list[str]) -> list[Any]:
    found = await ctx.loaders.by_id(label).load_many(node_ids)
    return [item for item in found if item is not None]


async def by_code(ctx: Context, label: str, code: str | None) -> Any:
    if not code:
        return None
    return await ctx.loaders.by_code(label).load(code)


async def by_codes(ctx: Context, label: str, codes: list[str]) -> list[Any]:
    found = await ctx.loaders.by_code(label).load_many(codes)
    return [item for item in found if item is not None]


async def related(ctx: Context, name: str, parent_id: str, first: int | None, after: str | None) -> Page:
    return await ctx.loaders.related(name, page_size(first), after).load(parent_id)
