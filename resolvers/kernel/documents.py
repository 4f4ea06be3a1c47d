"""Query texts, parsed and validated once, in one bounded cache every request shares.

A `Documents` keeps, per query text, what the text is — its parsed document, or the errors that
refuse it (a syntax error, the token limit, the schema's validation rules with the request limits),
with their codes — and what requests of that text derive from it (`Document.derive`: the compiled
plans, the cost formulas, which variables the directives read), so that forgetting a text forgets
all of it at once. The cache is bounded by entries and by the memory its texts hold: a parsed
document weighs about `TOKEN_BYTES` per token beside its text (measured with tracemalloc on the
bench's reads: 370–390 bytes per token), and each text's derived values are bounded too.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import (
    DirectiveNode,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    Source,
    Undefined,
    VariableNode,
    visit,
)
from graphql.execution.values import VariableValues
from graphql.language import Visitor
from graphql.language.parser import Parser
from graphql.validation import ASTValidationRule
from strawberry.schema import schema as strawberry_schema

from resolvers.kernel.errors import PARSE_FAILED, VALIDATION_FAILED, to_client

T = TypeVar("T")

MAX_TOKENS = 5000  # tokens in one document, comments included (docs/ERRORS.md)
TOKEN_BYTES = 400  # memory a parsed document holds per token, besides its text
DERIVED = 16  # values derived from one text (plans per operation and @skip/@include values…)


class UnknownOperation(Exception):
    """The request does not say which of the document's operations to run; the message says how."""


@dataclass
class Document:
    """One query text: parsed (`node`, None when it is not GraphQL) and valid unless `errors` (the
    parse or validation errors that refuse it, with their codes)."""

    node: DocumentNode | None
    errors: list[GraphQLError]
    weight: int  # bytes: the text and what its parsed document holds
    derived: OrderedDict[tuple, Any] = field(default_factory=OrderedDict)

    def operation(self, name: str | None) -> OperationDefinitionNode:
        """The operation a request names, or the document's only one (the GraphQL spec's GetOperation)."""
        assert self.node is not None
        operations = [d for d in self.node.definitions if isinstance(d, OperationDefinitionNode)]
        if name is None:
            if len(operations) == 1:
                return operations[0]
            names = ", ".join(o.name.value if o.name else "(anonymous)" for o in operations)
            raise UnknownOperation(
                f"the document holds {len(operations)} operations ({names}): name the one to run in operationName"
            )
        for operation in operations:
            if operation.name is not None and operation.name.value == name:
                return operation
        names = ", ".join(o.name.value for o in operations if o.name) or "none with a name"
        raise UnknownOperation(f"the document has no operation named {name!r} (it has: {names})")

    def directive_key(self, variables: VariableValues) -> tuple:
        """What the request's variables say to the document's `@skip`/`@include`: for each variable a
        directive reads, whether it was sent and its coerced value. Plans and cost formulas are
        made per key: an omitted variable (its default) and an explicit null are two keys."""
        return tuple(
            _value_key(variables, name) for name in self.derive(("directive variables",), self._read_by_directives)
        )

    def _read_by_directives(self) -> tuple[str, ...]:
        found: set[str] = set()

        class Directives(Visitor):
            def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
                for argument in node.arguments:
                    if isinstance(argument.value, VariableNode):
                        found.add(argument.value.name.value)

        if self.node is not None:
            visit(self.node, Directives())
        return tuple(sorted(found))

    def derive(self, key: tuple, build: Callable[[], T]) -> T:
        """What `build` makes of this text for `key`, made once (the least recently used goes first)."""
        try:
            value = self.derived[key]
        except KeyError:
            value = self.derived[key] = build()
            if len(self.derived) > DERIVED:
                self.derived.popitem(last=False)
            return value
        self.derived.move_to_end(key)
        return value


def _value_key(variables: VariableValues, name: str) -> tuple:
    source = variables.sources.get(name)
    sent = source is not None and source.value is not Undefined
    value = variables.coerced.get(name, Undefined)
    try:
        hash(value)
    except TypeError:
        value = repr(value)
    return name, sent, value


class Documents:
    """Every query text this process was asked, up to `max_entries` texts and `max_bytes` of memory."""

    def __init__(
        self,
        schema: GraphQLSchema,
        rules: Sequence[type[ASTValidationRule]],
        *,
        hide_suggestions: bool = False,
        max_entries: int = 500,
        max_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.schema = schema
        self.rules = tuple(rules)
        self.hide_suggestions = hide_suggestions
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._texts: OrderedDict[str, Document] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._texts)

    def get(self, text: str) -> Document:
        """The text's document, parsed and validated the first time it is asked for."""
        document = self._texts.get(text)
        if document is not None:
            self._texts.move_to_end(text)
            self.hits += 1
            return document
        self.misses += 1
        document = self._read(text)
        self._texts[text] = document
        self.bytes += document.weight
        while len(self._texts) > self.max_entries or (self.bytes > self.max_bytes and len(self._texts) > 1):
            _, gone = self._texts.popitem(last=False)
            self.bytes -= gone.weight
            self.evicted += 1
        return document

    def _read(self, text: str) -> Document:
        parser = Parser(Source(text), max_tokens=MAX_TOKENS)
        try:
            node = parser.parse_document()
        except GraphQLError as error:
            refused = to_client(error, PARSE_FAILED, self.hide_suggestions)
            return Document(None, [refused], 2 * len(text) + TOKEN_BYTES * parser.token_count)
        weight = 2 * len(text) + TOKEN_BYTES * parser.token_count
        # Looked up on the module at each call, so a test can count the validations.
        errors = strawberry_schema.validate_document(self.schema, node, self.rules)
        shaped = [to_client(e, VALIDATION_FAILED, self.hide_suggestions) for e in errors]
        return Document(node, shaped, weight)


__all__ = ["MAX_TOKENS", "Document", "Documents", "UnknownOperation"]
