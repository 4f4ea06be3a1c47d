"""Every error leaves as a GraphQL error with `extensions.code` and a message a person can act on.

Nothing else leaves: an unexpected exception is logged here with its traceback and reaches the
client only as INTERNAL_SERVER_ERROR, never as a stack trace or a line of Cypher.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql.error import GraphQLError
from neo4j.exceptions import DriverError, ServiceUnavailable, SessionExpired
from pydantic import ValidationError
from strawberry.extensions import SchemaExtension

from graph.kernel.errors import DomainError, Unavailable

log = logging.getLogger("minhu.errors")


def classify(error: GraphQLError) -> tuple[str, str, dict]:
    """(code, message, extra extensions) for one error."""
    original = error.original_error
    if original is None:
        # Parse and validation errors (unknown field or enum value, bad variable, limits) are the caller's to fix.
        return "BAD_USER_INPUT", error.message, {}
    if isinstance(original, DomainError):
        extra = {key: value for key, value in original.details.items() if isinstance(value, (str, int, float, list))}
        return original.code, original.message, extra
    if isinstance(original, GraphQLError):
        return classify(original)
    if error.path is None and not isinstance(original, DriverError):
        # Raised while reading the request (a scalar such as Fen refusing a variable), not while resolving.
        return "BAD_USER_INPUT", error.message, {}
    if isinstance(original, ValidationError):
        return "BAD_USER_INPUT", "; ".join(e["msg"] for e in original.errors()), {}
    if isinstance(original, (ServiceUnavailable, SessionExpired)):
        return Unavailable.code, "the graph database cannot be reached right now; try again in a moment", {}
    if isinstance(original, DriverError):
        log.error("driver error", exc_info=original)
        return Unavailable.code, "the graph database could not serve this request; try again in a moment", {}
    log.error("unexpected error in %s", error.path, exc_info=original)
    return "INTERNAL_SERVER_ERROR", "something went wrong on our side; it has been logged", {}


def to_client(error: GraphQLError) -> GraphQLError:
    code, message, extra = classify(error)
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**extra, "code": code},
    )


class ErrorCodes(SchemaExtension):
    """Rewrites the errors of every result (queries, mutations and subscription events)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and getattr(result, "errors", None):
            result.errors = [to_client(error) for error in result.errors]
        pre = self.execution_context.pre_execution_errors
        if pre:
            self.execution_context.pre_execution_errors = [to_client(error) for error in pre]
