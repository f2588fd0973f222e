"""Text as every check reads it: one normaliser, one sentence splitter, one span type.

`clean` is what the input side applies to customer text and what language detection
reads: NFKC, with invisible characters removed (zero-width, bidi controls, Unicode tag
characters, combining grapheme joiners, variation selectors, soft hyphens). `fold` goes
further for matching: it also maps Latin look-alike letters from other scripts to Latin,
so 'ｒｅｆｕｎｄ', 're\u200bfund', 're\u034ffund' and 'rеfund' (Cyrillic е) all read 'refund'.
Spans found in folded text quote the folded text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from agent.checks.prefilter import Pattern


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


Sentence = Span  # a sentence is a span of the text (its text stripped of outer spaces)


# Format characters (Cf: zero-width, bidi, tags, soft hyphen) plus the invisible marks that
# are not Cf: combining grapheme joiner, variation selectors, Hangul fillers, Mongolian FVS.
_INVISIBLE_EXTRA = frozenset([0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x180B, 0x180C, 0x180D,
                              0x180F, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)])


def _is_invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf" or ord(ch) in _INVISIBLE_EXTRA


# Characters that could be invisible: a fast pre-check before the per-character pass.
_MAYBE_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U000110bd\U000110cd"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")


def strip_invisible(text: str) -> str:
    if not _MAYBE_INVISIBLE.search(text):
        return text
    return "".join(ch for ch in text if not _is_invisible(ch))


@lru_cache(maxsize=4096)
def clean(text: str) -> str:
    """NFKC without invisible characters: what a reader sees, one code point per letter."""
    if text.isascii():
        return text
    return strip_invisible(unicodedata.normalize("NFKC", text))


# Letters from other scripts that look Latin; enough to defeat look-alike spelling.
_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ѕ": "s", "ј": "j", "ԁ": "d", "ո": "n", "ս": "u", "ɡ": "g", "ο": "o", "α": "a",
    "ν": "v", "ρ": "p", "τ": "t", "κ": "k", "ι": "i", "ε": "e", "һ": "h", "ɑ": "a",
    "ԛ": "q", "ԝ": "w", "ɩ": "i", "ᴠ": "v", "ʏ": "y", "ɪ": "i",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Α": "A", "Β": "B",
    "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "’": "'", "‘": "'", "‛": "'", "ʼ": "'", "“": '"', "”": '"', "„": '"',
})


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """`clean`, with look-alike letters and curly quotes mapped to plain Latin/ASCII."""
    if text.isascii():
        return text
    return clean(text).translate(_CONFUSABLES)


# A sentence ends at . ! ? (with closing quotes/brackets) before white space, at a blank
# line, and at a line break after a greeting or list punctuation or before a list item. A
# line break inside a hard-wrapped sentence ("You charged me\n$71.96") does not end it, nor
# does a full stop inside a token ($14.99, e.g., 1.299,50).
_SENTENCE_END = re.compile(
    r"(?:[.!?。！？]+[\"')\]»”’]*(?=\s|$)|\n[ \t]*\n|(?<=[,:;])[ \t]*\n|"
    r"\n(?=[ \t]*(?:[-*•>]|\d{1,2}[.)])\s))\s*")


@lru_cache(maxsize=8192)
def sentences(text: str) -> tuple[Sentence, ...]:
    """The sentences of `text`, with their offsets (blank ones left out). Cached: every
    check asks for the same text's sentences."""
    out: list[Sentence] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        piece = text[start:m.end()]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append(Sentence(start + lead, m.end(), piece.strip()))
        start = m.end()
    tail = text[start:]
    if tail.strip():
        lead = len(tail) - len(tail.lstrip())
        out.append(Sentence(start + lead, len(text), tail.strip()))
    return tuple(out)


def containing(parts: Sequence[Sentence], pos: int) -> Sentence | None:
    """The part (a sentence, usually) that holds offset `pos`, if any."""
    return next((part for part in parts if part.start <= pos < part.end), None)


def pieces(text: str, breaks: re.Pattern[str]) -> list[Span]:
    """`text` cut at every match of `breaks` (clause or phrase breaks), breaks left out."""
    out: list[Span] = []
    start = 0
    for m in breaks.finditer(text):
        out.append(Span(start, m.start(), text[start:m.start()]))
        start = m.end()
    out.append(Span(start, len(text), text[start:]))
    return out


def piece_at(text: str, pos: int, breaks: re.Pattern[str]) -> Span:
    """The piece of `text` (cut at `breaks`) that holds offset `pos`; inside a break, the
    piece after it."""
    parts = pieces(text, breaks)
    return next((part for part in parts if pos < part.end), parts[-1])


def spans(pattern: re.Pattern[str], text: str) -> list[Span]:
    return [Span(m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]


_ESCAPE_OR_TEXT = re.compile(r"(\\.)|([^\\]+)", re.S)


def lowered(pattern: str) -> str:
    """The pattern with its literal text lower-cased; escapes such as \\S stay as they are."""
    low = _ESCAPE_OR_TEXT.sub(lambda m: m.group(1) or m.group(2).lower(), pattern)
    return low.replace("(?p<", "(?P<").replace("(?p=", "(?P=")  # named groups keep their P


@lru_cache(maxsize=8192)
def lower(text: str) -> str:
    return text.lower()


class Caseless:
    """A case-insensitive pattern that runs in lower case on lower-cased text (several
    times faster than re.IGNORECASE in Python's engine) and quotes its matches from the
    original text. Text whose length lower-casing changes uses the IGNORECASE form."""

    def __init__(self, source: str) -> None:
        self.any_case = re.compile(source, re.IGNORECASE)
        self.in_lower = Pattern(lowered(source))

    def _pair(self, text: str) -> tuple[re.Pattern[str] | Pattern, str]:
        low = lower(text)
        return (self.in_lower, low) if len(low) == len(text) else (self.any_case, text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Matches on the lower-cased text: positions hold for `text`; quote `text`."""
        pattern, low = self._pair(text)
        return pattern.finditer(low)

    def spans(self, text: str) -> list[Span]:
        return [Span(m.start(), m.end(), text[m.start():m.end()]) for m in self.finditer(text)]

    def search(self, text: str) -> bool:
        pattern, low = self._pair(text)
        return pattern.search(low) is not None
