"""matching/lexicon/places.txt is what the reference data says (`python -m seeds.lexicon` writes it)."""

from __future__ import annotations

from matching import words
from seeds import lexicon


def test_the_place_lexicon_is_the_reference_data() -> None:
    assert lexicon.PLACES.read_text(encoding="utf-8") == lexicon.render(lexicon.place_names()), (
        "seeds/data changed: run `python -m seeds.lexicon` and commit matching/lexicon/places.txt"
    )


def test_places_are_cut_whole_and_kept_out_of_the_words() -> None:
    said = "书院门社区书院门嘉园3号楼下水道堵了"
    assert words.cut(said)[:3] == ["书院门社区", "书院门", "嘉园"]
    assert words.words(said) == ["下水道"]
