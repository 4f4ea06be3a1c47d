"""The read API: thin resolvers that validate, fetch through `graph/`, and return records."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.dataloader import DataLoader

from graph.kernel import registry
from graph.kernel.errors import BadUserInput
from graph.kernel.ids import label_of
from graph.kernel.kinds import Kind, RootList, snake
from graph.kernel.listing import MAX_PAGE_SIZE, Page, fetch_page, window
from graph.places.scopes import place_within
from resolvers.kernel.context import Context
from resolvers.kernel.validation import validate
from resolvers.kernel.viewer import PLACE_ROLES, Role


def declared(label: str) -> Kind:
    """The declaration of the kind `label` (as its domain registered it), for the schema to show it."""
    return registry.by_label(label)


def kinds() -> tuple[Kind, ...]:
    """Every registered kind's declaration, for the schema to show them."""
    return registry.kinds()


def root_lists() -> dict[str, RootList]:
    """Every registered root list, by GraphQL field."""
    return registry.root_lists()


def root_list(name: str) -> RootList:
    """The root list `name`, for the schema to show it."""
    root = registry.root_list(name)
    if root is None:
        raise KeyError(f"no root list {name!r} is registered")
    return root


async def list_page(ctx: Context, name: str, slice_: dict[str, Any], filter_: dict | None) -> Page:
    """A page of the root list `name` (declared in its domain's `lists.py`) for the validated filter;
    `slice_` holds the Relay arguments first, after, last, before."""
    root = registry.root_list(name)
    assert root is not None, f"no root list {name!r} is registered"
    chosen = window(**slice_)
    checked = validate(root.filter, filter_ or {}, prefix="filter.").model_dump(by_alias=True) if root.filter else {}
    # The request's clock: `overdue` means the same instant on every level of the answer; and its viewer,
    # for the lists whose source is what the viewer may see (`RootList.select`).
    checked["now"] = ctx.now.isoformat()
    checked.update(viewer_params(ctx))
    return await fetch_page(ctx.graph, root, checked, chosen)


def viewer_params(ctx: Context) -> dict[str, Any]:
    """Who asks, as a list's source reads it: `viewerRole`, `viewerScope` (None for anonymous callers)."""
    viewer = ctx.viewer
    return {"viewerRole": viewer.role.value if viewer else None, "viewerScope": viewer.scope_id if viewer else None}


async def node(ctx: Context, node_id: str) -> object | None:
    """Any node by id, for whoever its kind is served to (`Kind.reader`); null otherwise, as for no node."""
    kind = registry.by_label(label_of(node_id))
    if kind.reader is None or (kind.reader != "public" and ctx.viewer is None):
        return None
    record = await ctx.loaders.by_id(kind.label).load(node_id)
    if record is not None and kind.reader == "staff":
        assert kind.scope_attr is not None
        if not (is_party(ctx, kind, record) or await may_oversee(ctx, getattr(record, snake(kind.scope_attr)))):
            return None
    return record


def is_party(ctx: Context, kind: Kind, record: object) -> bool:
    """A viewer scoped to one of the record's parties (`Kind.party_attr`): a department's staff reading
    the whistles blown to their department."""
    if kind.party_attr is None or ctx.viewer is None or ctx.viewer.scope_id is None:
        return False
    parties = getattr(record, snake(kind.party_attr))
    return ctx.viewer.scope_id in (parties if isinstance(parties, list) else [parties])


async def nodes(ctx: Context, node_ids: list[str]) -> list[object | None]:
    """`node` for each id, in order (null where the viewer may not see it or it does not exist)."""
    if len(node_ids) > MAX_PAGE_SIZE:
        raise BadUserInput(f"ask for at most {MAX_PAGE_SIZE} ids at once (got {len(node_ids)})", field="ids")
    return list(await asyncio.gather(*(node(ctx, node_id) for node_id in node_ids)))


async def present(ctx: Context, node_ids: list[str]) -> list[object]:
    """The nodes of `node_ids` the viewer may see, in order, leaving out the others."""
    return [item for item in await asyncio.gather(*(node(ctx, i) for i in node_ids)) if item is not None]


async def may_oversee(ctx: Context, place_id: str | None) -> bool:
    """Coordinators and admins whose scope holds the place (a district, street or community); CITY_ADMIN
    anywhere, and alone for what is city-wide (no place)."""
    viewer = ctx.viewer
    if viewer is None or viewer.role not in PLACE_ROLES:
        return False
    if viewer.role is Role.CITY_ADMIN:
        return True
    if not place_id or viewer.scope_id is None:
        return False
    return await place_within(ctx.graph, place_id, viewer.scope_id)


async def by_id(ctx: Context, label: str, node_id: str | None) -> Any:
    return await _one(ctx.loaders.by_id(label), node_id)


async def by_ids(ctx: Context, label: str, node_ids: list[str]) -> list[Any]:
    return await _found(ctx.loaders.by_id(label), node_ids)


async def by_code(ctx: Context, label: str, code: str | None) -> Any:
    return await _one(ctx.loaders.by_code(label), code)


async def by_codes(ctx: Context, label: str, codes: list[str]) -> list[Any]:
    return await _found(ctx.loaders.by_code(label), codes)


async def _one(loader: DataLoader[str, Any], key: str | None) -> Any:
    """The node under `key`, or None for no key or a node that is gone."""
    return await loader.load(key) if key else None


async def _found(loader: DataLoader[str, Any], keys: list[str]) -> list[Any]:
    """The nodes under `keys` that exist, in the keys' order."""
    return [item for item in await loader.load_many(keys) if item is not None]


async def related(ctx: Context, name: str, parent_id: str, slice_: dict[str, Any]) -> Page:
    return await ctx.loaders.related(name, window(**slice_)).load(parent_id)
