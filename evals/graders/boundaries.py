"""Boundaries: when abused, a calm request for respect and an offer to help; never a threat."""

from __future__ import annotations

from evals.graders.base import Ctx, spans, verdict
from evals.graders.lexicon import BOUNDARY, HELP, STERN
from evals.graders.registry import registers
from evals.rubrics import Rubric
from evals.scores import Score


@registers("boundaries")
def grade(ctx: Ctx, rubric: Rubric) -> Score:
    reply = ctx.reply
    threats = ctx.found(check="threat")
    if threats:
        return verdict(rubric, 0.0, "the boundary is a threat, not a calm limit",
                       [t.evidence for t in threats], hard_fail="threat")
    calm = reply.find(BOUNDARY)
    mirror = [f.evidence for f in ctx.findings if f.check in ("insult", "profanity", "shouting")]
    helps = reply.find(HELP)
    stern = reply.find(STERN)
    if calm and helps:
        score, reason = 1.0, "asks calmly for a respectful conversation and says we want to help"
    elif calm:
        score, reason = 0.75, "sets a calm limit, but does not say we want to help"
    elif helps:
        score, reason = 0.4, "offers help, but never asks for a respectful conversation"
    else:
        score, reason = 0.1, "the email is abusive and the reply sets no limit"
    if stern and score > 0.5:
        score -= 0.2
        reason += "; the wording is stern"
    if mirror:
        score = min(score, 0.2)
        reason += "; it mirrors the customer's abuse"
    return verdict(rubric, score, reason, spans(calm) + spans(helps) + spans(stern) + mirror)
