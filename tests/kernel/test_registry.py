"""The domains register their kinds and root lists with the kernel, which imports none of them: every
domain is registered before any lookup can run, in whatever order a program imports the graph; a
lookup too early, a registration too late and two declarations of one thing fail, saying which."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from graph.accounts import kinds as accounts
from graph.departments import kinds as departments
from graph.funding import kinds as funding
from graph.kernel import ids, registry
from graph.kernel.kinds import Kind, RootList, one
from graph.needs import kinds as needs
from graph.partners import kinds as partners
from graph.places import kinds as places
from graph.plans import kinds as plans
from graph.property import kinds as property_firms
from graph.tenthings import kinds as tenthings
from graph.venues import kinds as venues
from graph.webhooks import kinds as webhooks
from graph.whistle import kinds as whistle

ROOT = Path(__file__).resolve().parents[2]


def test_every_domain_and_the_kernel_are_registered() -> None:
    declared = [
        *places.KINDS,
        *needs.KINDS,
        *partners.KINDS,
        *venues.KINDS,
        *funding.KINDS,
        *plans.KINDS,
        *accounts.KINDS,
        *departments.KINDS,
        *property_firms.KINDS,
        *whistle.KINDS,
        *webhooks.KINDS,
        *tenthings.KINDS,
        *registry.KERNEL_KINDS,
    ]
    assert {kind.label for kind in registry.kinds()} == {kind.label for kind in declared}
    assert registry.by_prefix("need") is registry.by_label("Need")
    assert registry.by_graphql("NeedEvent") is registry.by_label("Event")
    needs_list = registry.root_list("needs")
    assert needs_list is not None and needs_list.label == "Need"
    assert registry.root_list("noSuchList") is None
    # A list declared with its kind (`.listed`) is registered with the kind.
    departments_list = registry.root_list("departments")
    assert departments_list is not None and departments_list.label == "Department"
    assert departments_list.filter is departments.DEPARTMENT.listing.filter
    # The places know no needs: the needs lend the community its open needs.
    assert "openNeeds" not in places.COMMUNITY.links
    assert registry.by_label("Community").link("openNeeds") is needs.LENT["Community"]["openNeeds"]


def test_a_kernel_module_imported_first_still_finds_every_kind() -> None:
    """A fresh interpreter that imports a kernel module before anything else: `graph/__init__.py` has
    registered every domain by the time the module can run a lookup."""
    program = (
        "from graph.kernel import ids, registry\n"
        "assert ids.label_of('venue:1') == 'Venue', ids.label_of('venue:1')\n"
        "assert registry.by_label('Community').link('openNeeds')\n"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_kernel_lookup_before_registration_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "REGISTRY", registry.Registry())
    with pytest.raises(registry.RegistryError, match=r"before the domains registered them.*graph/domains\.py"):
        ids.label_of("need:1a2b")
    with pytest.raises(registry.RegistryError, match="before the domains registered them"):
        registry.root_list("needs")


# Kinds of a made-up domain, for registries of their own.
LANE = Kind("Lane", "lane", graphql="LaneType")
ALLEY = Kind("Alley", "alley")


def test_registration_after_closing_is_refused() -> None:
    fresh = registry.Registry()
    fresh.register(LANE)
    fresh.close()
    assert fresh.by_label("Lane").prefix == "lane"
    assert fresh.by_label("Lease") is registry.LEASE  # the kernel's own kinds are in every registry
    with pytest.raises(registry.RegistryError, match="closed: Alley came too late; register every domain"):
        fresh.register(ALLEY)
    with pytest.raises(registry.RegistryError, match="already closed"):
        fresh.close()


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (Kind("Lane", "alley"), "two kinds are labelled 'Lane'"),
        (Kind("Alley", "lane"), "Lane and Alley share the id prefix 'lane'"),
        (Kind("Alley", "alley", graphql="LaneType"), "Lane and Alley share the GraphQL type 'LaneType'"),
        (Kind("Lease", "tenancy"), "two kinds are labelled 'Lease'"),  # the kernel's own kinds count too
    ],
)
def test_two_kinds_may_not_share_a_label_prefix_or_graphql_type(second: Kind, message: str) -> None:
    fresh = registry.Registry()
    with pytest.raises(registry.RegistryError, match=message):
        fresh.register(LANE, second)
        fresh.close()


def test_every_label_a_link_or_a_list_names_is_registered() -> None:
    fresh = registry.Registry()
    fresh.register(LANE.linking(street=one("(x)-[:IN]->(y:Street)", "Street")))
    with pytest.raises(registry.RegistryError, match=r"Lane\.street links to 'Street', which no domain registers"):
        fresh.close()
    fresh = registry.Registry()
    fresh.register(LANE, lists=[RootList("needs", "Need")])
    with pytest.raises(registry.RegistryError, match="the root list 'needs' lists 'Need', which no domain"):
        fresh.close()


def test_a_lent_link_needs_its_kind_and_a_name_of_its_own() -> None:
    fresh = registry.Registry()
    fresh.register(*needs.KINDS, lends=needs.LENT)
    with pytest.raises(registry.RegistryError, match="a link 'openNeeds' is lent to 'Community', which no domain"):
        fresh.close()
    fresh = registry.Registry()
    fresh.register(LANE.linking(next=one("(x)-[:NEXT]->(y:Alley)", "Alley")), ALLEY)
    fresh.register(lends={"Lane": {"next": one("(x)-[:NEAR]->(y:Alley)", "Alley")}})
    with pytest.raises(registry.RegistryError, match="Lane already has a link 'next'"):
        fresh.close()
