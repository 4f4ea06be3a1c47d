"""Writes derived from a kind's declaration, for kinds whose node holds its record's properties and
whose links are one hop (`(x)-[:TYPE]->(y:Label)`, either way): create a node with its properties
and links, find one by a unique property, lock and read one, change its properties and replace its
links. A kind whose writes are more than that (places, needs, bookings) writes its own Cypher.

The statements are built from the declaration's fixed text (labels, relationship types, property
names), never from input; values travel as parameters. Each is one statement, so a mutation that
locks, checks and writes runs three at most.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from graph.kernel.db import Tx
from graph.kernel.errors import Conflict, NotFound
from graph.kernel.kinds import Kind, Link
from graph.kernel.records import from_row

_HOP = re.compile(r"^\(x\)(<?-)\[:([A-Z_]+)\](->?)\(y:([A-Za-z]+)\)$")
_PROPERTY = re.compile(r"^[a-z][A-Za-z0-9]*$")

# A link's keys: one, several, or None (left as it is); [] (or "") removes what it links to.
Keys = str | Iterable[str] | None


def _hop(kind: Kind, link: Link) -> str:
    """The link's pattern without the label of `y` (bound before it is created)."""
    found = _HOP.match(link.pattern)
    if found is None or link.attr is None:
        raise TypeError(f"{kind.label}: {link.pattern} is not one hop with its keys on the record; write its Cypher")
    left, rel, right, _ = found.groups()
    return f"(x){left}[:{rel}]{right}(y)"


def _links(kind: Kind, names: tuple[str, ...], replace: bool) -> tuple[str, str]:
    """CALL subqueries linking `x` to the nodes of each link named (removing its old ones when
    `replace`), and the RETURN items naming the keys found, by the link's record attribute."""
    calls, found = [], []
    for name in names:
        link = kind.link(name)
        hop, (target,) = _hop(kind, link), link.targets
        old = hop.replace("(y)", f"(:{target})").replace("[:", "[r:")
        if replace:
            calls.append(f"CALL (x) {{ MATCH {old} WHERE $keys.{link.attr} IS NOT NULL DELETE r }} ")
        calls.append(
            f"CALL (x) {{ UNWIND coalesce($keys.{link.attr}, []) AS key MATCH (y:{target} {{{link.key}: key}}) "
            f"CREATE {hop} RETURN collect(key) AS {link.attr} }} "
        )
        found.append(link.attr)
    return "".join(calls), ", ".join(found)


# Statements by (what, label, links): fixed per kind and set of links, so each is planned once.
_STATEMENTS: dict[tuple[str, str, tuple[str, ...]], str] = {}


def _statement(what: str, kind: Kind, names: tuple[str, ...] = ()) -> str:
    key = (what, kind.label, names)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _MAKERS[what](kind, names)
    return _STATEMENTS[key]


def _create(kind: Kind, names: tuple[str, ...]) -> str:
    calls, found = _links(kind, names, replace=False)
    returns = f"x.id AS id{', ' if found else ''}{found}"
    return (
        f"CREATE (x:{kind.label}) SET x = $props, x.id = $id, x.createdAt = datetime() WITH x {calls}RETURN {returns}"
    )


def _update(kind: Kind, names: tuple[str, ...]) -> str:
    calls, found = _links(kind, names, replace=True)
    returns = f"x.id AS id{', ' if found else ''}{found}"
    return (
        f"MATCH (x:{kind.label} {{id: $id}}) SET x += $props, x.updatedAt = datetime() WITH x {calls}RETURN {returns}"
    )


def _as_lists(kind: Kind, links: Mapping[str, Keys]) -> dict[str, list[str] | None]:
    """The keys of each link named, under the link's record attribute, as lists (None: left alone)."""
    out: dict[str, list[str] | None] = {}
    for name, keys in links.items():
        attr = kind.link(name).attr
        assert attr is not None
        out[attr] = None if keys is None else [keys] if isinstance(keys, str) and keys else [*keys] if keys else []
    return out


def _check(kind: Kind, keys: Mapping[str, list[str] | None], row: dict[str, Any]) -> None:
    """NotFound naming, per link, the keys that named no node (the transaction then rolls back)."""
    for attr, wanted in keys.items():
        missing = sorted(set(wanted or ()) - set(row[attr]))
        if missing:
            link = next(link for link in kind.links.values() if link.attr == attr)
            raise NotFound(
                f"{attr}: no {link.targets[0]} with {link.key} {', '.join(missing)}", field=attr, keys=missing
            )


def _props(props: Mapping[str, Any]) -> dict[str, Any]:
    for name in props:
        if not _PROPERTY.match(name):
            raise ValueError(f"{name!r} is not a property name (camelCase)")
    return dict(props)


async def create(tx: Tx, kind: Kind, node_id: str, props: Mapping[str, Any], links: Mapping[str, Keys]) -> None:
    """A new node of `kind` with `props` (camelCase; plain values) and linked, per link name, to the
    nodes its keys name; NotFound for a key naming nothing."""
    names = tuple(sorted(links))
    keys = _as_lists(kind, links)
    statement = _statement("create", kind, names)
    row = await tx.single(statement, f"create.{kind.label}", id=node_id, props=_props(props), keys=keys)
    assert row is not None
    _check(kind, keys, row)


async def update(tx: Tx, kind: Kind, node_id: str, props: Mapping[str, Any], links: Mapping[str, Keys]) -> None:
    """Sets `props` on the node and replaces the links given (keys not None); NotFound for a key
    naming nothing, or for no such node. The caller has locked the node (`locked`)."""
    names = tuple(sorted(name for name, value in links.items() if value is not None))
    keys = _as_lists(kind, {name: links[name] for name in names})
    statement = _statement("update", kind, names)
    row = await tx.single(statement, f"update.{kind.label}", id=node_id, props=_props(props), keys=keys)
    if row is None:
        raise NotFound(f"no {kind.label} with id {node_id!r}", id=node_id)
    _check(kind, keys, row)


def _locked(kind: Kind, names: tuple[str, ...]) -> str:
    return f"MATCH (x:{kind.label} {{id: $id}}) SET x._lock = true REMOVE x._lock RETURN {kind.projection} AS row"


def _taken(kind: Kind, names: tuple[str, ...]) -> str:
    (prop,) = names
    if not _PROPERTY.match(prop):
        raise ValueError(f"{prop!r} is not a property name")
    return f"MATCH (x:{kind.label} {{{prop}: $value}}) RETURN x.id AS id LIMIT 1"


_MAKERS = {"create": _create, "update": _update, "locked": _locked, "taken": _taken}


async def locked(tx: Tx, kind: Kind, node_id: str) -> Any:
    """The node's record, read under its write lock (so what is checked on it holds until the commit);
    NotFound when there is no such node."""
    row = await tx.single(_statement("locked", kind), f"lock.{kind.label}", id=node_id)
    if row is None:
        raise NotFound(f"no {kind.label} with id {node_id!r}", id=node_id)
    assert kind.record is not None
    return from_row(kind.record, row["row"])


async def taken(tx: Tx, kind: Kind, prop: str, value: Any) -> str | None:
    """The id of the node of `kind` whose `prop` is `value`, if one is (a natural key already used)."""
    row = await tx.single(_statement("taken", kind, (prop,)), f"taken.{kind.label}.{prop}", value=value)
    return row["id"] if row else None


async def require_free(tx: Tx, kind: Kind, prop: str, value: Any, advice: str) -> None:
    """CONFLICT when a node of `kind` already has `prop` = `value` (a natural key), naming that node
    (`<kind>Id` in the error's extensions) and saying what to do instead (`advice`)."""
    other = await taken(tx, kind, prop, value)
    if other is not None:
        named = kind.label[0].lower() + kind.label[1:] + "Id"
        raise Conflict(f"{prop} {value} is already {other}'s; {advice}", field=prop, **{named: other})
