"""Turning pydantic's verdicts into errors a person can act on."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from graph.errors import BadUserInput

MAX_PAGE_SIZE = 100
M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: dict[str, Any], *, prefix: str = "") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "input"
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{prefix}{where}: {message}")
        raise BadUserInput("; ".join(problems), fields=[p.split(":")[0] for p in problems]) from exc


def page_size(first: int | None, default: int = 20) -> int:
    if first is None:
        return default
    if first < 0:
        raise BadUserInput(f"first must be 0 or more (got {first})", field="first")
    if first > MAX_PAGE_SIZE:
        raise BadUserInput(
            f"first may be at most {MAX_PAGE_SIZE} (got {first}); page through with `after: pageInfo.endCursor`",
            field="first",
        )
    return first
