"""Skip regular-expression scans that cannot match, found for many patterns in one pass.

Most of the analyzer's, the checks' and the graders' patterns find nothing in a given
email or reply, yet Python's engine still walks the whole text for each. Every pattern
compiled here is read once for the literal strings a match must contain (one of them at
least: "sorry" or "apolog" for an apology pattern); one Aho-Corasick pass over a text
(the `ahocorasick_rs` package, Rust) tells which of all those strings occur, and a pattern
none of whose strings occurs is not run. The answer is the same as running it: a pattern
whose requirement cannot be read (verbose, scoped flags, an escape this reader does not
know, or nothing required of length 3 or more) always runs.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import ahocorasick_rs

from agent.checks.factor import compile_fast

MIN_LITERAL = 3  # shorter strings occur in nearly every text: no use as a filter
_MAX_RUNS = 8  # ways optional characters may go, followed before a run is cut
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
_ZERO_WIDTH = set("AbBZ")
_CLASSES = set("dDsSwW")
_QUANTIFIER = re.compile(r"\{([0-9]*)(?:(,)([0-9]*))?\}")  # ASCII digits, as re reads them


class _Unreadable(Exception):
    """A construct this reader does not follow: the pattern is never skipped."""


Need = frozenset[str] | None  # one of these strings is in every match; None: nothing known


class _Reader:
    """Recursive descent over a pattern's source, tracking only what a match must hold."""

    def __init__(self, source: str) -> None:
        self.s = source
        self.i = 0

    def alternation(self) -> Need:
        branches = [self.sequence()]
        while self.i < len(self.s) and self.s[self.i] == "|":
            self.i += 1
            branches.append(self.sequence())
        if any(b is None for b in branches):
            return None
        return frozenset().union(*branches)  # type: ignore[arg-type]

    def sequence(self) -> Need:
        candidates: list[frozenset[str]] = []
        runs = {""}  # the literal text just read, one string per way optional chars went
        while self.i < len(self.s) and self.s[self.i] not in "|)":
            kind, value = self.atom()
            low, high = self.quantifier()
            if kind == "literal" and low is None:
                runs = {r + value for r in runs}
            elif kind == "literal" and low == 0 and high == 1 and len(runs) <= _MAX_RUNS:
                runs |= {r + value for r in runs}  # "ok'?d": "okd" or "ok'd"
            elif kind == "literal" and low:  # the last of the repeats leads what follows
                candidates.append(frozenset(r + value for r in runs))
                runs = {value}
            else:
                candidates.append(frozenset(runs))
                runs = {""}
                if kind == "group" and value is not None and low != 0:
                    candidates.append(value)
        candidates.append(frozenset(runs))
        usable = [c for c in candidates if c and min(map(len, c)) >= MIN_LITERAL]
        if not usable:
            return None
        return max(usable, key=lambda c: (min(map(len, c)), -len(c)))

    def quantifier(self) -> tuple[int | None, float]:
        """(least repeats, most) of a quantifier at the cursor; (None, 1) when none."""
        if self.i >= len(self.s):
            return None, 1
        c = self.s[self.i]
        if c in "*+?":
            self.i += 1
            low, high = (1 if c == "+" else 0), (1 if c == "?" else math.inf)
        elif c == "{":
            m = _QUANTIFIER.match(self.s, self.i)
            if m is None or (not m.group(1) and not m.group(2)):
                raise _Unreadable("a brace that is not a repeat")
            self.i = m.end()
            low = int(m.group(1) or 0)
            high = low if not m.group(2) else int(m.group(3)) if m.group(3) else math.inf
        else:
            return None, 1
        if self.i < len(self.s) and self.s[self.i] in "?+":  # lazy or possessive
            self.i += 1
        return low, high

    def atom(self) -> tuple[str, Any]:
        c = self.s[self.i]
        self.i += 1
        if c == "(":
            return self.group()
        if c == "[":
            self.char_class()
            return "class", None
        if c == "\\":
            return self.escape()
        if c == ".":
            return "class", None
        if c in "^$":
            return "zero", None
        if c in "*+?{":
            raise _Unreadable("a quantifier with nothing to repeat")
        return "literal", c

    def group(self) -> tuple[str, Any]:
        kind = "group"
        if self.s.startswith("?", self.i):
            rest = self.s[self.i + 1:]
            if rest.startswith(("=", "!", "<=", "<!")):
                self.i += 2 if rest[0] in "=!" else 3
                kind = "zero"
            elif rest.startswith(":"):
                self.i += 2
            elif rest.startswith("P<"):
                end = self.s.index(">", self.i)
                self.i = end + 1
            else:  # flags, comments, back-references by name, conditionals
                raise _Unreadable("(?" + rest[:2])
        need = self.alternation()
        if self.i >= len(self.s) or self.s[self.i] != ")":
            raise _Unreadable("an unclosed group")
        self.i += 1
        return kind, need if kind == "group" else None

    def char_class(self) -> None:
        if self.s.startswith("^", self.i):
            self.i += 1
        if self.s.startswith("]", self.i):
            self.i += 1
        while self.i < len(self.s) and self.s[self.i] != "]":
            self.i += 2 if self.s[self.i] == "\\" else 1
        if self.i >= len(self.s):
            raise _Unreadable("an unclosed character class")
        self.i += 1

    def escape(self) -> tuple[str, Any]:
        if self.i >= len(self.s):
            raise _Unreadable("a trailing backslash")
        c = self.s[self.i]
        self.i += 1
        if c in _ZERO_WIDTH:
            return "zero", None
        if c in _CLASSES:
            return "class", None
        if c in _ESCAPED:
            return "literal", _ESCAPED[c]
        if c.isalnum():  # \x, \u, \N{...}, back-references, octal: not followed here
            raise _Unreadable("\\" + c)
        return "literal", c


# Under re.IGNORECASE, Python matches an ASCII letter with its other case and with these
# four characters only (checked over every code point in tests/test_prefilter.py).
_FOLD_TO_ASCII = str.maketrans({"İ": "i", "ı": "i", "ſ": "s", "K": "k"})
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


def caseless_key(text: str) -> str:
    """The text as a case-insensitive pattern's literals are looked for in it."""
    return text.translate(_FOLD_TO_ASCII).lower()


def required_literals(source: str, flags: int = 0) -> frozenset[str] | None:
    """Strings of which every match of the pattern contains at least one, each at least
    MIN_LITERAL characters; None when that cannot be said (then the pattern always runs).
    For a case-insensitive pattern they are lower case, ASCII, and looked for in
    `caseless_key(text)`: each literal is cut at its non-ASCII letters (whose case
    partners this reader does not follow) and its longest ASCII piece kept."""
    if flags & re.VERBOSE:
        return None
    reader = _Reader(source)
    try:
        need = reader.alternation()
    except (_Unreadable, ValueError, RecursionError):  # deeper nesting than re's own
        return None
    if reader.i != len(source) or need is None:  # an unbalanced ")"
        return None
    if flags & re.IGNORECASE:
        pieces = [max(_NOT_ASCII.split(literal.lower()), key=len) for literal in need]
        if min(map(len, pieces)) < MIN_LITERAL:
            return None
        need = frozenset(pieces)
    return need


class _Registry:
    """Every literal of every registered pattern, and which occur in recent texts."""

    MEMO = 64  # texts remembered (a text is read by many patterns one after another)

    def __init__(self) -> None:
        self._literals: dict[str, int] = {}
        self._automaton: ahocorasick_rs.AhoCorasick | None = None
        self._memo: dict[str, frozenset[int]] = {}
        self._keys: dict[str, str] = {}
        self._lock = threading.Lock()

    def register(self, literals: frozenset[str]) -> frozenset[int]:
        with self._lock:
            new = sorted(literals - self._literals.keys())
            if new:
                for literal in new:
                    self._literals[literal] = len(self._literals)
                # The automaton first, then the memo: a reader that still holds the old
                # memo writes only into it; one that sees the new memo sees no automaton.
                self._automaton = None
                self._memo = {}
            return frozenset(self._literals[literal] for literal in literals)

    def present(self, text: str) -> frozenset[int] | None:
        """The ids of the registered literals that occur in `text`; None when the text
        cannot be searched this way (a lone surrogate is not UTF-8): then anything may."""
        memo = self._memo
        found = memo.get(text)
        if found is not None:
            return found
        return self._scan(text, memo)

    def present_caseless(self, text: str) -> frozenset[int] | None:
        """`present` of the text's caseless key (the key is remembered with the text)."""
        key = self._keys.get(text)
        if key is None:
            if len(self._keys) >= self.MEMO:
                self._keys.clear()  # one call: safe while another thread inserts
            key = self._keys[text] = caseless_key(text)
        return self.present(key)

    def _scan(self, text: str, memo: dict[str, frozenset[int]]) -> frozenset[int] | None:
        automaton = self._automaton
        if automaton is None:
            with self._lock:
                if self._automaton is None:
                    self._automaton = ahocorasick_rs.AhoCorasick(list(self._literals))
                automaton = self._automaton
        try:
            matches = automaton.find_matches_as_indexes(text, overlapping=True)
        except UnicodeEncodeError:
            return None
        found = frozenset(i for i, _, _ in matches)
        if len(memo) >= self.MEMO:
            memo.clear()  # one call: safe while another thread inserts
        memo[text] = found
        return found


REGISTRY = _Registry()


class Pattern:
    """A compiled pattern that skips the scan when none of its required strings occurs
    in the text. The methods are those of `re.Pattern` the code uses."""

    __slots__ = ("_ids", "_present", "pattern", "regex")

    def __init__(self, source: str, flags: int = 0) -> None:
        self.regex = compile_fast(source, flags)
        self.pattern = source
        need = required_literals(source, flags)
        self._ids = None if need is None else REGISTRY.register(need)
        self._present = REGISTRY.present_caseless if flags & re.IGNORECASE \
            else REGISTRY.present

    def possible(self, text: str) -> bool:
        """False only when the pattern cannot match anywhere in `text`."""
        ids = self._ids
        if ids is None:
            return True
        present = self._present(text)
        return present is None or not ids.isdisjoint(present)

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.regex.search(text, pos) if self.possible(text) else None

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.regex.match(text, pos) if self.possible(text) else None

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self.regex.fullmatch(text) if self.possible(text) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.regex.finditer(text) if self.possible(text) else iter(())

    def findall(self, text: str) -> list[Any]:
        return self.regex.findall(text) if self.possible(text) else []

    def sub(self, repl: str | Callable[[re.Match[str]], str], text: str) -> str:
        return self.regex.sub(repl, text) if self.possible(text) else text

    def __repr__(self) -> str:
        return f"prefilter.Pattern({self.pattern!r})"

