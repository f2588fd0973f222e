"""Deterministic graders, one small module per rubric, and `grade_reply` to run them.

Each grader is `grade(ctx, rubric) -> Score`, registered with its rubric (see registry.py):
fast, explainable (every score cites what it found or says what is missing), and the same
for a model's draft or a human's reply. Whether a rubric applies at all comes from the
rubric's YAML (`applies`, `needs_email`) and is decided here, once, for every grader.
"""

from __future__ import annotations

import re
from functools import lru_cache

from agent.checks.prefilter import Pattern
from agent.config import Policy
from evals.graders.base import Ctx
from evals.graders.registry import grader_for
from evals.graders.text import Reply
from evals.rubrics import Rubric
from evals.scores import Score
from evals.situation import Situation


def not_applicable(rubric: Rubric, situation: Situation) -> str | None:
    """Why `rubric` does not apply to a reply in `situation`, or None when it does."""
    if not situation.known:
        if rubric.needs_email:
            return "needs the customer's email, and none was given"
        return None  # judged on the reply alone
    if rubric.applies == "abusive" and not situation.needs_boundary:
        return "the email is not abusive"
    if rubric.applies == "escalate" and not situation.needs_escalation:
        return "nothing in the email calls for escalation"
    if rubric.applies == "problem" and not reports_problem(situation):
        return "the email reports no problem or frustration (a thank-you or a question)"
    return None


_THANKS = Pattern(r"\b(thanks?|thank\s+you|grateful|appreciate\w*|great\s+(service|job|"
                  r"work)|works\s+(perfectly|great|fine)|brilliant|excellent|amazing|"
                  r"love\s+(it|the)|well\s+done|kudos|gracias|merci|danke|obrigad[oa]|"
                  r"bedankt)\b", re.I)
_TROUBLE = Pattern(r"\b(not|no|never|still|yet|late|delay\w*|broken|damaged|wrong|missing|"
                   r"lost|twice|refund\w*|charged?|cancel\w*|problem|issue|complain\w*|"
                   r"disappoint\w*|frustrat\w*|angry|annoy\w*|worst|terrible|awful|"
                   r"unacceptable|can'?t|cannot|won'?t|doesn'?t|didn'?t|isn'?t|hasn'?t|"
                   r"haven'?t|fail\w*|error|stuck|locked|rude)\b", re.I)


def reports_problem(situation: Situation) -> bool:
    """The label when there is one; else an email of thanks or praise with no word of
    trouble reports none; else the `problem` head's reading (true when there is none)."""
    if situation.problem is not None:
        return situation.problem
    email = situation.email or ""
    if _THANKS.search(email) and not _TROUBLE.search(email):
        return False
    from evals.graders.semantic import email_reports_problem

    return email_reports_problem(email) is not False


@lru_cache(maxsize=64)
def uses_semantics(rubric: str) -> bool:
    """Whether grading `rubric` reads sentence embeddings (a head, or a tone it caps)."""
    from evals.graders.semantic import SPOILS, has_head

    return has_head(rubric) or any(rubric in spoiled for spoiled in SPOILS.values())


def grade_reply(reply: str | Reply, situation: Situation, rubrics: dict[str, Rubric],
                policy: Policy | None = None, *, rules_only: bool = False
                ) -> dict[str, Score]:
    """Every rubric's verdict on one reply: the rules, moved by the semantic scorer where
    the rubric has a head (see semantic.py). `rules_only` gives the rule layer alone (what
    the heads are trained on top of)."""
    from evals.graders.semantic import combine

    ctx = Ctx(reply=reply if isinstance(reply, Reply) else Reply(reply), situation=situation,
              policy=policy or Policy())
    out: dict[str, Score] = {}
    for name, rubric in rubrics.items():
        why_not = not_applicable(rubric, situation)
        if why_not is not None:
            out[name] = Score.not_applicable(name, why_not)
            continue
        grader = grader_for(name)
        if grader is None:
            out[name] = Score.unscored(name, "no deterministic grader for this rubric",
                                       source="deterministic")
            continue
        score = grader(ctx, rubric)
        semantic = not rules_only and uses_semantics(name)
        out[name] = combine(ctx, rubric, score) if semantic else score
    return out
