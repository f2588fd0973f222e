"""Apology: fitted to fault. Non-apologies fail; "any inconvenience" filler is weak."""

from __future__ import annotations

from evals.graders.base import Ctx, spans, verdict
from evals.graders.lexicon import (
    APOLOGY,
    BLAME,
    EXCUSE,
    FORMULAIC,
    NON_APOLOGY,
    OWNERSHIP,
    SHIFT,
)
from evals.graders.registry import registers
from evals.rubrics import Rubric
from evals.scores import Score


@registers("apology")
def grade(ctx: Ctx, rubric: Rubric) -> Score:
    reply, situation = ctx.reply, ctx.situation
    fault = situation.expected_fault
    non = reply.find(NON_APOLOGY)
    formula = reply.find(FORMULAIC)
    owned = reply.find(OWNERSHIP)
    excuses = reply.find(EXCUSE) + reply.find(SHIFT)
    in_weak = [(m.start, m.end) for m in non + formula]
    genuine = [m for m in reply.find(APOLOGY)
               if not any(m.start < e and s < m.end for s, e in in_weak)]
    # The apology's sentence, or the one right after a bare "I'm sorry.", is specific.
    specific = [m for m in genuine if ctx.topical(m.start, after_if_short=60)]

    if non:
        return verdict(rubric, 0.3 if genuine else 0.1,
                       "non-apology: it regrets the customer's feelings, not what happened",
                       spans(non))
    excuse_note = ""
    penalty = 0.0
    if excuses and fault != "theirs":
        penalty = 0.3
        excuse_note = "; it makes excuses"
    ev = [reply.sentence_at(m.start).text for m in specific or genuine][:2] + spans(owned)
    ev += spans(excuses)

    if fault == "ours":
        if specific and owned:
            return verdict(rubric, 1.0 - penalty, "apologises for the specific failure and "
                           "owns it" + excuse_note, ev)
        if specific or (genuine and owned):
            missing = "does not say plainly that it was our fault" if specific else \
                "the apology is not tied to what went wrong"
            return verdict(rubric, 0.75 - penalty, f"apologises, but {missing}" + excuse_note,
                           ev)
        if genuine:
            return verdict(rubric, 0.45 - penalty, "a generic apology where we are at fault: "
                           "it names neither the failure nor our part in it", ev)
        if formula:
            return verdict(rubric, 0.3, "only formulaic filler ('any inconvenience') where "
                           "we are at fault", spans(formula))
        return verdict(rubric, 0.0, "no apology, although the fault is ours")

    if fault == "theirs":
        blame = reply.find(BLAME)
        if blame:
            return verdict(rubric, 0.3, "the mistake was the customer's, and the reply blames "
                           "them for it instead of letting them save face", spans(blame))
        if genuine or formula or owned:
            return verdict(rubric, 0.9, "apologises for the experience without blame; the "
                           "customer's own mistake needs no admission from us",
                           ev or spans(formula))
        return verdict(rubric, 0.8, "no apology, and none is owed for the customer's own "
                       "mistake; no blame found either")

    # Fault unclear, or unknown (a reply graded on its own).
    if genuine:
        note = "apologises for the customer's experience" if not specific else \
            "apologises for the specific problem"
        return verdict(rubric, (0.9 if specific else 0.8) - penalty, note + excuse_note, ev)
    if formula:
        return verdict(rubric, 0.4, "only formulaic filler ('any inconvenience'): weak, not "
                       "an apology for what the customer went through", spans(formula))
    if not situation.known:
        return Score.not_applicable(rubric.name, "no apology, and without the email it is "
                                    "unknown whether one was owed")
    if situation.violent or situation.injection:
        return verdict(rubric, 0.6, "no apology; acceptable here, where the email's demand "
                       "(a threat or planted instructions) is not ours to apologise for")
    return verdict(rubric, 0.2, "no apology for the customer's experience")
