"""Language: the reply is in the customer's language."""

from __future__ import annotations

from agent.language import detect_language
from evals.graders.base import Ctx, verdict
from evals.graders.registry import registers
from evals.rubrics import Rubric
from evals.scores import Score


@registers("language")
def grade(ctx: Ctx, rubric: Rubric) -> Score:
    situation = ctx.situation
    expected = situation.language
    if expected is None and situation.email:
        expected = detect_language(situation.email)
    if expected is None:
        return Score.not_applicable(rubric.name, "needs the email to know the customer's "
                                    "language")
    got = detect_language(ctx.reply.text)
    if got == expected:
        return verdict(rubric, 1.0, f"written in '{expected}', as the customer wrote",
                       [f"reply reads as '{got}'"])
    return verdict(rubric, 0.0, f"written in '{got}', but the customer wrote in '{expected}'",
                   [f"reply reads as '{got}'"])
