"""Every root list of the read API, each declared in its domain's `lists.py`, by GraphQL field."""

from __future__ import annotations

from graph.funding import lists as funding
from graph.kernel.lists import RootList
from graph.needs import lists as needs
from graph.partners import lists as partners
from graph.places import lists as places
from graph.venues import lists as venues

ROOT_LISTS: dict[str, RootList] = {
    root.field: root for root in (*places.LISTS, *needs.LISTS, *partners.LISTS, *venues.LISTS, *funding.LISTS)
}
