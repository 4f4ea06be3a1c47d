"""The coordinators' console: `GET /console`, a page over the public GraphQL API.

The page is static (server/console/page/); it signs in with the coordinator's token and asks
/graphql for everything it shows. Its one browser dependency (d3) is pinned in page/package.json,
installed by `make setup` (npm ci) and served from node_modules under /console/vendor/, so the page
loads nothing from another host; the Content-Security-Policy header says the same to the browser.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

PAGE = Path(__file__).resolve().parent / "page"
# What the page may fetch: its own files and the API on the same origin, nothing else.
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": POLICY, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
# The page's own files, by the name the page asks for.
OWN = {"console.js": "text/javascript", "console.css": "text/css"}
# The vendored files, by the name the page asks for: where npm put them.
VENDOR = {"d3.min.js": PAGE / "node_modules" / "d3" / "dist" / "d3.min.js"}
NOT_INSTALLED = (
    "The console's browser dependencies are not installed: run `make setup` "
    "(it runs `npm ci --prefix server/console/page`)."
)


def _file(path: Path, media_type: str) -> Response:
    if not path.is_file():
        return PlainTextResponse(NOT_INSTALLED, status_code=503, headers=HEADERS)
    return FileResponse(path, media_type=media_type, headers=HEADERS)


async def page(request: Request) -> Response:
    return _file(PAGE / "index.html", "text/html; charset=utf-8")


async def own(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in OWN:
        return PlainTextResponse(f"No console file {name!r}.", status_code=404, headers=HEADERS)
    return _file(PAGE / name, f"{OWN[name]}; charset=utf-8")


async def vendor(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in VENDOR:
        return PlainTextResponse(f"No vendored file {name!r}.", status_code=404, headers=HEADERS)
    return _file(VENDOR[name], "text/javascript; charset=utf-8")


def routes() -> list[Route]:
    return [
        Route("/console", page, methods=["GET"]),
        Route("/console/vendor/{name}", vendor, methods=["GET"]),
        Route("/console/{name}", own, methods=["GET"]),
    ]
