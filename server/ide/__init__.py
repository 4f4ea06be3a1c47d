"""The GraphQL IDE: `GET /graphql` in a browser, GraphiQL served by Minhu itself.

Strawberry's own GraphiQL page loads React, GraphiQL and the explorer plugin from unpkg.com, so on
an office network without internet it never gets past "Loading...". This page is the same GraphiQL
(docs explorer, history, variables, headers, the explorer plugin, subscriptions over
graphql-transport-ws on the same path) with its libraries pinned in page/package.json, installed by
`make setup` (npm ci) and served from node_modules under /ide/vendor/ (server/pages.py). Beside it:
a sign-in bar (paste a token; it is kept for the tab in sessionStorage and sent as the Authorization
header over HTTP and in connection_init over WebSocket, never in an address) and the README's examples
(server/ide/examples.py), one click each.
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.responses import Response
from starlette.routing import Route

from server.ide.examples import readme_examples
from server.pages import PinnedPage

IDE = PinnedPage(
    name="The GraphQL IDE",
    prefix="/ide",
    folder=Path(__file__).resolve().parent / "page",
    own=("ide.js", "ide.css"),
    vendor={
        # GraphiQL 4's UMD build carries graphql-js, @graphiql/react, its toolkit and graphql-ws;
        # React 18 is the last with UMD builds, which GraphiQL 4's needs as globals.
        "react.production.min.js": "react/umd/react.production.min.js",
        "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
        "graphiql.min.js": "graphiql/graphiql.min.js",
        "graphiql.min.css": "graphiql/graphiql.min.css",
        "plugin-explorer.umd.js": "@graphiql/plugin-explorer/dist/index.umd.js",
        "plugin-explorer.css": "@graphiql/plugin-explorer/dist/style.css",
    },
)
VENDOR = IDE.vendored()
EXAMPLES_SLOT = "<!-- the README's examples -->"


def page() -> Response:
    """The IDE's page, the README's examples in it as data (a JSON block the policy lets no script run from)."""
    if not IDE.installed():
        return IDE.not_installed()
    template = (IDE.folder / "index.html").read_text(encoding="utf-8")
    examples = json.dumps([e.as_json() for e in readme_examples()], ensure_ascii=False)
    # "<" escaped: no example can close the block it sits in.
    return IDE.html(template.replace(EXAMPLES_SLOT, examples.replace("<", "\\u003c")))


def routes() -> list[Route]:
    return IDE.routes()
