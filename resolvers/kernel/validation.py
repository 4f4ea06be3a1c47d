"""Every input is checked by a pydantic form before anything runs, and its verdict is turned into an
error a person can act on: camelCase field names as the client sent them, one line per problem."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from graph.kernel.errors import BadUserInput, DomainError
from graph.kernel.ids import label_of
from graph.kernel.kinds import camel
from matching.time_windows import XIAN_TZ


class Form(BaseModel):
    """camelCase names in and out of messages; unknown fields are a mistake worth reporting; value sets
    (StrEnums) are kept as their plain strings, as the graph stores them."""

    model_config = ConfigDict(
        alias_generator=camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
        use_enum_values=True,
    )

    def row(self, node_id: str) -> dict[str, Any]:
        """The new node's properties: every field under its graph (camelCase) name, and the id. A form
        whose node is not a plain copy of its fields says how it is stored by overriding this."""
        return {"id": node_id, **self.model_dump(by_alias=True)}


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


def node_id(value: str, *labels: str, field: str = "id") -> str:
    """An id argument given outside a form (`dispatchPlan(id:)`), checked as `id_of` checks a form's:
    BadUserInput naming `field` when it is no Minhu id or not one of `labels`."""
    text = value.strip()
    label_of(text, expected=labels or None, field=field)
    return text


def form_id(value: str, *labels: str) -> str:
    """`node_id` inside a form's validator: a ValueError, which the form reports under the field's name."""
    try:
        return node_id(value, *labels)
    except DomainError as exc:
        raise ValueError(exc.message.removeprefix("id ")) from None


def id_of(*labels: str) -> AfterValidator:
    """A form field accepting ids of `labels` only."""
    return AfterValidator(lambda value: form_id(value, *labels))


def optional_text(max_length: int) -> Any:
    """Free text that may be left out (null or blank), at most `max_length` characters."""

    def check(value: str | None) -> str | None:
        text = (value or "").strip()
        if len(text) > max_length:
            raise ValueError(f"may be at most {max_length} characters")
        return text or None

    return Annotated[str | None, AfterValidator(check)]


def required_text(why: str, max_length: int) -> Any:
    """Free text that must say something; `why` tells the caller why it is asked for."""

    def check(value: str | None) -> str:
        text = (value or "").strip()
        if not text:
            raise ValueError(why)
        if len(text) > max_length:
            raise ValueError(f"may be at most {max_length} characters")
        return text

    # Checked even when left out, so the caller hears `why` rather than "field required".
    return Annotated[str | None, AfterValidator(check), Field(default=None, validate_default=True)]


M = TypeVar("M", bound=BaseModel)


def _camel_keys(value: Any) -> Any:
    """Input objects as the client named them (camelCase), nested ones too, so messages say so."""
    if isinstance(value, dict):
        return {camel(key): _camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    return value


def validate(model: type[M], data: dict[str, Any], *, prefix: str = "") -> M:
    """`model` from `data` (snake_case or camelCase keys), or BadUserInput naming every problem."""
    try:
        return model.model_validate(_camel_keys(data))
    except ValidationError as exc:
        problems, fields = [], []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{prefix}{where}: {message}" if where else message)
            if where:
                fields.append(where)
        details: dict[str, Any] = {"fields": fields}
        if fields:
            details["field"] = fields[0]
        raise BadUserInput("; ".join(problems), **details) from exc
