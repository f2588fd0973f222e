"""Listening: the customer's own specifics restated; open questions where facts are missing."""

from __future__ import annotations

from functools import lru_cache

from agent.checks.money import Amount, find_amounts
from agent.checks.prefilter import Pattern
from agent.checks.text import lowered
from evals.graders.base import Ctx, verdict
from evals.graders.lexicon import QUESTION, TOPIC
from evals.graders.registry import registers
from evals.rubrics import Rubric
from evals.scores import Score


@lru_cache(maxsize=32)
def _issue_pattern(pattern: str) -> Pattern:
    return Pattern(lowered(r"\b(" + pattern + r")"))


def _amount_mentioned(amount: Amount, text: str) -> bool:
    """The same sum of money in any notation ("$2,400", "2400 dollars", "$2.4k")."""
    return any(abs(a.value - amount.value) < 0.005 for a in find_amounts(text))


def _mentioned(item: str, text: str) -> bool:
    """`item` in `text` at the start of a word; a number not inside a longer number. Plain
    string search: a regex per item would be compiled anew for every email."""
    item = item.strip().lower()
    if not item:
        return True
    number = item.replace(".", "").replace(",", "").isdigit()
    start = text.find(item)
    while start >= 0:
        before = text[start - 1] if start else " "
        after = text[start + len(item)] if start + len(item) < len(text) else " "
        if number:
            if not (before.isdigit() or before in ".,") and not after.isdigit():
                return True
        elif not (before.isalnum() or before == "_") or not (item[0].isalnum()
                                                             or item[0] == "_"):
            return True
        start = text.find(item, start + 1)
    return False


@registers("listening")
def grade(ctx: Ctx, rubric: Rubric) -> Score:
    reply, situation = ctx.reply, ctx.situation
    items = list(situation.must_mention)
    amount = None
    if not items:
        items = list(situation.order_ids)
        if situation.product:
            items.append(situation.product.split()[-1])
        amounts = find_amounts(situation.email or "")
        amount = amounts[0] if amounts else None
    text = reply.lower
    found = [i for i in items if _mentioned(i, text)]
    missing = [i for i in items if i not in found]
    if amount is not None:
        items.append(amount.span.text)
        (found if _amount_mentioned(amount, reply.text) else missing).append(amount.span.text)
    share = len(found) / len(items) if items else 1.0
    pattern = TOPIC.get(situation.category or "other", TOPIC["other"])
    issue = reply.first(_issue_pattern(pattern))
    question = reply.first(QUESTION)

    # One restated specific plus the problem itself shows the customer was heard.
    score = 0.45 * min(1.0, share * 2) + 0.35 * bool(issue) + 0.2 * bool(question or share)
    evidence = [f"mentions '{i}'" for i in found]
    if issue:
        evidence.append(issue.text)
    if question:
        evidence.append(question.text)
    parts = []
    if missing:
        parts.append("does not restate " + ", ".join(f"'{m}'" for m in missing))
    if not issue:
        parts.append("does not restate what went wrong")
    if missing and not question:
        parts.append("asks no clarifying question")
    reason = "; ".join(parts) if parts else "restates the customer's specifics"
    if parts and not missing and issue:
        reason = "restates the customer's specifics"
    return verdict(rubric, score, reason, evidence)
