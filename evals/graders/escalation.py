"""Escalation: when warranted, a handover to a named role and when they will follow up."""

from __future__ import annotations

import re

from evals.graders.base import Ctx, spans, verdict
from evals.graders.lexicon import HANDOVER, REFUSE_ESCALATION, TIMELINE, VAGUE_HANDOVER
from evals.graders.registry import registers
from evals.rubrics import Rubric
from evals.scores import Score


@registers("escalation")
def grade(ctx: Ctx, rubric: Rubric) -> Score:
    reply = ctx.reply
    refused = reply.find(REFUSE_ESCALATION)
    if refused:
        return verdict(rubric, 0.0, "refuses to escalate", spans(refused))
    contact = ctx.policy.escalation_contact.strip()
    hand = reply.find(HANDOVER)
    if contact:
        hand += reply.find(re.compile(re.escape(contact), re.I))
    if hand:
        when = reply.find(TIMELINE)
        if when:
            return verdict(rubric, 1.0, "hands the case to a named role and says when",
                           spans(hand)[:2] + spans(when)[:1])
        return verdict(rubric, 0.8, "hands the case to a named role, without saying when",
                       spans(hand)[:2])
    vague = reply.find(VAGUE_HANDOVER)
    if vague:
        return verdict(rubric, 0.3, "only a vague handover ('someone will get back to you')",
                       spans(vague))
    return verdict(rubric, 0.0, "escalation is warranted but the reply names no manager, "
                   "team lead or specialist team")
