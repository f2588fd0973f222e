"""The guard: checks every draft before it reaches a support agent.

A draft that fails is revised by the model (bounded) or returned flagged with these
findings; it is never passed on silently. The offline composer's drafts are checked too.
"""

from __future__ import annotations

import re
from functools import lru_cache

from agent.config import Policy
from agent.detect import (
    Span,
    find_early_outcomes,
    find_insults,
    find_leaks,
    find_markup,
    find_money_offers,
    find_profanity,
    find_refund_promises,
    find_shouting,
    find_threats,
    normalize,
)
from agent.errors import redact
from agent.models import Analysis, Draft, GuardFinding

_PLACEHOLDER = re.compile(
    r"#None\b|\bNone\b(?= (order|ticket))|\b(Dear|Hi|Hello|Hola)\s*[,!]|"
    r"\[(customer |your )?(name|order( number)?|product|date)\]|\{\{|\}\}|<name>|"
    r"\{\d[^}\n]*\}|\$\{[^}\n]*\}|%\(\w+\)[sd]",
    re.I,
)
_SHINGLE = 8
_MIN_BODY_WORDS = 12
_MIN_LANGUAGE_CHARS = 80


def _finding(check: str, message: str, span: Span | None = None) -> GuardFinding:
    return GuardFinding(check=check, message=message, evidence=span.text if span else None)


def check_draft(
    draft: Draft,
    analysis: Analysis,
    policy: Policy,
    *,
    system_prompt: str = "",
    secrets: tuple[str, ...] = (),
) -> list[GuardFinding]:
    """Every reason this draft must not go out as it is (empty when it may)."""
    text = normalize(f"{draft.subject}\n{draft.body}")
    findings: list[GuardFinding] = []
    if len(draft.body.split()) < _MIN_BODY_WORDS:
        findings.append(GuardFinding(check="empty", message="the draft has no real reply in "
                                     "it", evidence=draft.body.strip()[:80] or None))
    for span in find_profanity(text):
        findings.append(_finding("profanity", "the draft contains profanity", span))
    for span in find_insults(text):
        findings.append(_finding("insult", "the draft contains an insult", span))
    for span in find_shouting(text):
        findings.append(_finding("shouting", "the draft shouts in capital letters", span))
    for span in find_threats(text):
        findings.append(_finding("threat", "the draft threatens the customer", span))
    for span in find_markup(text):
        findings.append(_finding("markup", "the draft contains HTML or script", span))
    findings += _policy_findings(text, policy)
    findings += _leak_findings(text, system_prompt, secrets)
    for m in _PLACEHOLDER.finditer(text):
        findings.append(GuardFinding(check="placeholder", message="the draft has an empty "
                                     "or unfilled slot", evidence=m.group(0)))
    findings += _language_findings(draft.body, analysis.language)
    # Evidence quotes the draft: a secret in it must not ride along.
    return [f.model_copy(update={"evidence": redact(f.evidence, secrets)}) if f.evidence
            else f for f in findings]


def _policy_findings(text: str, policy: Policy) -> list[GuardFinding]:
    found: list[GuardFinding] = []
    if not policy.refunds:
        for span in find_refund_promises(text):
            found.append(_finding("policy", "the draft promises a refund; the policy does "
                                  "not let agents offer refunds", span))
    limit = max(policy.max_credit if policy.credits else 0.0, policy.max_refund or 0.0)
    for span, amount in find_money_offers(text):
        if amount > limit:
            found.append(_finding("policy", f"the draft offers {span.text}, over the "
                                  f"{limit:g} {policy.currency} an agent may offer", span))
    for span, _sentence in find_early_outcomes(text, policy.response_hours):
        found.append(_finding("policy", "the draft promises an outcome sooner than the "
                              f"policy's {policy.response_hours} hours", span))
    return found


def _leak_findings(text: str, system_prompt: str, secrets: tuple[str, ...]) -> list[GuardFinding]:
    found = [
        _finding("leak", "the draft reveals our instructions or a secret", span)
        for span in find_leaks(text, secrets)
    ]
    if system_prompt:
        copied = _shared_shingle(normalize(text), system_prompt)
        if copied:
            found.append(GuardFinding(check="leak", message="the draft repeats the system "
                                      "prompt", evidence=copied))
    return found


def _language_findings(body: str, expected: str) -> list[GuardFinding]:
    from agent.language import detect_language

    if len(body) < _MIN_LANGUAGE_CHARS:
        return []
    got = detect_language(body)
    if got == expected:
        return []
    return [GuardFinding(check="language", message=f"the draft is in '{got}' but the customer "
                         f"wrote in '{expected}'")]


def _shared_shingle(text: str, source: str) -> str | None:
    """A run of eight words of `source` that also stands in `text`."""
    words = re.findall(r"\w+", text.lower())
    shared = _shingles(source) & {tuple(words[i:i + _SHINGLE])
                                  for i in range(len(words) - _SHINGLE + 1)}
    return " ".join(min(shared)) if shared else None


@lru_cache(maxsize=32)
def _shingles(source: str) -> frozenset[tuple[str, ...]]:
    """Every run of eight words in a system prompt, computed once per prompt."""
    words = re.findall(r"\w+", source.lower())
    return frozenset(tuple(words[i:i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1))
