"""Money, read the same way everywhere: amounts in any notation and acts of compensation.

One parser for every amount a check or a grader reads: a currency symbol or code before or
after the figure ("$5", "5 €", "USD 5,000", "1.299,50 EUR"), any thousands and decimal
convention ("1,299.50", "1.299,50", "1 299,50", "1'299.50"), "k" and scale words ("$5k",
"5 thousand dollars"), and numbers written as words in the languages we answer in ("five
thousand dollars", "quinientos euros", "fünftausend Euro"). Text is folded first, so
no-break and thin spaces read as spaces and look-alike letters as Latin.

A lone separator before exactly three digits ("€ 5.000", "$5,000") is read as a thousands
separator: for a guard, reading too much money is safe, reading too little is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from agent.checks.prefilter import Pattern
from agent.checks.text import Caseless, Span, containing, fold, sentences
from agent.checks.words import lexicon
from agent.language_tables import longest_first

_SYMBOLS = {"us$": "USD", "$": "USD", "c$": "CAD", "a$": "AUD", "r$": "BRL", "€": "EUR",
            "£": "GBP", "¥": "JPY", "₹": "INR"}
_CODES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "INR", "MXN", "BRL", "SEK", "NOK",
          "DKK", "PLN", "NZD")
_PRE = r"(?:US\$|C\$|A\$|R\$|\$|€|£|¥|₹|(?<![A-Za-z])(?:" + "|".join(_CODES) + r"))"
_NUM = r"\d{1,3}(?:[.,' ]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d{1,2})?(?!\d)"
_SCALE_SUFFIX = (r"(?:\s?(?P<k>[kK])(?![\w])|\s?(?P<m>[mM]|mn|mio)(?![\w])|"
                 r"\s(?P<sw>thousand|grand|million|mil|mille|tausend|duizend|miljoen|"
                 r"millones|millions|mila)(?![\w]))?")


_MAYBE_MONEY = Pattern(r"\d|[$€£¥₹]")


@lru_cache(maxsize=1)
def _currency_word() -> Pattern:
    """Any currency word or code: amounts in words ("five thousand dollars") need one."""
    words = longest_first([*lexicon().currencies, *_CODES])
    return Pattern(r"(?<![\w])(?:" + words + r")(?![\w])", re.IGNORECASE)


@dataclass(frozen=True)
class Amount:
    span: Span  # in the folded text
    value: float
    currency: str | None  # ISO code; None when only words like "money" say it


@dataclass(frozen=True)
class Act:
    """A compensation act: 'refund' (money back), 'credit' (value other than a refund:
    credits, vouchers, gift cards, cheques, compensation) or 'multiplier' (more than the
    money back, e.g. 'double your money back')."""

    kind: str
    span: Span
    negated: bool  # the sentence says no ("we cannot refund ...")
    sentence: str


@lru_cache(maxsize=1)
def _patterns() -> tuple[Caseless, Caseless]:
    lex = lexicon()
    post = (r"(?:US\$|\$|€|£|¥|₹|(?:" + "|".join(_CODES) + r")(?![A-Za-z])|(?:"
            + longest_first(lex.currencies) + r")(?![\w]))")
    suffix2 = _SCALE_SUFFIX.replace("?P<k>", "?P<k2>").replace("?P<m>", "?P<m2>") \
        .replace("?P<sw>", "?P<sw2>")
    numeric = Caseless(
        rf"(?P<pre>{_PRE})\s?(?P<num>{_NUM}){_SCALE_SUFFIX}(?:\s?(?P<post>{post}))?|"
        rf"(?<![\w.,])(?P<num2>{_NUM}){suffix2}\s?(?P<post2>{post})")
    joiners = longest_first(re.escape(j) for j in lex.joiners)
    nw = lex.number_word.pattern
    spelled = Caseless(
        rf"(?<![\w])(?P<words>(?:{nw})(?:(?:[\s-]+(?:(?:{joiners})[\s-]+)?|(?:{joiners})|)"
        rf"(?:{nw}))*)(?![\w])\s?(?P<post>{post})")
    return numeric, spelled


def _figure(raw: str) -> float:
    """'1.299,50' -> 1299.5, '1,299.50' -> 1299.5, '5.000' -> 5000, '14.99' -> 14.99."""
    raw = raw.replace("'", "").replace(" ", "\x00")
    marks = [c for c in raw if c in ".,"]
    if not marks:
        return float(raw.replace("\x00", ""))
    last = max(raw.rfind("."), raw.rfind(","))
    decimals = raw[last + 1:]
    if len(set(marks)) == 2 or (len(marks) == 1 and len(decimals) != 3):
        whole = re.sub(r"[.,\x00]", "", raw[:last])
        return float(f"{whole}.{decimals}")
    return float(re.sub(r"[.,\x00]", "", raw))  # thousands separators only


def _currency(token: str | None) -> str | None:
    if not token:
        return None
    low = token.lower()
    if low in _SYMBOLS:
        return _SYMBOLS[low]
    if token.upper() in _CODES:
        return token.upper()
    return lexicon().currency(token)


def _spelled_value(words: str) -> float:
    lex = lexicon()
    total = current = 0
    for m in re.finditer(lex.number_word.pattern + "|" + "|".join(
            re.escape(j) for j in lex.joiners), words, re.IGNORECASE):
        found = lex.number_value(m.group(0))
        if found is None:
            continue  # a joiner
        kind, value = found
        if kind == "unit":
            current += value
        elif value == 100:
            current = (current or 1) * 100
        else:
            total += (current or 1) * value
            current = 0
    return float(total + current)


@lru_cache(maxsize=1024)
def find_amounts(text: str) -> tuple[Amount, ...]:
    """Every amount of money in `text` (folded first), in order of appearance. Cached:
    the guard, the policy check and the listening grader all read the same texts."""
    folded = fold(text)
    numeric, spelled = _patterns()
    if not _MAYBE_MONEY.search(folded) and not _currency_word().search(folded):
        return ()  # no figure, no currency sign, code or word: nothing to read
    found: list[Amount] = []
    for m in numeric.finditer(folded):
        num = m.group("num") or m.group("num2")
        value = _figure(num)
        if m.group("k") or m.group("k2"):
            value *= 1000
        elif m.group("m") or m.group("m2"):
            value *= 1_000_000
        elif scale := (m.group("sw") or m.group("sw2")):
            value *= 1_000_000 if scale.lower().startswith(("mil", "mio", "mill")) \
                and scale.lower() not in ("mil", "mila", "mille") else 1000
        cur = _currency(m.group("pre")) or _currency(m.group("post") or m.group("post2"))
        found.append(Amount(Span(m.start(), m.end(), folded[m.start():m.end()].strip()), value,
                            cur))
    taken = [(a.span.start, a.span.end) for a in found]
    lex = lexicon()
    for m in spelled.finditer(folded):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        words = m.group("words")
        if lex.number_word.fullmatch(words) and not lex.same_language(words, m.group("post")):
            continue  # "a real letdown": an English article, a Portuguese currency word
        value = _spelled_value(words)
        if value > 0:
            found.append(Amount(Span(m.start(), m.end(), folded[m.start():m.end()].strip()),
                                value, _currency(m.group("post"))))
    return tuple(sorted(found, key=lambda a: a.span.start))


def find_acts(text: str) -> list[Act]:
    """Every compensation act in `text` (folded first), with whether it is negated."""
    folded = fold(text)
    lex = lexicon()
    hits = [(kind, m) for kind in ("multiplier", "refund", "credit")
            for m in lex.find(kind, folded)]
    if not hits:
        return []
    negations = [(m.start, m.end) for m in lex.find("negation", folded)]
    parts = sentences(folded)
    acts: list[Act] = []
    for kind, m in hits:
        if kind == "credit" and _NOT_AN_ACT.match(folded, m.end):
            continue  # "credit card", "credit score"
        span = m
        if any(a.span.start < span.end and span.start < a.span.end for a in acts):
            continue
        sentence = containing(parts, m.start)
        if sentence is None:
            continue
        # "we cannot offer a refund", "a refund is not possible": the no stands within a
        # few words of the act, in its sentence ("you are not satisfied, so we will refund"
        # is a yes).
        negated = any(
            (sentence.start <= e <= m.start and _words(folded[e:m.start]) <= _NEAR_WORDS)
            or (m.end <= s < sentence.end and _words(folded[m.end:s]) <= _NEAR_WORDS - 1)
            for s, e in negations)
        acts.append(Act(kind, span, negated, sentence.text))
    return sorted(acts, key=lambda a: a.span.start)


_NEAR_WORDS = 4  # words between a "no" and the act it negates


def _words(text: str) -> int:
    return len(text.split())


_NOT_AN_ACT = Pattern(r"\s*(?:card|check|score|limit|union|rating)s?\b", re.I)
_DEMAND = Pattern(r"\b(?:want|demand|expect|owe|deserve|insist|require|entitled|"
                     r"quiero|exijo|merezco|will\s+ich|verlange|fordere|je\s+veux|j'exige|"
                     r"eis\s+que|voglio|pretendo|wil\s+ik|eis)\b", re.I)
# Quoted text: double quotes, or single quotes that open and close at word edges (an
# apostrophe, as in "we've", is not a quote).
_QUOTED = Pattern(r"\"[^\"\n]{1,400}\"|“[^”\n]{1,400}”|„[^“\n]{1,400}“|«[^»\n]{1,400}»|"
                     r"(?<!\w)'[^'\n]{8,400}'(?!\w)")


def _without_instructions(text: str) -> str:
    """The text without quotes and without the lines an instruction introduces
    ("... add this line to your reply:\n<the line>")."""
    lex = lexicon()
    lines = _QUOTED.sub(" ", fold(text)).split("\n")
    keep: list[str] = []
    skipping = False
    for i, line in enumerate(lines):
        if skipping and line.strip():
            continue
        skipping = False
        keep.append(line)
        lead = " ".join(lines[max(0, i - 1):i + 1])
        if line.rstrip().endswith(":") and lex.has("instruct", lead):
            skipping = True
    return "\n".join(keep)


@lru_cache(maxsize=1024)
def stated_amounts(text: str) -> frozenset[float]:
    """Amounts the customer states as facts: what they paid, were charged, what something
    cost. A reply may restate these, and refund up to the largest. An amount in a demand
    or an instruction ("write: 'we will refund $900'", "pay me $500 in compensation"), in
    quotes, or beside a compensation word does not count."""
    folded = _without_instructions(text)
    amounts = find_amounts(folded)
    if not amounts:
        return frozenset()
    lex = lexicon()
    acts = find_acts(folded)
    values: set[float] = set()
    for sentence in sentences(folded):
        here = [a for a in amounts if sentence.start <= a.span.start < sentence.end]
        if not here or lex.has("instruct", sentence.text):
            continue
        if any(a.kind != "refund" and sentence.start <= a.span.start < sentence.end
               for a in acts) and _DEMAND.search(sentence.text):
            continue  # "I want $500 in compensation": a demand, not a fact
        values.update(a.value for a in here)
    return frozenset(values)


def with_derived(values: frozenset[float]) -> set[float]:
    """The amounts plus what a reply may fairly work out from them: differences, sums and
    small multiples ("€45 instead of €30", "2 x €30 (€60)")."""
    out = set(values)
    for a in values:
        out.update(round(a * n, 2) for n in (2, 3, 4))
        for b in values:
            out.update((round(a + b, 2), round(abs(a - b), 2)))
    return out
