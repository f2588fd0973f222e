"""Empathy: a feeling named and tied to this customer's situation, not a stock phrase."""

from __future__ import annotations

from evals.graders.base import Ctx, spans, verdict
from evals.graders.lexicon import APOLOGY, EMPATHY_FORMULA, FEELING, FORMULAIC, SARCASM
from evals.graders.registry import registers
from evals.rubrics import Rubric
from evals.scores import Score


@registers("empathy")
def grade(ctx: Ctx, rubric: Rubric) -> Score:
    reply = ctx.reply
    formula = reply.find(EMPATHY_FORMULA)
    in_formula = [(m.start, m.end) for m in formula]
    feelings = [m for m in reply.find(FEELING)
                if not any(s <= m.start < e for s, e in in_formula)]
    sarcasm = reply.find(SARCASM)
    if sarcasm:
        return verdict(rubric, 0.1, "sympathy undercut by sarcasm", spans(sarcasm))
    def tied(pos: int) -> bool:
        return ctx.topical(pos, before=True, after=True)

    tied_feelings = [m for m in feelings if tied(m.start)]
    if tied_feelings:
        ev = [reply.sentence_at(m.start).text for m in tied_feelings][:2]
        return verdict(rubric, 1.0, "names the customer's feeling and ties it to their "
                       "situation", ev)
    # A personal, situated "I'm sorry" acknowledges the customer when no stock line is used.
    weak = [(m.start, m.end) for m in reply.find(FORMULAIC)]
    personal = [m for m in reply.find(APOLOGY)
                if not m.text.lower().startswith(("our", "please", "disculp"))
                and not any(m.start < e and s < m.end for s, e in weak)
                and tied(m.start)]
    if personal and not formula:
        return verdict(rubric, 0.65, "acknowledges the customer through a personal apology "
                       "tied to their situation, without naming a feeling",
                       [reply.sentence_at(personal[0].start).text])
    if feelings:
        return verdict(rubric, 0.6, "acknowledges a feeling, but not what caused it for this "
                       "customer", [reply.sentence_at(m.start).text for m in feelings][:2])
    if formula:
        return verdict(rubric, 0.3, "formula only: a stock phrase not tied to anything the "
                       "customer said", spans(formula))
    return verdict(rubric, 0.0, "no acknowledgement of how the customer feels")
