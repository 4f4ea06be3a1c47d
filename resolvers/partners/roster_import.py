"""Bulk import of partner rosters (`minhu import units|members|venues FILE.csv`); columns in docs/IMPORT.md.

Every row is checked with the same forms the GraphQL mutations use (resolvers/registration_forms.py),
then its references (communities, units, skill and facility codes) against the graph. A bad row is
reported by line number and skipped; the good ones are written one transaction per batch, so a
batch that fails is not written at all and is reported whole. Run as an administrator's tool: it
acts with the database's own rights, not a user's.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from neo4j.exceptions import Neo4jError
from pydantic import BaseModel, ValidationError

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import BadUserInput, DomainError
from graph.kernel.ids import new_id
from graph.kernel.nodes import existing_ids
from graph.partners import assets
from graph.partners import registration as reg
from resolvers.partners.forms import RegisterMember, RegisterUnit, RegisterVenue


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


@dataclass(frozen=True)
class Kind:
    form: type[BaseModel]
    columns: tuple[str, ...]  # in the order used when the file has no header row
    write: Callable[[Tx, list[dict[str, Any]]], Awaitable[list[str]]]
    id_kind: str


KINDS: dict[str, Kind] = {
    "units": Kind(
        RegisterUnit,
        ("name", "kind", "phone", "address", "communityIds", "latitude", "longitude"),
        reg.create_units,
        "unit",
    ),
    "members": Kind(
        RegisterMember,
        ("unitId", "name", "phone", "skills", "availability", "maxLoad", "communityIds", "latitude", "longitude"),
        reg.create_members,
        "member",
    ),
    "venues": Kind(
        RegisterVenue,
        (
            "name",
            "kind",
            "communityId",
            "ownerUnitId",
            "capacity",
            "areaSqm",
            "facilities",
            "openingHours",
            "feePerHour",
            "address",
            "latitude",
            "longitude",
        ),
        assets.create_venues,
        "venue",
    ),
}


@dataclass
class _Row:
    line: int
    form: Any


async def import_csv(
    graph: Graph, kind: str, path: Path, *, batch_size: int = 500, out: TextIO = sys.stdout
) -> ImportReport:
    """Imports the good rows of `path`, reports the bad ones by line; one transaction per batch."""
    if kind not in KINDS:
        raise BadUserInput(f"cannot import {kind!r}: choose one of {', '.join(KINDS)}")
    if batch_size < 1:
        raise BadUserInput("batch_size must be at least 1")
    spec = KINDS[kind]
    report = ImportReport()
    batch: list[_Row] = []
    for line, data in _read(path, spec):
        try:
            batch.append(_Row(line, spec.form.model_validate(data)))
        except ValidationError as exc:
            _reject(report, out, line, _explain(exc))
            continue
        if len(batch) >= batch_size:
            await _write_batch(graph, spec, batch, report, out)
            batch = []
    if batch:
        await _write_batch(graph, spec, batch, report, out)
    report.rejected.sort()
    print(f"{kind}: imported {report.imported}, rejected {len(report.rejected)} ({path})", file=out)
    return report


def _read(path: Path, spec: Kind) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: cell}) for every non-blank row; a header row, if any, names the columns."""
    # utf-8-sig: spreadsheets saved as "CSV UTF-8" start with a byte-order mark.
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        columns: tuple[str, ...] = spec.columns
        by_lower = {name.lower(): name for name in spec.columns}
        first = True
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if first:
                first = False
                names = [cell.strip().lower() for cell in cells]
                if any(name in by_lower for name in names):
                    unknown = [cells[i].strip() for i, name in enumerate(names) if name not in by_lower]
                    if unknown:
                        raise BadUserInput(
                            f"{path}: line {line}: unknown column(s) {', '.join(unknown)}; "
                            f"the columns are {', '.join(spec.columns)}"
                        )
                    columns = tuple(by_lower[name] for name in names)
                    continue
            if len(cells) > len(columns):
                yield line, {"_": f"has {len(cells)} cells but there are only {len(columns)} columns"}
                continue
            # Empty cells mean "not given", so the form's defaults apply.
            yield line, {name: cell for name, cell in zip(columns, cells, strict=False) if cell.strip()}


def _explain(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = str(error["loc"][0]) if error["loc"] else ""
        message = error["msg"].removeprefix("Value error, ")
        if where == "_":
            problems.append(f"row {error['input']}")
        elif error["type"] == "missing":
            problems.append(f"{where} is required")
        elif where and not message.startswith(where):
            problems.append(f"{where}: {message}")
        else:
            problems.append(message)
    return "; ".join(dict.fromkeys(problems))


def _reject(report: ImportReport, out: TextIO, line: int, reason: str) -> None:
    report.rejected.append((line, reason))
    print(f"line {line}: {reason}", file=out)


async def _write_batch(graph: Graph, spec: Kind, batch: list[_Row], report: ImportReport, out: TextIO) -> None:
    async def work(tx: Tx) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
        # Fresh lists on every attempt: the driver may retry this function.
        known = await _references(tx, batch)
        rows, rejected = [], []
        for item in batch:
            missing = _missing(item.form, known)
            if missing:
                rejected.append((item.line, missing))
            else:
                rows.append(item.form.row(new_id(spec.id_kind)))
        if rows:
            await spec.write(tx, rows)
        return rows, rejected

    try:
        rows, rejected = await graph.write_tx(work)
    except (DomainError, Neo4jError) as exc:
        reason = getattr(exc, "message", None) or str(exc)
        span = f"lines {batch[0].line}–{batch[-1].line}"
        for item in batch:
            _reject(report, out, item.line, f"not imported: the batch of {span} failed ({reason})")
        return
    for line, reason in rejected:
        _reject(report, out, line, reason)
    report.imported += len(rows)


async def _references(tx: Tx, batch: list[_Row]) -> dict[str, set[str]]:
    """What of everything the batch refers to exists: one statement per kind of reference."""
    forms = [item.form for item in batch]
    communities = {c for f in forms for c in getattr(f, "community_ids", [])}
    communities |= {f.community_id for f in forms if getattr(f, "community_id", None)}
    units = {f.unit_id for f in forms if getattr(f, "unit_id", None)}
    units |= {f.owner_unit_id for f in forms if getattr(f, "owner_unit_id", None)}
    return {
        "Community": await existing_ids(tx, "Community", communities),
        "Unit": await existing_ids(tx, "Unit", units),
        "Skill": await reg.found_codes(tx, "Skill", {s for f in forms for s in getattr(f, "skills", [])}),
        "Facility": await reg.found_codes(tx, "Facility", {x for f in forms for x in getattr(f, "facilities", [])}),
    }


def _missing(form: Any, known: dict[str, set[str]]) -> str | None:
    problems = []
    checks = [
        ("communityIds", "community", "Community", getattr(form, "community_ids", [])),
        ("communityId", "community", "Community", [form.community_id] if getattr(form, "community_id", None) else []),
        ("unitId", "unit", "Unit", [form.unit_id] if getattr(form, "unit_id", None) else []),
        ("ownerUnitId", "unit", "Unit", [form.owner_unit_id] if getattr(form, "owner_unit_id", None) else []),
        ("skills", "skill code", "Skill", getattr(form, "skills", [])),
        ("facilities", "facility code", "Facility", getattr(form, "facilities", [])),
    ]
    for column, what, label, values in checks:
        absent = [value for value in values if value not in known[label]]
        if absent:
            problems.append(f"{column}: no such {what} {', '.join(repr(v) for v in absent)}")
    return "; ".join(problems) or None
