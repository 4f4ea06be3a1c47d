"""The assembled GraphQL schema: each domain module keeps its types and root fields, merged here, and
what no module writes is derived whole from the declarations (`schema/derive.py`): the types of kinds,
the root lists and the mutations (with their inputs and payloads) nothing shows yet."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
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
from schema.derive import derived_mutation, derived_query, derived_types
from schema.glossary import describe
from schema.relay import SCALARS, NodeQuery

WRITTEN_QUERIES: tuple[type, ...] = (
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
WRITTEN_MUTATIONS: tuple[type, ...] = (
    workflow.WorkflowMutation,
    partners.PartnersMutation,
    venues.VenuesMutation,
    funding.FundingMutation,
    plans.PlansMutation,
)
# The kinds no module shows, derived whole (before the lists and mutations that show them).
DERIVED_TYPES = derived_types()
QUERY_TYPES = (*WRITTEN_QUERIES, *derived_query(WRITTEN_QUERIES))
MUTATION_TYPES = (*WRITTEN_MUTATIONS, *derived_mutation(WRITTEN_MUTATIONS))
SUBSCRIPTION_TYPES: tuple[type, ...] = (workflow.WorkflowSubscription,)
# Node types reached only through the Node interface must be listed for the schema to know them.
NODE_TYPES: tuple[type, ...] = (
    *places.TYPES,
    *needs.TYPES,
    *partners.TYPES,
    *venues.TYPES,
    *funding.TYPES,
    plans.DispatchPlan,
    *DERIVED_TYPES,
)


class CachedValidation(SchemaExtension):
    """Validates each query text once per set of rules (an LRU of `size`).

    strawberry's ValidationCache keys on the document (hashed node by node on every request) and on
    the rule classes, which QueryDepthLimiter and MaxAliasesLimiter make anew for every request, so it
    never hit: validation was half of what a compiled read cost in Python. The rules here are made
    once per schema, and the key is the text the parser cache parsed.
    """

    def __init__(self, cache: OrderedDict[tuple, list[GraphQLError]], size: int) -> None:
        self._cache = cache
        self._size = size

    def on_validate(self) -> Iterator[None]:
        from strawberry.schema.schema import validate_document

        context = self.execution_context
        key = (context.query, context.validation_rules)
        errors = self._cache.get(key) if context.query is not None else None
        if errors is None:
            assert context.graphql_document is not None
            errors = validate_document(context.schema._schema, context.graphql_document, context.validation_rules)
            if context.query is not None:
                self._cache[key] = errors
                if len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        context.pre_execution_errors = errors
        yield


def build_schema(
    max_depth: int = 12,
    max_aliases: int = 30,
    introspection: bool = True,
    expose_statements: bool = False,
    compiled_reads: bool = True,
) -> strawberry.Schema:
    # The limits' rule classes are made once, so that a query text is validated once (CachedValidation).
    rules = (
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
        *(() if introspection else (NoSchemaIntrospectionCustomRule,)),
    )
    validated: OrderedDict[tuple, list[GraphQLError]] = OrderedDict()
    extensions: list = [
        ExposedStatementReport if expose_statements else StatementReport,
        ErrorCodes,
        lambda: AddValidationRules(list(rules)),
        lambda: MaxTokensLimiter(max_token_count=5000),
        lambda: ParserCache(maxsize=500),
        lambda: CachedValidation(validated, 500),
    ]
    if compiled_reads:
        extensions.append(CompiledReads)
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
