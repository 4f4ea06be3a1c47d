"""The assembled GraphQL schema."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from resolvers.kernel.errors import ErrorCodes
from resolvers.kernel.statements import ExposedStatementReport, StatementReport
from schema.common import DATETIME_SCALAR, FEN_SCALAR, Fen
from schema.matching_api import MatchingMutation, MatchingQuery
from schema.oversight import OversightMutation, OversightQuery
from schema.query import Query
from schema.registration import RegistrationMutation
from schema.types import NODE_TYPES
from schema.workflow import WorkflowMutation, WorkflowQuery, WorkflowSubscription

# Each area keeps its own root types; they are merged into one Query, Mutation and Subscription.
QUERY_TYPES: tuple[type, ...] = (Query, WorkflowQuery, OversightQuery, MatchingQuery)
MUTATION_TYPES: tuple[type, ...] = (RegistrationMutation, WorkflowMutation, OversightMutation, MatchingMutation)
SUBSCRIPTION_TYPES: tuple[type, ...] = (WorkflowSubscription,)


def build_schema(
    max_depth: int = 12, max_aliases: int = 30, introspection: bool = True, expose_statements: bool = False
) -> strawberry.Schema:
    extensions: list = [
        ExposedStatementReport if expose_statements else StatementReport,
        ErrorCodes,
        lambda: QueryDepthLimiter(max_depth=max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=max_aliases),
        lambda: MaxTokensLimiter(max_token_count=5000),
        lambda: ParserCache(maxsize=500),
        lambda: ValidationCache(maxsize=500),
    ]
    if not introspection:
        from strawberry.extensions import DisableIntrospection

        extensions.append(DisableIntrospection)
    query = merge_types("Query", QUERY_TYPES)
    mutation = merge_types("Mutation", MUTATION_TYPES)
    subscription = merge_types("Subscription", SUBSCRIPTION_TYPES)
    return strawberry.Schema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(NODE_TYPES),
        extensions=extensions,
        config=StrawberryConfig(
            auto_camel_case=True, sort_schema=True, scalar_map={Fen: FEN_SCALAR, datetime: DATETIME_SCALAR}
        ),
    )


def sdl() -> str:
    """The printed schema, sorted so that the committed file is stable."""
    from strawberry.printer import print_schema

    return print_schema(build_schema()) + "\n"
