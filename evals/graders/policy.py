"""Policy: nothing promised beyond what an agent may offer. Every breach is a hard fail.

The rules are the guard's (agent/checks/policy.py); the hard-fail id is the check id.
"""

from __future__ import annotations

from evals.graders.base import Ctx, verdict
from evals.graders.registry import registers
from evals.rubrics import Rubric
from evals.scores import Score


@registers("policy")
def grade(ctx: Ctx, rubric: Rubric) -> Score:
    breaches = ctx.found(kind="policy")
    if breaches:
        first = breaches[0]
        return verdict(rubric, 0.0, first.message, [b.evidence for b in breaches],
                       hard_fail=first.check)
    return verdict(rubric, 1.0, "promises nothing beyond policy (no out-of-policy refund, "
                   "amount or deadline found)")
