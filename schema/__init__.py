"""The assembled GraphQL schema: each domain module keeps its types and root fields, merged here, and
what no module writes is derived whole from the declarations (`schema/derive.py`): the types of kinds,
the root lists and the mutations (with their inputs and payloads) nothing shows yet."""

from __future__ import annotations

from collections.abc import Iterator

import strawberry
from graphql import specified_rules
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types.base import StrawberryObjectDefinition

from resolvers.kernel.compiled import raw_reads_of_resolved_fields
from resolvers.kernel.documents import MAX_TOKENS, Documents
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
    review,
    scorecards,
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
    explore.ReportQuery,
    scorecards.ScorecardsQuery,
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
    workflow.WhistleCall,
    *scorecards.TYPES,
    *DERIVED_TYPES,
)


class MinhuSchema(strawberry.Schema):
    """The schema, with the cache of query texts every request of this server parses and validates
    through (`documents`: the HTTP pipeline reads it directly, WebSocket operations through the
    `CachedDocuments` extension)."""

    documents: Documents


class CachedDocuments(SchemaExtension):
    """Parsing and validation of an operation sent over WebSocket, from the shared `Documents`."""

    def __init__(self, documents: Documents) -> None:
        self._documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        if context.query is not None and context.graphql_document is None:
            # A text that is not GraphQL is left to strawberry's parser, which says so the same way.
            context.graphql_document = self._documents.get(context.query).node
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            context.pre_execution_errors = list(self._documents.get(context.query).errors)
        yield


def build_schema(
    max_depth: int = 12,
    max_aliases: int = 30,
    introspection: bool = True,
    expose_statements: bool = False,
    rules: tuple[type[ASTValidationRule], ...] = (),
    cached_texts: int = 500,
    cached_bytes: int = 32 * 1024 * 1024,
) -> MinhuSchema:
    """The schema; `rules` are validation rules beside the depth, alias and introspection limits (the
    door's list cap), and `cached_texts`/`cached_bytes` bound the cache of query texts."""
    built = MinhuSchema(
        query=merge_types("Query", QUERY_TYPES),
        mutation=merge_types("Mutation", MUTATION_TYPES),
        subscription=merge_types("Subscription", SUBSCRIPTION_TYPES),
        types=list(NODE_TYPES),
        config=StrawberryConfig(auto_camel_case=True, sort_schema=True, scalar_map=SCALARS),
    )
    describe(built._schema)
    _check_compiled_reads(built)
    # The rules (the spec's and the limits', made once) are the same for every text, validated once.
    limits = (
        *specified_rules,
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
        *(() if introspection else (NoSchemaIntrospectionCustomRule,)),
        *rules,
    )
    documents = Documents(
        built._schema,
        limits,
        hide_suggestions=not introspection,
        max_entries=cached_texts,
        max_bytes=cached_bytes,
    )
    built.documents = documents
    built.extensions = [
        ExposedStatementReport if expose_statements else StatementReport,
        ErrorCodes,
        lambda: CachedDocuments(documents),
    ]
    return built


def _check_compiled_reads(built: strawberry.Schema) -> None:
    """Refuses a schema in which a field with its own resolver (a masked phone, a derived figure)
    would be answered by the compiled read path as the node's raw property: such a field must be
    declared `computed` (Cypher equal to the resolver) or `interpreted` in its kind."""
    resolved: dict[str, set[str]] = {}
    for name, converted in built.schema_converter.type_map.items():
        definition = converted.definition
        if isinstance(definition, StrawberryObjectDefinition) and not definition.is_input:
            fields = {built.config.name_converter.get_graphql_name(f) for f in definition.fields if f.base_resolver}
            if fields:
                resolved[name] = fields
    leaking = raw_reads_of_resolved_fields(resolved)
    if leaking:
        raise TypeError(
            f"{', '.join(leaking)}: each has its own resolver, but the compiled read path would answer it "
            "with the node's raw property; declare it in its kind's `computed` (Cypher equal to the "
            "resolver) or `interpreted` (graph/<domain>/kinds.py)"
        )


def sdl() -> str:
    """The printed schema, sorted so that the committed file is stable."""
    from strawberry.printer import print_schema

    return print_schema(build_schema()) + "\n"
