"""One request sent many times at once with the same idempotencyKey: one effect, one answer.

A client that retries (a flaky network, a double tap) may send its keyed request again before the
first has answered. The idempotency record's id is unique, so the copies wait for the first to commit
and then answer its result (graph/kernel/idempotency.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

SAME_KEY_AT_ONCE = 20


async def same_request_at_once(client, document: str, variables: dict, tok: str) -> list[dict]:
    """`SAME_KEY_AT_ONCE` copies of one keyed request, all in flight together."""
    assert variables["input"].get("idempotencyKey"), "the race is about one key"
    return await asyncio.gather(
        *(client(document, variables, token=tok, expect_errors=True) for _ in range(SAME_KEY_AT_ONCE))
    )


def one_answer(bodies: list[dict], name: str) -> dict[str, Any]:
    """Every copy succeeded; exactly one ran (`replayed: false`), the others replayed it; all answered
    the same payload. Returns it."""
    errors = [b["errors"] for b in bodies if "errors" in b]
    assert not errors, errors[:3]
    answers = [b["data"][name] for b in bodies]
    ran = sum(not a["replayed"] for a in answers)
    assert ran == 1, f"{ran} of {len(answers)} copies ran the mutation"
    payloads = [{k: v for k, v in a.items() if k != "replayed"} for a in answers]
    assert all(p == payloads[0] for p in payloads), [p for p in payloads if p != payloads[0]][:2]
    return payloads[0]
