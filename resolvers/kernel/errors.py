"""Every error leaves as a GraphQL error with `extensions.code` and a message a person can act on.

Nothing else leaves: an unexpected exception is logged here with its traceback and reaches the
client only as INTERNAL_SERVER_ERROR, never as a stack trace or a line of Cypher. The codes
(docs/ERRORS.md has the table):

- GRAPHQL_PARSE_FAILED: the document is not GraphQL (a syntax error);
- GRAPHQL_VALIDATION_FAILED: it is GraphQL but not valid against the schema, or over a request
  limit (depth, aliases, tokens);
- BAD_USER_INPUT: a value is wrong (a variable a scalar refuses, a rule of a form); NOT_FOUND,
  FORBIDDEN, UNAUTHENTICATED, CONFLICT, RATE_LIMITED from the resolvers and the door;
- UNAVAILABLE: Neo4j cannot serve the request now; INTERNAL_SERVER_ERROR: our bug.

Only the last two are logged at error level: the others are the caller's to fix, and the request
log line already carries their codes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql.error import GraphQLError, GraphQLSyntaxError
from graphql.validation import NoSchemaIntrospectionCustomRule
from neo4j.exceptions import DriverError, ServiceUnavailable, SessionExpired
from pydantic import ValidationError
from strawberry.extensions import SchemaExtension

from graph.kernel.errors import BadUserInput, DomainError, Unavailable

log = logging.getLogger("minhu.errors")

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
# Codes that describe the whole request rather than one field (HTTP 400 under graphql-response+json).
REQUEST_ERROR_CODES = frozenset({PARSE_FAILED, VALIDATION_FAILED})

# graphql-core appends " Did you mean 'x', 'y' or 'z'?" to messages; it names the schema's fields.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def classify(error: GraphQLError, phase_code: str | None = None) -> tuple[str, str, dict]:
    """(code, message, extra extensions) for one error; `phase_code` for parse/validation errors."""
    original = error.original_error
    if original is None:
        preset = (error.extensions or {}).get("code")
        if isinstance(preset, str):
            # Set where the error was made (the door's limits): keep it and its other extensions.
            return preset, error.message, {k: v for k, v in (error.extensions or {}).items() if k != "code"}
        if isinstance(error, GraphQLSyntaxError):
            if "tokens" in error.message and "Parsing aborted" in error.message:
                return VALIDATION_FAILED, "the document is too long: " + _token_limit(error.message), {}
            return PARSE_FAILED, error.message, {}
        if phase_code is not None:
            return phase_code, error.message, {}
        # Raised while executing without an exception behind it: variables a type refuses.
        return BadUserInput.code, error.message, {}
    if isinstance(original, DomainError):
        extra = {key: value for key, value in original.details.items() if isinstance(value, (str, int, float, list))}
        if isinstance(original, Unavailable):
            log.error("unavailable: %s", original.message, extra={"path": _path(error)})
        return original.code, original.message, extra
    if isinstance(original, GraphQLError):
        return classify(original, phase_code)
    if error.path is None and not isinstance(original, DriverError):
        # Raised while reading the request (a scalar such as Fen refusing a variable), not while resolving.
        return BadUserInput.code, error.message, {}
    if isinstance(original, ValidationError):
        return BadUserInput.code, "; ".join(e["msg"] for e in original.errors()), {}
    if isinstance(original, (ServiceUnavailable, SessionExpired)):
        log.error("unavailable: %s", type(original).__name__, extra={"path": _path(error)})
        return Unavailable.code, "the graph database cannot be reached right now; try again in a moment", {}
    if isinstance(original, DriverError):
        log.error("driver error", exc_info=original, extra={"path": _path(error)})
        return Unavailable.code, "the graph database could not serve this request; try again in a moment", {}
    log.error("unexpected error", exc_info=original, extra={"path": _path(error)})
    return "INTERNAL_SERVER_ERROR", "something went wrong on our side; it has been logged", {}


def _path(error: GraphQLError) -> str | None:
    return ".".join(str(part) for part in error.path) if error.path else None


def _token_limit(message: str) -> str:
    found = re.search(r"more than (\d+) tokens", message)
    limit = found.group(1) if found else "the allowed number of"
    return f"it has more than {limit} tokens; send a shorter query (split it, or use fragments and variables)"


def to_client(error: GraphQLError, phase_code: str | None = None, hide_suggestions: bool = False) -> GraphQLError:
    code, message, extra = classify(error, phase_code)
    if hide_suggestions:
        message = _SUGGESTION.sub("", message)
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
    """Rewrites the errors of every result (queries, mutations and subscription events).

    Parse and validation errors are recognised by the step that raised them; with introspection
    off, graphql-core's "Did you mean …?" suggestions are cut, since they would spell out the
    schema that introspection hides.
    """

    def __init__(self) -> None:
        self._phase: dict[int, str] = {}

    def on_parse(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            self._phase.setdefault(id(error), PARSE_FAILED)

    def on_validate(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            self._phase.setdefault(id(error), VALIDATION_FAILED)

    def on_operation(self) -> Iterator[None]:
        yield
        # Introspection is off when its rule is among the validation rules (schema/__init__.py).
        hide = NoSchemaIntrospectionCustomRule in self.execution_context.validation_rules
        result = self.execution_context.result
        if result is not None and getattr(result, "errors", None):
            result.errors = [to_client(e, self._phase.get(id(e)), hide) for e in result.errors]
        pre = self.execution_context.pre_execution_errors
        if pre:
            self.execution_context.pre_execution_errors = [to_client(e, self._phase.get(id(e)), hide) for e in pre]
