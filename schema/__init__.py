"""The assembled GraphQL schema: each domain module keeps its types and root fields, merged here."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from resolvers.kernel.compiled import CompiledReads
from resolvers.kernel.errors import ErrorCodes
from resolvers.kernel.statements import ExposedStatementReport, StatementReport
from schema import (
    accounts,
    explore,
    funding,
    matching,
    needs,
    partners,
    places,
    plans,
    report,
    review,
    venues,
    workflow,
)
from schema.glossary import describe
from schema.relay import SCALARS, NodeQuery

QUERY_TYPES: tuple[type, ...] = (
    NodeQuery,
    places.PlacesQuery,
    needs.NeedsQuery,
    partners.PartnersQuery,
    venues.VenuesQuery,
    funding.FundingQuery,
    matching.MatchingQuery,
    plans.PlansQuery,
    review.ReviewQuery,
    accounts.AccountsQuery,
    explore.ExploreQuery,
    report.ReportQuery,
)
MUTATION_TYPES: tuple[type, ...] = (
    workflow.WorkflowMutation,
    partners.PartnersMutation,
    venues.VenuesMutation,
    funding.FundingMutation,
    plans.PlansMutation,
)
SUBSCRIPTION_TYPES: tuple[type, ...] = (workflow.WorkflowSubscription,)
# Node types reached only through the Node interface must be listed for the schema to know them.
NODE_TYPES: tuple[type, ...] = (
    *places.TYPES,
    *needs.TYPES,
    *partners.TYPES,
    *venues.TYPES,
    *funding.TYPES,
    plans.DispatchPlan,
)


def build_schema(
    max_depth: int = 12,
    max_aliases: int = 30,
    introspection: bool = True,
    expose_statements: bool = False,
    compiled_reads: bool = True,
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
    if compiled_reads:
        extensions.append(CompiledReads)
    if not introspection:
        from strawberry.extensions import DisableIntrospection

        extensions.append(DisableIntrospection)
    built = strawberry.Schema(
        query=merge_types("Query", QUERY_TYPES),
        mutation=merge_types("Mutation", MUTATION_TYPES),
        subscription=merge_types("Subscription", SUBSCRIPTION_TYPES),
        types=list(NODE_TYPES),
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True, sort_schema=True, scalar_map=SCALARS),
    )
    describe(built._schema)
    return built


def sdl() -> str:
    """The printed schema, sorted so that the committed file is stable."""
    from strawberry.printer import print_schema

    return print_schema(build_schema()) + "\n"
