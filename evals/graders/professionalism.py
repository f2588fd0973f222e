"""Professionalism: no threats, slang, jargon, blame, lecturing, sarcasm, shouting or profanity.

A threat fails this rubric whatever the customer wrote. Boundaries fails it too, but only
applies when the customer was abusive: a threat in a reply to a polite customer would
otherwise be judged by no rubric at all.
"""

from __future__ import annotations

from evals.graders.base import Ctx, verdict
from evals.graders.lexicon import (
    BLAME,
    DISMISSIVE,
    EMPHASIS,
    EXCLAIM,
    JARGON,
    SARCASM,
    SHIFT,
    SLANG,
)
from evals.graders.registry import registers
from evals.rubrics import Rubric
from evals.scores import Score

# (label, penalty) for each kind of lapse; one serious lapse fails the reply.
_PENALTY = {"profanity": 0.6, "blame": 0.4, "dismissive": 0.4, "sarcasm": 0.4, "shouting": 0.4,
            "slang": 0.3, "jargon": 0.3, "exclamation": 0.3, "emphasis": 0.3}


@registers("professionalism")
def grade(ctx: Ctx, rubric: Rubric) -> Score:
    reply = ctx.reply
    threats = ctx.found(check="threat")
    if threats:
        return verdict(rubric, 0.0, "threatens the customer", [t.evidence for t in threats],
                       hard_fail="threat")
    found: dict[str, list[str]] = {
        "profanity": [f.evidence for f in ctx.found(check="profanity")],
        "blame": [m.text for m in reply.find(BLAME) + reply.find(SHIFT)],
        "dismissive": [m.text for m in reply.find(DISMISSIVE)],
        "sarcasm": [m.text for m in reply.find(SARCASM)],
        "emphasis": [m.group(0) for m in EMPHASIS.finditer(reply.raw)],
        "shouting": [f.evidence for f in ctx.found(check="shouting")],
        "slang": [m.text for m in reply.find(SLANG)],
        "jargon": [m.text for m in reply.find(JARGON) if not m.text.isupper()
                   or m.text in ("SLA", "RMA")],
        "exclamation": [m.text for m in reply.find(EXCLAIM)],
    }
    found = {k: v for k, v in found.items() if v}
    if not found:
        return verdict(rubric, 1.0, "plain, courteous language throughout; no slang, blame, "
                       "sarcasm or shouting found")
    score = 1.0 - sum(_PENALTY[k] for k in found)
    evidence = [f"{k}: {v[0]}" for k, v in found.items()]
    return verdict(rubric, score, "unprofessional: " + ", ".join(found), evidence)
