"""What a root list of the read API is: `RootList`, declared in its domain's `lists.py` and registered
with the kernel (graph/kernel/registry.py); its filter's base; where its nodes come from. Reading a
list's pages is graph/kernel/listing.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict


class ListFilter(BaseModel):
    """The base of a root list's filter: camelCase names, unknown ones refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# (source Cypher binding `x`, its parameters, whether one node can come out of it twice)
Source = tuple[str, dict[str, Any], bool]


def label_scan(label: str) -> Source:
    """Every node of `label`: what a list starts from when no filter narrows where its nodes are."""
    return f"MATCH (x:{label}) ", {}, False


@dataclass(frozen=True, eq=False)  # one object per list, hashed by identity (its statements are cached)
class RootList:
    field: str  # the GraphQL root field
    label: str  # what it lists
    # Chooses the source from the checked filter (camelCase keys); None: always the label scan.
    select: Callable[[dict[str, Any]], Source] | None = None
    filter: type[ListFilter] | None = None
    predicates: Mapping[str, str] = field(default_factory=dict)  # filter name → predicate over x and $name
    newest_first: bool = False

    def source(self, params: dict[str, Any]) -> Source:
        return label_scan(self.label) if self.select is None else self.select(params)

    def where(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        """The predicates of the filters given (in declaration order)."""
        return tuple(predicate for name, predicate in self.predicates.items() if params.get(name) is not None)
