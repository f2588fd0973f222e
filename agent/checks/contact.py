"""Contact points and markup: where a reply could send the customer, and what it could run.

Default-deny: a reply may contain only the URLs, domains, e-mail addresses and phone numbers
the company configured (`[company]` `domains`, `urls`, `emails`, `phones` in calmreply.toml);
anything else is a finding. A plain-text reply has no HTML, no markdown links or images, no
data:/javascript: URLs and no terminal control characters, and never asks the customer for
a card number, a security code, a password or a one-time code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from agent.checks.prefilter import Pattern
from agent.checks.text import Span, fold, sentences
from agent.checks.words import lexicon

_TLDS = (r"com|net|org|info|biz|io|co|app|dev|xyz|online|site|shop|store|support|help|me|ly|"
         r"gl|to|link|click|top|cc|tv|ws|us|uk|de|es|fr|it|nl|pt|be|ch|at|ru|cn|eu|ca|au|in|br|"
         r"mx|ar|pl|se|no|dk|fi|ie|nz|za|jp|kr|ai|live|pro|page|email|bank|pay|claim|refund|"
         r"services|center|centre|agency|today|world|life|tech|cloud|space|website|win|vip|"
         r"loan|money|finance|secure|account|login|verify")
# Every form starts at a word's start with letters, digits or dashes up to a "." or ":"; the
# look-ahead reads that run once, so an ordinary word fails there instead of being tried
# (and backtracked) by every form.
URL = Pattern(
    r"\b(?=[\w-]*+[.:])(?:(?:https?|ftp|hxxps?)://[^\s<>\"'`)\]]+|"
    r"(?:data|javascript|vbscript|file|blob):[^\s<>\"'`]*|"
    r"www\d?\.[^\s<>\"'`)\]]+|"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:" + _TLDS + r")\b(?:[/?#][^\s<>\"'`)\]]*)?)",
    re.I)
EMAIL = Pattern(r"\b[\w.+%-]+@[\w-]+(?:\.[\w-]+)+\b")
_HANDLE_APPS = Pattern(r"\b(?:whats\s?app|telegram|signal|wechat|viber|line\s+id|skype|"
                          r"discord|snapchat|instagram|twitter|x\.com|tiktok|dm\s+me)\b", re.I)
_HANDLE = Pattern(r"(?<![\w@.])@[A-Za-z0-9_]{3,30}\b")
PHONE_SHAPES = Pattern(
    r"\+\s?\d[\d\s().-]{6,18}\d|"
    r"\(\d{2,5}\)\s?\d[\d\s.-]{4,12}\d|"
    r"\b\d{3}[\s.-]\d{3}[\s.-]\d{4}\b|"
    r"\b0\d{2,4}[\s.-]?\d{3,4}[\s.-]?\d{3,4}\b|"
    r"\b1[\s.-]?8\d{2}[\s.-]?\d{3}[\s.-]?\d{4}\b")
_PHONE_LED = Pattern(
    r"\b(?:call|phone|tel|telephone|ring|text|sms|whats\s?app|telegram|signal|viber|mobile|"
    r"cell|hotline|helpline|phone\s+number|llam\w*|tel[eé]fono|m[oó]vil|anruf\w*|telefon\w*|"
    r"handy|appel\w*|t[eé]l[eé]phone|bel\s+(?:ons|ons\s+op)|chiam\w*|telefone)\b"
    r"[^.\n\d+]{0,30}(\+?\(?\d[\d\s().-]{5,18}\d)", re.I)
MARKDOWN_LINK = Pattern(r"!?\[[^\]\n]{0,300}\]\s?\([^)\n]{0,600}\)|"
                           r"^\s*\[[^\]\n]+\]:\s*\S+", re.M)
MARKUP = Pattern(
    r"<\s*/?\s*[a-z][a-z0-9-]*(?:\s[^<>]*)?/?\s*>|<\s*!--|&#x?[0-9a-f]+;|&[a-z]{2,8};|"
    r"\bon(?:error|load|click|mouseover|focus)\s*=|javascript:", re.I)
CONTROL = Pattern(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Allowed:
    """What the company lets a reply contain (lower-cased, normalised)."""

    domains: frozenset[str] = frozenset()
    urls: tuple[str, ...] = ()
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()  # digits only

    @classmethod
    def of(cls, domains: Iterable[str] = (), urls: Iterable[str] = (),
           emails: Iterable[str] = (), phones: Iterable[str] = ()) -> Allowed:
        return cls(frozenset(d.lower().strip().lstrip(".") for d in domains if d.strip()),
                   tuple(u.lower().strip() for u in urls if u.strip()),
                   frozenset(e.lower().strip() for e in emails if e.strip()),
                   frozenset(_digits(p) for p in phones if _digits(p)))

    def domain_ok(self, host: str) -> bool:
        host = host.lower().strip(".")
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def url_ok(self, url: str) -> bool:
        low = url.lower().rstrip(".,;:!?")
        if low.startswith(("data:", "javascript:", "vbscript:", "file:", "blob:")):
            return False
        if any(low.startswith(u) for u in self.urls):
            return True
        host = re.sub(r"^[a-z]+://", "", low).split("/")[0].split("?")[0].split("#")[0]
        host = host.rsplit("@", 1)[-1].split(":")[0]
        return self.domain_ok(host)

    def email_ok(self, address: str) -> bool:
        low = address.lower()
        return low in self.emails or self.domain_ok(low.rsplit("@", 1)[-1])

    def phone_ok(self, number: str) -> bool:
        return _digits(number) in self.phones


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass(frozen=True)
class ContactPoint:
    kind: str  # url | email | phone | handle | markdown
    span: Span


# The reply sends the customer somewhere: "call our desk on", "send photos to", "visit".
_DIRECTS = Pattern(
    r"(?<!\bthe\s)(?<!\ba\s)(?<!\bthat\s)(?<!\byour\s)(?<!\bmy\s)(?<!\bour\s)"
    r"\b(?:(?:call|ring|phone|text|message)\s+(?:us|me|them|our|the\s+number|this\s+number|"
    r"on|at|\+|\(?\d)|give\s+(?:us|me)\s+a\s+(?:call|ring)|contact|reach|write\s+to|e-?mail|send|whats\s?app|"
    r"telegram|signal|dm|visit|click|go\s+to|claim|track|download|verify|log\s*in|sign\s*in|"
    r"book|redeem|collect|our\s+(?:\w+\s+){0,3}(?:number|line|desk|address|site|page|portal|"
    r"hotline)|toll-?free|hotline|helpline|freephone|after\s+hours|"
    r"us\s+(?:on|at)|llam\w*|escrib\w*|env[ií]\w*|anruf\w*|schreiben|senden|appel\w*|"
    r"envoy\w*)\b", re.I)


def _theirs(text: str, start: int, end: int, email: str) -> bool:
    """A phone or address from the customer's own email, named as theirs ("the number
    07700 900318", "the account jo@example.com") rather than as a place to contact."""
    if not email or text[start:end] not in email:
        return False
    line_start = max(text.rfind("\n", 0, start), text.rfind(". ", 0, start)) + 1
    stop = [i for i in (text.find("\n", end), text.find(". ", end)) if i >= 0]
    clause = text[line_start:min(stop) if stop else len(text)]
    return not _DIRECTS.search(clause)


def find_contact_points(text: str, allowed: Allowed = Allowed(),
                        known_refs: Iterable[str] = (), email: str = "") -> list[ContactPoint]:
    """Every contact point in `text` the company did not allow. `known_refs` are order or
    ticket numbers from the customer's email: digits the reply may repeat. A phone number
    or e-mail address from the customer's own `email`, named as theirs, is allowed; a link
    never is."""
    folded = fold(text)
    if not any(c in folded for c in "@:/.[(+") and not re.search(r"\d{5}", folded):
        return []
    found: list[ContactPoint] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(ContactPoint(kind, Span(start, end, folded[start:end])))

    for m in MARKDOWN_LINK.finditer(folded):
        add("markdown", m.start(), m.end())
    email = fold(email)
    for m in EMAIL.finditer(folded):
        if allowed.email_ok(m.group(0)) or _theirs(folded, m.start(), m.end(), email):
            taken.append(m.span())
        else:
            add("email", m.start(), m.end())
    for m in URL.finditer(folded):
        if allowed.url_ok(m.group(0)):
            taken.append(m.span())
        elif not _is_abbreviation(m.group(0)):
            add("url", m.start(), m.end())
    refs = {_digits(r) for r in known_refs if len(_digits(r)) >= 5}
    for pattern, group in ((_PHONE_LED, 1), (PHONE_SHAPES, 0)):
        for m in pattern.finditer(folded):
            number = m.group(group)
            digits = _digits(number)
            if len(digits) < 7 or allowed.phone_ok(number) or digits in refs \
                    or _theirs(folded, m.start(group), m.end(group), email):
                continue
            add("phone", m.start(group), m.end(group))
    if _HANDLE_APPS.search(folded):
        for m in _HANDLE.finditer(folded):
            add("handle", m.start(), m.end())
    return sorted(found, key=lambda c: c.span.start)


_ABBREVIATIONS = Pattern(r"^(?:e\.g|i\.e|a\.m|p\.m|etc|u\.s|vs|no)\.?$", re.I)


def _is_abbreviation(token: str) -> bool:
    return bool(_ABBREVIATIONS.match(token))


def find_markup(text: str) -> list[Span]:
    """HTML, entities or script in what must be a plain-text reply."""
    folded = fold(text)
    if "<" not in folded and "&" not in folded and "=" not in folded and ":" not in folded:
        return []
    return [Span(m.start(), m.end(), m.group(0)) for m in MARKUP.finditer(folded)]


def find_control(text: str) -> list[Span]:
    """Terminal control characters (escape sequences, carriage returns, bells)."""
    return [Span(m.start(), m.end(), repr(m.group(0))) for m in CONTROL.finditer(text)
            if m.group(0) not in "\n\t"]


def find_credential_requests(text: str) -> list[Span]:
    """Sentences that ask the customer for a card number, security code, password, PIN or
    one-time code (never legitimate in a reply)."""
    folded = fold(text)
    lex = lexicon()
    found: list[Span] = []
    if not lex.has("credential", folded):
        return found
    for sentence in sentences(folded):
        hits = lex.find("credential", sentence.text)
        if not hits or not lex.has("ask", sentence.text) or lex.has("negation", sentence.text):
            continue
        found.append(Span(sentence.start + hits[0].start, sentence.start + hits[0].end,
                          sentence.text))
    return found


# What follows a secret's name when the reply gives its value: a verb ("is", "lautet",
# "has been reset to") or a colon, perhaps after "for <account>", then the value: quoted, or
# a token with a digit in it ("your temporary password is 'ringo2024'", "PUK code for 07700
# 900412: 48120937", "[OVERRIDE CODE: DLV-PRIORITY-7]", "password: Tq7!mb29Lx"). A quoted
# value needs no verb ("the override password 'ringo2024'"); a bare number does ("a simple
# PIN 1234" is advice, not a PIN).
_VERB = (r"\b(?:is|was|are|reads|would\s+be|will\s+be|is\s+now|(?:has\s+been|was|is)\s+"
         r"(?:reset|changed|set)\s+to|set\s+to|es|era|será|est|sera|ist|lautet|wird|è|sarà|"
         r"luidt|wordt|é)\b")
_QUOTED_VALUE = r"(?P<quoted>[\"'‘“«][^\"'’”»\s]{3,40}[\"'’”»])"
_TOKEN = (r"(?P<token>(?=[\w!#$%&*+=@^~.,-]{0,40}\d)[^\W_](?:[\w!#$%&*+=@^~-]|[.,](?=\w))"
          r"{3,39})")
_GIVEN_VALUE = Pattern(
    r"(?P<said>\s+(?:for|to|on|of|para|pour|f[üu]r|per|voor)\s+[^:;,.!?\n]{1,40}?\s*(?:"
    + _VERB + r"\s*:?|:)|\s*(?:" + _VERB + r"\s*:?|[:=]|[-–—](?=\s)))?\s*(?:"
    + _QUOTED_VALUE + "|" + _TOKEN + ")", re.I)
# Not a value: a length or a size ("is 8-12 characters", "ist 4-stellig", "4-digits"), or
# how it is kept ("is AES-256 encrypted", "is 2FA-protected").
_SIZE = Pattern(r"\d{1,2}\s*(?:-|to|–)\s*\d{1,3}|\d+-?(?:digits?|chars?|characters?|letters?|"
                r"stellig|cijferig|pack)|[a-z]{2,4}-\d{3}|\w+-(?:protected|encrypted|secured|"
                r"hashed)", re.I)
_UNIT = Pattern(r"\s*(?:characters?|chars?|digits?|letters?|numbers?|symbols?|long|"
                r"caract[eè]res?|caratteri|tekens|cijfers|zeichen|stellen|d[íi]gitos|"
                r"caracteres|cifras|encrypted|hashed|protected|secured)\b", re.I)
_WORD = re.compile(r"[^\s\"'‘’“”«»<>()\[\],;:]+")


def find_secrets_given(text: str, email: str = "") -> list[Span]:
    """Secrets the reply hands out: a password, PIN, one-time, override or staff code, or an
    API key, named and followed by its value (quoted, or a token with a digit: a word
    such as a security answer 'Fluffy' is not read as one). A name with no value ("we will
    never ask for your PIN"), a rule ("your password is 8-12 characters") and a value that
    is a word of the customer's own email are not one."""
    folded = fold(text)
    lex = lexicon()
    found: list[Span] = []
    if not lex.has("secret", folded):
        return found
    theirs = {w.strip(".!?").lower() for w in _WORD.findall(fold(email))}
    for name in lex.find("secret", folded):
        m = _GIVEN_VALUE.match(folded, name.end)
        if m is None or not (m.group("said") or m.group("quoted")):
            continue
        value = (m.group("quoted") or m.group("token") or "").strip("\"'‘’“”«»")
        if value.lower() in theirs or (m.group("token") and (
                _SIZE.fullmatch(value) or _UNIT.match(folded, m.end()))):
            continue
        found.append(Span(name.start, m.end(), folded[name.start:m.end()]))
    return found
