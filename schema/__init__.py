"""The assembled GraphQL schema."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from resolvers.errors import ErrorCodes
from schema.common import FEN_SCALAR, Fen
from schema.query import Query
from schema.types import NODE_TYPES

# Each area adds its root types here (one line each), and they are merged into one root.
QUERY_TYPES: list[type] = [Query]
MUTATION_TYPES: list[type] = []
SUBSCRIPTION_TYPES: list[type] = []
# -- area roots (keep one import + append per line) --
from schema.workflow import WorkflowMutation, WorkflowQuery, WorkflowSubscription  # noqa: E402

QUERY_TYPES.append(WorkflowQuery)
MUTATION_TYPES.append(WorkflowMutation)
SUBSCRIPTION_TYPES.append(WorkflowSubscription)
from schema.matching_api import MatchingMutation, MatchingQuery  # noqa: E402, I001

QUERY_TYPES.append(MatchingQuery)
MUTATION_TYPES.append(MatchingMutation)
from schema.registration import RegistrationMutation; MUTATION_TYPES.append(RegistrationMutation)  # noqa: E402, E702, I001
from schema.oversight import OversightMutation, OversightQuery; MUTATION_TYPES.append(OversightMutation); QUERY_TYPES.append(OversightQuery)  # noqa: E402, E501, E702, I001


def build_schema(max_depth: int = 12, max_aliases: int = 30, introspection: bool = True) -> strawberry.Schema:
    extensions: list = [
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
    query = merge_types("Query", tuple(QUERY_TYPES))
    mutation = merge_types("Mutation", tuple(MUTATION_TYPES)) if MUTATION_TYPES else None
    subscription = merge_types("Subscription", tuple(SUBSCRIPTION_TYPES)) if SUBSCRIPTION_TYPES else None
    return strawberry.Schema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(NODE_TYPES),
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True, sort_schema=True, scalar_map={Fen: FEN_SCALAR}),
    )


def sdl() -> str:
    """The printed schema, sorted so that the committed file is stable."""
    from strawberry.printer import print_schema

    return print_schema(build_schema()) + "\n"
