"""The load test's users (locust, headless; run by `python -m bench.load`).

A realistic mix on the demo seed's 书院门社区, one GraphQL operation per locust request (named
after the operation):
- residents submit needs (weight 3);
- coordinators list their queue and ask for candidates for a need in it (weight 4);
- members take a need through to the end: the coordinator opens it for claim (抢单), the member
  accepts, starts and completes it (weight 2; each need goes to the next member in turn, so the
  test itself does not run members into their load limit).
Subscribers listening are held open by bench/load.py itself (locust has no WebSocket client).

The world (tokens, ids) comes from the MINHU_LOAD_WORLD environment variable (JSON).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from typing import Any

from locust import HttpUser, between, task

WORLD: dict[str, Any] = json.loads(os.environ.get("MINHU_LOAD_WORLD", "{}"))
_members = itertools.count()

SUBMIT = """mutation($input: SubmitNeedInput!) { submitNeed(input: $input) { need { id number status } } }"""
QUEUE = """query($f: NeedFilter) { needs(filter: $f, first: 20) {
  totalCount edges { node { id number title status urgency createdAt } } } }"""
CANDIDATES = """query($id: ID!) { matchCandidates(needId: $id, kinds: [MEMBER, UNIT], first: 5) {
  kind score reason resource { __typename } } }"""
OPEN = """mutation($input: NeedNoteInput!) { openNeedForClaim(input: $input) { need { id status } } }"""
ACCEPT = """mutation($input: NeedKeyInput!) { acceptNeed(input: $input) { need { id status } } }"""
START = """mutation($input: NeedNoteInput!) { startNeed(input: $input) { need { id status } } }"""
COMPLETE = """mutation($input: NeedNoteInput!) { completeNeed(input: $input) { need { id status } } }"""


class GraphQLUser(HttpUser):
    abstract = True
    wait_time = between(0.05, 0.3)

    def call(self, name: str, document: str, variables: dict[str, Any], token: str) -> dict[str, Any] | None:
        """One operation; a response with `errors` counts as a failure under its name."""
        with self.client.post(
            "/graphql",
            name=name,
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {token}", **self.bookmark},
            catch_response=True,
        ) as response:
            try:
                body = response.json()
            except ValueError:
                response.failure(f"HTTP {response.status_code}, not JSON")
                return None
            if body.get("errors"):
                code = (body["errors"][0].get("extensions") or {}).get("code")
                response.failure(f"{code}: {body['errors'][0].get('message')}")
                return None
            # Read-your-writes across processes: the next request carries our last write's bookmark.
            mark = response.headers.get("X-Minhu-Bookmark")
            if mark:
                self.bookmark = {"X-Minhu-Bookmark": mark}
            response.success()
            return body["data"]

    def on_start(self) -> None:
        self.bookmark: dict[str, str] = {}

    def submit(self) -> str | None:
        resident = random.choice(WORLD["residents"])
        data = self.call(
            "submitNeed",
            SUBMIT,
            {
                "input": {
                    "title": "楼道灯不亮，晚上看不清台阶",
                    "categoryCode": "SEWER",
                    "placeId": random.choice(WORLD["compounds"]),
                    "urgency": "NORMAL",
                }
            },
            resident["token"],
        )
        return data["submitNeed"]["need"]["id"] if data else None


class Resident(GraphQLUser):
    weight = 3

    @task
    def submit_need(self) -> None:
        self.submit()


class Coordinator(GraphQLUser):
    weight = 4

    @task
    def queue_and_candidates(self) -> None:
        data = self.call(
            "needs(queue)",
            QUEUE,
            {"f": {"placeId": WORLD["community"], "status": ["SUBMITTED"]}},
            WORLD["coordinator"],
        )
        edges = data["needs"]["edges"] if data else []
        if edges:
            need = random.choice(edges)["node"]["id"]
            self.call("matchCandidates", CANDIDATES, {"id": need}, WORLD["coordinator"])


class Member(GraphQLUser):
    weight = 2

    @task
    def claim_and_complete(self) -> None:
        # The next member of the community for each need, so no member nears the load limit.
        members = WORLD["members"]
        self.member = members[next(_members) % len(members)]
        need = self.submit()
        if need is None:
            return
        ref = {"input": {"needId": need}}
        if self.call("openNeedForClaim", OPEN, ref, WORLD["coordinator"]) is None:
            return
        if self.call("acceptNeed", ACCEPT, ref, self.member["token"]) is None:
            return
        if self.call("startNeed", START, ref, self.member["token"]) is None:
            return
        done = {"input": {"needId": need, "note": "已疏通，管道恢复通畅"}}
        self.call("completeNeed", COMPLETE, done, self.member["token"])
