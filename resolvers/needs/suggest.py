"""`suggestIntake(text, districtId)`: likely categories and places for what a caller said, from a model
(matching/intake.py) trained on the graph's own needs, categories and places.

The model is trained on first use and again when the graph has changed (a need or place added) —
at once while the graph is small (under RETRAIN_FREE_BELOW needs, so a new city's first needs count
immediately), otherwise at most every RETRAIN_SECONDS: training reads every need once. One model per
graph per process.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from graph.kernel.db import Graph
from graph.kernel.errors import BadUserInput
from graph.kernel.ids import label_of
from graph.needs import open311 as rows
from matching.intake import CategoryGuess, IntakeModel, PlaceGuess, PlaceRow
from resolvers.kernel.authz import require_role
from resolvers.kernel.context import Context
from resolvers.kernel.viewer import Role

RETRAIN_SECONDS = 600.0
RETRAIN_FREE_BELOW = 2000
MAX_TEXT = 2000


@dataclass
class _Trained:
    fingerprint: tuple[Any, ...]
    at: float
    model: IntakeModel


_MODELS: dict[int, _Trained] = {}
# One lock per event loop: an asyncio.Lock belongs to the loop it first waited in.
_LOCKS: dict[int, asyncio.Lock] = {}


async def train(graph: Graph, exclude: frozenset[str] = frozenset()) -> IntakeModel:
    """A model from the graph's needs (less the ids in `exclude`, for held-out evaluation)."""
    needs = await rows.training_rows(graph)
    categories = await rows.categories(graph)
    places = await rows.places(graph)
    return IntakeModel.train(
        [(f"{n['title']} {n['description'] or ''}", n["categoryCode"]) for n in needs if n["id"] not in exclude],
        [(k["code"], f"{k['name']} {k['description'] or ''}") for k in categories],
        [
            PlaceRow(p["id"], p["label"], p["name"], p["communityId"], p["districtId"], p["officialName"])
            for p in places
            if p["name"]
        ],
    )


async def model_for(graph: Graph) -> IntakeModel:
    fingerprint = await rows.intake_fingerprint(graph)
    lock = _LOCKS.setdefault(id(asyncio.get_running_loop()), asyncio.Lock())
    async with lock:
        held = _MODELS.get(id(graph))
        fresh = held is not None and (
            held.fingerprint == fingerprint
            or (fingerprint[0] >= RETRAIN_FREE_BELOW and time.monotonic() - held.at < RETRAIN_SECONDS)
        )
        if held is None or not fresh:
            held = _Trained(fingerprint, time.monotonic(), await train(graph))
            _MODELS[id(graph)] = held
        return held.model


@dataclass(frozen=True)
class Suggestion:
    categories: list[CategoryGuess]
    places: list[PlaceGuess]


def _checked(text: str, district_id: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise BadUserInput("text: say what the caller said (1 to 2000 characters)", field="text")
    if len(text) > MAX_TEXT:
        raise BadUserInput(f"text: at most {MAX_TEXT} characters; got {len(text)}", field="text")
    if district_id is not None:
        label_of(district_id, expected=("District",), field="districtId")
    return text


async def suggest(graph: Graph, text: str, district_id: str | None = None, k: int = 3) -> Suggestion:
    text = _checked(text, district_id)
    model = await model_for(graph)
    return Suggestion(model.categories(text, k), model.places(text, district_id, k))


async def suggest_intake(ctx: Context, text: str, district_id: str | None) -> Suggestion:
    """For signed-in callers (operators and staff take calls; residents describe their own need)."""
    require_role(ctx.viewer, *Role)
    return await suggest(ctx.graph, text, district_id)
