"""The time-limit policy (限时办结): how long a handler has to respond and to complete.

A pure table by urgency, with per-category overrides. Deployments can override any entry with
a JSON file named by the environment variable MINHU_DEADLINE_POLICY_FILE (read once, at import;
`load_policy` installs another file at run time):

    {"urgency": {"URGENT": [2, 24]}, "category": {"SEWER": {"URGENT": [1, 12]}}}

Numbers are hours: [respond within, complete within].
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    respond: timedelta
    complete: timedelta


# The defaults follow the hotline practice: urgent needs answered within hours, ordinary ones within a day.
BY_URGENCY: dict[str, Limits] = {
    "URGENT": Limits(2 * HOUR, 24 * HOUR),
    "HIGH": Limits(8 * HOUR, 3 * DAY),
    "NORMAL": Limits(24 * HOUR, 7 * DAY),
    "LOW": Limits(48 * HOUR, 15 * DAY),
}

# Categories whose nature calls for other limits than their urgency alone (sewage spills spread).
BY_CATEGORY: dict[str, dict[str, Limits]] = {
    "SEWER": {"NORMAL": Limits(12 * HOUR, 3 * DAY), "URGENT": Limits(1 * HOUR, 12 * HOUR)},
    "ELDERLY_CARE": {"URGENT": Limits(1 * HOUR, 12 * HOUR)},
}


@dataclass
class Policy:
    by_urgency: dict[str, Limits] = field(default_factory=lambda: dict(BY_URGENCY))
    by_category: dict[str, dict[str, Limits]] = field(
        default_factory=lambda: {code: dict(table) for code, table in BY_CATEGORY.items()}
    )

    def limits(self, category_code: str | None, urgency: str) -> Limits:
        special = self.by_category.get(category_code or "", {})
        return special.get(urgency) or self.by_urgency.get(urgency) or self.by_urgency["NORMAL"]


def _hours(pair: list[float]) -> Limits:
    respond, complete = pair
    return Limits(timedelta(hours=respond), timedelta(hours=complete))


def load_policy(path: Path | None) -> Policy:
    """Installs the defaults overridden by the JSON file at `path` (if any) and returns the policy."""
    global _policy
    policy = Policy()
    if path is not None:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        for urgency, pair in data.get("urgency", {}).items():
            policy.by_urgency[urgency] = _hours(pair)
        for category, table in data.get("category", {}).items():
            policy.by_category.setdefault(category, {}).update({u: _hours(p) for u, p in table.items()})
    _policy = policy
    return policy


_policy = (
    load_policy(Path(os.environ["MINHU_DEADLINE_POLICY_FILE"]))
    if os.environ.get("MINHU_DEADLINE_POLICY_FILE")
    else Policy()
)


def limits_for(category_code: str | None, urgency: str) -> Limits:
    return _policy.limits(category_code, urgency)


def deadlines_for(category_code: str, urgency: str, start: datetime) -> tuple[datetime, datetime]:
    """(response deadline, completion deadline) for a need dispatched at `start`."""
    limits = limits_for(category_code, urgency)
    return start + limits.respond, start + limits.complete


def current_policy() -> Policy:
    """The policy in force (the defaults, or MINHU_DEADLINE_POLICY_FILE's): what scorecards judge by."""
    return _policy
