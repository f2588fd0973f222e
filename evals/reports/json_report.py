"""The JSON report: the whole RunResult, readable back by `--baseline`."""

from __future__ import annotations

from evals.results import RunResult


def render_json(run: RunResult) -> str:
    return run.model_dump_json(indent=2)
