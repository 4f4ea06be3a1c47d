"""Every domain of the graph, registered with the kernel (graph/kernel/registry.py).

`graph/__init__.py` calls `register` when `graph` is first imported, so each kind and root list is
known before any module of the graph can look one up, while the kernel imports no domain. A new
domain is a line here (docs/ARCHITECTURE.md, "Adding a kind").
"""

from __future__ import annotations

from graph.accounts import kinds as accounts
from graph.departments import kinds as departments
from graph.funding import kinds as funding
from graph.funding import lists as funding_lists
from graph.kernel import registry
from graph.needs import kinds as needs
from graph.needs import lists as need_lists
from graph.partners import kinds as partners
from graph.partners import lists as partner_lists
from graph.places import kinds as places
from graph.places import lists as place_lists
from graph.plans import kinds as plans
from graph.property import kinds as property_firms
from graph.tenthings import kinds as tenthings
from graph.tenthings import lists as tenthings_lists
from graph.venues import kinds as venues
from graph.venues import lists as venue_lists
from graph.webhooks import kinds as webhooks
from graph.whistle import kinds as whistle
from graph.whistle import lists as whistle_lists


def register() -> None:
    registry.register(*places.KINDS, lists=place_lists.LISTS)
    registry.register(*needs.KINDS, lists=need_lists.LISTS, lends=needs.LENT)
    registry.register(*partners.KINDS, lists=partner_lists.LISTS)
    registry.register(*venues.KINDS, lists=venue_lists.LISTS)
    registry.register(*funding.KINDS, lists=funding_lists.LISTS)
    registry.register(*plans.KINDS)
    registry.register(*accounts.KINDS)
    registry.register(*departments.KINDS)
    registry.register(*property_firms.KINDS, lends=property_firms.LENT)
    registry.register(*whistle.KINDS, lists=whistle_lists.LISTS, lends=whistle.LENT)
    registry.register(*webhooks.KINDS)
    registry.register(*tenthings.KINDS, lists=tenthings_lists.LISTS)
    registry.close()
