"""The prefilter skips a pattern only when it could not have matched."""

from __future__ import annotations

import random
import re

import pytest

from agent.checks.prefilter import (
    MIN_LITERAL,
    SHORT_TEXT,
    Pattern,
    caseless_key,
    required_literals,
)
from tests import corpus

_PAD = " and a few more words" * 3  # a text this long is looked up, not just searched
assert len(_PAD) >= SHORT_TEXT


@pytest.mark.parametrize(("source", "need"), [
    (r"\bsorry\b", {"sorry"}),
    (r"\b(sorry|apologi[sz]e)\b", {"sorry", "apologise", "apologize"}),  # a small class
    (r"bags?\s+lost", {"lost"}),  # of "bag" and "lost", the longer
    (r"refund(ed|s)?\s+in\s+full", {"refund", "refunded", "refunds"}),  # an optional group
    (r"(?<!\bnot\s)(?:charged|billed)\s+twice", {"charged", "billed"}),
    (r"(?P<kw>order|ticket)\s*#", {"order", "ticket"}),
    (r"(?=[st])(?:sorry|thanks)", {"sorry", "thanks"}),
    (r"colou?r(?:ful)+", {"colorful", "colourful"}),  # an optional letter: both ways
    (r"\bok'?d\b", {"okd", "ok'd"}),
    (r"a+bcd", {"abcd"}),  # the last of the repeats leads what follows
    (r"t(?:aken|ook)\b", {"taken", "took"}),  # as Python factors "taken|took"
    (r"x{2,}yz", {"xyz"}),
    # A word in nearly every reply filters nothing: the other requirement, though shorter.
    (r"(?:sue|ban)\s+you", {"sue", "ban"}),
    (r"\byour\s+(?:acc|bill)", {"acc", "bill"}),
])
def test_reads_what_every_match_holds(source: str, need: set[str]) -> None:
    found = required_literals(source)
    assert found is not None
    assert found == need


@pytest.mark.parametrize(("source", "need"), [
    (r"\bSorry\b", {"sorry"}),
    (r"tel[eé]fono|teléfono", {"telefono", "fono"}),  # cut at the accent: its case
    # partner is not followed
    (r"m[oó]vil\b|handy", {"movil", "vil", "handy"}),
])
def test_a_caseless_pattern_needs_lower_case_ascii(source: str, need: set[str]) -> None:
    assert required_literals(source, re.IGNORECASE) == need


def test_the_caseless_key_holds_every_ascii_character_ignorecase_matches() -> None:
    """Over every code point: whatever re.IGNORECASE lets stand for an ASCII character
    is that character (lower case) in `caseless_key`."""
    ascii_ = re.compile(r"[\x00-\x7f]", re.IGNORECASE)
    for point in range(0x110000):
        if 0xD800 <= point <= 0xDFFF:
            continue
        char = chr(point)
        if ascii_.fullmatch(char):
            key = caseless_key(char)
            assert len(key) == 1 and key.isascii(), hex(point)
            assert re.fullmatch(re.escape(key), char, re.IGNORECASE), hex(point)
    assert {c for c in "İıſK" if ascii_.fullmatch(c)} == set("İıſK")  # the four are seen
    for source, text in ((r"\bsafe\b", "ſafe"), (r"\bkeep\b", "\u212aeep"),
                         (r"\binvoice\b", "İnvoice"), (r"\binvoice\b", "ınvoice"),
                         (r"\bphone\b", "Call my PHONE")):
        assert Pattern(source, re.IGNORECASE).search(text + _PAD), text
    assert Pattern(r"\bphone\b", re.IGNORECASE).search("no telephones here" + _PAD) is None


@pytest.mark.parametrize(("source", "flags", "need"), [
    (r"sorry  # comment", re.VERBOSE, {"sorry"}),  # read as Python reads it
    (r"(?i)Sorry", 0, {"sorry"}),  # a global flag inside the pattern
    (r"\x41pple", 0, {"Apple"}),  # escapes, as Python decodes them
    (r"\101bcd", 0, {"Abcd"}),  # octal "A"
    ("abc{\u0662}def", 0, {"abc{\u0662}def"}),  # a brace with a non-ASCII digit is text
    (r"ab{", 0, {"ab{"}),  # so is a brace that is not a repeat
    ("(?:" * 400 + "abcd" + ")" * 400, 0, {"abcd"}),  # deep nesting
    (r"(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\10xy", 0, {"abcdefghij"}),  # groups of text
])
def test_reads_what_python_reads(source: str, flags: int, need: set[str]) -> None:
    assert required_literals(source, flags) == need


@pytest.mark.parametrize(("source", "flags"), [
    (r"(?i:sorry)", 0),  # scoped flags
    (r"(\w+)\1xy", 0),  # a back-reference holds unknown text
    (r"(sorry|no)", 0),  # one branch holds nothing long enough
    (r"(?:sorry)?", 0),  # optional: a match may hold nothing
    (r"\d{5}", 0),
    (r"abc)", 0),  # unbalanced: re.compile rejects it anyway
])
def test_what_it_cannot_read_always_runs(source: str, flags: int) -> None:
    assert required_literals(source, flags) is None


def test_an_inline_ignorecase_flag_is_read_as_caseless() -> None:
    """Found by a fuzzer: the literals were lower-cased for "(?i)" but looked for in the
    text as written."""
    assert Pattern("(?i)abcd").search("ABCD" + _PAD) is not None
    assert Pattern("(?i)abcd").search("no match here" + _PAD) is None


def test_a_short_text_is_not_looked_up_but_searched() -> None:
    pattern = Pattern(r"\bzqxjv\b")
    assert pattern.possible("a short line") is True  # cheaper to search than to look up
    assert pattern.possible("a line long enough to be looked up " * 2) is False
    assert pattern.search("a short line") is None


def test_short_strings_are_no_filter() -> None:
    assert required_literals("ab") is None and MIN_LITERAL == 3


def test_a_skipped_pattern_finds_nothing_and_a_run_one_finds_everything() -> None:
    pattern = Pattern(r"\bcharged\s+twice\b")
    assert not pattern.possible("we were billed once" + _PAD)
    assert pattern.search("we were billed once" + _PAD) is None
    assert [m.span() for m in pattern.finditer("charged twice, charged  twice" + _PAD)] == [
        (0, 13), (15, 29)]
    assert pattern.sub("X", "you charged twice" + _PAD) == "you X" + _PAD
    assert pattern.findall("nothing here" + _PAD) == []


def test_a_pattern_added_after_a_text_was_read_still_matches_it() -> None:
    text = "the parcel was quarantined by customs zyxwvut" + _PAD
    assert Pattern(r"quarantined").search(text)  # the text's literals are remembered now
    late = Pattern(r"zyxwvut")  # a literal no pattern had: the automaton is rebuilt
    assert late.search(text) is not None


def test_random_patterns_are_never_skipped_where_they_match() -> None:
    """A seeded fuzz over the constructs Python's parse has (shared prefixes, optional
    and repeated letters, classes, groups, assertions, flags): a pattern is skipped only
    where it finds nothing."""
    rng = random.Random(7)
    alphabet = "abkAK\u212a '"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
             + " " * SHORT_TEXT for _ in range(60)]  # long enough to be looked up
    skipped = 0
    for source, flags, plain in corpus.random_cases(rng, 3000, (0, re.I), literal_runs=True):
        pattern = Pattern(source, flags)
        for text in texts:
            if not pattern.possible(text):
                skipped += 1
                assert plain.search(text) is None, (source, flags, text)
    assert skipped > 10_000


def test_text_the_automaton_cannot_read_runs_every_pattern() -> None:
    text = "refund\ud800 approved" + _PAD  # a lone surrogate is not UTF-8
    assert Pattern(r"refund").search(text) is not None


def test_no_pattern_in_the_code_is_skipped_where_it_matches() -> None:
    """Every prefiltered pattern the analyzer, the checks and the graders compile, over
    every suite email and gold reply (folded and lower-cased, as most patterns read
    them): skipped only where Python's engine finds nothing."""
    patterns = corpus.code_patterns()
    assert len(patterns) > 250
    texts = corpus.texts()
    assert len(texts) > 2000
    skipped = 0
    for pattern in patterns:
        for text in texts:
            if not pattern.possible(text):
                skipped += 1
                assert pattern.regex.search(text) is None, (pattern.pattern[:80], text[:80])
    assert skipped > len(patterns) * len(texts) // 2  # the filter does skip
