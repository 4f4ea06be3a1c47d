"""Each GraphQL operation gets its own statement log (graph/kernel/db.py), kept in its context.

With `expose` on (tests, development), the response says which statements ran, under
`extensions.statements` ({count, names}); in production it stays in the server (logs, metrics).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from graph.kernel.db import StatementLog, begin_statement_log


class StatementReport(SchemaExtension):
    expose = False

    def on_operation(self) -> Iterator[None]:
        log = begin_statement_log()
        context = self.execution_context.context
        if context is not None and hasattr(context, "statements"):
            context.statements = log
        self._log: StatementLog | None = log
        yield

    def get_results(self) -> dict[str, Any]:
        log = getattr(self, "_log", None)
        if not self.expose or log is None:
            return {}
        return {"statements": statement_report(log)}


def statement_report(log: StatementLog) -> dict[str, Any]:
    """What `extensions.statements` says of a request's statement log."""
    return {"count": log.count, "names": list(log.names), "written": list(log.written)}


class ExposedStatementReport(StatementReport):
    expose = True
