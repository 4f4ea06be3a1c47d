"""The Open311 GeoReport v2 door (issue 11 §1) against the real app under uvicorn, read with a real
Open311 client from PyPI (`georeport`, which has no POST: requests are posted with httpx)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from georeport import GeoReport

from graph.kernel.db import Graph
from resolvers.accounts import apikeys
from tests.server.test_server_ops import _live
from tests.support.factories import BEILIN, COMPOUND, NANYUANMEN, NANYUANMEN_COMMUNITY, SHUYUANMEN, YANTA
from tests.support.factories_partners import make_partners

SEWER_CALL = {
    "service_code": "SEWER",
    "lat": "34.25612",
    "long": "108.94521",
    "description": "3号楼单元门口下水道堵了，污水都漫到路上了，味道大得很",
    "first_name": "秀兰",
    "last_name": "王",
    "phone": "13912345678",
    "email": "wang@example.com",
    "attribute[urgency]": "HIGH",
    "media_url": "https://img.example.com/sewer.jpg",
}


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """The client is synchronous (requests): off the loop the server runs on."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def test_every_method_with_a_real_open311_client(graph: Graph) -> None:
    await make_partners(graph)
    key_id, secret = await apikeys.issue(graph, "长安E格", NANYUANMEN)
    _, other_secret = await apikeys.issue(graph, "雁塔区网格", YANTA)
    stored = await graph.read("MATCH (k:ApiKey {id: $id}) RETURN k.hash AS hash, k {.*} AS props", id=key_id)
    assert stored[0]["hash"] == apikeys.digest(secret) and secret not in str(stored[0]["props"])

    server, task, port = await _live(graph)
    root = f"http://127.0.0.1:{port}/open311/v2"
    as_json, as_xml = GeoReport(root, api_key=secret), GeoReport(root, output_format="xml")
    try:
        services = await _call(as_json.get_service_list)
        assert {s["service_code"] for s in services} == {"SEWER", "NOISE", "ELDERLY_CARE"}
        sewer = next(s for s in services if s["service_code"] == "SEWER")
        assert sewer["service_name"] == "下水疏通" and sewer["metadata"] is True and sewer["group"] == "市政设施"
        xml_services = await _call(as_xml.get_service_list)
        assert {s["service_code"] for s in xml_services} == {"SEWER", "NOISE", "ELDERLY_CARE"}
        assert next(s for s in xml_services if s["service_code"] == "SEWER")["metadata"] == "true"

        definition = await _call(as_json.get_service_definition, "SEWER")
        urgency = next(a for a in definition["attributes"] if a["code"] == "urgency")
        assert urgency["datatype"] == "singlevaluelist" and [v["key"] for v in urgency["values"]][-1] == "URGENT"
        xml_definition = await _call(as_xml.get_service_definition, "SEWER")
        assert xml_definition["service_code"] == "SEWER"
        assert len(xml_definition["attributes"]["attribute"]) == 3

        async with httpx.AsyncClient(base_url=root, timeout=60) as http:
            discovery = (await http.get("/discovery.json")).json()
            assert discovery["endpoints"][0]["url"] == root
            assert "text/xml" in discovery["endpoints"][0]["formats"]
            posted = await http.post("/requests.json", data={**SEWER_CALL, "api_key": secret})
            assert posted.status_code == 200, posted.text
            [answer] = posted.json()
            by_name = await http.post(
                "/requests.xml",
                data={
                    "api_key": secret,
                    "service_code": "NOISE",
                    "address_string": "书院门那边，楼上天天装修到晚上十点",
                    "description": "楼上装修天天砸墙到晚上十点，老人睡不着",
                    "phone": "13900001111",
                },
            )
            assert by_name.status_code == 200 and "<service_request_id>need:" in by_name.text
            masked = (await http.get("/requests.json", params={"api_key": other_secret})).json()
            full = (await http.get("/requests.json", params={"api_key": secret})).json()

        need_id = answer["service_request_id"]
        assert answer["service_notice"].startswith("已受理，编号 XA-")
        rows = await graph.read(
            "MATCH (n:Need {id: $id})-[:AT]->(p), (n)-[:OF]->(k), (n)-[:RAISED_BY]->(r), (e:Event)-[:ABOUT]->(n) "
            "RETURN n.channel AS channel, n.urgency AS urgency, n.mediaUrl AS media, p.id AS place, k.code AS code, "
            "r.name AS name, r.phone AS phone, e.actorId AS actor",
            id=need_id,
        )
        assert rows == [
            {
                "channel": "OPEN311",
                "urgency": "HIGH",
                "media": SEWER_CALL["media_url"],
                "place": COMPOUND,
                "code": "SEWER",
                "name": "王秀兰",
                "phone": "13912345678",
                "actor": key_id,
            }
        ]
        noise = await graph.read(
            "MATCH (n:Need {channel: 'OPEN311'})-[:OF]->(:Category {code: 'NOISE'}) "
            "MATCH (n)-[:AT]->(p) RETURN p.id AS place"
        )
        assert noise == [{"place": SHUYUANMEN}], "placed by the community its address names"

        found = await _call(as_json.get_service_requests, service_request_id=need_id)
        assert len(found) == 1
        one = found[0]
        assert one["status"] == "open" and one["service_code"] == "SEWER" and one["service_name"] == "下水疏通"
        assert one["agency_responsible"] == "书院门社区" and "书院小区" in one["address"]
        assert one["address_id"] == COMPOUND and one["media_url"] == SEWER_CALL["media_url"]
        assert one["requested_datetime"].endswith("+08:00") and one["expected_datetime"] > one["requested_datetime"]
        assert abs(one["lat"] - 34.2561) < 1e-6 and "contact_phone" not in one, "guests see no contacts"
        assert (await _call(as_json.get_service_request, need_id))["service_request_id"] == need_id
        xml_one = await _call(as_xml.get_service_request, need_id)
        assert xml_one["status"] == "open" and xml_one["service_request_id"] == need_id

        assert len(await _call(as_json.get_service_requests, status="open")) == 2
        assert await _call(as_json.get_service_requests, status="closed") == []
        assert [r["service_code"] for r in await _call(as_json.get_service_requests, service_code="NOISE")] == ["NOISE"]
        assert (
            await _call(
                as_json.get_service_requests, start_date="2020-01-01T00:00:00Z", end_date="2020-02-01T00:00:00Z"
            )
            == []
        )
    finally:
        server.should_exit = True
        await task

    # Contacts as GraphQL masks them: in full within the key's scope, masked outside it.
    assert {r["contact_phone"] for r in full} == {"13912345678", "13900001111"}
    assert {r["contact_phone"] for r in masked} == {"139****5678", "139****1111"}
    assert {r["contact_name"] for r in masked} == {"王**", "来***"}


async def _errors(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert isinstance(body, list) and set(body[0]) == {"code", "description"}, body
    assert body[0]["code"] == response.status_code
    return response.status_code, body[0]["description"]


async def test_every_bad_request_is_the_specs_error_with_its_code(graphql_client, graph: Graph) -> None:
    await make_partners(graph)
    key_id, secret = await apikeys.issue(graph, "长安E格", BEILIN)
    _, outside = await apikeys.issue(graph, "雁塔区网格", YANTA)
    http = graphql_client.http
    base = "/open311/v2"

    async def post(**data: str) -> tuple[int, str]:
        return await _errors(await http.post(f"{base}/requests.json", data=data))

    call = {**SEWER_CALL}
    assert await post(**call) == (403, "send your API key as the api_key parameter; ask the city for one")
    assert (await post(**call, api_key="mhk_guess"))[0] == 403
    status, text = await post(**call, api_key=outside)
    assert status == 403 and "outside your scope" in text
    assert (await post(**{**call, "service_code": "KNITTING"}, api_key=secret))[0] == 400
    no_place = {k: v for k, v in call.items() if k not in ("lat", "long")}
    status, text = await post(**no_place, api_key=secret)
    assert status == 400 and "say where" in text
    status, text = await post(**{**call, "phone": "call me"}, api_key=secret)
    assert status == 400 and "phone" in text
    status, text = await post(**{**call, "email": "not an address"}, api_key=secret)
    assert status == 400 and "email" in text
    status, text = await post(**{**call, "attribute[colour]": "red"}, api_key=secret)
    assert status == 400 and "colour" in text
    assert (await post(**{**call, "jurisdiction_id": "boston"}, api_key=secret))[0] == 404
    status, text = await post(**{**call, "address_id": "compound:nope", "lat": "", "long": ""}, api_key=secret)
    assert status == 404 and "compound:nope" in text

    assert (await _errors(await http.get(f"{base}/services/NOPE.json")))[0] == 404
    assert (await _errors(await http.get(f"{base}/requests/need:nope.json")))[0] == 404
    assert (await _errors(await http.get(f"{base}/requests.csv")))[0] == 404
    bad_date = await http.get(f"{base}/requests.json", params={"start_date": "yesterday"})
    assert (await _errors(bad_date))[0] == 400
    too_long = {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
    assert (await _errors(await http.get(f"{base}/requests.json", params=too_long)))[0] == 400
    assert (await _errors(await http.get(f"{base}/requests.json", params={"status": "pending"})))[0] == 400
    xml = await http.post(f"{base}/requests.xml", data=call)
    assert xml.status_code == 403 and xml.text.endswith("</description></error></errors>")
    assert xml.headers["content-type"].startswith("text/xml")

    # A revoked key is refused from then on.
    ok = await http.post(f"{base}/requests.json", data={**call, "api_key": secret})
    assert ok.status_code == 200
    assert await apikeys.revoke(graph, key_id) is True
    assert await apikeys.revoke(graph, key_id) is False
    assert (await post(**call, api_key=secret))[0] == 403


async def test_a_request_without_service_code_is_filed_under_the_suggested_category(
    graphql_client, graph: Graph
) -> None:
    await make_partners(graph)
    _, secret = await apikeys.issue(graph, "长安E格", None)
    call = {k: v for k, v in SEWER_CALL.items() if k != "service_code"}
    response = await graphql_client.http.post("/open311/v2/requests.json", data={**call, "api_key": secret})
    assert response.status_code == 200, response.text
    [answer] = response.json()
    assert "service_code SEWER suggested from the description" in answer["service_notice"]
    rows = await graph.read(
        "MATCH (n:Need {id: $id})-[:OF]->(k) RETURN k.code AS code", id=answer["service_request_id"]
    )
    assert rows == [{"code": "SEWER"}]


def test_apikey_commands_create_list_and_revoke(neo4j_uri: str) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    minhu = Path(sys.executable).with_name("minhu")
    env = {**os.environ, "NEO4J_URI": neo4j_uri}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(minhu), "apikey", *args], env=env, capture_output=True, text=True, timeout=300)

    created = run("create", "--name", "长安E格")
    assert created.returncode == 0, created.stderr
    key_id, secret = created.stdout.strip().split("\t")
    assert key_id.startswith("apikey:") and secret.startswith("mhk_") and "only its hash" in created.stderr
    listed = run("list")
    assert f"{key_id}\t长安E格\tcity" in listed.stdout and secret not in listed.stdout
    assert run("revoke", key_id).stdout.strip() == f"{key_id}: revoked"
    assert run("revoke", key_id).stdout.strip() == f"{key_id}: was already revoked"
    assert "revoked" in run("list").stdout.split(key_id)[1].splitlines()[0]
    unknown = run("revoke", "apikey:nope")
    assert unknown.returncode == 2 and "no API key 'apikey:nope'" in unknown.stderr
    bad_scope = run("create", "--name", "x", "--scope", "district:999999")
    assert bad_scope.returncode == 2 and "no district, street or community" in bad_scope.stderr


TOKEN_PLACE = """mutation($input: PlaceOpen311RequestInput!) {
  placeOpen311Request(input: $input) { need { id channel status category { code } compound { id } } } }"""
UNPLACED = "{ unplacedRequests { token serviceCode description notice } }"


async def test_a_request_that_cannot_be_placed_gets_a_token_until_an_operator_places_it(
    graphql_client, graph: Graph
) -> None:
    """The spec's token flow, only where the door cannot place a request: a point far from every place or
    an address nobody knows is answered with a token at once; an operator places it; GET tokens/{token}
    then answers the service_request_id, once however many operators place it at the same time."""
    from tests.support import workflow_helpers as w

    await make_partners(graph)
    _, secret = await apikeys.issue(graph, "长安E格", BEILIN)
    http = graphql_client.http
    base = "/open311/v2"
    far = await http.post(
        f"{base}/requests.json", data={**SEWER_CALL, "lat": "34.9", "long": "109.9", "api_key": secret}
    )
    unknown = {k: v for k, v in SEWER_CALL.items() if k not in ("lat", "long")}
    named = await http.post(f"{base}/requests.json", data={**unknown, "address_string": "火星基地", "api_key": secret})
    tokens = []
    for answer in (far, named):
        assert answer.status_code == 200, answer.text
        (body,) = answer.json()
        assert "service_request_id" not in body and "人工" in body["service_notice"]
        tokens.append(body["token"])
    status = await http.get(f"{base}/tokens/{tokens[0]}.json")
    assert status.json() == [{"token": tokens[0], "service_request_id": None}]
    xml = await http.get(f"{base}/tokens/{tokens[0]}.xml")
    assert f"<token>{tokens[0]}</token>" in xml.text
    assert (await _errors(await http.get(f"{base}/tokens/nothing-like-it.json")))[0] == 404

    district = w.token("DISTRICT_ADMIN", BEILIN)  # the key's scope lies within theirs
    listed = (await graphql_client(UNPLACED, token=district))["data"]["unplacedRequests"]
    assert {r["token"] for r in listed} == set(tokens) and all(r["serviceCode"] == "SEWER" for r in listed)
    outside = w.token("COORDINATOR", "community:610113001001")
    assert (await graphql_client(UNPLACED, token=outside))["data"]["unplacedRequests"] == []
    assert (await graphql_client(UNPLACED, token=w.coordinator()))["data"]["unplacedRequests"] == []  # too narrow

    answers = await asyncio.gather(*(
        graphql_client(TOKEN_PLACE, {"input": {"token": tokens[0], "placeId": COMPOUND}}, token=w.coordinator(),
                       expect_errors=True)
        for _ in range(10)
    ))  # fmt: skip
    placed = [a["data"]["placeOpen311Request"]["need"] for a in answers if "errors" not in a]
    assert len(placed) == 1 and {a["errors"][0]["extensions"]["code"] for a in answers if "errors" in a} == {"CONFLICT"}
    need = placed[0]
    assert (
        need["channel"] == "OPEN311" and need["category"] == {"code": "SEWER"} and need["compound"] == {"id": COMPOUND}
    )
    assert (await http.get(f"{base}/tokens/{tokens[0]}.json")).json()[0]["service_request_id"] == need["id"]
    left = (await graphql_client(UNPLACED, token=district))["data"]["unplacedRequests"]
    assert [r["token"] for r in left] == [tokens[1]]
    elsewhere = await graphql_client(
        TOKEN_PLACE, {"input": {"token": tokens[1], "placeId": COMPOUND}}, token=outside, expect_errors=True
    )
    assert elsewhere["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await graphql_client(TOKEN_PLACE, {"input": {"token": tokens[1], "placeId": COMPOUND}}, token=district)
    # The request under its lock, the place's facts, the need written and the request marked placed, its routing.
    assert graphql_client.last_written == [
        "needs.open311.locked_pending",
        "needs.write.intake_facts",
        "needs.write.create_need",
        "whistle.route",
    ]


CALLBACK = """
query($id: ID!) { node(id: $id) { ... on Need { id canCallBack requester { name phone email } } } }
"""


async def test_a_request_with_a_phone_an_email_or_neither_is_filed_and_says_whether_to_call_back(
    graphql_client, interpreted_client, graph: Graph
) -> None:
    """GeoReport v2 makes every contact optional. A request with neither is filed all the same; the
    partner is told the community cannot call back, and the coordinator sees it on the need."""
    from tests.support import workflow_helpers as w

    await make_partners(graph)
    _, secret = await apikeys.issue(graph, "长安E格", BEILIN)
    no_contact = {k: v for k, v in SEWER_CALL.items() if k not in ("phone", "email")}
    calls = {
        "phone": {**no_contact, "phone": "13912345678"},
        "email": {**no_contact, "email": "wang@example.com"},
        "neither": no_contact,
        "blank": {**no_contact, "phone": " ", "email": ""},
    }
    server, task, port = await _live(graph)
    root = f"http://127.0.0.1:{port}/open311/v2"
    try:
        async with httpx.AsyncClient(base_url=root, timeout=60) as http:
            answers = {}
            for name, call in calls.items():
                posted = await http.post("/requests.json", data={**call, "api_key": secret})
                assert posted.status_code == 200, (name, posted.text)
                [answers[name]] = posted.json()
            ids = {name: answer["service_request_id"] for name, answer in answers.items()}
            contacts = (await http.get("/requests.json", params={"api_key": secret})).json()
        found = await _call(GeoReport(root).get_service_requests, service_request_id=",".join(ids.values()))
    finally:
        server.should_exit = True
        await task

    assert {r["service_request_id"] for r in found} == set(ids.values()), "all four are filed and listed"
    assert {r["service_request_id"]: (r["contact_phone"], r["contact_email"]) for r in contacts} == {
        ids["phone"]: ("13912345678", None),
        ids["email"]: (None, "wang@example.com"),
        ids["neither"]: (None, None),
        ids["blank"]: (None, None),
    }
    for name in ("neither", "blank"):
        assert "社区无法回访" in answers[name]["service_notice"], answers[name]
    for name in ("phone", "email"):
        assert "社区无法回访" not in answers[name]["service_notice"]

    staff, outsider = w.token("DISTRICT_ADMIN", BEILIN), w.token("COORDINATOR", NANYUANMEN_COMMUNITY)
    expected = {"phone": True, "email": True, "neither": False, "blank": False}
    for client in (graphql_client, interpreted_client):
        for name, need_id in ids.items():
            need = (await client(CALLBACK, {"id": need_id}, token=staff))["data"]["node"]
            assert need["canCallBack"] is expected[name], (name, need)
            assert need["requester"]["phone"] == (calls[name].get("phone", "").strip() or None)
            assert need["requester"]["email"] == (calls[name].get("email") or None)
        masked = (await client(CALLBACK, {"id": ids["email"]}, token=outsider))["data"]["node"]["requester"]
        assert masked["email"] == "w****@example.com" and masked["phone"] is None
        listed = await client(
            "{ needs(first: 10, filter: {channel: [OPEN311]}) { edges { node { id canCallBack } } } }", token=staff
        )
        assert {e["node"]["id"]: e["node"]["canCallBack"] for e in listed["data"]["needs"]["edges"]} == {
            ids[name]: expected[name] for name in ids
        }
