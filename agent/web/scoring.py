"""The one bridge from the desk to the graders in `evals/`.

Scores have the shape of one `calmreply grade` output line, built by the same code
(`evals.grade.grade_requests`), so the desk and `calmreply grade` can never disagree:
`{"<rubric>": {"score": 0..1 | null, "pass": true | false | null, "reason": "..."}}`.
evals is imported lazily, so the desk still drafts when the graders are missing or broken;
the page then says scoring is unavailable instead of silently showing no scores.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from agent.config import Policy

Scores = dict[str, dict[str, Any]]


class ScoringUnavailable(RuntimeError):
    """The graders could not be loaded; the message says why."""


def grade_one(reply: str, email: str | None, record_id: str | int | float | None,
              rubrics: list[str] | None, policy: Policy | None) -> Scores:
    """Score one reply exactly as `calmreply grade` scores the line {id, reply, email}."""
    try:
        from evals.grade import GradeRequest, grade_requests
        from evals.rubrics import load_rubrics, pick
    except ImportError as exc:
        raise ScoringUnavailable(f"the graders in evals/ could not be loaded ({exc})") from None
    chosen = pick(load_rubrics(), rubrics or [])  # an unknown name is an InputError
    request = GradeRequest(line=1, id=record_id if record_id is not None else "",
                           reply=reply, email=email or None)
    line = next(iter(grade_requests([request], chosen, policy)))
    return {str(name): dict(value) for name, value in line["scores"].items()}


async def score_reply(reply: str, email: str | None = None, *,
                      record_id: str | int | float | None = None,
                      rubrics: list[str] | None = None, policy: Policy | None = None) -> Scores:
    """`grade_one` off the event loop (grading is CPU work; the page stays responsive)."""
    return await run_in_threadpool(grade_one, reply, email, record_id, rubrics, policy)
