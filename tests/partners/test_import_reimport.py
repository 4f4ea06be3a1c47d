"""Rosters re-imported without duplicates (issue 11 §3): natural keys, the report's four counts, a race
of two imports, and the same import as a multipart upload over HTTP."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from graph.kernel.db import Graph
from resolvers.partners.roster_import import import_csv
from tests.support.factories_partners import OTHER_UNIT, UNIT, count, make_partners, token

DATA = Path(__file__).parents[1] / "data"

MEMBERS = "unitId,name,phone,skills,availability,maxLoad,communityIds\n" + "\n".join(
    f"{UNIT},党员{i},1390000{i:04d},FIRST_AID,6 08:00-12:00,2,610103001009" for i in range(12)
)


async def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text + "\n", encoding="utf-8")
    return path


async def test_the_same_members_roster_twice_changes_nothing_the_second_time(graph: Graph, tmp_path: Path) -> None:
    await make_partners(graph)
    path = await _write(tmp_path, "members.csv", MEMBERS)
    first = await import_csv(graph, "members", path, batch_size=5, out=io.StringIO())
    assert (first.created, first.updated, first.unchanged, first.rejected) == (12, 0, 0, [])
    before = await graph.read(
        "MATCH (m:Member) RETURN m.id AS id, m.updatedAt AS updated, COUNT { (m)--() } AS links ORDER BY id"
    )
    out = io.StringIO()
    second = await import_csv(graph, "members", path, batch_size=5, out=out)
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 12, [])
    assert "imported 12 (created 0, updated 0, unchanged 12), rejected 0" in out.getvalue()
    after = await graph.read(
        "MATCH (m:Member) RETURN m.id AS id, m.updatedAt AS updated, COUNT { (m)--() } AS links ORDER BY id"
    )
    assert after == before, "nothing was written: no new node, no new link, no updatedAt"


async def test_a_changed_row_updates_its_member_and_says_so(graph: Graph, tmp_path: Path) -> None:
    await make_partners(graph)
    await import_csv(graph, "members", await _write(tmp_path, "a.csv", MEMBERS), out=io.StringIO())
    ids = {row["phone"]: row["id"] for row in await graph.read("MATCH (m:Member) RETURN m.phone AS phone, m.id AS id")}
    changed = MEMBERS.replace(
        f"{UNIT},党员3,13900000003,FIRST_AID,6 08:00-12:00,2,", f"{UNIT},党员三,13900000003,PLUMBING,7 09:00-11:00,4,"
    )
    # The same phone in another unit is another person.
    changed += f"\n{OTHER_UNIT},党员0,13900000000,,,,"
    report = await import_csv(graph, "members", await _write(tmp_path, "b.csv", changed), out=io.StringIO())
    assert (report.created, report.updated, report.unchanged, report.rejected) == (1, 1, 11, [])
    rows = await graph.read(
        "MATCH (m:Member {phone: '13900000003'}) RETURN m.id AS id, m.name AS name, m.maxLoad AS maxLoad, "
        "m.availability AS availability, [(m)-[:HAS_SKILL]->(s) | s.code] AS skills, m.updatedAt IS NOT NULL AS upd"
    )
    assert rows == [
        {
            "id": ids["13900000003"],
            "name": "党员三",
            "maxLoad": 4,
            "availability": ["7 09:00-11:00"],
            "skills": ["PLUMBING"],
            "upd": True,
        }
    ]
    assert await count(graph, "Member") == 2 + 12 + 1


async def test_a_row_listed_twice_in_one_file_is_rejected_naming_the_first(graph: Graph, tmp_path: Path) -> None:
    await make_partners(graph)
    text = MEMBERS + f"\n{UNIT},又一个,139 0000 0001,,,,"
    report = await import_csv(graph, "members", await _write(tmp_path, "m.csv", text), out=io.StringIO())
    assert report.created == 12
    assert report.rejected == [(14, "same unitId and phone as line 3; the file lists it twice")]


async def test_units_are_matched_by_credit_code(graph: Graph, tmp_path: Path) -> None:
    await make_partners(graph)
    first = await import_csv(graph, "units", DATA / "units_roster.csv", out=io.StringIO())
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    again = await import_csv(graph, "units", DATA / "units_roster.csv", out=io.StringIO())
    assert (again.created, again.updated, again.unchanged, len(again.rejected)) == (0, 0, 2, 3)
    text = (DATA / "units_roster.csv").read_text(encoding="utf-8").replace("029-87650000", "029-87650001")
    changed = await import_csv(graph, "units", await _write(tmp_path, "u.csv", text), out=io.StringIO())
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    rows = await graph.read("MATCH (u:Unit {creditCode: '126101004352001233'}) RETURN u.phone AS phone")
    assert rows == [{"phone": "029-87650001"}]
    missing = await _write(tmp_path, "nokey.csv", "name,kind,communityIds\n某单位,COMPANY,610103001009")
    report = await import_csv(graph, "units", missing, out=io.StringIO())
    assert report.rejected == [(2, "creditCode is required: it tells this row's record on a re-import")]
    typo_row = "name,kind,communityIds,creditCode\n某单位,COMPANY,610103001009,126101004352001234"
    typo = await _write(tmp_path, "typo.csv", typo_row)
    report = await import_csv(graph, "units", typo, out=io.StringIO())
    assert "fails its check character" in report.rejected[0][1]


async def test_two_imports_of_one_roster_racing_create_each_person_exactly_once(graph: Graph, tmp_path: Path) -> None:
    await make_partners(graph)
    path = await _write(tmp_path, "members.csv", MEMBERS)
    reports = await asyncio.gather(
        *(import_csv(graph, "members", path, batch_size=3, out=io.StringIO()) for _ in range(2))
    )
    assert sum(r.created for r in reports) == 12, [r.as_dict() for r in reports]
    assert sum(r.unchanged for r in reports) == 12
    assert all(r.rejected == [] for r in reports)
    rows = await graph.read(
        "MATCH (m:Member)-[:BELONGS_TO]->(:Unit {id: $unit}) WHERE m.phone STARTS WITH '1390000' "
        "RETURN m.phone AS phone, count(*) AS n, sum(COUNT { (m)-[:BELONGS_TO]->() }) AS units",
        unit=UNIT,
    )
    assert len(rows) == 12 and all(row["n"] == 1 and row["units"] == 1 for row in rows)


async def test_upload_over_http_for_a_unit_admin(graphql_client, graph: Graph) -> None:
    await make_partners(graph)
    http = graphql_client.http
    text = MEMBERS + f"\n{OTHER_UNIT},外单位,13911112222,,,,"
    files = {"file": ("members.csv", text.encode("utf-8-sig"), "text/csv")}
    auth = {"Authorization": f"Bearer {token('unit_admin')}"}
    response = await http.post("/import/members", files=files, headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (12, 0, 0)
    assert len(body["rejected"]) == 1 and body["rejected"][0]["line"] == 14
    assert f"{OTHER_UNIT} is managed by its own UNIT_ADMIN" in body["rejected"][0]["reason"]

    again = (await http.post("/import/members", files=files, headers=auth)).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 12)

    anonymous = await http.post("/import/members", files=files)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "UNAUTHENTICATED"
    member = await http.post("/import/members", files=files, headers={"Authorization": f"Bearer {token('member')}"})
    assert member.status_code == 403 and "UNIT_ADMIN" in member.json()["error"]["message"]
    units = await http.post("/import/units", files=files, headers=auth)
    assert units.status_code == 403
    no_file = await http.post("/import/members", data={"x": "1"}, headers=auth)
    assert no_file.status_code == 400
    bad = {"file": ("m.csv", b"unitId,name,fax\n", "text/csv")}
    refused = await http.post("/import/members", files=bad, headers=auth)
    assert refused.status_code == 400 and "unknown column" in refused.json()["error"]["message"]


# Venues (issue 23 §4): a registry code where there is one, else owner + community + name.
VENUES = "name,kind,communityId,ownerUnitId,capacity,facilities,registryCode\n" + "\n".join(
    [f"书院门红色驿站{i}号,RED_STATION,610103001009,{UNIT},30,PROJECTOR," for i in range(10)]
    + ["南院门闲置厂房共享空间,STATE_IDLE_SITE,610103001004,,200,,GZ-610103-0042"]
    # The same name in another community, or with another owner, is another venue.
    + [f"书院门红色驿站0号,RED_STATION,610103001004,{UNIT},30,,", "书院门红色驿站0号,RED_STATION,610103001009,,30,,"]
)


async def test_the_same_venues_roster_twice_changes_nothing_the_second_time(graph: Graph, tmp_path: Path) -> None:
    await make_partners(graph)
    before = await count(graph, "Venue")
    path = await _write(tmp_path, "venues.csv", VENUES)
    first = await import_csv(graph, "venues", path, batch_size=4, out=io.StringIO())
    assert (first.created, first.updated, first.unchanged, first.rejected) == (13, 0, 0, [])
    snapshot = "MATCH (v:Venue) RETURN v.id AS id, v.updatedAt AS updated, COUNT { (v)--() } AS links ORDER BY id"
    stored = await graph.read(snapshot)
    again = await import_csv(graph, "venues", path, batch_size=4, out=io.StringIO())
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 13, [])
    assert await graph.read(snapshot) == stored, "nothing was written: no new node, no new link, no updatedAt"
    assert await count(graph, "Venue") == before + 13
    # The sample roster, twice: its two good rows once.
    sample = [await import_csv(graph, "venues", DATA / "venues_roster.csv", out=io.StringIO()) for _ in range(2)]
    assert [(r.created, r.unchanged, len(r.rejected)) for r in sample] == [(2, 0, 2), (0, 2, 2)]


async def test_a_changed_venue_row_updates_it_and_a_registry_code_follows_it_anywhere(
    graph: Graph, tmp_path: Path
) -> None:
    await make_partners(graph)
    await import_csv(graph, "venues", await _write(tmp_path, "a.csv", VENUES), out=io.StringIO())
    site = "MATCH (v:Venue {registryCode: 'GZ-610103-0042'}) RETURN v.id AS id, v.name AS name, v.capacity AS cap, "
    site += "[(v)-[:AT]->(c) | c.id][0] AS at, [(v)-[:OWNED_BY]->(u) | u.id] AS owners, v.updatedAt IS NULL AS fresh"
    [stored] = await graph.read(site)
    changed = VENUES.replace(
        f"书院门红色驿站3号,RED_STATION,610103001009,{UNIT},30,",
        f"书院门红色驿站3号,RED_STATION,610103001009,{UNIT},45,",
    )
    # Renamed, moved and handed to a unit: its registry code still names it.
    changed = changed.replace("南院门闲置厂房共享空间,STATE_IDLE_SITE,610103001004,,200,,GZ-610103-0042",
              f"书院门闲置仓库共享空间,STATE_IDLE_SITE,610103001009,{OTHER_UNIT},150,,gz-610103-0042")  # fmt: skip
    report = await import_csv(graph, "venues", await _write(tmp_path, "b.csv", changed), out=io.StringIO())
    assert (report.created, report.updated, report.unchanged, report.rejected) == (0, 2, 11, [])
    assert await graph.read(site) == [
        {"id": stored["id"], "name": "书院门闲置仓库共享空间", "cap": 150, "at": "community:610103001009",
         "owners": [OTHER_UNIT], "fresh": False}
    ]  # fmt: skip
    rows = await graph.read("MATCH (v:Venue {name: '书院门红色驿站3号'}) RETURN v.capacity AS cap")
    assert rows == [{"cap": 45}]
    twice = await _write(tmp_path, "c.csv", VENUES + f"\n书院门红色驿站5号,SERVICE_AREA,610103001009,{UNIT},10,,")
    report = await import_csv(graph, "venues", twice, out=io.StringIO())
    assert report.rejected == [
        (15, "same registryCode, or ownerUnitId, communityId and name as line 7; the file lists it twice")
    ]


async def test_two_imports_of_one_venues_roster_racing_create_each_venue_exactly_once(
    graph: Graph, tmp_path: Path
) -> None:
    await make_partners(graph)
    before = await count(graph, "Venue")
    path = await _write(tmp_path, "venues.csv", VENUES)
    reports = await asyncio.gather(
        *(import_csv(graph, "venues", path, batch_size=3, out=io.StringIO()) for _ in range(3))
    )
    assert sum(r.created for r in reports) == 13, [r.as_dict() for r in reports]
    assert sum(r.unchanged for r in reports) == 26 and all(r.rejected == [] for r in reports)
    assert await count(graph, "Venue") == before + 13
    rows = await graph.read("MATCH (v:Venue) WHERE v.rosterKey IS NOT NULL WITH v.rosterKey AS k, count(*) AS n "
                            "RETURN max(n) AS most, count(k) AS keys")  # fmt: skip
    assert rows == [{"most": 1, "keys": 13}]
