"""The reply as graders see it: normalized once, split into sentences, searchable."""

from __future__ import annotations

import re
from collections.abc import Iterator
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


def _structure(pattern: str, i: int = 0) -> Iterator[tuple[int, str, int]]:
    """Each '(', ')' and '|' of `pattern` from index `i` that is outside character classes
    and escapes, with its index and the group depth after it."""
    depth, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c in "()|":
            depth += {"(": 1, ")": -1, "|": 0}[c]
            yield i, c, depth
        i += 1


def _alternatives(pattern: str) -> list[str]:
    """Top-level alternatives of a pattern (ignoring | inside groups and classes)."""
    cuts = [i for i, c, depth in _structure(pattern) if c == "|" and depth == 0]
    return [pattern[a + 1:b] for a, b in zip([-1, *cuts], [*cuts, len(pattern)], strict=True)]


def factored(pattern: str) -> str:
    r"""`\bA|\bB|C` as `\b(?:A|B)|C`: Python checks the word boundary once per position
    instead of once per alternative, which makes long phrase lists several times faster."""
    alts = _alternatives(pattern)
    bounded = [a[2:] for a in alts if a.startswith("\\b")]
    if len(bounded) < 2:
        return pattern
    rest = [a for a in alts if not a.startswith("\\b")]
    return "|".join([r"\b(?:" + "|".join(bounded) + ")", *rest])


_CLASS_ESCAPES = {"d": "0123456789", "s": " \t\n\r\f\v"}


def _group_end(pattern: str, i: int) -> int:
    """The index just past the group that opens at pattern[i] ('(')."""
    for j, c, depth in _structure(pattern, i):
        if c == ")" and depth == 0:
            return j + 1
    raise ValueError(f"unbalanced group in {pattern!r}")


def _class_chars(body: str) -> set[str] | None:
    """The characters a simple class body ('a-z', "'s", '\\d') matches; None if unsure."""
    if body.startswith("^"):
        return None
    out: set[str] = set()
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            nxt = body[i + 1]
            if nxt in _CLASS_ESCAPES:
                out.update(_CLASS_ESCAPES[nxt])
            elif nxt.isalnum():
                return None
            else:
                out.add(nxt)
            i += 2
        elif i + 2 < len(body) and body[i + 1] == "-":
            low, high = ord(c), ord(body[i + 2])
            if high - low > 64:
                return None
            out.update(chr(x) for x in range(low, high + 1))
            i += 3
        else:
            out.add(c)
            i += 1
    return out


def _optional(pattern: str, j: int) -> bool:
    """Whether the atom ending before pattern[j] may be skipped (?, *, {0,...})."""
    return j < len(pattern) and (pattern[j] in "?*" or pattern.startswith("{0", j))


def first_chars(pattern: str) -> set[str] | None:
    """Every character a match of `pattern` can start with, read from the pattern text
    itself (our lexicon's own simple syntax); None when unsure, e.g. a pattern that can
    match the empty string or starts with \\w."""
    out: set[str] = set()
    for alt in _alternatives(pattern):
        chars = _sequence_first(alt)
        if chars is None:
            return None
        out |= chars
    return out


def _sequence_first(seq: str) -> set[str] | None:
    i = 0
    while i < len(seq):
        if seq.startswith("\\b", i):
            i += 2
            continue
        if seq.startswith("^", i):
            i += 1
            continue
        c = seq[i]
        if c == "(":
            j = _group_end(seq, i)
            inner = seq[i + 1:j - 1]
            if inner.startswith(("?<=", "?<!", "?=", "?!")):
                i = j  # a lookaround matches no characters
                continue
            if inner.startswith("?:"):
                inner = inner[2:]
            elif inner.startswith("?"):
                return None
            if _optional(seq, j):
                return None
            return first_chars(inner)
        if c == "[":
            j = seq.index("]", i + 2) + 1
            chars = _class_chars(seq[i + 1:j - 1])
            return None if chars is None or _optional(seq, j) else chars
        if c == "\\":
            nxt = seq[i + 1]
            if nxt in _CLASS_ESCAPES:
                chars = set(_CLASS_ESCAPES[nxt])
            elif nxt.isalnum():
                return None
            else:
                chars = {nxt}
            return None if _optional(seq, i + 2) else chars
        if c in ".|)":
            return None
        return None if _optional(seq, i + 1) else {c}
    return None  # the sequence can match the empty string


def prefixed(pattern: str) -> str:
    """The pattern behind a lookahead of the characters a match can start with: Python's
    engine then skips ahead to a candidate position instead of trying the whole pattern
    at every one (about 1.5x faster on our phrase lists). Unchanged when unsure."""
    chars = first_chars(pattern)
    if not chars:
        return pattern
    return "(?=[" + "".join(re.escape(c) for c in sorted(chars)) + "])(?:" + pattern + ")"


def rx(pattern: str) -> Pattern:
    """A lexicon pattern, matched against `Reply.lower` (see Reply); skipped when the
    reply holds none of the strings a match needs (agent/checks/prefilter.py)."""
    return Pattern(prefixed(factored(lowered(pattern))))
