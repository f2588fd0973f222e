"""Skip regular-expression scans that cannot match, found for many patterns in one pass.

Most of the analyzer's, the checks' and the graders' patterns find nothing in a given
email or reply, yet Python's engine still walks the whole text for each. Every pattern
compiled here is read once for the literal strings a match must contain (one of them at
least: "sorry" or "apolog" for an apology pattern); one Aho-Corasick pass over a text
(the `ahocorasick_rs` package, Rust) tells which of all those strings occur, and a pattern
none of whose strings occurs is not run. The answer is the same as running it: the
strings are read from Python's own parse of the pattern, and a pattern that requires
nothing of length 3 or more (or requires it only under scoped flags) always runs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import ahocorasick_rs

from agent.checks.factor import INTERNALS_CHANGED, REPEATS, compile_fast, parse, sre

MIN_LITERAL = 3  # shorter strings occur in nearly every text: no use as a filter
# Words in nearly every reply: a requirement that holds one of these filters little, so a
# requirement without any is preferred ("report|sue|ban" over "you").
_COMMON = frozenset({"you", "your", "the", "and", "our", "for", "with", "are", "will", "this",
                     "that", "have", "not", "can", "all", "any", "was", "has", "been", "from"})
SHORT_TEXT = 48  # characters: a line or a clause this short is scanned faster than it is
# looked up (`calmreply grade` 614-683 -> 642-706 replies/s, back to back)
_MAX_RUNS = 16  # ways a run of literal text may go, followed before it is cut

Need = frozenset[str] | None  # one of these strings is in every match; None: nothing known


def _need(tree: Any) -> Need:
    """What every match of a sequence of Python's parse holds: runs of literal text
    (each way optional characters, small classes and alternations of literal text may
    go), or what a required group or alternation holds; the longest such requirement."""
    candidates: list[frozenset[str]] = []
    runs = {""}  # the literal text just read, one string per way it may go
    for op, av in tree.data:
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue  # no width: the text either side of it is adjacent in a match
        exact = _exact([(op, av)])
        if exact is not None and len(runs) * len(exact) <= _MAX_RUNS:
            runs = {r + e for r in runs for e in exact}
            continue
        if op in REPEATS and av[0] >= 1 and (last := _exact(av[2].data)) is not None \
                and len(runs) * len(last) <= _MAX_RUNS:
            # "a+bcd": the last of the repeats leads what follows
            candidates.append(frozenset(r + e for r in runs for e in last))
            runs = set(last)
            continue
        candidates.append(frozenset(runs))
        runs = {""}
        inner: Need = None
        if op is sre.BRANCH:
            needs = [_need(alt) for alt in av[1]]
            if all(n is not None for n in needs):
                inner = frozenset().union(*needs)  # type: ignore[arg-type]
        elif op is sre.SUBPATTERN and not av[1] and not av[2]:  # no scoped flags
            inner = _need(av[3])
        elif op is sre.ATOMIC_GROUP:
            inner = _need(av)
        elif op in REPEATS and av[0] >= 1:
            inner = _need(av[2])
        if inner:
            candidates.append(inner)
    candidates.append(frozenset(runs))
    usable = [c for c in candidates if c and min(map(len, c)) >= MIN_LITERAL]
    if not usable:
        return None
    return max(usable, key=lambda c: (c.isdisjoint(_COMMON), min(map(len, c)), -len(c)))


def _exact(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """Every text a sequence of literal items can match, when there are few: literals,
    classes of literals, optional items and alternations of such, groups without flags;
    None otherwise."""
    out = {""}
    for op, av in items:
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue
        if op is sre.LITERAL:
            ways: frozenset[str] | None = frozenset(chr(av))
        elif op is sre.IN:
            ways = frozenset(chr(v) for _, v in av) if all(o is sre.LITERAL for o, _ in av) \
                else None
        elif op is sre.BRANCH:
            alts = [_exact(alt.data) for alt in av[1]]
            ways = None if None in alts else frozenset().union(*alts)  # type: ignore[arg-type]
        elif op is sre.SUBPATTERN and not av[1] and not av[2]:
            ways = _exact(av[3].data)
        elif op in REPEATS and av[0] == 0 and av[1] == 1:
            inner = _exact(av[2].data)
            ways = None if inner is None else inner | {""}
        else:
            ways = None
        if ways is None or len(out) * len(ways) > _MAX_RUNS:
            return None
        out = {o + w for o in out for w in ways}
    return frozenset(out)


# Under re.IGNORECASE, Python matches an ASCII letter with its other case and with these
# four characters only (checked over every code point in tests/test_prefilter.py).
_FOLD_TO_ASCII = str.maketrans({"İ": "i", "ı": "i", "ſ": "s", "K": "k"})
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


def caseless_key(text: str) -> str:
    """The text as a case-insensitive pattern's literals are looked for in it."""
    return text.translate(_FOLD_TO_ASCII).lower()


def required_literals(source: str, flags: int = 0) -> frozenset[str] | None:
    """Strings of which every match of the pattern contains at least one, each at least
    MIN_LITERAL characters, read from Python's own parse of it; None when that cannot be
    said (then the pattern always runs). For a case-insensitive pattern they are lower
    case, ASCII, and looked for in `caseless_key(text)`: each literal is cut at its
    non-ASCII letters (whose case partners are not followed) and its longest ASCII piece
    kept."""
    try:
        tree = parse(source, flags)
        need = None if tree is None else _need(tree)
    except (re.error, RecursionError, *INTERNALS_CHANGED):
        return None  # not a pattern, nested deeper than we recurse, another Python's parse
    if tree is None or need is None:
        return None
    if (flags | tree.state.flags) & re.IGNORECASE:
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
        # The compiled flags: an inline "(?i)" makes the pattern caseless too.
        self._present = REGISTRY.present_caseless if self.regex.flags & re.IGNORECASE \
            else REGISTRY.present

    def possible(self, text: str) -> bool:
        """False only when the pattern cannot match anywhere in `text`."""
        ids = self._ids
        if ids is None or len(text) < SHORT_TEXT:
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

