"""Word lists per language (`<code>.yaml` beside this file), compiled once.

Each concept (refund, credit, paid, negation, credential, ask, meta, instruct, mocking,
secret, and for threats: threat, penalty, condition, hostile, consequence, otherwise,
benign) is a list of regular-expression fragments per language; the checks match every
language at once, since a reply's language is not known in advance and an attacker may mix
them. Number words, scales and currency words are tables that `agent/checks/money.py` uses
to read amounts written in words ("five thousand dollars", "quinientos euros", "fünftausend
Euro").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agent.checks.prefilter import Pattern
from agent.checks.text import Caseless, Span
from agent.language_tables import LANGUAGES, longest_first, read_table

WORDS_DIR = Path(__file__).resolve().parent
CONCEPTS = ("refund", "credit", "multiplier", "paid", "negation", "credential", "ask", "meta",
            "instruct", "mocking", "secret", "threat", "penalty", "condition", "hostile",
            "consequence", "otherwise", "benign")


@dataclass(frozen=True)
class Lexicon:
    concepts: dict[str, Caseless]
    units: dict[str, int]  # number word -> value ("five" -> 5, "quinientos" -> 500)
    scales: dict[str, int]  # "hundred" -> 100, "mil" -> 1000
    joiners: frozenset[str]  # "and", "y", "und": allowed between number words
    currencies: dict[str, str]  # currency word pattern -> ISO code
    number_word: Pattern  # one number word (unit or scale), for the money parser
    languages: dict[str, frozenset[str]]  # number or currency word pattern -> languages

    def find(self, concept: str, text: str) -> list[Span]:
        """Every match, quoted from `text` itself."""
        return self.concepts[concept].spans(text)

    def has(self, concept: str, text: str) -> bool:
        return self.concepts[concept].search(text)

    def currency(self, word: str) -> str | None:
        low = word.lower()
        for pattern, code in self.currencies.items():
            if re.fullmatch(pattern, low):
                return code
        return None

    def same_language(self, number: str, currency: str) -> bool:
        """Whether one language has both words ('um real', 'one euro'; not 'a real')."""
        def of(word: str, patterns: list[str]) -> frozenset[str]:
            low = word.lower()
            return frozenset().union(*(self.languages[p] for p in patterns
                                       if re.fullmatch(p, low)))

        return not of(number, [*self.units, *self.scales]).isdisjoint(
            of(currency, list(self.currencies)))

    def number_value(self, word: str) -> tuple[str, int] | None:
        """('unit'|'scale', value) of one number word."""
        low = word.lower()
        for table, kind in ((self.units, "unit"), (self.scales, "scale")):
            for pattern, value in table.items():
                if re.fullmatch(pattern, low):
                    return kind, value
        return None


class WordList(BaseModel):
    """One language's file: regex fragments per concept, and number and currency tables."""

    model_config = ConfigDict(extra="forbid")

    language: str
    refund: list[str] = []
    credit: list[str] = []
    multiplier: list[str] = []
    paid: list[str] = []
    negation: list[str] = []
    credential: list[str] = []
    ask: list[str] = []
    meta: list[str] = []
    instruct: list[str] = []
    mocking: list[str] = []
    secret: list[str] = []
    threat: list[str] = []
    penalty: list[str] = []
    condition: list[str] = []
    hostile: list[str] = []
    consequence: list[str] = []
    otherwise: list[str] = []
    benign: list[str] = []
    parts: dict[str, str] = {}  # named pieces, written {{name}} in the fragments above
    number_units: dict[str, int] = {}
    number_scales: dict[str, int] = {}
    number_joiners: list[str] = []
    currency_words: dict[str, str] = {}


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    tables = [read_table(WORDS_DIR, code, WordList) for code in LANGUAGES]
    concepts: dict[str, Caseless] = {}
    for concept in CONCEPTS:
        fragments = [_expand(f, t.parts) for t in tables for f in getattr(t, concept)]
        concepts[concept] = Caseless(r"(?<![\w])(?:" + longest_first(fragments) + r")(?![\w])")
    units: dict[str, int] = {}
    scales: dict[str, int] = {}
    joiners: set[str] = set()
    currencies: dict[str, str] = {}
    languages: dict[str, set[str]] = {}
    for t in tables:
        units.update(t.number_units)
        scales.update(t.number_scales)
        joiners.update(t.number_joiners)
        currencies.update(t.currency_words)
        for word in (*t.number_units, *t.number_scales, *t.currency_words):
            languages.setdefault(word, set()).add(t.language)
    number_word = Pattern(longest_first([*units, *scales]), re.IGNORECASE)
    return Lexicon(concepts, units, scales, frozenset(joiners), currencies, number_word,
                   {word: frozenset(codes) for word, codes in languages.items()})


_PART = re.compile(r"\{\{(\w+)\}\}")


def _expand(fragment: str, parts: dict[str, str]) -> str:
    """The fragment with each {{name}} replaced by its file's part of that name."""
    return _PART.sub(lambda m: parts[m.group(1)], fragment)
