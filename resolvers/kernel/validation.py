"""Turning pydantic's verdicts into errors a person can act on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from graph.kernel.errors import BadUserInput
from matching.time_windows import XIAN_TZ

MAX_PAGE_SIZE = 100


def aware(moment: datetime) -> datetime:
    """A date-time without an offset is Xi'an (Beijing) wall-clock time."""
    return moment.replace(tzinfo=XIAN_TZ) if moment.tzinfo is None else moment


def utc_instant(value: object) -> datetime:
    """A DateTime input: ISO 8601 text, read as Beijing time without an offset, always answered as UTC."""
    if not isinstance(value, str):
        raise ValueError(f"a DateTime is ISO 8601 text such as 2026-11-30T08:00:00+08:00, not {value!r}")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 date-time; write e.g. 2026-11-30T08:00:00+08:00 "
            "(without an offset it is read as Beijing time)"
        ) from None
    return aware(moment).astimezone(UTC)


def utc_text(value: datetime) -> str:
    """A DateTime answer: always UTC (a value stored without an offset is Beijing time)."""
    return aware(value).astimezone(UTC).isoformat()


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
