"""Resolution: a concrete next step (or options) and when it happens."""

from __future__ import annotations

import re

from evals.graders.base import Ctx, spans, verdict
from evals.graders.lexicon import ACTION, TIMELINE, VAGUE
from evals.graders.registry import registers
from evals.rubrics import Rubric
from evals.scores import Score

# Past-tense actions: something has already been done for the customer.
_DONE = re.compile(r"('ve|\bhave|\bhas)\s+(now\s+|already\s+|just\s+|also\s+)?(been\s+)?\w+ed\b|"
                   r"\b(he|hemos|j'ai|habe)\b", re.I)


@registers("resolution")
def grade(ctx: Ctx, rubric: Rubric) -> Score:
    reply = ctx.reply
    vague = reply.find(VAGUE)
    actions = [m for m in reply.find(ACTION)
               if not any(m.start < v.end and v.start <= m.end + 1 for v in vague)]
    times = reply.find(TIMELINE)
    ev = spans(actions)[:3] + spans(times)[:2]
    if actions and times:
        return verdict(rubric, 1.0, "gives a concrete next step and when it happens", ev)
    done = [m for m in actions if _DONE.search(m.text)]
    if done:
        return verdict(rubric, 0.75, "reports an action already taken (no time needed for "
                       "what is done)", ev)
    if actions:
        extra = " (only 'as soon as possible' or similar)" if vague else ""
        return verdict(rubric, 0.5, "a next step, but no time for it" + extra,
                       ev + spans(vague))
    if times:
        return verdict(rubric, 0.6, "says when the customer will hear or get something, "
                       "without naming the step", ev)
    if vague:
        return verdict(rubric, 0.2, "only vague promises, no step and no time", spans(vague))
    return verdict(rubric, 0.0, "no next step, options or timeline")
