"""Docs and comments name files that exist: a module that moves takes the sentences naming it along."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A path into one of the project's folders, as prose names it: `graph/kernel/locks.py`, `resolvers/needs`.
NAMED = re.compile(r"(?<![\w./-])((?:graph|resolvers|schema|server|seeds|matching|bench|tests|docs)/[\w/.-]*\w)")
# docs/NOTES.md is a log: its entries say where things were when they were decided.
NOT_CHECKED = {"docs/NOTES.md"}
# Made by the browser tests when they run, absent from a fresh clone.
MADE_BY_TESTS = ("tests/artefacts",)


def _exists(path: str) -> bool:
    found = ROOT / path
    return found.exists() or found.with_suffix(".py").exists() or (ROOT / f"{path}.py").exists()


def test_every_path_named_in_docs_and_comments_exists() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = [f for f in tracked.split() if f.endswith((".md", ".py")) and f not in NOT_CHECKED]
    stale = [
        f"{name}:{number}: {match}"
        for name in files
        for number, line in enumerate((ROOT / name).read_text(errors="ignore").splitlines(), 1)
        for match in NAMED.findall(line)
        if "<" not in match and "*" not in match and not match.startswith(MADE_BY_TESTS) and not _exists(match)
    ]
    assert not stale, "docs or comments name files that do not exist (say where they are now): " + ", ".join(stale)
