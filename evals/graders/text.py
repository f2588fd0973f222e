"""The reply as graders see it: normalized once, split into sentences, searchable."""

from __future__ import annotations

import re
from functools import cached_property

from agent.checks.text import Sentence, Span, fold, sentences


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

    @cached_property
    def sentences(self) -> list[Sentence]:
        return sentences(self.text)

    def sentence_index(self, pos: int) -> int:
        for i, sentence in enumerate(self.sentences):
            if sentence.start <= pos < sentence.end:
                return i
        return -1

    def sentence_at(self, pos: int) -> Sentence:
        for sentence in self.sentences:
            if sentence.start <= pos < sentence.end:
                return sentence
        return Sentence(0, len(self.text), self.text)

    def find(self, pattern: re.Pattern[str]) -> list[Span]:
        gate = GATES.get(id(pattern))
        if gate is not None and not any(word in self.lower for word in gate):
            return []
        text = self.text
        return [Span(m.start(), m.end(), text[m.start():m.end()])
                for m in pattern.finditer(self.lower)]

    def first(self, pattern: re.Pattern[str]) -> Span | None:
        gate = GATES.get(id(pattern))
        if gate is not None and not any(word in self.lower for word in gate):
            return None
        m = pattern.search(self.lower)
        return Span(m.start(), m.end(), self.text[m.start():m.end()]) if m else None


def quote(text: str, limit: int = 120) -> str:
    """A span as evidence: one line, trimmed."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_ESCAPE_OR_TEXT = re.compile(r"(\\.)|([^\\]+)", re.S)


def lowered(pattern: str) -> str:
    """The pattern with its literal text lower-cased (escapes such as \\S left alone)."""
    return _ESCAPE_OR_TEXT.sub(lambda m: m.group(1) or m.group(2).lower(), pattern)


def _alternatives(pattern: str) -> list[str]:
    """Top-level alternatives of a pattern (ignoring | inside groups and classes)."""
    parts: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def factored(pattern: str) -> str:
    r"""`\bA|\bB|C` as `\b(?:A|B)|C`: Python checks the word boundary once per position
    instead of once per alternative, which makes long phrase lists several times faster."""
    alts = _alternatives(pattern)
    bounded = [a[2:] for a in alts if a.startswith("\\b")]
    if len(bounded) < 2:
        return pattern
    rest = [a for a in alts if not a.startswith("\\b")]
    return "|".join([r"\b(?:" + "|".join(bounded) + ")", *rest])


# Substrings at least one of which every match of a pattern contains. A reply holding
# none of them cannot match, so the regex is skipped (`in` is far cheaper than a scan).
# tests/test_graders.py checks that gating never changes a result.
GATES: dict[int, tuple[str, ...]] = {}


def rx(pattern: str, gate: tuple[str, ...] = ()) -> re.Pattern[str]:
    """A lexicon pattern, matched against `Reply.lower` (see Reply), optionally gated."""
    compiled = re.compile(factored(lowered(pattern)))
    if gate:
        GATES[id(compiled)] = tuple(w.lower() for w in gate)
    return compiled
