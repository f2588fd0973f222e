"""The reply as graders see it: normalized once, split into sentences, searchable."""

from __future__ import annotations

import re
from functools import cached_property

from agent.checks.prefilter import Pattern
from agent.checks.text import Sentence, Span, containing, fold, lowered, sentences


class Reply:
    """A reply to grade. `text` is normalized (homoglyphs, invisible characters, quotes).

    Lexicon patterns are compiled lower-case without re.IGNORECASE and run on `lower`,
    which is several times faster in Python's engine; what they find is returned as a
    `Span` quoted from `text` (the reply's own case).
    """

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.text = fold(raw)
        lower = self.text.lower()
        if len(lower) != len(self.text):  # a few letters lower-case to two characters
            lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in self.text)
        self.lower = lower
        self._found: dict[Pattern | re.Pattern[str], tuple[Span, ...]] = {}

    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        return sentences(self.text)

    def sentence_index(self, pos: int) -> int:
        for i, sentence in enumerate(self.sentences):
            if sentence.start <= pos < sentence.end:
                return i
        return -1

    def sentence_at(self, pos: int) -> Sentence:
        return containing(self.sentences, pos) or Sentence(0, len(self.text), self.text)

    def find(self, pattern: Pattern | re.Pattern[str]) -> list[Span]:
        """Every match in the reply (remembered: several graders ask for one pattern)."""
        found = self._found.get(pattern)
        if found is None:
            text = self.text
            found = self._found[pattern] = tuple(
                Span(m.start(), m.end(), text[m.start():m.end()])
                for m in pattern.finditer(self.lower))
        return list(found)

    def first(self, pattern: Pattern | re.Pattern[str]) -> Span | None:
        m = pattern.search(self.lower)
        return Span(m.start(), m.end(), self.text[m.start():m.end()]) if m else None


def quote(text: str, limit: int = 120) -> str:
    """A span as evidence: one line, trimmed."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rx(pattern: str) -> Pattern:
    """A lexicon pattern, matched against `Reply.lower` (see Reply); skipped when the
    reply holds none of the strings a match needs (agent/checks/prefilter.py), and
    compiled with its alternatives factored (agent/checks/factor.py)."""
    return Pattern(lowered(pattern))
