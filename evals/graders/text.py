"""The reply as graders see it: normalized once, split into sentences, searchable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from agent.checks.text import Sentence, fold, sentences


@dataclass(frozen=True)
class Hit:
    """A phrase found in the reply, quoted from the reply itself (original case)."""

    begin: int
    finish: int
    text: str

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish

    def group(self, _: int = 0) -> str:
        return self.text


class Reply:
    """A reply to grade. `text` is normalized (homoglyphs, invisible characters, quotes).

    Lexicon patterns are compiled lower-case without re.IGNORECASE and run on `lower`,
    which is several times faster in Python's engine; hits are quoted from `text`.
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

    def find(self, pattern: re.Pattern[str]) -> list[Hit]:
        gate = GATES.get(id(pattern))
        if gate is not None and not any(word in self.lower for word in gate):
            return []
        text = self.text
        return [Hit(m.start(), m.end(), text[m.start():m.end()])
                for m in pattern.finditer(self.lower)]

    def first(self, pattern: re.Pattern[str]) -> Hit | None:
        gate = GATES.get(id(pattern))
        if gate is not None and not any(word in self.lower for word in gate):
            return None
        m = pattern.search(self.lower)
        return Hit(m.start(), m.end(), self.text[m.start():m.end()]) if m else None


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


_CATEGORY_CHARS = {"CATEGORY_DIGIT": "0123456789", "CATEGORY_SPACE": " \t\n\r\f\v"}


def _first_chars(items: list[tuple[Any, Any]]) -> set[str] | None:
    """Every character a match can start with, from the parsed pattern; None if unknown."""
    out: set[str] = set()
    for op, av in items:
        name = str(op)
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue  # zero-width
        if name == "LITERAL":
            return out | {chr(av)}
        if name == "IN":
            for o, a in av:
                if str(o) == "LITERAL":
                    out.add(chr(a))
                elif str(o) == "RANGE" and a[1] - a[0] < 64:
                    out.update(chr(c) for c in range(a[0], a[1] + 1))
                elif str(o) == "CATEGORY" and str(a) in _CATEGORY_CHARS:
                    out.update(_CATEGORY_CHARS[str(a)])
                else:
                    return None
            return out
        if name == "SUBPATTERN":
            sub = _first_chars(list(av[3]))
            return None if sub is None else out | sub
        if name == "BRANCH":
            for alt in av[1]:
                sub = _first_chars(list(alt))
                if sub is None:
                    return None
                out |= sub
            return out
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            sub = _first_chars(list(av[2]))
            if sub is None:
                return None
            out |= sub
            if av[0] >= 1:
                return out
            continue
        return None
    return None  # the pattern can match the empty string


def prefixed(pattern: str) -> str:
    """The pattern behind a lookahead of its possible first characters. Python's engine
    skips ahead with such a class instead of trying the whole pattern at every position."""
    from re import _parser  # type: ignore[attr-defined]

    chars = _first_chars(list(_parser.parse(pattern)))
    if not chars:
        return pattern
    return "(?=[" + "".join(re.escape(c) for c in sorted(chars)) + "])(?:" + pattern + ")"


def rx(pattern: str, gate: tuple[str, ...] = ()) -> re.Pattern[str]:
    """A lexicon pattern, matched against `Reply.lower` (see Reply), optionally gated."""
    compiled = re.compile(prefixed(factored(lowered(pattern))))
    if gate:
        GATES[id(compiled)] = tuple(w.lower() for w in gate)
    return compiled
