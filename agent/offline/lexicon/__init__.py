"""The analyzer's rules as data: one YAML file per language beside this module.

Each file names its rules by the typed flags of `agent/offline/flags.py` (signals, threats,
wants, the customer's own mistakes, cues) and lists regular-expression fragments for each;
`words` holds vocabulary (sign-offs, product nouns, reference keywords, durations).
`issues.yaml` gives each signal the English phrase the internal note uses. The languages are
compiled together (English always, plus the email's own language when detection is sure,
or every language when it is not), so a Spanish email with an English word still matches,
and a rule is added to a language by adding a line to its file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict

from agent.checks.prefilter import Pattern
from agent.language_tables import LANGUAGES, longest_first, read_table
from agent.models import Threat
from agent.offline.flags import Cue, SelfError, Signal, Want

LEXICON_DIR = Path(__file__).resolve().parent
K = TypeVar("K")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Words(_Strict):
    duration: list[str] = []  # with a named group (?P<d>...) around the duration itself
    closing: list[str] = []  # sign-off words before a name
    my_name: list[str] = []  # "my name is"
    not_names: list[str] = []  # words that are never a person's name
    not_modifiers: list[str] = []  # words that never qualify a product noun
    products: list[str] = []  # product and service nouns
    refs: dict[str, list[str]] = {}  # reference kind -> the words that introduce it


class LanguageFile(_Strict):
    language: str
    signals: dict[Signal, list[str]] = {}
    threats: dict[Threat, list[str]] = {}
    wants: dict[Want, list[str]] = {}
    self_errors: dict[SelfError, list[str]] = {}
    cues: dict[Cue, list[str]] = {}
    words: Words = Words()


@dataclass(frozen=True)
class Lexicon:
    signals: dict[Signal, Pattern]
    threats: dict[Threat, Pattern]
    wants: dict[Want, Pattern]
    self_errors: dict[SelfError, Pattern]
    cues: dict[Cue, Pattern]
    durations: tuple[Pattern, ...]
    closing: Pattern
    my_name: Pattern
    not_names: frozenset[str]
    not_modifiers: frozenset[str]
    products: Pattern
    ref_words: dict[str, str]  # keyword (lower case) -> kind
    ref_keyword: Pattern  # a reference keyword, then the id
    issues: dict[Signal, str]
    ours: frozenset[Signal]  # signals that by themselves show we failed
    family: dict[Signal, str]  # signals of one family are one problem

    def cue(self, name: Cue, text: str) -> bool:
        return self.cues[name].search(text) is not None


@lru_cache(maxsize=len(LANGUAGES))
def _load(code: str) -> LanguageFile:
    return read_table(LEXICON_DIR, code, LanguageFile)


def _either(fragments: list[str]) -> Pattern:
    if not fragments:
        return Pattern(r"(?!x)x")  # matches nothing
    return Pattern("|".join(f"(?:{f})" for f in fragments))


def _merge(tables: list[LanguageFile], attr: str, keys: type[K]) -> dict[K, Pattern]:
    merged: dict[K, list[str]] = {k: [] for k in keys}  # type: ignore[attr-defined]
    for table in tables:
        for key, fragments in getattr(table, attr).items():
            merged[key] += fragments
    return {k: _either(v) for k, v in merged.items()}


# An id: letters, digits and dashes with at least one digit ("48213", "R-2291", "KZ4M7Q"),
# or a flight number ("CR 219").
_ID = r"(?P<id>[A-Z]{2}\s?\d{2,4}\b|[A-Z]{0,5}-?\d[A-Z0-9-]{2,19}|[A-Z]{1,5}\d[A-Z0-9]{1,10})"
_FILLER = (r"(?:\s*(?:number|no\.?|num\.?|nº|n°|id|ref(?:erence)?|code|is|was|nummer|numero|"
           r"n[úu]mero|of|for|:|#)\b\.?)*")


@lru_cache(maxsize=32)
def lexicon(languages: tuple[str, ...] = LANGUAGES) -> Lexicon:
    """The rules of `languages` (vocabulary always of every language). An email read as
    confidently English needs no Dutch rules: fewer alternatives, a faster scan."""
    tables = [_load(code) for code in languages]
    words = [_load(code).words for code in LANGUAGES]
    ref_words: dict[str, str] = {}
    for w in words:
        for kind, keywords in w.refs.items():
            for keyword in keywords:
                ref_words.setdefault(keyword, kind)
    issues_raw = yaml.safe_load((LEXICON_DIR / "issues.yaml").read_text(encoding="utf-8"))
    issues = {Signal(k): str(v["issue"]) for k, v in issues_raw.items()}
    ours = frozenset(Signal(k) for k, v in issues_raw.items() if v.get("ours"))
    family = {Signal(k): str(v.get("family", k)) for k, v in issues_raw.items()}
    missing = [s.value for s in Signal if s not in issues]
    if missing:
        raise ValueError(f"issues.yaml has no phrase for {', '.join(missing)}")
    return Lexicon(
        signals=_merge(tables, "signals", Signal),
        threats=_merge(tables, "threats", Threat),
        wants=_merge(tables, "wants", Want),
        self_errors=_merge(tables, "self_errors", SelfError),
        cues=_merge(tables, "cues", Cue),
        durations=tuple(Pattern(p) for w in words for p in w.duration),
        closing=Pattern(r"^\s*(?:" + "|".join(f"(?:{c})" for w in words for c in w.closing)
                           + r")[\s,.!-]*(?P<rest>.*)$", re.IGNORECASE),
        my_name=Pattern(r"\b(?:" + "|".join(p for w in words for p in w.my_name)
                           + r")\s+([A-ZÀ-Ö][a-zà-ÿ'’-]+(?:\s[A-ZÀ-Ö][a-zà-ÿ'’-]+)?)",
                           re.IGNORECASE),
        not_names=frozenset(n for w in words for n in w.not_names),
        not_modifiers=frozenset(n for w in words for n in w.not_modifiers),
        products=Pattern(r"\b(?:" + longest_first(p for w in words for p in w.products)
                            + r")\b"),
        ref_words=ref_words,
        ref_keyword=Pattern(r"\b(?P<kw>" + longest_first(ref_words) + r")\b" + _FILLER
                               + r"\s*[(:#]?\s*" + _ID, re.IGNORECASE),
        issues=issues,
        ours=ours,
        family=family,
    )


def ref_kind(keyword: str) -> str:
    """The kind of reference a keyword introduces ("return number" -> return)."""
    lex = lexicon()
    low = " ".join(keyword.lower().split())
    if low in lex.ref_words:
        return lex.ref_words[low]
    for word, kind in lex.ref_words.items():
        if re.fullmatch(word, low):
            return kind
    return "reference"
