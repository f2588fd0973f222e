"""Leaks: our instructions, prompt scaffolding or a secret, in whatever form they come out.

- Scaffolding: our markers and the labels our prompts put around the email.
- Talk about instructions ("my instructions say", "as an AI") and playbook jargon that a
  reply to a customer never needs ("de-escalation", "face-saving"), in every language we
  answer in.
- Overlap with the system prompt, order-insensitive: a window of the reply's content words
  that mostly stands close together in the prompt is a copy, even with a filler word every
  few words or with the sentences shuffled.
- Encoded blobs (base64, hex) are decoded and read again; a blob that decodes to text is a
  leak on its own, since a reply to a customer has no reason to carry one.
- Secrets (the API key), exactly or with separators inserted.
"""

from __future__ import annotations

import base64
import binascii
import re
from bisect import bisect_left
from collections.abc import Iterable
from functools import lru_cache

from agent.checks.text import Caseless, Span, fold
from agent.checks.words import lexicon

SCAFFOLDING = Caseless(
    r"<<<|>>>|\b(?:BEGIN|END)\s+CUSTOMER\s+EMAIL\b|\btoday's\s+date:|\bsubject\s+of\s+the\s+"
    r"email:|\bsender\s+name:|\blanguage\s+of\s+the\s+email:|\bplaybook\s+partial|"
    r"\bjinja2?\b|\bStrictUndefined\b|"
    r"\bresponse_format\b|\binternal_note\b|\bescalation_reason\b|\"analysis\"\s*:")
JARGON = Caseless(
    r"\bde-?escalation\b|\bdesescala\w*|\bdeeskalation\w*|\bd[ée]sescalade\b|"
    r"\bface-?saving\b|\bactive\s+listening\b|\bescucha\s+activa\b|\baktives\s+zuh[öo]ren\b|"
    r"\bmirror\s+(?:the\s+)?customer|\bno\s+imitar\b|\bstock\s+phrases?\b|\bnon-?apolog\w*|"
    r"\bno-?disculpa\w*|\bwalking\s+away\b|\bplaybook\b|\bmanual\s+de\s+estilo\b|"
    r"\bthe\s+policy\s+below\b|\bthe\s+markers\b|\blos\s+marcadores\b|\bdie\s+markierungen\b|"
    r"\bles\s+marqueurs\b|\buntrusted\s+data\b|\bdatos\s+no\s+confiables\b|"
    r"\bJSON\s+(?:object|schema|outline)\b|\bone\s+JSON\b|\binternal\s+note\b|"
    r"\bnota\s+interna\b|\binterne\s+notiz\b|\bnote\s+interne\b")

_CONTENT = re.compile(r"[^\W\d_]{4,}")
_STOP = frozenset("""
that this with have from your they them their there what when which will would could
should about been were into only also than then just like some such more most very much
over after before because while where does dont doesnt cannot without within every each
other these those here being same both once your yours ours we're you're it's i'm i'll
""".split())
_WINDOW = 10  # content words of the reply looked at together
_SPREAD = 24  # ... counted as copied when this many of them stand within this many prompt words
_MIN_SHARED = 7


def _content_words(text: str) -> list[str]:
    return [w for w in _CONTENT.findall(fold(text).lower()) if w not in _STOP]


@lru_cache(maxsize=32)
def _prompt_index(prompt: str) -> dict[str, tuple[int, ...]]:
    index: dict[str, list[int]] = {}
    for i, word in enumerate(_content_words(prompt)):
        index.setdefault(word, []).append(i)
    return {w: tuple(p) for w, p in index.items()}


def prompt_overlap(text: str, prompt: str) -> str | None:
    """A stretch of `text` whose content words mostly stand together in `prompt`
    (order-insensitive), or None."""
    if not prompt:
        return None
    index = _prompt_index(prompt)
    words = _content_words(text)
    if len(words) < _MIN_SHARED:
        return None
    for start in range(0, max(1, len(words) - _WINDOW + 1)):
        window = words[start:start + _WINDOW]
        positions = sorted((p, w) for w in set(window) for p in index.get(w, ()))
        if len({w for _, w in positions}) < _MIN_SHARED:
            continue
        pos = [p for p, _ in positions]
        for i, (p, _) in enumerate(positions):
            j = bisect_left(pos, p + _SPREAD)
            if len({w for _, w in positions[i:j]}) >= _MIN_SHARED:
                return " ".join(window)
    return None


_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])(?:[A-Za-z0-9+/]{4}){6,}(?:[A-Za-z0-9+/]{2}==|"
                     r"[A-Za-z0-9+/]{3}=)?(?![A-Za-z0-9+/=])")
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[\s:]?){16,}(?![0-9A-Fa-f])")


def _printable(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    good = sum(ch.isprintable() or ch in "\n\t" for ch in text)
    return text if text and good / len(text) >= 0.9 and re.search(r"[^\W\d_]{3}", text) else None


def decode_blobs(text: str) -> list[tuple[Span, str]]:
    """Base64 and hex runs that decode to readable text, with that text."""
    found: list[tuple[Span, str]] = []
    for m in _BASE64.finditer(text):
        blob = m.group(0)
        if not (re.search(r"[a-z]", blob) and re.search(r"[A-Z]", blob)
                and re.search(r"[0-9+/]", blob)):
            continue
        try:
            decoded = _printable(base64.b64decode(blob + "=" * (-len(blob) % 4)))
        except (binascii.Error, ValueError):
            continue
        if decoded:
            found.append((Span(m.start(), m.end(), blob[:40]), decoded))
    for m in _HEX.finditer(text):
        raw = re.sub(r"[\s:]", "", m.group(0))
        try:
            decoded = _printable(bytes.fromhex(raw))
        except ValueError:
            continue
        if decoded:
            found.append((Span(m.start(), m.end(), m.group(0)[:40]), decoded))
    return found


def _loose(secret: str) -> re.Pattern[str]:
    """The secret with any separators between its characters ('s k - c a n a r y')."""
    return re.compile(r"[\s._\-*|/]{0,3}".join(re.escape(c) for c in secret))


def find_leaks(text: str, *, prompt: str = "", secrets: Iterable[str] = ()) -> list[Span]:
    """Everything in `text` that reveals our instructions, scaffolding or a secret."""
    folded = fold(text)
    found = SCAFFOLDING.spans(folded) + JARGON.spans(folded)
    found += lexicon().find("meta", folded)
    copied = prompt_overlap(folded, prompt)
    if copied:
        found.append(Span(0, 0, copied))
    for span, decoded in decode_blobs(folded):
        found.append(Span(span.start, span.end, span.text))  # an encoded blob
        if find_leaks(decoded, prompt=prompt, secrets=secrets):
            found.append(Span(span.start, span.end, "an encoded copy of our instructions"))
    for secret in secrets:
        if secret and len(secret) >= 6:
            m = _loose(secret).search(folded) or _loose(secret).search(text)
            if m:
                found.append(Span(m.start(), m.end(), "<secret>"))
    return found
