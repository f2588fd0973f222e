"""Compile a pattern into an equivalent one that Python's engine runs faster.

Python's engine tries the alternatives of `(?:apple|apricot|banana|...)` one by one at
every position of the text, and under re.IGNORECASE without the quick first-letter test
it uses otherwise. Our word lists have hundreds of alternatives, so most of a scan is
spent there. This module rewrites Python's own parse of the pattern (not the pattern
text), in two ways that cannot change what matches, where, or in which order the
alternatives are tried:

- Alternatives that begin with the same single character are tried under that character
  once: `ab|c|ad` becomes `a(?:b|d)|c`, and recursively, so a word list becomes a trie.
  An alternative moves forward only past alternatives that cannot begin with any
  character it can begin with, so at every position the alternatives that can match
  there are tried in their written order.
- A pattern that begins with something of no width (a word boundary, a look-behind) gets
  a look-ahead for the characters a match can begin with, so most positions are
  rejected by one set test.

Whatever this module does not follow is left as it was. `tests/test_factor.py` runs the
rewritten and the original pattern side by side on our corpus.
"""

from __future__ import annotations

import re
from typing import Any

# Python's own parser and compiler are internals (re._parser, re._compiler, re._constants:
# their shape changes little between releases, but they are no public API), and this
# module is the one place that touches them. Where they are missing or not what this was
# written for, every pattern compiles as written and the prefilter reads nothing: slower,
# never wrong (tests/test_factor.py checks both ways).
try:
    from re import _compiler, _parser  # type: ignore[attr-defined]
    from re import _constants as sre

    REPEATS: tuple[Any, ...] = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
    _ANCHORS: tuple[Any, ...] = (sre.AT_BEGINNING, sre.AT_BEGINNING_LINE,
                                 sre.AT_BEGINNING_STRING)
except (ImportError, AttributeError):  # pragma: no cover - another Python
    _compiler = _parser = sre = None
    REPEATS = _ANCHORS = ()
# What a Python whose internals differ raises while its tree is read or rewritten.
INTERNALS_CHANGED = (AttributeError, TypeError, ValueError, IndexError, KeyError)


def parse(source: str, flags: int = 0) -> Any | None:
    """Python's parse of a pattern (its tree of opcodes); None when this Python's
    internals are not available. A pattern Python rejects raises `re.error`."""
    if _parser is None:
        return None
    try:
        return _parser.parse(source, flags)
    except (*INTERNALS_CHANGED, RecursionError):
        return None


def compile_fast(source: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(source, flags)`, rewritten as above; the plain compile when the
    pattern uses what the rewrite does not follow."""
    tree = rewritten(source, flags)
    if tree is None:
        return re.compile(source, flags)
    try:
        return _compiler.compile(tree, flags)
    except INTERNALS_CHANGED:
        return re.compile(source, flags)


def rewritten(source: str, flags: int = 0) -> Any | None:
    """Python's parse of the pattern, rewritten; None when it cannot be (a Python whose
    internals are not the ones this was written for)."""
    if flags & re.DEBUG:  # the compile prints its code
        return None
    tree = parse(source, flags)
    if tree is None:
        return None
    try:
        ignorecase = bool((flags | tree.state.flags) & re.IGNORECASE)
        _factor_tree(tree, ignorecase)
        _lead(tree, ignorecase)
    except INTERNALS_CHANGED:
        return None
    return tree


# --- alternatives under a shared first character ------------------------------------------
def _factor_tree(tree: Any, ignorecase: bool) -> None:
    # The parser cached each group's width; every rewrite here keeps widths as they were.
    data = []
    for op, av in tree.data:
        if op is sre.BRANCH:
            for alt in av[1]:
                _factor_tree(alt, ignorecase)
            alts = _factored(av[1], tree.state, ignorecase)
            if len(alts) == 1:  # every alternative shared its head: no branch left
                data += alts[0].data
                continue
            av = (None, alts)
        elif op is sre.SUBPATTERN:
            scoped = (ignorecase or bool(av[1] & re.IGNORECASE)) and not av[2] & re.IGNORECASE
            _factor_tree(av[3], scoped)
        elif op in REPEATS:
            _factor_tree(av[2], ignorecase)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            _factor_tree(av[1], ignorecase)
        elif op is sre.ATOMIC_GROUP:
            _factor_tree(av, ignorecase)
        elif op is sre.GROUPREF_EXISTS:
            _factor_tree(av[1], ignorecase)
            if av[2] is not None:
                _factor_tree(av[2], ignorecase)
        data.append((op, av))
    tree.data[:] = data


def _head(alt: Any) -> tuple[Any, Any] | None:
    """The first item of an alternative when it matches exactly one character, without
    choices (a literal or a character set), or no character (a word boundary)."""
    if not alt.data:
        return None
    op, av = alt.data[0]
    return (op, av) if op in (sre.LITERAL, sre.IN, sre.AT) else None


def _first_set(alt: Any, ignorecase: bool) -> frozenset[str] | None:
    """The characters a match of the alternative can begin with, when a short list
    says it (under re.IGNORECASE: ASCII only, lower-cased; the only other characters
    that match an ASCII letter, İ ı ſ and the Kelvin sign, each match one letter)."""
    items = _firsts(alt)
    if items is None:
        return None
    chars: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            chars.add(chr(av))
        elif op is sre.RANGE and av[1] - av[0] < 128:
            chars.update(map(chr, range(av[0], av[1] + 1)))
        else:
            return None
    if ignorecase:
        if not all(c.isascii() for c in chars):
            return None
        chars = {c.lower() for c in chars}
    return frozenset(chars)


class _Bucket:
    """Alternatives that share a head, and the characters any of them can begin with."""

    def __init__(self, head: tuple[Any, Any] | None, alt: Any,
                 firsts: frozenset[str] | None) -> None:
        self.head, self.alts, self.firsts = head, [alt], firsts

    def add(self, alt: Any, firsts: frozenset[str] | None) -> None:
        self.alts.append(alt)
        self.firsts = None if self.firsts is None or firsts is None else self.firsts | firsts


def _factored(alts: list[Any], state: Any, ignorecase: bool) -> list[Any]:
    # An alternative joins an earlier bucket with its head only past buckets that cannot
    # begin where it begins: at any position, the alternatives that can match there are
    # still tried in their written order.
    buckets: list[_Bucket] = []
    for alt in alts:
        head = _head(alt)
        firsts = _first_set(alt, ignorecase)
        target = None
        if head is not None:
            for bucket in reversed(buckets):
                if bucket.head == head:
                    target = bucket
                    break
                if firsts is None or bucket.firsts is None or not firsts.isdisjoint(
                        bucket.firsts):
                    break
        if target is None:
            buckets.append(_Bucket(head, alt, firsts))
        else:
            target.add(alt, firsts)
    out = []
    for bucket in buckets:
        head, group = bucket.head, bucket.alts
        if head is None or len(group) == 1:
            out.extend(group)
            continue
        rests = [_parser.SubPattern(state, alt.data[1:]) for alt in group]
        joined = _parser.SubPattern(state, [head, (sre.BRANCH, (None, _factored(
            rests, state, ignorecase)))])
        out.append(joined)
    return out


# --- a look-ahead for the first character --------------------------------------------------
def _lead(tree: Any, ignorecase: bool) -> None:
    if not tree.data:
        return
    op, av = tree.data[0]
    if (op is sre.AT and av in _ANCHORS) or (op in (sre.LITERAL, sre.IN) and not ignorecase):
        return  # tried at one position only, or the engine skips ahead by itself
    items = _firsts(tree)
    if items and ignorecase and any(_astral(op, av) for op, av in items):
        return  # Python's sets do not fold letters above U+FFFF under IGNORECASE
    if items:
        look = _parser.SubPattern(tree.state, [(sre.IN, items)])
        tree.data.insert(0, (sre.ASSERT, (1, look)))


def _astral(op: Any, av: Any) -> bool:
    """A set item that reaches beyond the Basic Multilingual Plane. CPython 3.11 keeps such
    a letter in a case-insensitive set as written, so `[\U00010400]` under re.IGNORECASE
    matches neither case of it while the literal matches both (found by a fuzzer)."""
    return (op is sre.LITERAL and av > 0xFFFF) or (op is sre.RANGE and av[1] > 0xFFFF)


def _firsts(tree: Any) -> list[Any] | None:
    """Set items for every character a match of `tree` can begin with; None if unsure or
    if it can match the empty string."""
    found = _starts(tree)
    return None if found is None or found[1] else found[0]


def _starts(tree: Any) -> tuple[list[Any], bool] | None:
    """The set items a match can begin with, and whether it can be empty."""
    out: list[Any] = []
    for op, av in tree.data:
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue  # no width
        if op is sre.LITERAL:
            return [*out, (sre.LITERAL, av)], False
        if op is sre.IN:
            return None if any(o is sre.NEGATE for o, _ in av) else ([*out, *av], False)
        if op is sre.SUBPATTERN and not av[1] and not av[2]:
            inner = _starts(av[3])
        elif op is sre.BRANCH:
            alts = [_starts(alt) for alt in av[1]]
            inner = None if None in alts else (
                [i for a in alts if a for i in a[0]], any(a[1] for a in alts if a))
        elif op in REPEATS:
            inner = _starts(av[2])
            inner = None if inner is None else (inner[0], inner[1] or av[0] == 0)
        else:
            return None
        if inner is None:
            return None
        out += inner[0]
        if not inner[1]:
            return out, False
    return out, True
