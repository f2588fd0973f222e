"""Rubrics: what each grader checks, when it applies, and the thresholds QA gates on.

Each rubric is a YAML file in `evals/rubrics/`. Its content hash (sha256 of the file's
canonical JSON form) goes into every result and every judge cache key, so editing a
rubric invalidates cached judgments and shows up when two runs are compared.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.errors import InputError

RUBRICS_DIR = Path(__file__).resolve().parent / "rubrics"

# When a rubric applies: always; only when the email is abusive, calls for escalation, or
# reports a problem or frustration (no apology is owed for a thank-you or a question).
Applies = Literal["always", "abusive", "escalate", "problem"]


class HardFail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    description: str


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: int
    order: int = Field(description="Where the rubric comes in reports (the three the "
                       "product is judged on first).")
    description: str
    applies: Applies = Field(description="always, or only when the email is abusive / "
                             "calls for escalation / reports a problem. The harness "
                             "applies it; graders do not.")
    needs_email: bool = Field(description="Whether grading needs the customer's email; "
                              "without one the rubric is not applicable. Rubrics that do "
                              "not need it are scored on the reply alone.")
    criteria: list[str] = Field(min_length=1)
    pass_score: float = Field(ge=0, le=1, description="A case passes at this score or above.")
    threshold: float = Field(ge=0, le=1, description="Share of applicable cases that must "
                             "pass for the suite to pass.")
    hard_fail: list[HardFail] = []
    hash: str = ""

    def passes(self, score: float) -> bool:
        return score >= self.pass_score - 1e-9


def _hash(data: dict[str, object]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def load_rubric(path: Path) -> Rubric:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"rubric {path} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"rubric {path} must be a YAML mapping")
    try:
        rubric = Rubric.model_validate({**data, "hash": _hash(data)})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "rubric"
        raise InputError(f"rubric {path}: '{where}': {err['msg']}") from None
    if rubric.name != path.stem:
        raise InputError(f"rubric {path} is named '{rubric.name}'; name it after its file")
    return rubric


@lru_cache(maxsize=4)
def load_rubrics(directory: Path = RUBRICS_DIR) -> dict[str, Rubric]:
    """Every rubric in `directory`, in the order their files give, keyed by name."""
    found = [load_rubric(p) for p in sorted(directory.glob("*.yaml"))]
    if not found:
        raise InputError(f"no rubrics (*.yaml) in {directory}")
    return {r.name: r for r in sorted(found, key=lambda r: (r.order, r.name))}


def pick(rubrics: dict[str, Rubric], names: tuple[str, ...] | list[str]) -> dict[str, Rubric]:
    """The named rubrics (all when `names` is empty); an unknown name is an InputError."""
    if not names:
        return rubrics
    unknown = [n for n in names if n not in rubrics]
    if unknown:
        raise InputError(f"unknown rubric {', '.join(map(repr, unknown))}; choose from "
                         f"{', '.join(rubrics)}")
    return {n: rubrics[n] for n in rubrics if n in names}
