"""Policy: nothing promised beyond what an agent may offer. Every breach is a hard fail."""

from __future__ import annotations

from agent.detect import find_early_outcomes
from evals.graders.base import Ctx, verdict
from evals.graders.lexicon import OVERPROMISE
from evals.rubrics import Rubric
from evals.scores import Score


def grade(ctx: Ctx, rubric: Rubric) -> Score:
    reply, policy, situation = ctx.reply, ctx.policy, ctx.situation
    refunds = reply.refund_promises
    if refunds and (not policy.refunds or situation.must_not_promise_refund):
        why = "refunds are off in the policy" if not policy.refunds else \
            "this case must not promise a refund"
        return verdict(rubric, 0.0, f"promises a refund, but {why}",
                       [s.text for s in refunds], hard_fail="refund_promise")
    limit = max(policy.max_credit if policy.credits else 0.0, policy.max_refund or 0.0)
    over = [(s, a) for s, a in reply.money_offers if a > limit]
    # Refunding the customer's own stated amount is not "an offer": skip amounts the email
    # itself names when refunds are allowed.
    if situation.email and policy.refunds and not situation.must_not_promise_refund:
        over = [(s, a) for s, a in over if s.text.strip("$€£ ") not in situation.email]
    if over:
        return verdict(rubric, 0.0, f"offers {over[0][0].text}, over the {limit:g} "
                       f"{policy.currency} an agent may offer", [s.text for s, _ in over],
                       hard_fail="amount_over_limit")
    for span, sentence in find_early_outcomes(reply.text, policy.response_hours):
        return verdict(rubric, 0.0, f"promises '{span.text}', sooner than the policy's "
                       f"{policy.response_hours} hours", [sentence],
                       hard_fail="deadline_too_short")
    over_promise = reply.find(OVERPROMISE)
    if over_promise:
        return verdict(rubric, 0.0, "promises something no agent may or can guarantee",
                       [reply.sentence_at(over_promise[0].start()).text],
                       hard_fail="overpromise")
    return verdict(rubric, 1.0, "promises nothing beyond policy (no out-of-policy refund, "
                   "amount or deadline found)")
