"""Lexical detectors shared by the guard (on every draft) and the deterministic graders.

Each detector returns the spans it found, so a finding can always cite its evidence.
They are deliberately plain regular expressions: explainable, fast, and easy to extend.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def _spans(pattern: re.Pattern[str], text: str) -> list[Span]:
    return [Span(m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]


def normalize(text: str) -> str:
    """Fold homoglyph-ish and invisible tricks so 'ｒｅｆｕｎｄ' and 're\u200bfund' match."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]", "", text)
    return text.translate(_CONFUSABLES)


# A few Cyrillic/Greek/Armenian letters that look Latin; enough to defeat cheap tricks.
_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ѕ": "s", "ј": "j", "ԁ": "d", "ո": "n", "ս": "u", "ɡ": "g", "ο": "o", "α": "a",
    "ν": "v", "ρ": "p", "τ": "t", "κ": "k", "Α": "A", "Β": "B", "Ε": "E", "Ο": "O",
})

PROFANITY = re.compile(
    r"\b(f+u+c+k+\w*|f\*+k\w*|sh[i1]t+\w*|bullsh[i1]t|crap(py)?|damn(ed|it)?|bastards?|"
    r"b[i1]tch\w*|ass(hole)?s?|arse(hole)?s?|dick(head)?s?|piss(ed)?|wank\w*|cunt\w*|hell\b|"
    r"wtf|stfu|mierda|joder|put[ao]s?|cabr[oó]n\w*|gilipollas|pendejos?|merde|putain|"
    r"scheiße|scheisse|arschloch)\b",
    re.I,
)
INSULT = re.compile(
    r"\b(idiots?|moron(ic|s)?|stupid|dumb|incompetent|clowns?|losers?|fools?|imbeciles?|"
    r"scum|liars?|thie(f|ves)|crooks?|scammers?|worthless|brain-?dead|clueless|monkeys?|"
    r"idiotas?|in[úu]til(es)?|est[úu]pid[oa]s?|incompetentes?|imb[ée]ciles?|ladr[oó]n(es)?|"
    r"estafadores?|idioten|crétins?)\b",
    re.I,
)
# All-caps words of 2+ letters; acronyms common in support mail are allowed.
_CAPS_WORD = re.compile(r"\b[A-Z][A-Z'’]+\b")
ACRONYMS = frozenset({
    "USA", "UPS", "DHL", "FAQ", "PDF", "URL", "USD", "EUR", "GBP", "API", "CEO", "SMS", "ETA",
    "ASAP", "FedEx", "USPS", "VAT", "SKU", "RMA", "BBB", "PIN", "IBAN", "ATM", "TV", "LED",
    "HDMI", "USB", "GPS", "ID", "OK", "AM", "PM", "EST", "PST", "UTC", "GMT", "NYC", "UK",
})


def find_profanity(text: str) -> list[Span]:
    return _spans(PROFANITY, normalize(text))


def find_insults(text: str) -> list[Span]:
    return _spans(INSULT, normalize(text))


def find_shouting(text: str, *, min_run: int = 3) -> list[Span]:
    """Runs of `min_run` or more consecutive all-caps words (10+ letters in all),
    ignoring known acronyms."""
    words = [m for m in _CAPS_WORD.finditer(text) if m.group(0) not in ACRONYMS]
    found: list[Span] = []
    run: list[re.Match[str]] = []
    for match in words:
        if run and text[run[-1].end():match.start()].strip(" ,.!?;:-") != "":
            run = []
        run.append(match)
        if len(run) < min_run or sum(len(m.group(0)) for m in run) < 10:
            continue
        span = Span(run[0].start(), match.end(), text[run[0].start():match.end()])
        if found and found[-1].start == span.start:
            found[-1] = span
        else:
            found.append(span)
    return found


_REFUND_PROMISE = re.compile(
    r"\b(we|i)\s*(will|'ll|’ll|are going to|have|'ve|’ve|shall|can)\s+(now\s+)?"
    r"(immediately\s+|gladly\s+|happily\s+)?(issue|process|refund|give|send|return|credit)"
    r"\w*\s+(you\s+)?(a\s+|your\s+|the\s+)?(full\s+|complete\s+|100%\s+)?"
    r"(refund|money back|reimburse\w*|purchase price|payment)|"
    r"\b(we|i)\s*(will|'ll|’ll|shall|are going to)\s+(now\s+)?(immediately\s+)?"
    r"(refund|reimburse)\s+(you|your|the)\b|"
    r"\b(you\s*(will|'ll|’ll)\s+(get|receive|be\s+given)\s+(a\s+)?(full\s+)?"
    r"(refund|your money back))|"
    r"\b(your|a)\s+(full\s+)?refund\s+(has\s+been|is\s+being|will\s+be)\s+"
    r"(issued|processed|approved|sent)|"
    r"\b(le|te)\s+(devolveremos|reembolsaremos)\b|\bnous vous rembourserons\b",
    re.I,
)
# 1,000.50 / 1000 / 20,5 (a comma before exactly two digits is a decimal comma).
_AMOUNT = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d{1,7}(?:[.,]\d{1,2})?)"
_MONEY = re.compile(
    rf"(?P<cur>[$€£])\s?(?P<amt>{_AMOUNT})|"
    rf"(?P<amt2>{_AMOUNT})\s?(?P<cur2>USD|EUR|GBP|dollars|euros|pounds)",
    re.I,
)
_OFFER_WORDS = re.compile(
    r"\b(credit|voucher|compensation|refund|gift card|coupon|discount|reimburse\w*)\b", re.I
)
_DEADLINE = re.compile(
    r"\b(within|in the next|in)\s+(?P<n>\d{1,3}|one|two|three|twenty-four|a few)\s+"
    r"(?P<unit>minutes?|hours?|days?|business days?|working days?)\b|"
    r"\b(?P<word>today|tonight|tomorrow|by end of (the )?day|right away|immediately|"
    r"first thing tomorrow|by (monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.I,
)
_PROMISE_VERB = re.compile(
    r"\b(will|'ll|’ll|guarantee|promise|shall|are going to|is going to)\b", re.I
)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "twenty-four": 24, "a few": 3}


def find_refund_promises(text: str) -> list[Span]:
    return _spans(_REFUND_PROMISE, normalize(text))


def find_money_offers(text: str) -> list[tuple[Span, float]]:
    """Amounts of money mentioned in a sentence that offers credit, refund or compensation."""
    clean = normalize(text)
    found: list[tuple[Span, float]] = []
    for sentence in _sentences(clean):
        if not _OFFER_WORDS.search(sentence.text):
            continue
        for m in _MONEY.finditer(sentence.text):
            raw = m.group("amt") or m.group("amt2") or "0"
            raw = raw.replace(",", "") if re.search(r",\d{3}", raw) else raw.replace(",", ".")
            found.append((Span(sentence.start + m.start(), sentence.start + m.end(),
                               m.group(0)), float(raw)))
    return found


def find_deadline_promises(text: str) -> list[tuple[Span, float]]:
    """Promised deadlines, with the promised delay in hours (0 for 'immediately', 'today')."""
    clean = normalize(text)
    found: list[tuple[Span, float]] = []
    for sentence in _sentences(clean):
        if not _PROMISE_VERB.search(sentence.text):
            continue
        for m in _DEADLINE.finditer(sentence.text):
            span = Span(sentence.start + m.start(), sentence.start + m.end(), m.group(0))
            found.append((span, _hours(m)))
    return found


def _hours(m: re.Match[str]) -> float:
    word = (m.group("word") or "").lower()
    if word:
        return {"today": 8.0, "tonight": 8.0, "tomorrow": 24.0}.get(
            word, 0.0 if word in ("right away", "immediately") else 24.0)
    n_raw = m.group("n").lower()
    n = float(_NUMBER_WORDS.get(n_raw, 0) or int(n_raw))
    unit = m.group("unit").lower()
    if unit.startswith("minute"):
        return n / 60
    if unit.startswith("hour"):
        return n
    return n * 24


# A promised time matters when it is about an outcome (the parcel arriving, the money
# landing, the fix); promising to write back sooner than usual is fine.
_OUTCOME = re.compile(
    r"\b(deliver\w*|arriv\w*|reach\s+you|be\s+with\s+you|in\s+your\s+(hands|home|account)|"
    r"land\w*|llegar\w*|estar[áa]n?\s+en\s+tu\s+casa|livr\w*|arrivera|refund\w*|"
    r"reimburs\w*|replace\w*|credit\w*|money|fix\w*|repair\w*|resolv\w*)", re.I)
_ABOUT_US = re.compile(r"\b(email|write|reply|respond|update|call|confirm|hear|contact|"
                       r"get\s+back|be\s+in\s+touch)\w*", re.I)


def find_early_outcomes(text: str, min_hours: float) -> list[tuple[Span, str]]:
    """Promises that an outcome (delivery, money arriving) happens sooner than `min_hours`,
    each with the sentence it stands in. The one rule the guard and the grader share."""
    clean = normalize(text)
    found: list[tuple[Span, str]] = []
    for sentence in _sentences(clean):
        if not (_OUTCOME.search(sentence.text) and _PROMISE_VERB.search(sentence.text)) \
                or _ABOUT_US.search(sentence.text):
            continue
        for m in _DEADLINE.finditer(sentence.text):
            if _hours(m) < min_hours:
                found.append((Span(sentence.start + m.start(), sentence.start + m.end(),
                                   m.group(0)), sentence.text.strip()))
    return found


_LEAK = re.compile(
    r"\b(system prompt|my instructions|i (was|am|have been) (instructed|told|programmed) to|"
    r"as an ai( language model)?|language model|my (guidelines|programming|prompt)|"
    r"playbook partial|jinja|BEGIN CUSTOMER EMAIL|END CUSTOMER EMAIL|"
    r"you are a (customer|support) (service|care)? ?(agent|assistant) for)\b|"
    # scaffolding from our own prompts
    r"\btoday's date:|\bsubject of the email:|\bsender name:|<<<|>>>",
    re.I,
)


def find_leaks(text: str, secrets: tuple[str, ...] = ()) -> list[Span]:
    """Text that reveals our instructions, prompt scaffolding, or any given secret."""
    clean = normalize(text)
    found = _spans(_LEAK, clean)
    for secret in secrets:
        if secret and len(secret) >= 6:
            at = clean.find(secret)
            if at >= 0:
                found.append(Span(at, at + len(secret), "<secret>"))
    return found


_THREAT = re.compile(
    r"\b(legal action against you|(we|i)\s*(will|'ll|’ll|shall)\s+(sue|report|ban|block|"
    r"blacklist|prosecute|call the police on)\s+you|you\s*(will|'ll|’ll)\s+regret|"
    r"(or|otherwise)\s+(we|i)\s*(will|'ll|’ll)\s+(close|terminate|cancel|suspend)\s+your|"
    r"(final|last) warning|consequences for you|we know where you)\b",
    re.I,
)
_MARKUP = re.compile(
    r"<\s*(script|img|iframe|svg|object|embed|style|a\s+href|form|input|link|meta)\b|"
    r"\bon(error|load|click|mouseover)\s*=|javascript:",
    re.I,
)


def find_threats(text: str) -> list[Span]:
    """Sentences that threaten the reader (bans, lawsuits, 'you'll regret it')."""
    return _spans(_THREAT, normalize(text))


def find_markup(text: str) -> list[Span]:
    """HTML or script in what should be a plain-text reply."""
    return _spans(_MARKUP, normalize(text))


@dataclass(frozen=True)
class _Sentence:
    start: int
    text: str


def _sentences(text: str) -> list[_Sentence]:
    out: list[_Sentence] = []
    start = 0
    for m in re.finditer(r"[.!?]+(?=\s|$)\s*|\n+", text):
        out.append(_Sentence(start, text[start:m.end()]))
        start = m.end()
    if start < len(text):
        out.append(_Sentence(start, text[start:]))
    return out
