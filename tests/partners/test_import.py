"""Roster import (story 11): good rows in, bad rows reported by line with the reason, batches all-or-nothing."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import BadUserInput, Conflict
from graph.partners import registration as reg
from resolvers.partners import roster_import as imports
from resolvers.partners.roster_import import import_csv
from tests.support.factories import NANYUANMEN_COMMUNITY, SHUYUANMEN
from tests.support.factories_partners import UNIT, count, make_partners

DATA = Path(__file__).parents[1] / "data"


async def test_members_roster_imports_good_rows_and_reports_bad_ones_by_line(graph: Graph) -> None:
    await make_partners(graph)
    before = await count(graph, "Member")
    out = io.StringIO()
    report = await import_csv(graph, "members", DATA / "members_roster.csv", out=out)

    assert report.imported == 5
    reasons = dict(report.rejected)
    assert sorted(reasons) == [6, 7, 8, 9, 10, 11]
    assert reasons[6] == "phone '1234' is not a mobile (1xxxxxxxxxx) or 029 landline (029-xxxxxxxx)"
    assert "D HH:MM-HH:MM" in reasons[7]
    assert reasons[8] == "skills: no such skill code 'KNITTING'"
    assert reasons[9] == "unitId: no such unit 'unit:nope'"
    assert "swapped" in reasons[10]
    assert reasons[11] == "name is required"
    assert "line 6: phone '1234' is not a mobile" in out.getvalue()
    assert "members: imported 5 (created 5, updated 0, unchanged 0), rejected 6" in out.getvalue()

    assert await count(graph, "Member") == before + 5
    rows = await graph.read(
        "MATCH (m:Member {name: '王芳'})-[:BELONGS_TO]->(u:Unit) RETURN u.id AS unit, m.maxLoad AS maxLoad, "
        "m.availability AS availability, [(m)-[:HAS_SKILL]->(s) | s.code] AS skills, "
        "[(m)-[:REGISTERED_WITH]->(c) | c.id] AS communities"
    )
    wang = rows[0]
    assert wang["unit"] == UNIT and wang["maxLoad"] == 3
    assert wang["availability"] == ["6 08:00-12:00", "7 08:00-12:00"]
    assert sorted(wang["skills"]) == ["FIRST_AID", "PLUMBING"]
    assert sorted(wang["communities"]) == sorted([SHUYUANMEN, NANYUANMEN_COMMUNITY])
    li = await graph.read("MATCH (m:Member {name: '李娜'}) RETURN m.phone AS phone, m.maxLoad AS maxLoad")
    assert li == [{"phone": "029-87651234", "maxLoad": 2}], "empty cells take the defaults"


async def test_units_and_venues_rosters(graph: Graph) -> None:
    await make_partners(graph)
    out = io.StringIO()
    units = await import_csv(graph, "units", DATA / "units_roster.csv", out=out)
    assert units.imported == 2
    reasons = dict(units.rejected)
    assert sorted(reasons) == [4, 5, 6]
    assert "phone '12345'" in reasons[4] and "CLUB" in reasons[5] and "community:999999999999" in reasons[6]
    linked = await graph.read(
        "MATCH (u:Unit {name: '西安市第四医院'})-[:REGISTERED_WITH]->(c) RETURN count(c) AS n, u.phone AS phone"
    )
    assert linked == [{"n": 2, "phone": "029-87650000"}]

    venues = await import_csv(graph, "venues", DATA / "venues_roster.csv", out=out)
    assert venues.imported == 2 and sorted(dict(venues.rejected)) == [4, 5]
    assert "capacity" in dict(venues.rejected)[4] and "SAUNA" in dict(venues.rejected)[5]
    rows = await graph.read(
        "MATCH (v:Venue {name: '书院门红色驿站'}) RETURN [(v)-[:OWNED_BY]->(u) | u.id] AS owner, "
        "[(v)-[:AT]->(c) | c.id] AS at, v.openingHours AS hours"
    )
    assert rows == [{"owner": [UNIT], "at": [SHUYUANMEN], "hours": ["1 09:00-17:00", "2 09:00-17:00"]}]


async def test_file_without_header_uses_the_documented_column_order(graph: Graph, tmp_path: Path) -> None:
    await make_partners(graph)
    path = tmp_path / "members.csv"
    path.write_text("unit:p1,孙丽,13800138100,FIRST_AID,6 08:00-12:00,2,610103001009,,\n", encoding="utf-8")
    report = await import_csv(graph, "members", path, out=io.StringIO())
    assert (report.imported, report.rejected) == (1, [])


async def test_unknown_column_is_refused_before_anything_is_written(graph: Graph, tmp_path: Path) -> None:
    await make_partners(graph)
    path = tmp_path / "units.csv"
    path.write_text("name,kind,fax\n某单位,COMPANY,123\n", encoding="utf-8")
    with pytest.raises(BadUserInput, match="unknown column"):
        await import_csv(graph, "units", path, out=io.StringIO())


async def test_a_failing_batch_is_written_not_at_all_and_the_others_are(
    graph: Graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_partners(graph)
    before = await count(graph, "Member")
    path = tmp_path / "members.csv"
    lines = ["unitId,name,phone"] + [f"unit:p1,党员{i},138001390{i:02d}" for i in range(9)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    calls = 0

    async def second_batch_fails(tx: Tx, rows: list[dict]) -> list[dict[str, str]]:
        nonlocal calls
        calls += 1
        written = await reg.upsert_members(tx, rows)  # really written inside the transaction…
        if calls == 2:
            raise Conflict("simulated failure after writing")  # …then rolled back with it
        return written

    spec = dataclasses.replace(imports.KINDS["members"], write=second_batch_fails)
    monkeypatch.setitem(imports.KINDS, "members", spec)
    out = io.StringIO()
    report = await import_csv(graph, "members", path, batch_size=4, out=out)

    assert report.imported == 5  # batches: lines 2–5 ok, 6–9 failed, 10 ok
    assert [line for line, _ in report.rejected] == [6, 7, 8, 9]
    assert "the batch of lines 6–9 failed (simulated failure after writing)" in report.rejected[0][1]
    names = {row["name"] for row in await graph.read("MATCH (m:Member) RETURN m.name AS name")}
    assert not names & {"党员4", "党员5", "党员6", "党员7"}, "nothing of the failed batch is left"
    assert await count(graph, "Member") == before + 5


async def test_unknown_kind_is_explained(graph: Graph) -> None:
    with pytest.raises(BadUserInput, match="units, members, venues"):
        await import_csv(graph, "residents", DATA / "units_roster.csv", out=io.StringIO())
