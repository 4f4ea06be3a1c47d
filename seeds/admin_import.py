"""The bulk load: a generator preset written as CSV and fed to `neo4j-admin database import full`.

Neo4j's own importer writes the store files directly, without transactions, so the `city` seed
(~510k nodes, ~960k relationships) lands in well under a minute where the transactional loader
(seeds/loader.py) takes minutes. It only fills an EMPTY, STOPPED local store; the transactional
loader stays for live servers. Migrations (constraints, indexes) run on the first start afterwards,
then `finish` continues each district's need numbering, as the transactional loader does.

The CSV is typed from the values themselves: one file per label and part, with a header such as
`id:ID(Need),createdAt:datetime,location:point{crs:WGS-84},availability:string[]`. A label's columns
are those seen so far; a row bringing a property not yet seen starts a new part with a wider header
(the importer takes several header/data groups per label), so nothing is held in memory. Ids live in
one id group per label (the generator's relationships name both labels), and the `id` column is
kept as the node's `id` property. Relationships: one file per (start label, type, end label).
"""

from __future__ import annotations

import asyncio
import csv
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import IO, Any

from graph.kernel.db import Graph
from graph.kernel.migrations import migrate
from graph.local import server as local_neo4j
from graph.needs.write import set_need_sequences
from seeds.assessment import with_whistle
from seeds.generator import PRESETS, Generator, LatLon, Node, Record
from seeds.property_firms import with_firms
from seeds.ten_things import with_ten_things

ARRAY_DELIMITER = "|"
Progress = Callable[[str], None]


class BulkImportError(local_neo4j.LocalNeo4jError):
    """The bulk import cannot run as asked; the message says why and what to do."""


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, (str, Enum)):
        return "string"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise BulkImportError(f"a datetime without an offset cannot be imported: {value!r}")
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, LatLon):
        return "point{crs:WGS-84}"
    if isinstance(value, list):
        if not value:
            # An empty CSV field is "no property" to the importer, where the driver stores [].
            raise BulkImportError("an empty list property cannot be written as CSV")
        element = {_type(v) for v in value}
        if len(element) != 1:
            raise BulkImportError(f"a list of mixed types cannot be imported: {value!r}")
        return f"{element.pop()}[]"
    raise BulkImportError(f"a property of type {type(value).__name__} cannot be imported: {value!r}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, LatLon):
        return f"{{latitude:{value.lat!r},longitude:{value.lon!r}}}"
    if isinstance(value, list):
        items = [_text(v) for v in value]
        if any(ARRAY_DELIMITER in item for item in items):
            raise BulkImportError(f"a list element holds the array delimiter {ARRAY_DELIMITER!r}: {value!r}")
        return ARRAY_DELIMITER.join(items)
    return value if isinstance(value, str) else repr(value)


_KINDS: dict[type, str] = {str: "string", bool: "boolean", int: "long", float: "double", LatLon: "point{crs:WGS-84}"}


def _iso(value: date) -> str:
    return value.isoformat()


# Converters by column kind; None: the csv module's str() already writes what the importer reads.
_CONVERT: dict[str, Callable[[Any], str] | None] = {
    "string": None,
    "long": None,
    "double": None,
    "boolean": lambda value: "true" if value else "false",
    "datetime": _iso,
    "date": _iso,
}


def _kind(value: Any) -> str:
    """`_type` with the common classes looked up instead of tested (half a million rows)."""
    return _KINDS.get(type(value)) or _type(value)


class _Part:
    """One header + data file pair of a label, with a fixed list of typed columns."""

    def __init__(self, folder: Path, label: str, index: int, columns: dict[str, str]) -> None:
        self.columns = columns
        self.header = folder / f"{label}.{index}.header.csv"
        self.data = folder / f"{label}.{index}.csv"
        with open(self.header, "w", newline="", encoding="utf-8") as header:
            names = [f"id:ID({label})" if key == "id" else f"{key}:{kind}" for key, kind in columns.items()]
            csv.writer(header).writerow(names)
        # Per column, how its value becomes text: None when the csv module's own str() is right
        # (strings, numbers), else a converter. Booleans must be lower-case for the importer.
        self._plan = [(key, _CONVERT.get(kind, _text)) for key, kind in columns.items()]
        self.keys = frozenset(columns)
        self._file: IO[str] = open(self.data, "w", newline="", encoding="utf-8")  # noqa: SIM115 (closed in close)
        self._writer = csv.writer(self._file)
        self.multiline = False

    def fits(self, props: dict[str, Any]) -> bool:
        """Every non-null property has a column of its type (checked fully for a row with a new key set)."""
        columns = self.columns
        return all(v is None or columns.get(k) == _kind(v) for k, v in props.items())

    def write(self, props: dict[str, Any]) -> None:
        get = props.get
        row = [("" if (v := get(key)) is None else v if convert is None else convert(v)) for key, convert in self._plan]
        if not self.multiline and any(type(v) is str and ("\n" in v or "\r" in v) for v in row):
            self.multiline = True
        self._writer.writerow(row)

    def close(self) -> None:
        self._file.close()


class CsvWriter:
    """Writes generator records into `folder` as the importer's CSV; `arguments()` names the files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.parts: dict[str, list[_Part]] = {}
        self.rels: dict[tuple[str, str, str], tuple[Path, Path, IO[str], Any]] = {}
        self.nodes: Counter[str] = Counter()
        self.relationships: Counter[str] = Counter()

    @property
    def multiline(self) -> bool:
        """Whether some string holds a line break (the importer must then be told, and is slower)."""
        return any(part.multiline for parts in self.parts.values() for part in parts)

    def node(self, label: str, props: dict[str, Any]) -> None:
        parts = self.parts.get(label)
        # The common case: every key of the row is a column already, and a property keeps its type
        # within a label (the generator's rows are uniform; tests/seeds/test_bulk_import.py compares every
        # value with the transactional load). Otherwise the row is checked in full, types included.
        if not parts or not (props.keys() <= parts[-1].keys or parts[-1].fits(props)):
            parts = self._widen(label, props)
        parts[-1].write(props)
        self.nodes[label] += 1

    def _widen(self, label: str, props: dict[str, Any]) -> list[_Part]:
        """A new part for `label` whose columns are the last part's and this row's."""
        if "id" not in props:
            raise BulkImportError(f"a {label} node without an id cannot be imported")
        parts = self.parts.setdefault(label, [])
        columns = dict(parts[-1].columns) if parts else {"id": "string"}
        for key, value in props.items():
            if value is None:
                continue
            kind = _type(value)
            if columns.get(key, kind) != kind:
                raise BulkImportError(f"{label}.{key} holds both {columns[key]} and {kind} values")
            columns[key] = kind
        parts.append(_Part(self.folder, label, len(parts), columns))
        return parts

    def relationship(self, start_label: str, rel_type: str, end_label: str, start: str, end: str) -> None:
        key = (start_label, rel_type, end_label)
        entry = self.rels.get(key)
        if entry is None:
            stem = f"{start_label}-{rel_type}-{end_label}"
            header, data = self.folder / f"{stem}.header.csv", self.folder / f"{stem}.csv"
            header.write_text(f":START_ID({start_label}),:END_ID({end_label})\n", encoding="utf-8")
            handle = open(data, "w", newline="", encoding="utf-8")  # noqa: SIM115 (closed in close)
            entry = self.rels[key] = (header, data, handle, csv.writer(handle))
        entry[3].writerow((start, end))
        self.relationships[rel_type] += 1

    def close(self) -> None:
        for parts in self.parts.values():
            for part in parts:
                part.close()
        for _header, _data, handle, _writer in self.rels.values():
            handle.close()

    def arguments(self) -> list[str]:
        args = [f"--nodes={label}={part.header},{part.data}" for label, parts in self.parts.items() for part in parts]
        args += [f"--relationships={key[1]}={header},{data}" for key, (header, data, _h, _w) in self.rels.items()]
        return args


def write_csv(preset: str, folder: Path, *, seed: int = 20261125, now: datetime | None = None) -> CsvWriter:
    """Generates `preset` into CSV files under `folder`; returns the writer (counts, file arguments)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; presets: {', '.join(sorted(PRESETS))}")
    writer = CsvWriter(folder)
    try:
        for record in _stream(Generator(preset, seed, now)):
            if isinstance(record, Node):
                writer.node(record.label, record.props)
            else:
                writer.relationship(record.start_label, record.type, record.end_label, record.start, record.end)
    finally:
        writer.close()
    return writer


def store_has_database(home: Path, database: str = "neo4j") -> bool:
    return (home / "store" / "data" / "databases" / database).exists()


def import_preset(
    home: Path,
    preset: str,
    *,
    seed: int = 20261125,
    now: datetime | None = None,
    database: str = "neo4j",
    progress: Progress | None = None,
) -> dict[str, int]:
    """Bulk-imports `preset` into the empty, stopped local store under `home`; nodes per label.

    Start the local Neo4j afterwards, run the migrations and `finish(graph)`.
    """
    home = home.resolve()
    if local_neo4j.running(home):
        raise BulkImportError(
            f"the local Neo4j under {home} is running; the bulk import writes the store files itself and needs "
            "it stopped (`minhu neo4j stop`)"
        )
    if store_has_database(home, database):
        raise BulkImportError(
            f"{home} already holds a database {database!r}; the bulk import only fills an empty store. Seed a live "
            "server with `minhu seed` (transactional), or remove the store to start over"
        )
    say = progress or (lambda text: None)
    (home / "store").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".minhu-import-", dir=home) as scratch:
        folder = Path(scratch)
        started, cpu = time.monotonic(), time.process_time()
        writer = write_csv(preset, folder, seed=seed, now=now)
        # CPU seconds beside the wall clock: on a shared machine the second says little about the code.
        say(
            f"wrote {sum(writer.nodes.values()):,} nodes and {sum(writer.relationships.values()):,} relationships "
            f"as CSV in {time.monotonic() - started:.1f} s ({time.process_time() - cpu:.1f} s of CPU)"
        )
        started = time.monotonic()
        try:
            output = local_neo4j.admin(
                home,
                "database",
                "import",
                "full",
                database,
                "--id-type=string",
                f"--array-delimiter={ARRAY_DELIMITER}",
                f"--multiline-fields={'true' if writer.multiline else 'false'}",
                "--max-off-heap-memory=1G",
                f"--report-file={folder / 'import.report'}",
                *writer.arguments(),
                heap="1g",
            )
        except local_neo4j.LocalNeo4jError:
            # Leave the store empty, as it was, so the next attempt (or the transactional loader) can run.
            for part in ("databases", "transactions"):
                shutil.rmtree(home / "store" / "data" / part / database, ignore_errors=True)
            raise
        done = [line.strip() for line in output.splitlines() if "IMPORT DONE" in line]
        say(f"neo4j-admin database import full: {time.monotonic() - started:.1f} s ({'; '.join(done)})")
    return dict(sorted(writer.nodes.items()))


async def finish(graph: Graph) -> None:
    """After the first start and the migrations: what the transactional loader does after its batches."""
    await set_need_sequences(graph)


async def bulk_seed(
    home: Path,
    preset: str,
    *,
    seed: int = 20261125,
    now: datetime | None = None,
    heap: str = "1g",
    pagecache: str = "256m",
    progress: Progress | None = None,
) -> tuple[local_neo4j.LocalNeo4j, dict[str, float]]:
    """Import into the empty store under `home`, start Neo4j on it, migrate, finish: the server, running,
    and the seconds each step took (`import` includes writing the CSV; `total` is the seed load time)."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    await asyncio.to_thread(import_preset, home, preset, seed=seed, now=now, progress=progress)
    timings["import"] = time.monotonic() - started
    mark = time.monotonic()
    server = await asyncio.to_thread(local_neo4j.start, home, heap=heap, pagecache=pagecache, verbose=False)
    timings["start"] = time.monotonic() - mark
    mark = time.monotonic()
    graph = Graph.connect(server.uri, None, None, "neo4j")
    try:
        await migrate(graph)
        await finish(graph)
    except BaseException:
        server.stop()
        raise
    finally:
        await graph.close()
    timings["migrate"] = time.monotonic() - mark
    timings["total"] = time.monotonic() - started
    return server, timings


def _stream(gen: Generator) -> Iterator[Record]:
    """The generator's records with the demo's property firms, whistles and practical matters laid over them."""
    return with_ten_things(gen, with_whistle(gen, with_firms(gen)))
