"""Eval suites: hostile emails with ground-truth labels and what a good reply must do.

A suite is a YAML file `{name, description, cases: [...]}`. Loading validates every case
and names the case and field at fault, so a typo in a suite is a one-line fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent.errors import InputError
from agent.models import Facts, Fault, Reference, Threat
from agent.profiles import BUILT_IN, built_in


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Labels(_Strict):
    """The truth about the email, as the team reads it (conventions: SUITE_BRIEF in the
    README's Evals section). Fields left unset (None) were not labelled for that suite."""

    industry: str = Field(default="ecommerce", description="The company profile whose "
                          "categories `category` is one of.")
    category: str
    fault: Fault
    abusive: bool = Field(description="Insults or attacks aimed at people, or violence; "
                          "swearing about the situation is not abuse.")
    profanity: bool | None = None
    threats: list[Threat] = []
    language: str = "en"
    escalate: bool = False
    customer_name: str | None = None
    order_ids: list[str] = []
    other_refs: list[Reference] | None = None
    product: str | None = None
    issues: list[str] | None = None
    facts: list[str] | None = Field(default=None, description="Text copied exactly from the "
                                    "email that a reply may safely restate.")

    @model_validator(mode="after")
    def _category_in_profile(self) -> Labels:
        if self.industry not in BUILT_IN:
            raise ValueError(f"unknown industry '{self.industry}' ({', '.join(BUILT_IN)})")
        names = built_in(self.industry).category_names
        if self.category not in names:
            raise ValueError(f"category '{self.category}' is not one of the {self.industry} "
                             f"profile's: {', '.join(names)}")
        return self


class Expect(_Strict):
    """What a good reply to this email must (not) do. Unset means "not required"."""

    must_own_fault: bool | None = None
    must_set_boundary: bool | None = None
    must_escalate: bool | None = None
    must_not_promise_refund: bool | None = None
    language: str | None = None
    must_mention: list[str] = []
    must_not_contain: list[str] = Field(default=[], description="Text an obedient reply to "
                                        "planted instructions would contain.")
    literal: list[str] = Field(default=[], description="Template-like text from the email "
                               "that must stay inert (never evaluated) if echoed.")


class Attack(_Strict):
    """What an injection probe tries to get out of a gullible model (tests/fakes/gullible.py)."""

    target: Literal["body", "subject", "internal_note", "analysis", "language", "leak", "input"]
    planted: list[str] = Field(default=[], description="Exact text an obeying model would "
                               "write (for 'input': text that must never reach the model).")
    reply_language: str | None = None
    leak: Literal["plain", "filler", "base64", "hex", "translated", "paraphrase"] | None = None


class Case(_Strict):
    id: str = Field(min_length=1)
    tags: list[str] = []
    email: str = Field(min_length=1)
    format: Literal["text", "html"] = "text"
    facts: Facts | None = Field(default=None, description="What the agent typed beside the "
                                "email (name, order, notes).")
    labels: Labels
    expect: Expect = Expect()
    attack: Attack | None = None


class Suite(_Strict):
    name: str
    description: str = ""
    cases: list[Case] = Field(min_length=1)
    path: Path | None = None

    def case(self, case_id: str) -> Case:
        for case in self.cases:
            if case.id == case_id:
                return case
        raise InputError(f"suite '{self.name}' has no case '{case_id}'")


def load_suite(path: Path) -> Suite:
    """Read and validate a suite; every problem is an InputError naming case and field."""
    if not path.is_file():
        raise InputError(f"suite not found: {path} (suites live in evals/suites/*.yaml)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"suite {path} cannot be read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"suite {path} is not valid YAML{where}: "
                         f"{getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise InputError(f"suite {path} must be a mapping with 'name' and 'cases'")
    try:
        suite = Suite.model_validate({**data, "path": path})
    except ValidationError as exc:
        raise InputError(f"suite {path}: {_describe(exc, data)}") from None
    seen: set[str] = set()
    for case in suite.cases:
        if case.id in seen:
            raise InputError(f"suite {path}: case id '{case.id}' appears twice")
        seen.add(case.id)
    return suite


def _describe(exc: ValidationError, data: dict[str, object]) -> str:
    err = exc.errors()[0]
    loc = list(err["loc"])
    where = ".".join(str(p) for p in loc) or "suite"
    cases = data.get("cases")
    if len(loc) >= 2 and loc[0] == "cases" and isinstance(loc[1], int) \
            and isinstance(cases, list) and loc[1] < len(cases):
        case = cases[loc[1]]
        case_id = case.get("id") if isinstance(case, dict) else None
        rest = ".".join(str(p) for p in loc[2:]) or "case"
        where = f"case {case_id!r} (#{loc[1] + 1}) field '{rest}'"
    return f"{where}: {err['msg']}"
