"""Node ids carry their kind (`need:…`, `community:610103001004`), so any id names its label."""

import re
import uuid

from graph.kernel.errors import BadUserInput

KIND_TO_LABEL: dict[str, str] = {
    "district": "District",
    "street": "Street",
    "community": "Community",
    "compound": "Compound",
    "resident": "Resident",
    "category": "Category",
    "skill": "Skill",
    "facility": "Facility",
    "unit": "Unit",
    "member": "Member",
    "offering": "Offering",
    "venue": "Venue",
    "booking": "Booking",
    "program": "FundingProgram",
    "grant": "Grant",
    "need": "Need",
    "assignment": "Assignment",
    "evaluation": "Evaluation",
    "user": "User",
    "event": "Event",
    "plan": "DispatchPlan",
}
LABEL_TO_KIND = {label: kind for kind, label in KIND_TO_LABEL.items()}

_ID = re.compile(r"^([a-z]+):([A-Za-z0-9_\-]{1,64})$")

# Places a need can be "at or below".
PLACE_LABELS = ("District", "Street", "Community", "Compound")


def new_id(kind: str) -> str:
    return f"{kind}:{uuid.uuid4().hex}"


def label_of(node_id: str, *, expected: tuple[str, ...] | None = None, field: str = "id") -> str:
    """The label an id names; `BadUserInput` when the id is malformed or of the wrong kind."""
    match = _ID.match(node_id or "")
    if not match or match.group(1) not in KIND_TO_LABEL:
        kinds = ", ".join(sorted(KIND_TO_LABEL))
        raise BadUserInput(
            f"{field} {node_id!r} is not a Minhu id: ids look like 'need:1a2b…' or 'community:610103001004' "
            f"(kind one of {kinds})",
            field=field,
        )
    label = KIND_TO_LABEL[match.group(1)]
    if expected and label not in expected:
        raise BadUserInput(f"{field} {node_id!r} is a {label} id; expected a {' or '.join(expected)} id", field=field)
    return label
