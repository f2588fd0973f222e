"""Case-by-case comparison of two runs: a baseline and this one, or template dir A and B."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from agent.errors import InputError
from evals.results import Change, Comparison, RunResult


def load_run(path: Path) -> RunResult:
    try:
        return RunResult.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise InputError(f"baseline {path} cannot be read: {exc.strerror}") from None
    except (ValueError, ValidationError) as exc:
        raise InputError(f"baseline {path} is not a calmreply eval JSON report "
                         f"(results.json): {str(exc).splitlines()[0]}") from None


def compare(baseline: RunResult, current: RunResult, name: str = "baseline") -> Comparison:
    before = {c.id: c for c in baseline.cases}
    after = {c.id: c for c in current.cases}
    out = Comparison(
        baseline=name,
        only_in_baseline=sorted(set(before) - set(after)),
        only_in_current=sorted(set(after) - set(before)),
        rubric_rates={
            r: (baseline.rubrics[r].pass_rate if r in baseline.rubrics else None,
                current.rubrics[r].pass_rate)
            for r in current.rubrics
        },
    )
    for case_id, case in after.items():
        old = before.get(case_id)
        if old is None:
            continue
        for rubric, stat in case.stats.items():
            old_stat = old.stats.get(rubric)
            if old_stat is None:
                continue
            was, now = old_stat.passed, stat.passed
            if was is None or now is None or was == now:
                continue
            score = case.first.scores.get(rubric)
            change = Change(case=case_id, rubric=rubric, before=was, after=now,
                            before_score=old_stat.mean, after_score=stat.mean,
                            reason=score.reason if score else "")
            (out.improvements if now else out.regressions).append(change)
    return out
