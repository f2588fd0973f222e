"""The LLM judge: one rubric at a time, when a model is configured.

- temperature 0 and a fixed seed; the customer's email and the reply are fenced and
  neutralised as data (marker look-alikes defused, passed as variables, never templates);
- structured output with the reason first: {reason, score, pass, evidence};
- the harness decides pass from the score and the rubric's pass_score; the model's own
  "pass" is only reported when it disagrees;
- a parse failure or model error is `unscored`, never a pass and never a fail;
- verdicts are cached on disk (see judge_cache.py); errors are not.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.config import Policy
from agent.errors import ModelError, redact
from agent.messages import CLOSE_MARKER, OPEN_MARKER, fence, render
from agent.models import Usage
from evals.judge_cache import JudgeCache, cache_key
from evals.rubrics import Rubric
from evals.scores import Score
from evals.situation import Situation

T = TypeVar("T", bound=BaseModel)

EMAIL_OPEN, EMAIL_CLOSE = OPEN_MARKER, CLOSE_MARKER
REPLY_OPEN, REPLY_CLOSE = "<<<REPLY TO GRADE>>>", "<<<END REPLY TO GRADE>>>"
DEFAULT_SEED = 7


class JudgeVerdict(BaseModel):
    """The judge's answer. Field order matters: the reason is written before the score."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    reason: str
    score: float = Field(ge=0, le=1)
    pass_: bool = Field(alias="pass")
    evidence: list[str]


class StructuredClient(Protocol):
    model: str

    async def structured(self, messages: list[dict[str, str]], schema: type[T], *,
                         temperature: float | None = None,
                         seed: int | None = None) -> tuple[T, Usage]: ...


def judge_messages(rubric: Rubric, reply: str, situation: Situation, policy: Policy,
                   prompts_dir: Path | None = None) -> list[dict[str, str]]:
    context: dict[str, Any] = {
        "rubric": rubric.model_dump(),
        "situation": {**dataclasses.asdict(situation), "known": situation.known},
        "policy": policy.model_dump(),
        "email": fence(situation.email) if situation.email else "",
        "reply": fence(reply),
        "email_open": EMAIL_OPEN, "email_close": EMAIL_CLOSE,
        "reply_open": REPLY_OPEN, "reply_close": REPLY_CLOSE,
    }
    return [
        {"role": "system", "content": render("judge/system.j2", prompts_dir)},
        {"role": "user", "content": render("judge/rubric.j2", prompts_dir, **context)},
    ]


class Judge:
    def __init__(self, client: StructuredClient, *, cache: JudgeCache | None = None,
                 seed: int = DEFAULT_SEED, policy: Policy | None = None,
                 prompts_dir: Path | None = None) -> None:
        self.client = client
        self.cache = cache
        self.seed = seed
        self.policy = policy or Policy()
        self.prompts_dir = prompts_dir
        self.calls = 0
        self.usage = Usage()

    @property
    def model(self) -> str:
        return self.client.model

    def params(self) -> dict[str, Any]:
        return {"temperature": 0, "seed": self.seed,
                "schema": JudgeVerdict.model_json_schema(by_alias=True)}

    async def score(self, rubric: Rubric, reply: str, situation: Situation) -> Score:
        messages = judge_messages(rubric, reply, situation, self.policy, self.prompts_dir)
        key = cache_key(self.client.model, messages, self.params(), rubric.hash)
        verdict = self._cached(key)
        if verdict is None:
            self.calls += 1
            try:
                verdict, usage = await self.client.structured(
                    messages, JudgeVerdict, temperature=0, seed=self.seed)
            except ModelError as exc:
                return Score.unscored(rubric.name, f"judge gave no usable answer: {exc.message}")
            except ValidationError as exc:
                return Score.unscored(rubric.name, f"judge answer did not match the schema: "
                                      f"{exc.errors()[0]['msg']}")
            self.usage.merge(usage)
            if self.cache is not None:
                self.cache.put(key, verdict.model_dump(by_alias=True))
        return self._to_score(rubric, verdict, reply)

    def _cached(self, key: str) -> JudgeVerdict | None:
        if self.cache is None:
            return None
        data = self.cache.get(key)
        if data is None:
            return None
        try:
            return JudgeVerdict.model_validate(data)
        except ValidationError:
            return None

    @staticmethod
    def _to_score(rubric: Rubric, verdict: JudgeVerdict, reply: str) -> Score:
        score = round(verdict.score, 3)
        passed = rubric.passes(score)
        reason = redact(verdict.reason.strip()) or "(the judge gave no reason)"
        flat = " ".join(reply.split())
        evidence = [e for e in verdict.evidence if e and " ".join(e.split()) in flat]
        if len(evidence) < len([e for e in verdict.evidence if e]):
            reason += " [judge quoted text that is not in the reply; dropped]"
        if verdict.pass_ != passed:
            reason += (f" [judge said {'pass' if verdict.pass_ else 'fail'}; the harness "
                       f"decides from score {score:g} vs {rubric.pass_score:g}]")
        return Score(rubric=rubric.name, score=score, passed=passed, status="scored",
                     reason=reason, evidence=evidence[:6], source="judge")
