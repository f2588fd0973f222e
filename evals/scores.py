"""What a grader (deterministic or judge) returns for one reply on one rubric."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Status = Literal["scored", "not_applicable", "unscored"]
Source = Literal["deterministic", "judge"]


class Score(BaseModel):
    """One rubric's verdict on one reply.

    `score` is 0..1 when scored and None otherwise. `passed` is None when the rubric does
    not apply or could not be scored (a judge that failed to answer): never a guess.
    Every verdict says why, and cites the spans it found (`evidence`) or what is missing.
    """

    model_config = ConfigDict(extra="forbid")

    rubric: str
    score: float | None
    passed: bool | None
    status: Status
    reason: str
    evidence: list[str] = []
    hard_fail: str | None = None
    source: Source = "deterministic"

    @classmethod
    def not_applicable(cls, rubric: str, reason: str) -> Score:
        return cls(rubric=rubric, score=None, passed=None, status="not_applicable",
                   reason=reason)

    @classmethod
    def unscored(cls, rubric: str, reason: str, source: Source = "judge") -> Score:
        return cls(rubric=rubric, score=None, passed=None, status="unscored", reason=reason,
                   source=source)
