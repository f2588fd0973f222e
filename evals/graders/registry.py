"""Graders register themselves with the rubric they grade; the rubric YAML is the one list
of names and their order. `grader_for(name)` imports `evals.graders.<name>` on first use,
whose `@registers("<name>")` puts its grade function here."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evals.graders.base import Ctx
    from evals.rubrics import Rubric
    from evals.scores import Score

Grader = Callable[["Ctx", "Rubric"], "Score"]

GRADERS: dict[str, Grader] = {}


def registers(rubric: str) -> Callable[[Grader], Grader]:
    """Decorator: this function grades `rubric` (named as in evals/rubrics/<rubric>.yaml)."""

    def add(fn: Grader) -> Grader:
        if rubric in GRADERS and GRADERS[rubric] is not fn:
            raise RuntimeError(f"two graders registered for rubric '{rubric}'")
        GRADERS[rubric] = fn
        return fn

    return add


def grader_for(rubric: str) -> Grader | None:
    """The registered grader of `rubric`, importing its module on first use; None if the
    rubric has no deterministic grader (a judge-only rubric)."""
    if rubric not in GRADERS:
        try:
            importlib.import_module(f"evals.graders.{rubric}")
        except ModuleNotFoundError as exc:
            if exc.name != f"evals.graders.{rubric}":
                raise
    return GRADERS.get(rubric)
