"""The README's GraphQL examples, read from README.md itself: the IDE offers them, a test runs them.

One source, so the examples a newcomer clicks in the IDE are the ones `tests/seeds/test_readme_examples.py`
proves answer on the demo data, and neither can drift from the README. An example that acts needs the
token the README told the reader to sign before it (a `minhu token --role …` line in a ```sh block).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", flags=re.S | re.M)
TOKEN_LINE = re.compile(r"minhu token --role (\w+)(?: --scope (\S+))?(?: --subject (\S+))?")


@dataclass(frozen=True)
class Signer:
    """Who the README signs a token for: `minhu token --role ROLE [--scope ID] [--subject ID]`."""

    role: str
    scope: str | None
    subject: str | None

    @property
    def command(self) -> str:
        parts = [".venv/bin/minhu token --role", self.role]
        if self.scope:
            parts += ["--scope", self.scope]
        if self.subject:
            parts += ["--subject", self.subject]
        return " ".join(parts)


@dataclass(frozen=True)
class Example:
    title: str  # the README's sentence before the block
    query: str
    signer: Signer | None  # the token it needs; None: public facts, no token

    def as_json(self) -> dict[str, object]:
        signer = self.signer
        needs = None if signer is None else {"role": signer.role, "scope": signer.scope, "command": signer.command}
        return {"title": self.title, "query": self.query, "token": needs}


def readme_examples(text: str | None = None) -> list[Example]:
    """Every ```graphql block of the README, in order, with its title and the token signed before it."""
    if text is None:
        if not README.is_file():
            return []  # installed without the repository: the IDE offers no examples
        text = README.read_text(encoding="utf-8")
    found: list[Example] = []
    signer: Signer | None = None
    prose_end = 0
    title = ""
    for match in BLOCK.finditer(text):
        prose = text[prose_end : match.start()]
        prose_end = match.end()
        title = _last_sentence(prose) or title
        language, body = match.groups()
        if language == "sh":
            for role, scope, subject in TOKEN_LINE.findall(body):
                signer = Signer(role, scope or None, subject or None)
        elif language == "graphql":
            found.append(Example(title, _without_comments(body), signer))
    return found


def _last_sentence(prose: str) -> str:
    """The last paragraph before a block, as one line without Markdown emphasis or list marks."""
    paragraphs = [p for p in re.split(r"\n\s*\n", prose) if p.strip() and not p.lstrip().startswith("#")]
    if not paragraphs:
        return ""
    words = " ".join(re.sub(r"^[-*]\s+", "", line.strip()) for line in paragraphs[-1].splitlines())
    return re.sub(r"\*\*(.+?)\*\*", r"\1", words).rstrip(":： ")


def _without_comments(body: str) -> str:
    """The document without the README's comment lines (`# HTTP header: …`): the IDE sends the token itself."""
    lines = [line for line in body.splitlines() if not line.lstrip().startswith("#")]
    return "\n".join(lines).strip() + "\n"
