"""The coordinators' console: `GET /console`, a page over the public GraphQL API.

The page is static (server/console/page/); it signs in with the coordinator's token and asks
/graphql for everything it shows. Its one browser library (d3) is pinned in page/package.json,
installed by `make setup` (npm ci) and served from node_modules under /console/vendor/, so the page
loads nothing from another host; the Content-Security-Policy header says the same to the browser
(server/pages.py). The graph is laid out in a Web Worker (page/graph-layout.js, same origin), so a
large neighbourhood never freezes the page.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.pages import PinnedPage

CONSOLE = PinnedPage(
    name="The console",
    prefix="/console",
    folder=Path(__file__).resolve().parent / "page",
    own=("console.js", "console.css", "graph-layout.js"),
    vendor={"d3.min.js": "d3/dist/d3.min.js"},
)
VENDOR = CONSOLE.vendored()


async def page(request: Request) -> Response:
    return CONSOLE.file(CONSOLE.folder / "index.html")


def routes() -> list[Route]:
    return [Route("/console", page, methods=["GET"]), *CONSOLE.routes()]
