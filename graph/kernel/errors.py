"""Errors every layer may raise; the API maps each to a GraphQL error with `extensions.code`.

They live in `graph/` because it is the lowest layer: repositories raise `NotFound` and
`Conflict`, resolvers raise the rest, and the error formatter in `server/` knows them all.
"""


class DomainError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadUserInput(DomainError):
    code = "BAD_USER_INPUT"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Conflict(DomainError):
    code = "CONFLICT"


class Unavailable(DomainError):
    code = "UNAVAILABLE"
