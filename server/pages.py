"""Browser pages the API serves itself: their own files and npm-pinned libraries, nothing from elsewhere.

The coordinators' console (server/console/) and the GraphQL IDE (server/ide/) are static pages over
the public API. Each has a folder with its own files and a package.json + package-lock.json that
`make setup` installs with `npm ci`; the libraries are served from that node_modules by the names the
page asks for, never from a CDN, so a page works on an office network without internet. Every answer
carries a Content-Security-Policy that allows nothing from another host, so the browser holds the
page to the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

# What a page may fetch: its own files and the API on the same origin, nothing else. Fonts and
# images may also be data: URIs (GraphiQL's stylesheet embeds its fonts so).
POLICY = (
    "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": POLICY, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


@dataclass(frozen=True)
class PinnedPage:
    """A page's files: `own` by name in `folder`, `vendor` by name -> where npm put it (under node_modules)."""

    name: str  # what it is called in the answer when it is not installed
    prefix: str  # "/console": own files under it, vendored ones under prefix + "/vendor/"
    folder: Path
    own: tuple[str, ...]
    vendor: Mapping[str, str] = field(default_factory=dict)

    def vendored(self) -> dict[str, Path]:
        return {name: self.folder / "node_modules" / where for name, where in self.vendor.items()}

    def installed(self) -> bool:
        return all(path.is_file() for path in self.vendored().values())

    def file(self, path: Path) -> Response:
        if not path.is_file():
            return self.not_installed()
        return FileResponse(path, media_type=MEDIA.get(path.suffix, "application/octet-stream"), headers=HEADERS)

    def html(self, text: str) -> Response:
        return Response(text, media_type="text/html; charset=utf-8", headers=HEADERS)

    def not_installed(self) -> Response:
        root = Path(__file__).resolve().parents[1]
        folder = self.folder.relative_to(root) if self.folder.is_relative_to(root) else self.folder
        command = f"npm ci --prefix {folder}"
        message = f"{self.name}'s browser dependencies are not installed: run `make setup` (it runs `{command}`)."
        return PlainTextResponse(message, status_code=503, headers=HEADERS)

    def routes(self) -> list[Route]:
        vendored = self.vendored()

        async def own(request: Request) -> Response:
            name = request.path_params["name"]
            if name not in self.own:
                return PlainTextResponse(f"No file {name!r} in {self.prefix}.", status_code=404, headers=HEADERS)
            return self.file(self.folder / name)

        async def vendor(request: Request) -> Response:
            name = request.path_params["name"]
            if name not in vendored:
                return PlainTextResponse(f"No vendored file {name!r}.", status_code=404, headers=HEADERS)
            return self.file(vendored[name])

        return [
            Route(f"{self.prefix}/vendor/{{name}}", vendor, methods=["GET"]),
            Route(f"{self.prefix}/{{name}}", own, methods=["GET"]),
        ]
