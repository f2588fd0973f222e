"""Compile a pattern into an equivalent one that Python's engine runs faster.

Python's engine tries the alternatives of `(?:apple|apricot|banana|...)` one by one at
every position of the text, and under re.IGNORECASE without the quick first-letter test
it uses otherwise. Our word lists have hundreds of alternatives, so most of a scan is
spent there. This module rewrites Python's own parse of the pattern (not the pattern
text), in two ways that cannot change what matches, where, or in which order the
alternatives are tried:

- Alternatives that begin with the same single character are tried under that character
  once: `ab|c|ad` becomes `a(?:b|d)|c`, and recursively, so a word list becomes a trie.
  An alternative moves forward only past alternatives that begin with a different
  literal character (no text character can start both), so the first alternative that
  can match at a position is still the first one tried.
- A pattern that begins with something of no width (a word boundary, a look-behind) gets
  a look-ahead for the characters a match can begin with, so most positions are
  rejected by one set test.

Whatever this module does not follow is left as it was. `tests/test_factor.py` runs the
rewritten and the original pattern side by side on our corpus.
"""

from __future__ import annotations

import re
from re import _compiler, _parser  # type: ignore[attr-defined]
from re._constants import (
    ASSERT,
    ASSERT_NOT,
    AT,
    AT_BEGINNING,
    AT_BEGINNING_LINE,
    AT_BEGINNING_STRING,
    ATOMIC_GROUP,
    BRANCH,
    GROUPREF_EXISTS,
    IN,
    LITERAL,
    MAX_REPEAT,
    MIN_REPEAT,
    NEGATE,
    POSSESSIVE_REPEAT,
    SUBPATTERN,
)
from typing import Any

_REPEATS = (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT)
_ANCHORS = (AT_BEGINNING, AT_BEGINNING_LINE, AT_BEGINNING_STRING)


def compile_fast(source: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(source, flags)`, rewritten as above; the plain compile when the
    pattern uses what the rewrite does not follow."""
    tree = rewritten(source, flags)
    if tree is None:
        return re.compile(source, flags)
    return _compiler.compile(tree, flags)


def rewritten(source: str, flags: int = 0) -> Any | None:
    """Python's parse of the pattern, rewritten; None when it cannot be (verbose or
    locale patterns, or a Python whose parser is not the one this was written for)."""
    if flags & (re.VERBOSE | re.LOCALE | re.DEBUG):
        return None
    try:
        tree = _parser.parse(source, flags)
        ignorecase = bool((flags | tree.state.flags) & re.IGNORECASE)
        _factor_tree(tree, ignorecase)
        _lead(tree, ignorecase)
    except (AttributeError, TypeError, ValueError, IndexError):
        return None
    return tree


# --- alternatives under a shared first character ------------------------------------------
def _factor_tree(tree: Any, ignorecase: bool) -> None:
    data = []
    for op, av in tree.data:
        if op is BRANCH:
            for alt in av[1]:
                _factor_tree(alt, ignorecase)
            alts = _factored(av[1], tree.state, ignorecase)
            if len(alts) == 1:  # every alternative shared its head: no branch left
                data += alts[0].data
                continue
            av = (None, alts)
        elif op is SUBPATTERN:
            scoped = (ignorecase or bool(av[1] & re.IGNORECASE)) and not av[2] & re.IGNORECASE
            _factor_tree(av[3], scoped)
        elif op in _REPEATS:
            _factor_tree(av[2], ignorecase)
        elif op in (ASSERT, ASSERT_NOT):
            _factor_tree(av[1], ignorecase)
        elif op is ATOMIC_GROUP:
            _factor_tree(av, ignorecase)
        elif op is GROUPREF_EXISTS:
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
    return (op, av) if op in (LITERAL, IN, AT) else None


def _exclusive(a: tuple[Any, Any] | None, b: tuple[Any, Any] | None, ignorecase: bool) -> bool:
    """Whether no text character can begin a match of both: two different literals (under
    re.IGNORECASE, two ASCII characters of different lower case: the only other
    characters that match an ASCII letter, İ ı ſ and the Kelvin sign, each match one)."""
    if a is None or b is None or a[0] is not LITERAL or b[0] is not LITERAL:
        return False
    x, y = chr(a[1]), chr(b[1])
    if not ignorecase:
        return x != y
    return x.isascii() and y.isascii() and x.lower() != y.lower()


def _factored(alts: list[Any], state: Any, ignorecase: bool) -> list[Any]:
    # Buckets of alternatives with the same head, in order; an alternative joins an
    # earlier bucket only past buckets whose literal heads exclude its own.
    buckets: list[tuple[tuple[Any, Any] | None, list[Any]]] = []
    for alt in alts:
        head = _head(alt)
        target = None
        if head is not None:
            for j in range(len(buckets) - 1, -1, -1):
                key = buckets[j][0]
                if key == head:
                    target = j
                    break
                if head[0] is not LITERAL or not _exclusive(key, head, ignorecase):
                    break
        if target is None:
            buckets.append((head, [alt]))
        else:
            buckets[target][1].append(alt)
    out = []
    for head, group in buckets:
        if head is None or len(group) == 1:
            out.extend(group)
            continue
        rests = [_parser.SubPattern(state, alt.data[1:]) for alt in group]
        joined = _parser.SubPattern(state, [head, (BRANCH, (None, _factored(
            rests, state, ignorecase)))])
        out.append(joined)
    return out


# --- a look-ahead for the first character --------------------------------------------------
def _lead(tree: Any, ignorecase: bool) -> None:
    if not tree.data:
        return
    op, av = tree.data[0]
    if (op is AT and av in _ANCHORS) or (op in (LITERAL, IN) and not ignorecase):
        return  # tried at one position only, or the engine skips ahead by itself
    items = _firsts(tree)
    if items:
        look = _parser.SubPattern(tree.state, [(IN, items)])
        tree.data.insert(0, (ASSERT, (1, look)))


def _firsts(tree: Any) -> list[Any] | None:
    """Set items for every character a match of `tree` can begin with; None if unsure."""
    for op, av in tree.data:
        if op in (AT, ASSERT, ASSERT_NOT):
            continue  # no width
        if op is LITERAL:
            return [(LITERAL, av)]
        if op is IN:
            return None if any(o is NEGATE for o, _ in av) else list(av)
        if op is SUBPATTERN and not av[1] and not av[2] and av[3].getwidth()[0] > 0:
            return _firsts(av[3])
        if op is BRANCH:
            out: list[Any] = []
            for alt in av[1]:
                items = _firsts(alt) if alt.getwidth()[0] > 0 else None
                if items is None:
                    return None
                out += items
            return out
        if op in _REPEATS and av[0] >= 1:
            return _firsts(av[2])
        return None
    return None
