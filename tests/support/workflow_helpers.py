"""People, tokens and GraphQL documents shared by the workflow tests (needs, dispatch, race, live events)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from graph.kernel.db import Graph
from server.auth import issue_token
from server.settings import Settings, get_settings
from tests.support.factories import COMPOUND, SHUYUANMEN

UNIT = "unit:w1"
OFFERING = "offering:w1"
RESIDENT = "resident:w1"
OTHER_RESIDENT = "resident:w2"
PHONE = "13812345678"
ADDRESS = "碑林区书院门社区 书院小区 3号楼2单元501室"


def member_id(i: int) -> str:
    return f"member:w{i}"


async def make_people(graph: Graph, members: int = 3, max_load: int = 3) -> None:
    """A unit with an offering and `members` party members, all registered with 书院门社区; two residents."""
    await graph.write(
        """
        MATCH (c:Community {id: $community}), (p:Compound {id: $compound})
        CREATE (u:Unit {id: $unit, name: '碑林区第一医院', kind: 'HOSPITAL', createdAt: datetime()})
        CREATE (u)-[:REGISTERED_WITH]->(c)
        CREATE (u)-[:OFFERS]->(:Offering {id: $offering, title: '管道疏通', capacity: 2, openLoad: 0,
                status: 'ACTIVE', availability: [], createdAt: datetime()})
        CREATE (:Resident {id: $resident, name: '王秀兰', phone: $phone, address: $address, createdAt: datetime()})
               -[:LIVES_IN]->(p)
        CREATE (:Resident {id: $other, name: '李强', phone: '13900001111', address: '书院小区 1号楼',
                createdAt: datetime()})
        WITH u, c
        UNWIND range(1, $members) AS i
        CREATE (m:Member {id: 'member:w' + i, name: '党员' + i, phone: '1370000' + right('0000' + i, 4),
                maxLoad: $maxLoad, openLoad: 0, assignedCount: 0, completedCount: 0, ratingSum: 0, ratingCount: 0,
                availability: [], createdAt: datetime()})
        CREATE (m)-[:BELONGS_TO]->(u), (m)-[:REGISTERED_WITH]->(c)
        """,
        community=SHUYUANMEN,
        compound=COMPOUND,
        unit=UNIT,
        offering=OFFERING,
        resident=RESIDENT,
        other=OTHER_RESIDENT,
        phone=PHONE,
        address=ADDRESS,
        members=members,
        maxLoad=max_load,
    )


def token(role: str, scope: str | None = None, subject: str | None = None) -> str:
    return issue_token(role, scope, subject, timedelta(hours=1), get_settings())


def coordinator(scope: str = SHUYUANMEN) -> str:
    return token("COORDINATOR", scope)


def member(i: int) -> str:
    return token("MEMBER", None, member_id(i))


def resident(rid: str = RESIDENT) -> str:
    return token("RESIDENT", None, rid)


def unit_admin(unit: str = UNIT) -> str:
    return token("UNIT_ADMIN", unit)


PAYLOAD = """
  replayed
  need { id number status responseDeadline completionDeadline
         requester { name phone address }
         currentAssignment { id status handler { id } } }
  assignment { id status handler { id } }
"""


def mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {PAYLOAD} }} }}"


SUBMIT = mutation("submitNeed", "SubmitNeedInput")
UPDATE = mutation("updateNeed", "UpdateNeedInput")
CANCEL = mutation("cancelNeed", "NeedReasonInput")
REOPEN = mutation("reopenNeed", "NeedReasonInput")
DISPATCH = mutation("dispatchNeed", "DispatchNeedInput")
OPEN_CLAIM = mutation("openNeedForClaim", "NeedNoteInput")
INVITE = mutation("inviteCandidates", "InviteCandidatesInput")
ACCEPT = mutation("acceptNeed", "NeedKeyInput")
DECLINE = mutation("declineNeed", "NeedReasonInput")
START = mutation("startNeed", "NeedNoteInput")
COMPLETE = mutation("completeNeed", "NeedNoteInput")
TRANSFER = mutation("transferNeed", "TransferNeedInput")

HISTORY = (
    "query($id: ID!) { node(id: $id) { ... on Need { status history { type fromState toState actorId role note } } } }"
)

SEWER_INPUT = {"title": "楼下下水道堵塞，污水外溢", "categoryCode": "SEWER", "placeId": COMPOUND, "urgency": "URGENT"}


def error_code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


async def submit(client, tok: str | None = None, **extra: object) -> dict:
    body = await client(SUBMIT, {"input": {**SEWER_INPUT, **extra}}, token=tok or resident())
    return body["data"]["submitNeed"]["need"]


async def start_server(graph: Graph, settings: Settings | None = None) -> tuple[Any, asyncio.Task, int]:
    """The real app under uvicorn on a loopback port, in this event loop (it shares the test's driver);
    `settings` as `create_app` takes them (else the environment's). Returns the server, its task and
    its port; stop it with `server.should_exit = True` and awaiting the task."""
    from server.app import create_app

    return await serve(create_app(graph=graph, settings=settings, run_migrations=False))


async def serve(app: Any, lifespan: str = "on") -> tuple[Any, asyncio.Task, int]:
    """Any ASGI app under uvicorn on a loopback port, in this event loop: (server, its task, its port)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan=lifespan))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    return server, task, server.servers[0].sockets[0].getsockname()[1]


@asynccontextmanager
async def live_server(graph: Graph, settings: Settings | None = None) -> AsyncIterator[str]:
    """`start_server` as a context: yields the server's address and stops it after."""
    server, task, port = await start_server(graph, settings)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A stand-in HTTP service (an identity provider, a trace collector) on a loopback port, served by
    `handler` in a thread; yields its base URL."""
    http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_address[1]}"
    finally:
        http.shutdown()
