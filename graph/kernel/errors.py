"""Errors every layer may raise; the API maps each to a GraphQL error with `extensions.code`.

They live in `graph/` because it is the lowest layer: repositories raise `NotFound` and
`Conflict`, resolvers raise the rest, and the error formatter in `server/` knows them all.
Each class states its code once, in its header (docs/ERRORS.md says what a client does with it).
"""

from __future__ import annotations


class DomainError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init_subclass__(cls, code: str | None = None, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadUserInput(DomainError, code="BAD_USER_INPUT"):
    """A value the caller sent is wrong; `details["field"]` names it where one field is to blame."""


class NotFound(DomainError, code="NOT_FOUND"):
    """An id or code that names nothing in the graph."""


class Forbidden(DomainError, code="FORBIDDEN"):
    """The caller's role or scope does not allow this; the message says who may."""


class Unauthenticated(DomainError, code="UNAUTHENTICATED"):
    """No valid token where one is needed; raised before any input is looked at."""


class Conflict(DomainError, code="CONFLICT"):
    """The graph's state forbids it now (taken, withdrawn, over budget, a key reused)."""


class Unavailable(DomainError, code="UNAVAILABLE"):
    """Neo4j cannot serve the request now; the caller may retry."""
