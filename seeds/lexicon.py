"""The place names of matching/lexicon/places.txt, from the reference data: `python -m seeds.lexicon`
writes the file, tests/seeds/test_lexicon.py checks it is what the data says.

A place is known by its name and its short forms (书院门社区居委会 → 书院门社区 → 书院门; 雁塔区 → 雁塔;
柏树林街道 → 柏树林), and a compound by its suffix (嘉园, 家属院), so the segmenter cuts a name as one
word and the review leaves it out of a class's words. A community's name jieba already knows as a word
(建设, 幸福) is not written: it is an ordinary word first, and hiding it would hide that too. District
and street names and the suffixes always are: in this city 雁塔 and 佳园 name places.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from matching.intake import aliases
from matching.words import LEXICON, PLACE_TAG
from seeds import reference as ref
from seeds import texts

PLACES = LEXICON / "places.txt"
_HEADER = (
    "# Written by `python -m seeds.lexicon` from seeds/data and seeds/texts.py: do not edit by hand.\n"
    "# The city's place names and their short forms, and the compounds' suffixes (matching/words.py).\n"
)
_AREA_SUFFIXES = ("街道", "镇", "区", "县")


def _short(name: str) -> set[str]:
    out = {name}
    for suffix in _AREA_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            out.add(name[: -len(suffix)])
    return out


def place_names() -> list[str]:
    import rjieba

    known = rjieba.Jieba()  # jieba's own dictionary, before ours
    communities: set[str] = set()
    for community in ref.communities():
        communities |= aliases(community.name, community.official_name)
    # Districts, streets and compounds' suffixes are places even where jieba knows the word (雁塔, 佳园).
    names = {n for n in communities if not known.has_word(n)}
    for area in (*ref.districts(), *ref.streets()):
        names |= _short(area.name)
    names |= {*texts.COMPOUND_SUFFIXES, *texts.VILLAGE_COMPOUND_SUFFIXES}
    return sorted(n for n in names if len(n) > 1)


def render(names: Iterable[str]) -> str:
    return _HEADER + "".join(f"{name} {PLACE_TAG}\n" for name in names)


def main() -> int:
    PLACES.write_text(render(place_names()), encoding="utf-8")
    print(f"wrote {PLACES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
