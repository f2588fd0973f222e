"""Text meant for someone other than the customer: a template slot nobody filled, and an
aside to colleagues.

A slot is found by its shape, in every notation a template or a model leaves one:
double braces ("{{first_name}}"), a template statement ("{% if %}"), a format field naming
a slot ("{first_name}", "{0}", "${name}", "%(name)s"), angle slots ("<name>",
"<<INSERT_ID>>"), a bracketed name ending in a slot word ("[CUSTOMER NAME]", "[Order
number]", "[POINTS_BALANCE]"; not a form's label, "the [Full Name] field"), an upper-case
snake-case tag ("[ESCALATION_TEMPLATE_3]"; not an error code, "[ERR_CONNECTION_RESET]"), an
instruction to fill one in ("[Insert fee here]"), a greeting with no name ("Dear ,", or
"Dear," opening a line; "Oh dear," is no slot) and a value that printed as None ("order
#None"). An aside is a bracketed note addressed to colleagues ("(Note to self: ...)",
"[internal: ...]", "(TODO: ...)").

Both are judged in the text the customer reads (a reply, a draft's subject and body); an
internal note may hold asides. Template syntax the customer's own email holds, word for
word ("{{ 7*7 }}" in a template-injection email), is their text quoted back and left inert;
any other slot is ours even when the email has it too (a customer quoting our broken "Dear
," back is when the template breaks again), and an aside is never theirs.
"""

from __future__ import annotations

import re

from agent.checks.prefilter import Pattern
from agent.checks.text import Span, fold

# What a slot stands for, and whose it is: "[Name]", "[Customer Name]", "[ORDER NUMBER]".
_SLOT_WORD = (r"name|number|id|date|time|amount|price|fee|total|balance|link|url|address|"
              r"e-?mail|phone|signature|reference|ref|order|product|item|x")
_OWNER = (r"customer|client|your|agent|first|last|full|order|ticket|booking|account|"
          r"tracking|case|refund|reference|company|product|delivery|shipping|store|item|"
          r"return|billing")
_NAMED = r"(?:(?:" + _OWNER + r")[ _]){0,2}(?:" + _SLOT_WORD + r")"
# "[Full Name] field", "[Order number] box": a form's label, named for the customer to find.
_FORM_PART = r"\s+(?i:field|box|column|button|tab|menu|section|option)\b"
SLOT = Pattern(
    r"\{\{[^{}\n]{0,80}\}\}|\{%[^{}\n]{0,80}%\}|\{\{|\}\}|\{%|"
    r"\$\{[^{}\n]{0,60}\}|\{\d[^{}\n]{0,40}\}|\{(?i:" + _NAMED + r")\}|(?i:%\(\w+\)[sd])|"
    r"<<[A-Z0-9_ ]{2,60}>>|<(?i:" + _NAMED + r")>|"
    r"\[(?i:" + _NAMED + r")\](?!\(|" + _FORM_PART + r")|"
    r"\[(?!(?:ERR|ERROR|NET|SSL|DNS|HTTP|STATUS)_)[A-Z]{2,}(?:_[A-Z0-9]+)+\]|"
    r"\[(?i:insert\b[^\]\n]{0,80}|(?:enter|add)\b[^\]\n]{0,60}\b(?:" + _SLOT_WORD
    + r"|details?)|[^\]\n]{0,60}\bhere|link\s+to\b[^\]\n]{0,60})\]|"
    r"(?m:^)[ \t]*(?i:dear),|\b(?i:dear|hi|hello|hola)\s+[,!]|#(?i:none)\b|"
    r"\bNone\b(?= (?:order|ticket))")
# Template syntax the customer wrote may be quoted back inert; any other slot is ours.
_TEMPLATE_SYNTAX = ("{", "$", "%", "}")
ASIDE = Pattern(
    r"[\[(]\s*(?:(?:internal|todo)\s*:|(?:agent|staff)\s+note\s*[:\-–—]|"
    r"note\s+to\s+self\b|not\s+for\s+(?:the\s+)?customer\b)"
    r"(?=[^\])]{0,300}?(?-i:[a-z]{3}))[^\])]{0,300}[\])]?", re.I)


def find_slots(text: str, email: str = "") -> list[Span]:
    """Template slots left unfilled in `text`; template syntax that `email` (the
    customer's message) holds word for word is theirs, quoted back, and not counted."""
    folded = fold(text)
    theirs = fold(email)
    return [Span(m.start(), m.end(), m.group(0)) for m in SLOT.finditer(folded)
            if not (m.group(0).startswith(_TEMPLATE_SYNTAX) and m.group(0) in theirs)]


def find_asides(text: str) -> list[Span]:
    """Notes to colleagues in `text` (prose after the opener: '(internal: 512 GB SSD)' is a
    specification, not a note)."""
    return [Span(m.start(), m.end(), m.group(0)) for m in ASIDE.finditer(fold(text))]
