"""Node ids carry their kind (`need:…`, `community:610103001004`), so any id names its label."""

import re
import uuid

from graph.kernel import registry
from graph.kernel.errors import BadUserInput

_ID = re.compile(r"^([a-z]+):([A-Za-z0-9_\-]{1,64})$")


def new_id(prefix: str) -> str:
    return f"{prefix}:{uuid.uuid4().hex}"


def label_of(node_id: str, *, expected: tuple[str, ...] | None = None, field: str = "id") -> str:
    """The label an id names; `BadUserInput` when the id is malformed or of the wrong kind."""
    match = _ID.match(node_id or "")
    kind = registry.by_prefix(match.group(1)) if match else None
    if kind is None:
        prefixes = ", ".join(sorted(k.prefix for k in registry.kinds()))
        raise BadUserInput(
            f"{field} {node_id!r} is not a Minhu id: ids look like 'need:1a2b…' or 'community:610103001004' "
            f"(kind one of {prefixes})",
            field=field,
        )
    label = kind.label
    if expected and label not in expected:
        raise BadUserInput(f"{field} {node_id!r} is a {label} id; expected a {' or '.join(expected)} id", field=field)
    return label
