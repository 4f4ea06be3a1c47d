"""Read-your-writes for a client that moves between API processes (docs/SCALING.md).

A response to an operation that wrote carries the bookmark of its last write, as
`extensions.bookmark` and as the `X-Minhu-Bookmark` header. A client sends it back in the
`X-Minhu-Bookmark` request header (any process, any later request); every transaction of that
request then waits until the database server serving it has applied that write, so a read sent to
another process, or served by a follower of a cluster, never misses the client's own change.
Within one process the driver's shared bookmark manager (graph/kernel/db.py) does the same for
everything the process wrote. Several bookmarks are separated by commas.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from graph.kernel.db import RequestBookmarks, begin_bookmarks

BOOKMARK_HEADER = "X-Minhu-Bookmark"
# A client sends what one response gave it; more than this is not a bookmark but a mistake.
MAX_BOOKMARKS = 16


def parse(header: str | None) -> tuple[str, ...]:
    if not header:
        return ()
    return tuple(part.strip() for part in header.split(",") if part.strip())[:MAX_BOOKMARKS]


class Bookmarks(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        request = getattr(self.execution_context.context, "request", None)
        headers = getattr(request, "headers", None)
        self._held: RequestBookmarks = begin_bookmarks(parse(headers.get(BOOKMARK_HEADER) if headers else None))
        yield

    def get_results(self) -> dict[str, Any]:
        held = getattr(self, "_held", None)
        if held is None or not held.latest:
            return {}
        return {"bookmark": ",".join(held.latest)}
