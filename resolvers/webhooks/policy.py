"""How webhook deliveries are tried: its own module, light to import, because server/settings.py takes
the defaults of `MINHU_WEBHOOK_*` from it (one declaration of each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class Policy:
    """How deliveries are tried (server/settings.py `MINHU_WEBHOOK_*`)."""

    timeout_seconds: float = 10.0  # one try, connecting to the last byte of the answer's head
    attempts: int = 10  # tries before a delivery is dead
    backoff_seconds: float = 10.0  # the wait after the first failed try; doubled after each
    backoff_cap_seconds: float = 3600.0
    concurrency: int = 4  # tries in flight per partner
    allow_private: bool = False  # loopback and private addresses (tests); never in production
    batch: int = 200  # outbox entries per fan-out transaction, deliveries per round
    max_webhooks: int = 5  # live webhooks per partner

    @property
    def lease(self) -> timedelta:
        """How long a claimed try is its relay's: past the timeout, so only a dead relay loses it."""
        return timedelta(seconds=self.timeout_seconds + 30)
