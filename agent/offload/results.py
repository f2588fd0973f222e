"""Batch results in, and replayed through the live client's own code.

A result line (OpenAI's output and error files, vLLM run_batch's output) is

    {"custom_id": ..., "response": {"status_code": 200, "body": <chat completion>},
     "error": null}

or an error: a non-200 `response` whose body holds the provider's error, or an `error`
object (`{"code": "batch_expired", "message": ...}`; vLLM gives a string).

An answer is not parsed here. `replay_client` builds a `ModelClient` whose SDK hands back
the batch's chat completion for the first call: validation against the schema, re-asks,
usage counting (cached prompt tokens included) and the guard are the live code's. Later
calls of the same draft (a re-ask, a revision) go to the live model when one is
configured; without one the client is set to make none, so an answer that does not
validate or that the guard flags fails with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ConfigDict

from agent.config import Settings
from agent.errors import ModelError
from agent.jsonl import read_jsonl
from agent.llm import ModelClient
from agent.models import Usage

if TYPE_CHECKING:
    from openai import AsyncOpenAI


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ProviderResponse(_Loose):
    status_code: int = 200
    body: Any = None


class ResultLine(_Loose):
    custom_id: str
    response: ProviderResponse | None = None
    error: Any = None


@dataclass(frozen=True)
class Answer:
    """A chat completion, or the provider's reason for not giving one."""

    completion: dict[str, Any] | None = None
    error: str | None = None


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        inner = error.get("error", error)
        if isinstance(inner, dict):
            message = str(inner.get("message") or "").strip()
            code = inner.get("code") or inner.get("type")
            if message:
                return f"{message} ({code})" if code else message
        return str(inner)[:300]
    return str(error)[:300]


def answer_of(line: ResultLine) -> Answer:
    if line.error:
        return Answer(error=_error_text(line.error))
    response = line.response
    if response is None:
        return Answer(error="the result line holds neither a response nor an error")
    if response.status_code != 200:
        detail = _error_text(response.body) if response.body else "no details"
        return Answer(error=f"HTTP {response.status_code}: {detail}")
    body = response.body
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
        return Answer(error="the response body is not a chat completion")
    return Answer(completion=body)


def read_results(paths: Sequence[Path]) -> dict[str, Answer]:
    """Answers by custom_id from result files (output and error files alike). A custom_id
    answered in one file and failed in another keeps its answer."""
    answers: dict[str, Answer] = {}
    for path in paths:
        for _, line in read_jsonl(path, ResultLine,
                                  shape='{"custom_id": ..., "response": ..., "error": ...}'):
            answer = answer_of(line)
            known = answers.get(line.custom_id)
            if known is None or known.error is not None:
                answers[line.custom_id] = answer
    return answers


class ReplaySDK:
    """The slice of `AsyncOpenAI` that `ModelClient` calls: the first chat completion is
    the batch's answer (or its error); later ones go to `live`."""

    def __init__(self, answer: Answer | None, missing: str, live: AsyncOpenAI | None,
                 replayed: Usage) -> None:
        self._answer = answer
        self._missing = missing
        self._live = live
        self._replayed = replayed
        self._first = True
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self._create))

    async def _create(self, **kwargs: Any) -> Any:
        from openai.types.chat import ChatCompletion

        if self._first:
            self._first = False
            if self._answer is None:
                raise ModelError(self._missing)
            if self._answer.completion is None:
                raise ModelError(f"the batch provider gave no answer: {self._answer.error}")
            # Built as the SDK builds a response it receives: leniently, no validation.
            completion = ChatCompletion.construct(**self._answer.completion)
            if completion.usage is not None:
                self._replayed.count(completion.usage)
            return completion
        if self._live is None:  # not reached: such a client makes no second call
            raise ModelError("the batch answer needs another model call and no model is "
                             "configured")
        return await self._live.chat.completions.create(**kwargs)

    async def close(self) -> None:
        """The live client belongs to the caller."""


def replay_settings(settings: Settings, live: ModelClient | None) -> Settings:
    """With no live model, no re-asks and no revisions: a batch answer stands or fails."""
    if live is not None:
        return settings
    model = settings.model.model_copy(update={"max_reasks": 0, "max_revisions": 0})
    return settings.model_copy(update={"model": model})


def replay_client(settings: Settings, answer: Answer | None, missing: str,
                  live: ModelClient | None, replayed: Usage) -> ModelClient:
    """A client whose first answer is the batch's; `settings` from `replay_settings`."""
    sdk = ReplaySDK(answer, missing, live.sdk if live is not None else None, replayed)
    client = ModelClient(settings, sdk=cast("AsyncOpenAI", sdk))
    if live is not None:
        client.mode = live.mode  # the structured-output mode the live server accepts
    return client
