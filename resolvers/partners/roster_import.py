"""Bulk import of partner rosters (`minhu import units|members|venues FILE.csv`, or `POST /import/{kind}`
as a multipart upload); columns in docs/IMPORT.md.

Every row is checked with the same forms the GraphQL mutations use (resolvers/partners/forms.py),
then its references (communities, units, skill and facility codes) against the graph. A bad row is
reported by line number and skipped; the good ones are written one transaction per batch, so a
batch that fails is not written at all and is reported whole.

Units, members and venues are matched by their natural keys (a unit's unified social credit code; a
member's unit and phone; a venue's registry code, else its owner, community and name), so importing
the same roster twice changes nothing the second time and a changed row updates its record: the
report counts created, updated, unchanged and rejected rows.

On the command line the import acts with the database's own rights. Over HTTP it acts for the
signed-in viewer: each row is authorised like the mutation it stands for (registerUnit,
registerMember, registerVenue), and a row the viewer may not write is rejected with the reason.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from neo4j.exceptions import Neo4jError
from pydantic import BaseModel, ValidationError

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import BadUserInput, DomainError, Forbidden
from graph.kernel.ids import new_id
from graph.kernel.nodes import existing_ids
from graph.partners import assets
from graph.partners import registration as reg
from resolvers.kernel.viewer import Viewer
from resolvers.partners.authz import administers_unit, require_staff_at, require_unit_manager, staff_reaches
from resolvers.partners.forms import RegisterMember, RegisterUnit, RegisterVenue


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)

    @property
    def imported(self) -> int:
        """Rows accepted: created, updated or found unchanged."""
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [{"line": line, "reason": reason} for line, reason in self.rejected],
        }


@dataclass(frozen=True)
class Kind:
    form: type[BaseModel]
    columns: tuple[str, ...]  # in the order used when the file has no header row
    # Writes the rows; one {id, outcome} (CREATED, UPDATED, UNCHANGED) per row.
    write: Callable[[Tx, list[dict[str, Any]]], Awaitable[list[dict[str, str]]]]
    id_kind: str

    @property
    def key_name(self) -> str | None:
        """What the form's natural key (its `roster_key`) is called; None: rows have none and are all new."""
        return getattr(self.form, "ROSTER_KEY", None)


KINDS: dict[str, Kind] = {
    "units": Kind(
        RegisterUnit,
        ("name", "kind", "phone", "address", "communityIds", "latitude", "longitude", "creditCode"),
        reg.upsert_units,
        "unit",
    ),
    "members": Kind(
        RegisterMember,
        ("unitId", "name", "phone", "skills", "availability", "maxLoad", "communityIds", "latitude", "longitude"),
        reg.upsert_members,
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
            "registryCode",
        ),
        assets.upsert_venues,
        "venue",
    ),
}


@dataclass
class _Row:
    line: int
    form: Any


async def import_csv(
    graph: Graph,
    kind: str,
    path: Path,
    *,
    batch_size: int = 500,
    out: TextIO = sys.stdout,
    viewer: Viewer | None = None,
) -> ImportReport:
    """Imports the good rows of the file at `path`; see `import_text`."""
    # utf-8-sig: spreadsheets saved as "CSV UTF-8" start with a byte-order mark.
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return await import_text(graph, kind, handle, str(path), batch_size=batch_size, out=out, viewer=viewer)


def decode_upload(data: bytes) -> TextIO:
    """An uploaded file as text: UTF-8, with or without a byte-order mark."""
    try:
        return io.StringIO(data.decode("utf-8-sig"), newline="")
    except UnicodeDecodeError as exc:
        raise BadUserInput(
            f'the file is not UTF-8 (byte {exc.start}); save it as "CSV UTF-8" and upload it again'
        ) from None


async def import_text(
    graph: Graph,
    kind: str,
    handle: Iterable[str],
    source: str,
    *,
    batch_size: int = 500,
    out: TextIO = sys.stdout,
    viewer: Viewer | None = None,
) -> ImportReport:
    """Imports the good rows, reports the bad ones by line; one transaction per batch. With a
    `viewer` (the HTTP door) every row is authorised as the mutation it stands for."""
    if kind not in KINDS:
        raise BadUserInput(f"cannot import {kind!r}: choose one of {', '.join(KINDS)}")
    if batch_size < 1:
        raise BadUserInput("batch_size must be at least 1")
    spec = KINDS[kind]
    report = ImportReport()
    batch: list[_Row] = []
    seen: dict[str, int] = {}  # natural key → the line that first had it
    for line, data in _read(handle, spec, source):
        try:
            form = spec.form.model_validate(data)
        except ValidationError as exc:
            _reject(report, out, line, _explain(exc))
            continue
        key = form.roster_key if spec.key_name else None
        if spec.key_name and key is None:
            _reject(report, out, line, f"{spec.key_name} is required: it tells this row's record on a re-import")
            continue
        if key is not None:
            if key in seen:
                _reject(report, out, line, f"same {spec.key_name} as line {seen[key]}; the file lists it twice")
                continue
            seen[key] = line
        batch.append(_Row(line, form))
        if len(batch) >= batch_size:
            await _write_batch(graph, spec, batch, report, out, viewer)
            batch = []
    if batch:
        await _write_batch(graph, spec, batch, report, out, viewer)
    report.rejected.sort()
    print(
        f"{kind}: imported {report.imported} (created {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}), rejected {len(report.rejected)} ({source})",
        file=out,
    )
    return report


def _read(handle: Iterable[str], spec: Kind, path: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: cell}) for every non-blank row; a header row, if any, names the columns."""
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


async def _write_batch(
    graph: Graph, spec: Kind, batch: list[_Row], report: ImportReport, out: TextIO, viewer: Viewer | None
) -> None:
    async def work(tx: Tx) -> tuple[list[dict[str, str]], list[tuple[int, str]]]:
        # Fresh lists on every attempt: the driver may retry this function.
        known = await _references(tx, batch)
        places = await _places(tx, batch, known) if viewer is not None else {}
        rows, rejected = [], []
        for item in batch:
            problem = _missing(item.form, known)
            if problem is None and viewer is not None:
                problem = _forbidden(viewer, item.form, places)
            if problem:
                rejected.append((item.line, problem))
            else:
                rows.append(item.form.row(new_id(spec.id_kind)))
        outcomes = await spec.write(tx, rows) if rows else []
        return outcomes, rejected

    try:
        outcomes, rejected = await graph.write_tx(work)
    except (DomainError, Neo4jError) as exc:
        reason = getattr(exc, "message", None) or str(exc)
        span = f"lines {batch[0].line}–{batch[-1].line}"
        for item in batch:
            _reject(report, out, item.line, f"not imported: the batch of {span} failed ({reason})")
        return
    for line, reason in rejected:
        _reject(report, out, line, reason)
    for outcome in outcomes:
        if outcome["outcome"] == "CREATED":
            report.created += 1
        elif outcome["outcome"] == "UPDATED":
            report.updated += 1
        else:
            report.unchanged += 1


async def _places(tx: Tx, batch: list[_Row], known: dict[str, set[str]]) -> dict[str, list[str]]:
    """The places above every existing community and unit the batch names (whose staff may write them)."""
    forms = [item.form for item in batch]
    communities = {c for f in forms for c in getattr(f, "community_ids", [])}
    communities |= {f.community_id for f in forms if getattr(f, "community_id", None)}
    units = {f.unit_id for f in forms if getattr(f, "unit_id", None)}
    places = await reg.places(tx, communities & known["Community"], "communityIds")
    return {**places, **await reg.unit_places(tx, units & known["Unit"])}


def _forbidden(viewer: Viewer, form: Any, places: dict[str, list[str]]) -> str | None:
    """Why the viewer may not write this row (as registerUnit, registerMember or registerVenue would say)."""
    try:
        if isinstance(form, RegisterMember):
            require_unit_manager(viewer, form.unit_id, places.get(form.unit_id, []), "registerMember")
        elif isinstance(form, RegisterUnit):
            require_staff_at(viewer, {cid: places.get(cid, []) for cid in form.community_ids}, "registerUnit")
        elif not (
            staff_reaches(viewer, places.get(form.community_id, [])) or administers_unit(viewer, form.owner_unit_id)
        ):
            raise Forbidden(
                f"registerVenue: {form.community_id} lies outside your scope; venues are registered by staff "
                "of their community and by the admin of the owning unit"
            )
    except Forbidden as exc:
        return exc.message
    return None


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
