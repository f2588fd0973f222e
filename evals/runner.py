"""Run a suite: draft every case (N at a time, K times each), grade, and aggregate.

The drafter is a parameter, so tests can swap it; `calmreply eval` passes
`Session.draft`, which composes offline when no model is configured, so a suite runs on a
fresh machine with no API key. A case whose draft fails is recorded with its error and every
rubric `unscored`; any such case makes the run a harness error (exit 7) because the
suite was not fully measured.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Protocol

from agent.config import Settings
from agent.errors import EXIT_BELOW_THRESHOLD, EXIT_HARNESS, EXIT_OK
from agent.inbound import InboundEmail, parse_text
from agent.models import DraftResult, Facts, Usage
from evals.graders import grade_reply
from evals.judge import Judge
from evals.results import Attempt, CaseResult, CaseStat, RubricSummary, RunResult
from evals.rubrics import Rubric
from evals.scores import Score
from evals.situation import Situation, from_case
from evals.suites import Case, Suite


class DraftFn(Protocol):
    def __call__(self, email: InboundEmail, *, prompts_dir: Path | None = ...,
                 facts: Facts | None = ...) -> Awaitable[DraftResult]: ...


Progress = Callable[[int, int], None]


def combine(det: Score, judged: Score | None) -> Score:
    """The final verdict: a deterministic hard fail always stands; otherwise the judge's
    verdict when it scored; otherwise the deterministic one (noting the judge's silence)."""
    if judged is None or det.hard_fail or det.status == "not_applicable":
        return det
    if judged.status == "scored":
        return judged
    return det.model_copy(update={"reason": f"{det.reason} [judge unscored: {judged.reason}]"})


async def _attempt(case: Case, situation: Situation, settings: Settings, draft: DraftFn,
                   rubrics: dict[str, Rubric], judge: Judge | None,
                   prompts_dir: Path | None) -> Attempt:
    email = parse_text(case.email, max_chars=settings.max_email_chars)
    try:
        result = await draft(email, prompts_dir=prompts_dir, facts=case.facts)
    except Exception as exc:  # recorded per case; the run exits 7
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        return Attempt(error=message, scores={
            name: Score.unscored(name, f"no draft: {message}", source="deterministic")
            for name in rubrics})
    body = result.draft.body
    det = grade_reply(body, situation, rubrics, settings.policy)
    attempt = Attempt(draft=body, subject=result.draft.subject, source=result.source,
                      flagged=result.flagged, usage=result.usage, scores=det)
    if judge is None:
        return attempt
    todo = [n for n, s in det.items() if s.status != "not_applicable" and not s.hard_fail]
    judged = await asyncio.gather(*(judge.score(rubrics[n], body, situation) for n in todo))
    attempt.judge = dict(zip(todo, judged, strict=True))
    attempt.deterministic = det
    attempt.scores = {n: combine(s, attempt.judge.get(n)) for n, s in det.items()}
    return attempt


def case_stats(attempts: list[Attempt], rubrics: dict[str, Rubric]) -> dict[str, CaseStat]:
    stats: dict[str, CaseStat] = {}
    for name in rubrics:
        scored = [a.scores[name] for a in attempts
                  if name in a.scores and a.scores[name].status == "scored"]
        values = [s.score for s in scored if s.score is not None]
        stats[name] = CaseStat(
            passes=sum(1 for s in scored if s.passed), scored=len(scored),
            mean=round(sum(values) / len(values), 3) if values else None,
            low=min(values) if values else None, high=max(values) if values else None)
    return stats


def summarise(cases: list[CaseResult], rubrics: dict[str, Rubric]) -> dict[str, RubricSummary]:
    """Pass rate per rubric over every scored attempt; a hard fail fails the rubric."""
    out: dict[str, RubricSummary] = {}
    for name, rubric in rubrics.items():
        s = RubricSummary(rubric=name, hash=rubric.hash, threshold=rubric.threshold,
                          pass_score=rubric.pass_score)
        values: list[float] = []
        for case in cases:
            for attempt in case.attempts:
                score = attempt.scores.get(name)
                if score is None or score.status == "not_applicable":
                    s.not_applicable += 1
                elif score.status == "unscored":
                    s.unscored += 1
                else:
                    s.passed += bool(score.passed)
                    s.failed += not score.passed
                    s.hard_fails += score.hard_fail is not None
                    if score.score is not None:
                        values.append(score.score)
        total = s.passed + s.failed
        s.pass_rate = round(s.passed / total, 4) if total else None
        s.mean_score = round(sum(values) / len(values), 3) if values else None
        s.ok = s.hard_fails == 0 and (s.pass_rate is None or s.pass_rate >= rubric.threshold)
        out[name] = s
    return out


def exit_code(run: RunResult) -> int:
    if run.errors:
        return EXIT_HARNESS
    if any(not s.ok for s in run.rubrics.values()):
        return EXIT_BELOW_THRESHOLD
    return EXIT_OK


async def run_suite(
    suite: Suite,
    settings: Settings,
    rubrics: dict[str, Rubric],
    *,
    draft: DraftFn,
    judge: Judge | None = None,
    concurrency: int = 4,
    repeat: int = 1,
    prompts_dir: Path | None = None,
    on_progress: Progress | None = None,
    label: str = "",
) -> RunResult:
    if concurrency < 1 or repeat < 1:
        raise ValueError("concurrency and repeat must be at least 1")
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    gate = asyncio.Semaphore(concurrency)
    total = len(suite.cases) * repeat
    done = 0
    situations = {case.id: from_case(case) for case in suite.cases}

    async def one(case: Case) -> Attempt:
        nonlocal done
        async with gate:
            attempt = await _attempt(case, situations[case.id], settings, draft, rubrics,
                                     judge, prompts_dir)
        done += 1
        if on_progress is not None:
            on_progress(done, total)
        return attempt

    attempts = await asyncio.gather(*(one(c) for c in suite.cases for _ in range(repeat)))
    cases: list[CaseResult] = []
    for i, case in enumerate(suite.cases):
        mine = list(attempts[i * repeat:(i + 1) * repeat])
        cases.append(CaseResult(id=case.id, tags=case.tags, email=case.email, attempts=mine,
                                stats=case_stats(mine, rubrics)))
    sources = {a.source for c in cases for a in c.attempts if a.source}
    run = RunResult(
        suite=suite.name, suite_path=str(suite.path) if suite.path else None, label=label,
        started=started, seconds=round(time.perf_counter() - clock, 3),
        source="model" if "model" in sources else "offline",
        model=settings.model.name if settings.model_configured else None,
        prompts_dir=str(prompts_dir or settings.prompts_dir or "") or None,
        judge_model=judge.model if judge else None, judge_calls=judge.calls if judge else 0,
        usage=total_usage(a.usage for c in cases for a in c.attempts),
        judge_usage=judge.usage if judge and judge.usage.calls else None,
        repeat=repeat, concurrency=concurrency, rubrics=summarise(cases, rubrics),
        cases=cases, errors=sum(1 for c in cases for a in c.attempts if a.error),
    )
    run.exit_code = exit_code(run)
    return run


def total_usage(usages: Iterable[Usage | None]) -> Usage | None:
    """The sum of what the server reported; None when it reported nothing."""
    total = Usage()
    for usage in usages:
        if usage is not None:
            total.merge(usage)
    return total if total.calls else None
