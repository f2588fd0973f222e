"""`calmreply grade`: score replies that already exist (ours or a human's).

The contract (stable; other tools depend on it):

    input  JSONL, one object per line:  {"id": ..., "reply": "...", "email": "..."}
           "id" is any JSON string or number; "email" is optional. Blank lines are skipped.
    output JSONL, one line per input line, in the same order:
           {"id": ..., "situation_source": "analyzer" | "none",
            "scores": {"<rubric>": {"score": 0..1 | null,
                                    "pass": true | false | null,
                                    "reason": "..."}}}

`pass` is null when the rubric does not apply (e.g. boundaries for a polite email, or a
rubric that needs the email when none was given); `score` is then null too. Without an
email, rubrics that can judge the reply alone (empathy, apology, resolution,
professionalism, policy, safety) still do. `situation_source` says what the verdicts
rest on: "analyzer" when the email was given (the rule-based analyzer's reading of it:
fault, category, abuse, whether escalation is due, which can be wrong), "none" when only
the reply was. The whole input is validated before anything is written, and a bad line is
reported by its line number.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import (
    BaseModel,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
)

from agent.config import Policy
from agent.jsonl import parse_jsonl
from evals.graders import grade_reply, uses_semantics
from evals.graders.text import Reply
from evals.rubrics import Rubric
from evals.scores import Score
from evals.situation import REPLY_ONLY, Situation, from_email


@dataclass(frozen=True)
class GradeRequest:
    line: int
    id: str | int | float
    reply: str
    email: str | None


class GradeLine(BaseModel):
    """One input line of the contract."""

    id: StrictStr | StrictInt | StrictFloat
    reply: str
    email: str | None = None

    @field_validator("reply", "email", mode="before")
    @classmethod
    def _text(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name == "email":
            return None
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string" + (
                " when given" if info.field_name == "email" else ""))
        return value


def parse_requests(lines: Iterable[str], source: str = "input") -> list[GradeRequest]:
    return [GradeRequest(number, line.id, line.reply, line.email)
            for number, line in parse_jsonl(lines, GradeLine, source=source,
                                            shape='{"id": ..., "reply": "..."}')]


def contract_score(score: Score) -> dict[str, Any]:
    reason = score.reason
    if score.evidence:
        reason += " (found: " + "; ".join(f'"{e}"' for e in score.evidence[:3]) + ")"
    return {"score": score.score, "pass": score.passed, "reason": reason}


PARALLEL_CHUNK = 250  # requests per task when grading in several processes


def grade_requests(requests: list[GradeRequest], rubrics: dict[str, Rubric],
                   policy: Policy | None = None, *, workers: int = 1
                   ) -> Iterable[dict[str, Any]]:
    """One contract object per request, in order (a generator: output streams).

    Grading is CPU-bound pure Python, so `workers` > 1 spreads chunks of a large input
    over that many processes; the output order is the input order either way."""
    if workers <= 1 or len(requests) < 2 * PARALLEL_CHUNK:
        yield from _grade_chunk(requests, rubrics, policy)
        return
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    chunks = [requests[i:i + PARALLEL_CHUNK] for i in range(0, len(requests), PARALLEL_CHUNK)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for graded in pool.map(partial(_grade_chunk_list, rubrics=rubrics, policy=policy),
                               chunks):
            yield from graded


def _grade_chunk_list(requests: list[GradeRequest], rubrics: dict[str, Rubric],
                      policy: Policy | None) -> list[dict[str, Any]]:
    return list(_grade_chunk(requests, rubrics, policy))


BATCH = 256  # replies whose sentences are embedded in one call


def _grade_chunk(requests: list[GradeRequest], rubrics: dict[str, Rubric],
                 policy: Policy | None) -> Iterable[dict[str, Any]]:
    situations: dict[str, Situation] = {}
    semantic = any(uses_semantics(name) for name in rubrics)
    for start in range(0, len(requests), BATCH):
        batch = requests[start:start + BATCH]
        replies = [Reply(req.reply) for req in batch]
        for req in batch:
            if req.email is not None and req.email not in situations:
                situations[req.email] = from_email(req.email)
        if semantic:  # one embedding call for the batch instead of one per reply
            from evals.graders.semantic import EMBEDDER, email_sentences

            EMBEDDER.prefetch([s.text for reply in replies for s in reply.sentences] + [
                t for req in batch if req.email is not None
                for t in email_sentences(situations[req.email].email or "")])
        for req, reply in zip(batch, replies, strict=True):
            situation = REPLY_ONLY if req.email is None else situations[req.email]
            scores = grade_reply(reply, situation, rubrics, policy)
            yield {"id": req.id, "situation_source": situation.source,
                   "scores": {name: contract_score(s) for name, s in scores.items()}}


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
