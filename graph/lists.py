"""Every root list of the read API, by GraphQL field: each declared in its domain's `lists.py`, or with
its kind (`Kind.listed`) when it starts from a label scan."""

from __future__ import annotations

from graph.catalog import KINDS
from graph.funding import lists as funding
from graph.kernel.listing import RootList
from graph.needs import lists as needs
from graph.partners import lists as partners
from graph.places import lists as places
from graph.venues import lists as venues

DECLARED = tuple(
    RootList(kind.listing.field, kind.label, filter=kind.listing.filter, newest_first=kind.listing.newest_first)
    for kind in KINDS
    if kind.listing is not None
)
_ALL = (*places.LISTS, *needs.LISTS, *partners.LISTS, *venues.LISTS, *funding.LISTS, *DECLARED)
ROOT_LISTS: dict[str, RootList] = {root.field: root for root in _ALL}
if len(ROOT_LISTS) != len(_ALL):
    raise RuntimeError("two root lists share a GraphQL field")
