"""Listening: the customer's own specifics restated; open questions where facts are missing."""

from __future__ import annotations

import re
from functools import lru_cache

from evals.graders.base import Ctx, verdict
from evals.graders.lexicon import QUESTION, TOPIC
from evals.graders.text import lowered
from evals.rubrics import Rubric
from evals.scores import Score

_MONEY = re.compile(r"[$€£]\s?\d+(?:[.,]\d{2})?|\b\d+(?:[.,]\d{2})?\s?(?:USD|EUR|GBP)\b")


@lru_cache(maxsize=32)
def _issue_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(lowered(r"\b(" + pattern + r")"))


def _mentioned(item: str, text: str) -> bool:
    item = item.strip().lower()
    if not item:
        return True
    if item.replace(".", "").replace(",", "").isdigit():
        return re.search(r"(?<![\d.,])" + re.escape(item) + r"(?![\d])", text) is not None
    return re.search(r"\b" + re.escape(item), text) is not None


def grade(ctx: Ctx, rubric: Rubric) -> Score:
    reply, situation = ctx.reply, ctx.situation
    if not situation.known or situation.email is None:
        return Score.not_applicable(rubric.name, "needs the customer's email to know what "
                                    "should be restated")
    items = list(situation.must_mention)
    if not items:
        items = list(situation.order_ids)
        if situation.product:
            items.append(situation.product.split()[-1])
        items += [m.group(0) for m in _MONEY.finditer(situation.email)][:1]
    text = reply.lower
    found = [i for i in items if _mentioned(i, text)]
    missing = [i for i in items if i not in found]
    share = len(found) / len(items) if items else 1.0
    pattern = TOPIC.get(situation.category or "other", TOPIC["other"])
    issue = reply.first(_issue_pattern(pattern))
    question = reply.first(QUESTION)

    # One restated specific plus the problem itself shows the customer was heard.
    score = 0.45 * min(1.0, share * 2) + 0.35 * bool(issue) + 0.2 * bool(question or share)
    evidence = [f"mentions '{i}'" for i in found]
    if issue:
        evidence.append(issue.group(0))
    if question:
        evidence.append(question.group(0))
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
