"""What an agent may promise: one limit, one set of money and timeline rules.

Used by the guard on every draft and by the policy grader in every eval, so a promise is
judged the same way in both. Every amount in the reply counts, whether or not an offer word
stands beside it: an amount is allowed when it is within the goodwill credit limit, when it
restates an amount the customer stated, or when it is a refund no larger than `max_refund`
(or, when that is unset, than the most the customer says they paid). Compensation acts
are checked against what the policy turns on (refunds, credits), and a refund of
something bought longer ago than the refund window is out of policy unless the reply only
asks for it to be reviewed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent.checks.money import Act, find_acts, find_amounts, stated_amounts
from agent.checks.text import Span, fold, sentences
from agent.checks.timeline import elapsed_days, find_early_outcomes

if TYPE_CHECKING:  # config imports inbound, which imports the checks' normaliser
    from agent.config import Policy


def credit_limit(policy: Policy) -> float:
    """The most money an agent may offer as goodwill (0 when credits are off)."""
    return policy.max_credit if policy.credits else 0.0


def money_limit(policy: Policy) -> float:
    """The largest amount an agent may name without the customer having paid it."""
    refund = policy.max_refund if policy.refunds and policy.max_refund is not None else 0.0
    return max(credit_limit(policy), refund)


def limit_text(policy: Policy) -> str:
    return f"{money_limit(policy):g} {policy.currency}"


@dataclass(frozen=True)
class Breach:
    check: str  # refund_promise | credit_promise | amount_over_limit | refund_outside_window
    #           | deadline_too_short | overpromise
    message: str
    span: Span
    value: float | None = None


# A refund that is only asked for, reviewed or escalated is not a promise.
_HEDGE = re.compile(
    r"\b(?:review\w*|consider\w*|look\s+(?:into|at)|ask\w*|request\w*|escalat\w*|"
    r"team\s+lead|manager|supervisor|exception|check\s+whether|see\s+whether|see\s+if|"
    r"eligible|may\s+be\s+able|might\s+be\s+able|revis\w*|consult\w*|pr[üu]f\w*)\b", re.I)

OVERPROMISE = re.compile(
    r"\bguarantee\w*\b|\bwithout\s+fail\b|\bsin\s+falta\b|\bsans\s+faute\b|\bgaranti\w*|"
    r"\bforever\b|\bunlimited\b|\bas\s+many\s+(?:replacements|refunds|times)|"
    r"\bon\s+everything\b|\bmake\s+an\s+exception|\bhacer\s+una\s+excepci[óo]n|"
    r"\b100\s?%\s+refund|\bno\s+return\s+(?:is\s+)?needed|\bper\s+the\s+(?:updated|new|"
    r"internal)\s+policy|\brefund\s+(?:is\s+)?(?:confirmed|approved)\b|\bi\s+can\s+confirm\s+"
    r"(?:your|a|the)\s+(?:full\s+)?refund|\bwill\s+never\s+happen\s+again|\bwon't\s+ship\b|"
    r"\bpre-?approved\b|\bapproved\s+(?:a|the|your)\s+(?:full\s+)?refund", re.I)


def _bare_amounts(sentence: str) -> list[tuple[Span, float]]:
    """'a refund of 500', 'credit for 250': figures without a currency in a money sentence."""
    out: list[tuple[Span, float]] = []
    for m in re.finditer(r"\b(?:of|for|worth|totall?ing|amounting\s+to|de|von|van|di)\s+"
                         r"(\d{2,3}(?:[.,]\d{3})*|\d{2,7})(?![\d.,]*\s*(?:%|hours?|days?|"
                         r"weeks?|months?|years?|items?|orders?|horas|d[íi]as|stunden|tage))",
                         sentence, re.I):
        digits = re.sub(r"[.,]", "", m.group(1))
        out.append((Span(m.start(1), m.end(1), m.group(1)), float(digits)))
    return out


def find_breaches(text: str, policy: Policy, *, email: str | None = None,
                  must_not_refund: bool = False) -> list[Breach]:
    """Every promise in `text` beyond `policy`. `email` is the customer's message (amounts
    they paid may be restated; how long ago they bought decides the refund window)."""
    folded = fold(text)
    found: list[Breach] = []
    acts = find_acts(folded)
    live = [a for a in acts if not a.negated]
    refunds_allowed = policy.refunds and not must_not_refund
    for act in live:
        if act.kind == "refund" and not refunds_allowed:
            why = "the policy does not let agents offer refunds" if not policy.refunds \
                else "this case must not promise a refund"
            found.append(Breach("refund_promise", f"promises a refund; {why}", act.span))
        elif act.kind == "credit" and not policy.credits:
            found.append(Breach("credit_promise", "offers credit or compensation; the "
                                "policy does not let agents offer it", act.span))
        elif act.kind == "multiplier":
            found.append(Breach("amount_over_limit", "offers more than the money back",
                                act.span))
    found += _amount_breaches(folded, policy, live, email)
    if refunds_allowed and email:
        found += _window_breaches(live, policy, email)
    for span, _ in find_early_outcomes(folded, policy.response_hours):
        found.append(Breach("deadline_too_short", f"promises '{span.text}', sooner than the "
                            f"policy's {policy.response_hours} hours", span))
    for m in OVERPROMISE.finditer(folded):
        found.append(Breach("overpromise", "promises what no agent may or can guarantee",
                            Span(m.start(), m.end(), m.group(0))))
    return found


def _amount_breaches(folded: str, policy: Policy, live: list[Act],
                     email: str | None) -> list[Breach]:
    stated = stated_amounts(email) if email else set()
    most = max(stated, default=0.0)
    credit = credit_limit(policy)
    out: list[Breach] = []
    amounts = [(a.span, a.value) for a in find_amounts(folded)]
    for sentence in sentences(folded):
        if any(a.span.start >= sentence.start and a.span.end <= sentence.end for a in live):
            taken = [(s.start, s.end) for s, _ in amounts]
            for span, value in _bare_amounts(sentence.text):
                span = Span(sentence.start + span.start, sentence.start + span.end, span.text)
                if not any(s <= span.start < e for s, e in taken):
                    amounts.append((span, value))
    for span, value in amounts:
        if value <= credit + 1e-9:
            continue
        if _only_reviewed(sentence_of(folded, span)):
            continue  # "the $35 fee is above what I can credit; a team lead will review it"
        acts_here = [a for a in live if _same_sentence(folded, a.span, span)]
        if value in stated and not (acts_here and _OFFER.search(sentence_of(folded, span))):
            continue  # restating what the customer said ("your $160 gift card balance")
        if policy.refunds and acts_here and all(a.kind == "refund" for a in acts_here):
            cap = policy.max_refund if policy.max_refund is not None else most
            if value <= cap + 1e-9:
                continue  # a refund up to what they paid (or the configured cap)
        out.append(Breach("amount_over_limit", f"names {span.text}, over the "
                          f"{limit_text(policy)} an agent may offer", span, value))
    return out


# Someone on our side gives or will give something: the sentence is an offer.
_OFFER = re.compile(r"\b(?:we|i)(?:'ll|\s+will|\s+can|\s+could|\s+shall|'d\s+like\s+to|"
                    r"\s+would\s+like\s+to|\s+are\s+going\s+to|\s+have|'ve|\s+am\s+going\s+to)?"
                    r"\s+(?:\w+\s+)?(?:offer|send|give|issu|add|credit|transfer|pay|refund|provid|"
                    r"apply|put)\w*\b|\byou(?:'ll|\s+will)\s+(?:get|receive|have)\b|"
                    r"\b(?:le|te|les)\s+\w+(?:emos|é|á)\b|\bwir\s+(?:werden|erstatten|geben)\b|"
                    r"\bnous\s+(?:allons|vous)\b", re.I)
_APPROVED = re.compile(r"\b(?:pre-?approved|approved|authori[sz]ed|confirmed|granted|"
                       r"aprobad\w*|genehmigt|approuv\w*)\b", re.I)


def _only_reviewed(sentence: str) -> bool:
    """The sentence hands an amount to someone to decide, without approving it."""
    return bool(_HEDGE.search(sentence)) and not _APPROVED.search(sentence)


def sentence_of(text: str, span: Span) -> str:
    return next((s.text for s in sentences(text) if s.start <= span.start < s.end), "")


def _same_sentence(text: str, a: Span, b: Span) -> bool:
    return any(s.start <= a.start < s.end and s.start <= b.start < s.end
               for s in sentences(text))


def _window_breaches(live: list[Act], policy: Policy, email: str) -> list[Breach]:
    days = elapsed_days(email)
    if days is None or days <= policy.refund_window_days:
        return []
    return [Breach("refund_outside_window", f"promises a refund for something bought about "
                   f"{days:g} days ago, outside the {policy.refund_window_days}-day window",
                   act.span) for act in live
            if act.kind == "refund" and not _HEDGE.search(act.sentence)]
