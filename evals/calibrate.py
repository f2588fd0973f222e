"""How far to trust each deterministic grader: agreement with the team's gold labels.

Every gold reply is graded against its email, either its case's (from the core suite) or
its own (with the writer's labels for that email), then compared with the label per
rubric. The positive class is "fail": precision is how often a fail
the grader reports is a real one, recall is how many of the real fails it catches.
Cohen's kappa corrects raw agreement for chance. Pairs where the label or the grader is
"not applicable" are left out of those figures and counted as applicability mismatches.
The `tune` split is what the graders were adjusted on; `heldout` was not looked at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from agent.config import Policy
from agent.errors import InputError
from agent.jsonl import read_jsonl
from evals.graders import grade_reply
from evals.rubrics import Rubric
from evals.situation import Situation, from_case, from_labels
from evals.suites import Suite

if TYPE_CHECKING:
    from evals.judge import Judge

SPLITS = ("tune", "heldout")


class GoldSituation(BaseModel):
    """The truth about a gold reply's own email, as its writer labelled it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fault: Literal["ours", "theirs", "unclear"]
    abusive: StrictBool
    profanity: StrictBool
    threats: tuple[Literal["legal", "chargeback", "public_review", "violence"], ...]
    escalate: StrictBool
    problem: StrictBool
    language: str


class GoldReply(BaseModel):
    """One labelled reply and pass/fail/N-A per rubric. The email it answers is either a
    suite case (`case`) or its own (`email` + `situation`)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: str
    split: Literal["tune", "heldout"]
    case: str | None = None
    email: str | None = None
    situation: GoldSituation | None = None
    register_: str = Field("", alias="register")  # tweet, chatty, sarcastic, ...
    industry: str = ""
    kind: str = ""
    reply: str
    labels: dict[str, StrictBool | None]
    why: str = ""

    @field_validator("id", "case", mode="before")
    @classmethod
    def _text_id(cls, value: object) -> object:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _one_email(self) -> GoldReply:
        if self.case is None and (self.email is None or self.situation is None):
            raise ValueError("give 'case', or 'email' with its 'situation'")
        if self.case is not None and (self.email is not None or self.situation is not None):
            raise ValueError("give 'case' or 'email' + 'situation', not both")
        return self

    def situation_for(self, suite: Suite) -> Situation:
        if self.case is not None:
            try:
                return from_case(suite.case(self.case))
            except InputError:
                raise InputError(f"gold reply '{self.id}' refers to case '{self.case}', "
                                 f"which is not in suite '{suite.name}'") from None
        assert self.email is not None and self.situation is not None
        s = self.situation
        return from_labels(self.email, fault=s.fault, abusive=s.abusive, threats=s.threats,
                           escalate=s.escalate, problem=s.problem, language=s.language)


def load_gold(path: Path) -> list[GoldReply]:
    """The gold replies in a JSONL file, or in every *.jsonl file of a folder."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    items = [item for f in files for _, item in read_jsonl(f, GoldReply)]
    if not items:
        raise InputError(f"{path} holds no gold replies")
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise InputError(f"{path}: gold id '{item.id}' appears twice")
        seen.add(item.id)
    return items


@dataclass
class Metrics:
    """Confusion counts with 'fail' as the positive class."""

    tp: int = 0  # both say fail
    fp: int = 0  # grader fails a reply the team passed
    fn: int = 0  # grader passes a reply the team failed
    tn: int = 0  # both say pass
    na_mismatch: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None
        return 2 * p * r / (p + r)

    @property
    def agreement(self) -> float | None:
        return (self.tp + self.tn) / self.n if self.n else None

    @property
    def kappa(self) -> float | None:
        n = self.n
        if not n:
            return None
        po = (self.tp + self.tn) / n
        pe = ((self.tp + self.fp) * (self.tp + self.fn)
              + (self.fn + self.tn) * (self.fp + self.tn)) / (n * n)
        if pe >= 1:
            return 1.0 if po == 1 else 0.0
        return (po - pe) / (1 - pe)

    def as_dict(self) -> dict[str, float | int | None]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 3)

        return {"n": self.n, "tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "precision": r(self.precision), "recall": r(self.recall), "f1": r(self.f1),
                "kappa": r(self.kappa), "agreement": r(self.agreement),
                "na_mismatch": self.na_mismatch}


def calibrate(gold: Iterable[GoldReply], suite: Suite, rubrics: dict[str, Rubric],
              policy: Policy | None = None, *, rules_only: bool = False
              ) -> dict[str, dict[str, Metrics]]:
    """Metrics per rubric per split (plus 'all'); `rules_only` measures the rule layer
    without the semantic heads."""
    situations: dict[object, Situation] = {}
    table = {name: {s: Metrics() for s in (*SPLITS, "all")} for name in rubrics}
    for item in gold:
        key = item.case or (item.email, item.situation)
        if key not in situations:
            situations[key] = item.situation_for(suite)
        scores = grade_reply(item.reply, situations[key], rubrics, policy,
                             rules_only=rules_only)
        for name, score in scores.items():
            if name not in item.labels:
                continue
            truth, pred = item.labels[name], score.passed
            for split in (item.split, "all"):
                m = table[name][split]
                if truth is None or pred is None:
                    if (truth is None) != (pred is None):
                        m.na_mismatch += 1
                    continue
                if not truth and not pred:
                    m.tp += 1
                elif truth and not pred:
                    m.fp += 1
                    m.misses.append(f"{item.id}: false fail ({score.reason})")
                elif not truth and pred:
                    m.fn += 1
                    m.misses.append(f"{item.id}: missed fail ({item.why})")
                else:
                    m.tn += 1
    return table


async def calibrate_judge(gold: Iterable[GoldReply], suite: Suite, rubrics: dict[str, Rubric],
                          judge: Judge, *, limit: int | None = None, concurrency: int = 8
                          ) -> dict[str, dict[str, Metrics]]:
    """The LLM judge against the same labels, for rubrics that apply to each reply (the
    harness decides applicability, as for the deterministic graders). `limit` caps the
    replies judged per split (the first by file order); an unscored answer is left out
    and counted in `na_mismatch`."""
    import asyncio

    from evals.graders import not_applicable

    table = {name: {s: Metrics() for s in (*SPLITS, "all")} for name in rubrics}
    taken = dict.fromkeys(SPLITS, 0)
    todo: list[tuple[GoldReply, Situation]] = []
    situations: dict[object, Situation] = {}
    for item in gold:
        if limit is not None and taken[item.split] >= limit:
            continue
        taken[item.split] += 1
        key = item.case or (item.email, item.situation)
        if key not in situations:
            situations[key] = item.situation_for(suite)
        todo.append((item, situations[key]))
    gate = asyncio.Semaphore(concurrency)

    async def one(item: GoldReply, situation: Situation, name: str) -> None:
        async with gate:
            score = await judge.score(rubrics[name], item.reply, situation)
        truth = item.labels[name]
        for split in (item.split, "all"):
            m = table[name][split]
            if score.passed is None or truth is None:
                m.na_mismatch += 1
            elif not truth and not score.passed:
                m.tp += 1
            elif truth and not score.passed:
                m.fp += 1
            elif not truth and score.passed:
                m.fn += 1
            else:
                m.tn += 1

    await asyncio.gather(*(one(item, situation, name) for item, situation in todo
                           for name in rubrics if item.labels.get(name) is not None
                           and not_applicable(rubrics[name], situation) is None))
    return table


def as_json(table: dict[str, dict[str, Metrics]],
            judge: dict[str, dict[str, Metrics]] | None = None) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {
        name: {split: m.as_dict() for split, m in splits.items()}
        for name, splits in table.items()}
    for name, splits in (judge or {}).items():
        out[name]["judge"] = {split: m.as_dict() for split, m in splits.items()}
    return out
