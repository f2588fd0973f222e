"""What a run produces: per case and attempt, per rubric, and the suite-level verdict.

This is the JSON report's schema, and what `--baseline RUN.json` reads back.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from agent.models import Usage
from evals.scores import Score


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Attempt(_Model):
    """One draft of one case (there are K with --repeat K) and its verdicts."""

    draft: str | None = None
    subject: str | None = None
    source: str | None = None  # "model" or "offline"
    flagged: bool = False
    error: str | None = None
    usage: Usage | None = None  # tokens the draft took, as the server reported them
    scores: dict[str, Score] = {}  # the final verdict per rubric
    deterministic: dict[str, Score] = {}  # kept beside a judge verdict when both ran
    judge: dict[str, Score] = {}


class CaseStat(_Model):
    """One rubric on one case across its attempts: the spread shows flaky judgments."""

    passes: int
    scored: int
    mean: float | None
    low: float | None
    high: float | None

    @property
    def spread(self) -> float:
        return 0.0 if self.low is None or self.high is None else round(self.high - self.low, 3)

    @property
    def flaky(self) -> bool:
        return 0 < self.passes < self.scored

    @property
    def passed(self) -> bool | None:
        """Majority verdict across attempts; None when never scored."""
        return None if self.scored == 0 else self.passes * 2 >= self.scored


class CaseResult(_Model):
    id: str
    tags: list[str] = []
    email: str
    attempts: list[Attempt]
    stats: dict[str, CaseStat] = {}

    @property
    def first(self) -> Attempt:
        return self.attempts[0]


class RubricSummary(_Model):
    rubric: str
    hash: str
    threshold: float
    pass_score: float
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0
    unscored: int = 0
    hard_fails: int = 0
    mean_score: float | None = None
    pass_rate: float | None = None  # passed / (passed + failed); None when nothing applied
    ok: bool = True


class Change(_Model):
    case: str
    rubric: str
    before: bool | None
    after: bool | None
    before_score: float | None
    after_score: float | None
    reason: str = ""


class Comparison(_Model):
    """Case-by-case differences between a baseline run and this one."""

    baseline: str
    regressions: list[Change] = []
    improvements: list[Change] = []
    rubric_rates: dict[str, tuple[float | None, float | None]] = {}
    only_in_baseline: list[str] = []
    only_in_current: list[str] = []


class RunResult(_Model):
    suite: str
    suite_path: str | None = None
    label: str = ""
    started: dt.datetime
    seconds: float = 0.0
    source: str = "offline"
    model: str | None = None
    prompts_dir: str | None = None
    judge_model: str | None = None
    judge_calls: int = 0
    usage: Usage | None = None  # every draft's tokens, cached prompt tokens included
    judge_usage: Usage | None = None
    repeat: int = 1
    concurrency: int = 1
    rubrics: dict[str, RubricSummary]
    cases: list[CaseResult]
    errors: int = 0
    exit_code: int = 0
    comparison: Comparison | None = None


def usage_summary(run: RunResult) -> str:
    """Tokens the drafts and the judge took, with the prompt tokens read from a cache
    ('' when no server reported usage)."""
    parts = []
    for who, usage in (("drafts", run.usage), ("judge", run.judge_usage)):
        if usage is not None:
            parts.append(f"{who} {usage.prompt_tokens:,} prompt ({usage.cached_tokens:,} "
                         f"cached) + {usage.completion_tokens:,} completion in "
                         f"{usage.calls:,} calls")
    return "Tokens: " + "; ".join(parts) if parts else ""
