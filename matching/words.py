"""The words of a text, as a reader cuts them: jieba's dictionary (rjieba, the Rust port with the same
dictionary and the same cuts) and our lexicon, stop words removed. Everything that understands text
uses these tokens: the intake's classifier, duplicate detection, the quarter review's words.

The lexicon (matching/lexicon/) is three files in jieba's user-dictionary form (`word [freq] [tag]`):
- colloquial.txt: words the callers use that jieba's dictionary lacks or cuts wrongly (广场舞, 充电桩);
- places.txt: the city's place names and their short forms, tagged `ns` (written by `python -m
  seeds.lexicon` from seeds/data, checked against it by a test);
- stopwords.txt: tokens that say nothing about what is wrong (how callers open and close, who they are).

Cutting is jieba's precise mode without its HMM: the HMM joins unknown characters into new "words"
(灯坏, 楼有, 人一多) that straddle two words; without it an unknown stretch falls apart into single
characters, which are never shown as words. The lexicon is what teaches new words.

Pure but for loading the dictionaries once per process, on first use (about 0.3 s), never at import.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

LEXICON = Path(__file__).parent / "lexicon"
PLACE_TAG = "ns"
# A token worth keeping holds a CJK character, a Latin letter or a digit.
_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
# Where a clause ends: the example shown for a word is the clause it was said in.
_CLAUSES = re.compile(r"[，。！？；：、,.!?;:\s]+")


@dataclass(frozen=True)
class Lexicon:
    words: tuple[tuple[str, int | None, str | None], ...]  # (word, frequency, tag) for the segmenter
    places: frozenset[str]
    stop: frozenset[str]


def _entries(name: str) -> list[tuple[str, int | None, str | None]]:
    out = []
    for line in (LEXICON / name).read_text(encoding="utf-8").splitlines():
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        out.append((parts[0], freq, tag))
    return out


@cache
def lexicon() -> Lexicon:
    places = _entries("places.txt")
    return Lexicon(
        words=tuple(_entries("colloquial.txt") + places),
        places=frozenset(w for w, _, tag in places if tag == PLACE_TAG),
        stop=frozenset(w for w, _, _ in _entries("stopwords.txt")),
    )


@cache
def _segmenter() -> Any:
    # Imported here, not at the top: a process that never reads text never pays for the dictionary.
    import rjieba

    jieba = rjieba.Jieba()
    for word, freq, tag in lexicon().words:
        jieba.add_word(word, freq, tag)
    return jieba


def cut(text: str) -> list[str]:
    """Every token of the text in order, punctuation and spaces left out; Latin words lower-cased."""
    return [t.lower() if t.isascii() else t for t in _segmenter().cut(text, False) if _MEANINGFUL.search(t)]


def tokens(text: str) -> list[str]:
    """The tokens that can say what a text is about: `cut` without stop words."""
    stop = lexicon().stop
    return [t for t in cut(text) if t not in stop]


def words(text: str) -> list[str]:
    """What a person reads as a word of the text: tokens of two characters or more (a single
    character is a word to the classifier, not to a reader), place names left out (they say where,
    not what)."""
    places = lexicon().places
    return [t for t in tokens(text) if len(t) > 1 and t not in places]


@dataclass(frozen=True)
class Word:
    word: str
    needs: int  # how many of the texts use it
    example: str  # the clause of the first text using it in which it stands
    example_index: int  # which text that is


def example_clause(text: str, word: str) -> str:
    for clause in _CLAUSES.split(text):
        if word in words(clause):
            return clause
    return text


def recurring(texts: Sequence[str], most: int = 8, least: int = 2) -> list[Word]:
    """The words found in at least `least` of the texts, the most widespread first (then the
    earliest said, then by the word), each with how many texts use it and where it was first said."""
    seen: Counter[str] = Counter()
    first: dict[str, int] = {}
    for i, text in enumerate(texts):
        for word in set(words(text)):
            seen[word] += 1
            first.setdefault(word, i)
    chosen = sorted((w for w, n in seen.items() if n >= least), key=lambda w: (-seen[w], first[w], w))[:most]
    return [Word(w, seen[w], example_clause(texts[first[w]], w), first[w]) for w in chosen]
