"""Text meant for someone other than the customer: a template slot nobody filled, and an
aside to colleagues.

A slot is found by its shape, in every notation a template or a model leaves one:
double braces ("{{first_name}}"), a template statement ("{% if %}"), a format field
("{Vorname}", "{0}", "${name}", "%(name)s"), angle slots ("<name>", "<<INSERT_ID>>"), a
bracketed name ending in a slot word ("[CUSTOMER NAME]", "[Order number]",
"[POINTS_BALANCE]"), an upper-case snake-case tag ("[ESCALATION_TEMPLATE_3]"), an
instruction to fill one in ("[Insert fee here]"), a greeting with no name ("Dear ,") and a
value that printed as None ("order #None"). An aside is a bracketed note addressed to
colleagues ("(Note to self: ...)", "[internal: ...]", "(TODO: ...)").

Both are judged in the text the customer reads (a reply, a draft's subject and body); an
internal note may hold asides. A slot or an aside that the customer's own email holds, word
for word, is their text quoted back and left inert (a template-injection email), not ours.
"""

from __future__ import annotations

import re

from agent.checks.prefilter import Pattern
from agent.checks.text import Span, fold

# What a slot stands for, and whose it is: "[Name]", "[Customer Name]", "[ORDER NUMBER]".
_SLOT_WORD = (r"name|number|id|date|time|amount|price|fee|total|balance|link|url|address|"
              r"e-?mail|phone|signature|reference|ref")
_OWNER = (r"customer|client|your|agent|first|last|full|order|ticket|booking|account|"
          r"tracking|case|refund|reference|company")
SLOT = Pattern(
    r"\{\{[^{}\n]{0,80}\}\}|\{%[^{}\n]{0,80}%\}|\{\{|\}\}|\{%|"
    r"\$\{[^{}\n]{0,60}\}|\{(?:\d[^{}\n]{0,40}|[A-Za-z_][\w.]{0,40})\}|%\(\w+\)[sd]|"
    r"<<[^<>\n]{1,60}>>|<(?i:name|[a-z]+(?:_[a-z]+)+)>|"
    r"\[(?i:(?:(?:" + _OWNER + r")[ _]){0,2}(?:" + _SLOT_WORD + r")|order|product)\](?!\()|"
    r"\[[A-Z]{2,}(?:_[A-Z0-9]+)+\]|\[(?i:insert)\b[^\]\n]{0,80}\]|"
    r"\b(?i:dear)\s*,|\b(?i:dear|hi|hello|hola)\s+[,!]|#None\b|\bNone\b(?= (?:order|ticket))")
ASIDE = Pattern(
    r"[\[(]\s*(?:(?:internal|agent\s+note|staff\s+(?:note|only)|todo)\s*[:\-–—]|"
    r"note\s+to\s+self\b|not\s+for\s+(?:the\s+)?customer\b)[^\])\n]{0,300}[\])]?", re.I)


def _ours(pattern: Pattern, text: str, email: str) -> list[Span]:
    folded = fold(text)
    theirs = fold(email)
    return [Span(m.start(), m.end(), m.group(0)) for m in pattern.finditer(folded)
            if m.group(0) not in theirs]


def find_slots(text: str, email: str = "") -> list[Span]:
    """Template slots left unfilled in `text` (those quoted from `email` excepted)."""
    return _ours(SLOT, text, email)


def find_asides(text: str, email: str = "") -> list[Span]:
    """Notes to colleagues in `text` (those quoted from `email` excepted)."""
    return _ours(ASIDE, text, email)
