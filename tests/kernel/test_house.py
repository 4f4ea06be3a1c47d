"""The house's rules, checked on the code itself: Cypher only in graph/, folders of one screen, and the
kinds' declarations in agreement with the GraphQL schema (each served kind a Node of its type)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from graphql import GraphQLObjectType

from graph.kernel import registry
from schema import build_schema

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("schema", "resolvers", "graph", "matching", "seeds", "server", "bench")
# Clause openings that only Cypher has (in a string, at the start or after whitespace).
CYPHER = re.compile(r"""["'\s](MATCH|OPTIONAL MATCH|MERGE|UNWIND \$|DETACH DELETE|CREATE \()[ (]""")
MAX_MODULES = 15


def modules(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts]


def test_cypher_lives_in_graph_only() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in PACKAGES
        # bench/ holds the raw-driver baselines it measures GraphQL against, on purpose.
        if package not in ("graph", "bench")
        for path in modules(package)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if CYPHER.search(line)
    ]
    assert not offenders, "Cypher outside graph/ (move it into a graph/ function): " + ", ".join(offenders)


def test_every_folder_is_one_screen_of_modules() -> None:
    crowded = {}
    for package in (*PACKAGES, "tests"):
        for folder in {p.parent for p in modules(package)}:
            count = sum(1 for p in folder.glob("*.py") if p.name != "__init__.py")
            if count > MAX_MODULES:
                crowded[str(folder.relative_to(ROOT))] = count
    assert not crowded, f"split these folders by domain: {crowded}"


def test_each_served_kind_is_a_node_of_its_graphql_type() -> None:
    types = build_schema()._schema.type_map
    for kind in registry.kinds():
        if kind.graphql is None:
            continue
        gql = types.get(kind.graphql)
        assert isinstance(gql, GraphQLObjectType), f"{kind.label}: no GraphQL type {kind.graphql}"
        if kind.reader is not None:
            assert "Node" in {i.name for i in gql.interfaces}, f"{kind.graphql} is served by id but is not a Node"


def test_each_to_one_link_is_a_field_of_its_graphql_type() -> None:
    types = build_schema()._schema.type_map
    for kind in registry.kinds():
        if kind.graphql is None:
            continue
        fields = types[kind.graphql].fields
        for name, link in kind.links.items():
            if link.many or name in ("by", "requester", "handler", "assignment"):
                continue  # not every link is a field: who made an assignment, a need's masked requester…
            assert name in fields, f"{kind.graphql} declares the link {name!r} but the type has no such field"


def test_the_import_contracts_name_every_domain() -> None:
    """A domain missing from a contract of pyproject.toml escapes it silently: each of graph/'s and
    resolvers/' contracts over the domains names every domain folder (graph/local/ is the embedded
    Neo4j's launcher, no domain)."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    for layer in ("graph", "resolvers"):
        domains = {
            f"{layer}.{folder.name}"
            for folder in (ROOT / layer).iterdir()
            if (folder / "__init__.py").exists() and folder.name not in ("kernel", "local")
        }
        over_domains = [
            set(c.get("forbidden_modules") or c["modules"]) - {f"{layer}.domains"}
            for c in contracts
            if c["type"] in ("forbidden", "independence")
            and any(m.startswith(f"{layer}.") for m in c.get("forbidden_modules") or c.get("modules", ()))
        ]
        assert len(over_domains) == 2, f"{layer}: expected a forbidden and an independence contract"
        for named in over_domains:
            assert named == domains, f"{layer}: contracts miss {domains - named}, or name gone {named - domains}"
