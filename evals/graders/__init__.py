"""Deterministic graders, one small module per rubric, and `grade_reply` to run them.

Each grader is `grade(ctx, rubric) -> Score`: fast, explainable (every score cites what it
found or says what is missing), and the same for a model's draft or a human's reply.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.config import Policy
from evals.graders import (
    apology,
    boundaries,
    empathy,
    escalation,
    language,
    listening,
    policy,
    professionalism,
    resolution,
    safety,
)
from evals.graders.base import Ctx
from evals.graders.text import Reply
from evals.rubrics import Rubric
from evals.scores import Score
from evals.situation import Situation

Grader = Callable[[Ctx, Rubric], Score]

GRADERS: dict[str, Grader] = {
    "empathy": empathy.grade,
    "apology": apology.grade,
    "boundaries": boundaries.grade,
    "listening": listening.grade,
    "resolution": resolution.grade,
    "professionalism": professionalism.grade,
    "policy": policy.grade,
    "escalation": escalation.grade,
    "language": language.grade,
    "safety": safety.grade,
}


def grade_reply(reply: str, situation: Situation, rubrics: dict[str, Rubric],
                policy: Policy | None = None) -> dict[str, Score]:
    """Every rubric's deterministic verdict on one reply."""
    ctx = Ctx(reply=Reply(reply), situation=situation, policy=policy or Policy())
    out: dict[str, Score] = {}
    for name, rubric in rubrics.items():
        grader = GRADERS.get(name)
        if grader is None:
            out[name] = Score.unscored(name, "no deterministic grader for this rubric",
                                       source="deterministic")
            continue
        out[name] = grader(ctx, rubric)
    return out
