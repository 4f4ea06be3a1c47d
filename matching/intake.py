"""Free-text intake: from what a caller said, the likely categories (with the words that decided it)
and the likely places (compounds and communities named in it).

Categories: a multinomial naive Bayes over the text's tokens (matching/words.py: the words a reader
cuts, stop words removed) and the characters of each word, so colloquial spellings the dictionary does
not join ("下水道" / "下水管子") still share something. It learns from the city's own needs (title and
description under their category) plus each category's name and description, so it answers on a
graph with no needs yet. Place names are blanked out of
every text before it is counted: a compound's name says where, not what.

Places: every compound and community is known by its name and its aliases (the name without its
suffix — 书院门社区 → 书院门, 金色家园小区 → 金色家园 — and a community's official name); the longest
aliases found in the text win, a compound counts for its community too, and the caller's district,
when known, ranks its own places first.

Pure: the graph layer fetches the rows (graph/needs/open311.py), resolvers/needs/suggest.py trains
and caches the model.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from matching.words import tokens

ALPHA = 0.1  # additive smoothing: small, because most features are rare and the categories many
MAX_ALIAS = 16
MIN_ALIAS = 2
# Suffixes a caller drops: "书院门那边的小区", not "书院门社区居民委员会".
_SUFFIXES = ("社区居民委员会", "居民委员会", "社区", "村委会", "小区", "家属院", "家属区", "花园", "新村", "村")
_PHASE = re.compile(r"[一二三四五六七八九十\d]+期$")


@dataclass(frozen=True, slots=True)
class PlaceRow:
    id: str
    label: str  # Compound or Community
    name: str
    community_id: str
    district_id: str
    official_name: str | None = None


@dataclass(frozen=True, slots=True)
class PlaceGuess:
    id: str
    label: str
    name: str
    community_id: str
    confidence: float
    matched: str  # the words of the text that named it


@dataclass(frozen=True, slots=True)
class CategoryGuess:
    code: str
    confidence: float
    words: tuple[str, ...]  # the words of the text that weighed most for it


def aliases(name: str, official: str | None = None) -> set[str]:
    out = {name}
    if official:
        out.add(official)
    for base in list(out):
        stripped = _PHASE.sub("", base)
        out.add(stripped)
        for suffix in _SUFFIXES:
            if stripped.endswith(suffix) and len(stripped) - len(suffix) >= MIN_ALIAS:
                out.add(stripped[: -len(suffix)])
    return {a for a in out if MIN_ALIAS <= len(a) <= MAX_ALIAS}


@dataclass
class Gazetteer:
    """Every alias → the places it may name; found in a text by looking up its substrings."""

    places: dict[str, PlaceRow] = field(default_factory=dict)
    by_alias: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lengths: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, rows: Iterable[PlaceRow]) -> Gazetteer:
        gaz = cls()
        for row in rows:
            gaz.places[row.id] = row
            for alias in aliases(row.name, row.official_name):
                gaz.by_alias[alias].append(row.id)
        gaz.lengths = sorted({len(a) for a in gaz.by_alias}, reverse=True)
        return gaz

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, alias) of the longest aliases in the text, left to right."""
        found, i = [], 0
        while i < len(text):
            for size in self.lengths:
                piece = text[i : i + size]
                if len(piece) == size and piece in self.by_alias:
                    found.append((i, i + size, piece))
                    i += size
                    break
            else:
                i += 1
        return found

    def blank(self, text: str) -> str:
        """The text with every place alias replaced by a space (so it is not counted as a word)."""
        out, last = [], 0
        for start, end, _ in self.spans(text):
            out.append(text[last:start])
            out.append(" ")
            last = end
        out.append(text[last:])
        return "".join(out)

    def guess(self, text: str, district_id: str | None = None, k: int = 3) -> list[PlaceGuess]:
        """The places the text names, best first: longer aliases first, a compound before its community,
        the caller's district before others; a compound also puts its community forward."""
        scores: dict[str, float] = defaultdict(float)
        matched: dict[str, str] = {}
        for _, _, alias in self.spans(text):
            ids = self.by_alias[alias]
            # An alias many places share (a common name) says less about each of them.
            weight = len(alias) / len(ids)
            for pid in ids:
                row = self.places[pid]
                local = 2.0 if district_id and row.district_id == district_id else 1.0
                bonus = 1.2 if row.label == "Compound" else 1.0
                if weight * local * bonus > scores[pid]:
                    scores[pid] = weight * local * bonus
                    matched[pid] = alias
                if row.label == "Compound" and row.community_id in self.places:
                    up = weight * local * 0.9
                    if up > scores[row.community_id]:
                        scores[row.community_id] = up
                        matched[row.community_id] = alias
        if not scores:
            return []
        total = sum(scores.values())
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [
            PlaceGuess(
                pid,
                self.places[pid].label,
                self.places[pid].name,
                self.places[pid].community_id,
                round(score / total, 3),
                matched[pid],
            )
            for pid, score in ranked
        ]


def features(text: str) -> list[str]:
    """The text's tokens, and the characters of each Chinese word among them (a word of two or more
    characters): the words decide, the characters link spellings the dictionary does not."""
    found = tokens(text)
    return found + [c for t in found if len(t) > 1 and not t.isascii() for c in t]


@dataclass
class Classifier:
    """Multinomial naive Bayes over the texts' features: log P(c) + Σ log P(g | c)."""

    priors: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    vocabulary: set[str] = field(default_factory=set)
    documents: int = 0

    @classmethod
    def train(cls, examples: Iterable[tuple[str, str]], seeds: Iterable[tuple[str, str]] = ()) -> Classifier:
        """`examples`: (text, category code) from past needs; `seeds`: (code, name + description) of
        every category, counted as one document each so every category can be suggested."""
        model = cls()
        docs: Counter[str] = Counter()
        for text, code in [*((text, code) for code, text in seeds), *examples]:
            docs[code] += 1
            bag = model.counts.setdefault(code, Counter())
            bag.update(features(text))
        model.documents = sum(docs.values())
        model.priors = {code: math.log(n / model.documents) for code, n in docs.items()}
        model.totals = {code: sum(bag.values()) for code, bag in model.counts.items()}
        model.vocabulary = {g for bag in model.counts.values() for g in bag}
        return model

    def _log_p(self, code: str, feature: str) -> float:
        v = len(self.vocabulary) + 1
        return math.log((self.counts[code][feature] + ALPHA) / (self.totals[code] + ALPHA * v))

    def suggest(self, text: str, k: int = 3, words: int = 5) -> list[CategoryGuess]:
        if not self.priors:
            return []
        seen = [g for g in features(text) if g in self.vocabulary]
        scores = {code: prior + sum(self._log_p(code, g) for g in seen) for code, prior in self.priors.items()}
        top = max(scores.values())
        weights = {code: math.exp(s - top) for code, s in scores.items()}
        total = sum(weights.values())
        ranked = sorted(scores, key=lambda code: (-scores[code], code))[:k]
        return [CategoryGuess(code, round(weights[code] / total, 3), self._why(code, seen, words)) for code in ranked]

    def _why(self, code: str, seen: list[str], words: int) -> tuple[str, ...]:
        """The words that favour `code` most over the other categories, longest first among equals,
        without words contained in a chosen longer one."""
        others = [c for c in self.priors if c != code]
        gain = {}
        # Single characters count in the model but explain nothing to an operator.
        for g in {g for g in seen if len(g) > 1}:
            rest = max((self._log_p(c, g) for c in others), default=0.0)
            gain[g] = self._log_p(code, g) - rest
        chosen: list[str] = []
        for g in sorted(gain, key=lambda g: (-gain[g], -len(g), g)):
            if gain[g] <= 0 or len(chosen) >= words:
                break
            if any(g in c or c in g for c in chosen):
                continue
            chosen.append(g)
        return tuple(chosen)


@dataclass
class IntakeModel:
    classifier: Classifier
    gazetteer: Gazetteer

    @classmethod
    def train(
        cls,
        needs: Iterable[tuple[str, str]],
        categories: Iterable[tuple[str, str]],
        places: Iterable[PlaceRow],
    ) -> IntakeModel:
        gaz = Gazetteer.of(places)
        examples = [(gaz.blank(text), code) for text, code in needs]
        return cls(Classifier.train(examples, categories), gaz)

    def categories(self, text: str, k: int = 3) -> list[CategoryGuess]:
        return self.classifier.suggest(self.gazetteer.blank(text), k)

    def places(self, text: str, district_id: str | None = None, k: int = 3) -> list[PlaceGuess]:
        return self.gazetteer.guess(text, district_id, k)


def accuracy(model: IntakeModel, held_out: Iterable[tuple[str, str]]) -> tuple[float, float, int]:
    """(top-1, top-3, n) over (text, true category) pairs the model was not trained on."""
    top1 = top3 = n = 0
    for text, code in held_out:
        ranked = [g.code for g in model.categories(text, 3)]
        n += 1
        top1 += bool(ranked) and ranked[0] == code
        top3 += code in ranked
    return (top1 / n if n else 0.0, top3 / n if n else 0.0, n)
