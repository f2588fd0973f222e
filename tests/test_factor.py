"""The rewritten patterns find exactly what Python finds with the originals."""

from __future__ import annotations

import random
import re
from re._constants import ASSERT, BRANCH

import pytest

from agent.checks.factor import compile_fast, rewritten
from tests import corpus


def _found(pattern: re.Pattern[str], text: str) -> list[tuple[object, ...]]:
    return [(m.span(), m.groups(), m.lastindex) for m in pattern.finditer(text)]


def test_a_word_list_becomes_a_trie_behind_a_first_letter_lookahead() -> None:
    tree = rewritten(r"\b(?:apple|banana|apricot|band)\b")
    assert tree is not None
    assert tree.data[0][0] is ASSERT  # the look-ahead for [ab]
    branch = next(av for op, av in tree.data if op is BRANCH)
    assert len(branch[1]) == 2  # a(pple|pricot) | ban(ana|d)
    fast = compile_fast(r"\b(?:apple|banana|apricot|band)\b")
    assert [m.group(0) for m in fast.finditer("an apricot, a band, bananas, apple")] == [
        "apricot", "band", "apple"]


@pytest.mark.parametrize(("source", "flags", "text", "expected"), [
    (r"a|ab", 0, "ab", ["a"]),  # the first alternative wins, not the longest
    (r"ab|a", 0, "ab", ["ab"]),
    (r"ab|b|ac", 0, "ac", ["ac"]),  # moved past "b", which cannot start where "a" does
    (r"ab|A|ac", re.I, "ac", ["a"]),  # not moved past "A": it starts where "a" does
    (r"ka|\u212a|kb", re.I, "kb", ["k"]),  # the Kelvin sign matches k: not moved past
    (r"ka|\u212a|kb", re.I, "\u212ab", ["\u212a"]),
    (r"ab|\w|ac", 0, "ac", ["a", "c"]),  # nor past a class
    (r"(?i:ab)|Ac", 0, "AB", ["AB"]),  # a scoped flag
])
def test_the_order_of_alternatives_is_kept(source: str, flags: int, text: str,
                                           expected: list[str]) -> None:
    assert [m.group(0) for m in compile_fast(source, flags).finditer(text)] == expected
    assert [m.group(0) for m in re.finditer(source, text, flags)] == expected


@pytest.mark.parametrize("source", [r"^\w+", r"\A(?:ab|ac)", r"(?m)^ab|^ac"])
def test_an_anchored_pattern_gets_no_lookahead(source: str) -> None:
    tree = rewritten(source)
    assert tree is not None and tree.data[0][0] is not ASSERT


def test_without_pythons_internals_patterns_run_as_written(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """re._parser missing (another Python), or its tree not what the rewrite expects:
    patterns compile as written and are never skipped. Slower, never wrong."""
    from agent.checks import factor, prefilter

    monkeypatch.setattr(factor, "_parser", None)
    assert factor.rewritten(r"\b(?:apple|apricot)") is None
    assert compile_fast(r"\b(?:apple|apricot)").findall("an apricot") == ["apricot"]
    assert prefilter.required_literals(r"\bapricot\b") is None
    assert prefilter.Pattern(r"\bzqxjv\b").possible("no such word") is True
    monkeypatch.undo()

    def changed(*args: object) -> None:
        raise AttributeError("'SubPattern' object has no attribute 'data'")

    monkeypatch.setattr(factor, "_factor_tree", changed)
    assert factor.rewritten(r"ab|ac") is None
    assert compile_fast(r"ab|ac").findall("ab ac") == ["ab", "ac"]


def test_a_verbose_pattern_is_rewritten_and_a_bad_one_refused() -> None:
    assert rewritten(r"a b | a c  # two", re.VERBOSE) is not None
    assert compile_fast(r"a b | a c  # two", re.VERBOSE).findall("ab ac") == ["ab", "ac"]
    with pytest.raises(re.error):
        compile_fast(r"(unbalanced")


@pytest.mark.parametrize(("source", "text"), [
    ("\U00010400", "\U00010428"),  # Deseret: Python's sets do not fold it under re.I
    ("\U00010400", "\U00010400"),
    (r"\b\U0001E900", "\U0001E922"),  # Adlam
    ("x?\U00010400", "\U00010428"),
])
def test_letters_beyond_the_basic_plane_get_no_lookahead_under_ignorecase(
        source: str, text: str) -> None:
    """Found by a fuzzer: a look-ahead set for these letters matched neither case."""
    assert _found(compile_fast(source, re.I), text) == _found(re.compile(source, re.I), text)
    assert _found(compile_fast(source, re.I), text)


def test_random_patterns_match_as_python_matches() -> None:
    """A seeded fuzz: alternations with shared first characters, the characters
    re.IGNORECASE folds onto ASCII letters, classes, repeats, groups and assertions."""
    rng = random.Random(12)
    alphabet = "abkskAK\u212a\u017f \n."
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
             for _ in range(60)]
    checked = 0
    for source, flags, plain in corpus.random_cases(rng, 4000, (0, re.I, re.M)):
        fast = compile_fast(source, flags)
        for text in texts:
            assert _found(fast, text) == _found(plain, text), (source, flags, text)
        checked += 1
    assert checked > 10_000


def test_every_pattern_in_the_code_matches_as_written_over_the_corpus() -> None:
    patterns = corpus.code_patterns()
    texts = corpus.texts()
    assert len(patterns) > 250 and len(texts) > 2000
    rewrote = 0
    for pattern in patterns:
        plain = re.compile(pattern.pattern, pattern.regex.flags)
        rewrote += rewritten(pattern.pattern, pattern.regex.flags) is not None
        for text in texts:
            assert _found(pattern.regex, text) == _found(plain, text), (
                pattern.pattern[:80], text[:80])
    assert rewrote > 250
