"""What every resolver gets: the graph, the viewer, the settings and this request's DataLoaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from graph.kernel.db import Graph, StatementLog
from graph.kernel.listing import Page, Window
from graph.kernel.nodes import nodes_by_codes, nodes_by_ids
from graph.kernel.relations import related_pages

if TYPE_CHECKING:
    from resolvers.kernel.viewer import Viewer

Clock = Callable[[], datetime]


def real_clock() -> datetime:
    return datetime.now(UTC)


class Loaders:
    """DataLoaders are per request: they batch one level of a query into one Cypher statement."""

    def __init__(self, graph: Graph) -> None:
        self._graph = graph
        self._loaders: dict[tuple, DataLoader] = {}

    def by_id(self, label: str) -> DataLoader[str, Any]:
        return self.custom(("id", label), lambda ids: nodes_by_ids(self._graph, label, ids))

    def by_code(self, label: str) -> DataLoader[str, Any]:
        return self.custom(("code", label), lambda codes: nodes_by_codes(self._graph, label, codes))

    def custom(self, key: tuple, load_fn: Callable[[list[Any]], Any]) -> DataLoader[Any, Any]:
        """A loader an area defines itself (history, requesters…), shared for the whole request."""
        if key not in self._loaders:
            self._loaders[key] = DataLoader(load_fn=load_fn)
        return self._loaders[key]

    def related(self, name: str, window: Window) -> DataLoader[str, Page]:
        key = ("rel", name, window)
        if key not in self._loaders:
            self._loaders[key] = DataLoader(load_fn=lambda ids: related_pages(self._graph, name, ids, window))
        return self._loaders[key]


@dataclass
class Context:
    graph: Graph
    settings: Any = None
    request: Any = None
    response: Any = None
    # The raw Authorization header and how to read it; decoded only when a resolver asks who is
    # calling, so a public read is not refused for a token it does not need.
    authorization: str | None = None
    authenticate: Callable[[str | None], Viewer | None] | None = None
    # WebSocket subscriptions carry the token in the connection_init payload, not in a header;
    # strawberry sets this attribute when the payload arrives.
    connection_params: dict[str, Any] | None = None
    statements: StatementLog | None = None  # this operation's Cypher, set by StatementReport
    # Where "now" comes from: the real clock, or an instant a test pins (`create_app(clock=...)`).
    clock: Clock = real_clock
    # One clock reading per request: every "now" a request answers with (overdue, deadlines, funding
    # periods) is the same instant.
    now: datetime = field(init=False)
    loaders: Loaders = field(init=False)
    _viewer: Viewer | None = field(init=False, default=None)
    _decoded: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.now = self.clock()
        self.loaders = Loaders(self.graph)

    def renew(self) -> None:
        """A subscription's context lives as long as its connection: each event it delivers is read
        like a new request, with its own clock and no answer cached from an earlier event."""
        self.now = self.clock()
        self.loaders = Loaders(self.graph)

    @property
    def known_viewer(self) -> Viewer | None:
        """The viewer if a resolver already asked for it; never decodes (the request log reads this)."""
        return self._viewer if self._decoded else None

    @property
    def viewer(self) -> Viewer | None:
        """Who is calling; None when anonymous. Raises Unauthenticated for a bad token."""
        if not self._decoded:
            header = self.authorization or _authorization_param(self.connection_params)
            self._viewer = self.authenticate(header) if self.authenticate else None
            self._decoded = True
        return self._viewer


def _authorization_param(params: dict[str, Any] | None) -> str | None:
    """`{"Authorization": "Bearer …"}` from a connection_init payload (any key case)."""
    if not isinstance(params, dict):
        return None
    for key, value in params.items():
        if key.lower() == "authorization" and isinstance(value, str):
            return value
    return None
