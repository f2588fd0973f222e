"""A fake model client for logic tests: a queue of answers, and a record of what was asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from agent.models import Usage

T = TypeVar("T", bound=BaseModel)


class FakeClient:
    """Stands in for agent.llm.ModelClient: each call pops the next answer.

    An answer is a dict (validated against the schema asked for) or an exception to raise.
    """

    model = "fake-model"
    base_url = "http://fake.invalid/v1"

    def __init__(self, answers: list[Any]) -> None:
        self.answers = list(answers)
        self.calls: list[list[dict[str, str]]] = []

    async def structured(self, messages: list[dict[str, str]], schema: type[T], *,
                         temperature: float | None = None, seed: int | None = None,
                         on_text: Callable[[str], None] | None = None,
                         usage: Usage | None = None) -> tuple[T, Usage]:
        self.calls.append(messages)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        usage = usage if usage is not None else Usage()
        usage.add(100, 50)
        if on_text is not None:
            on_text("{")
        return schema.model_validate(answer), usage

    async def aclose(self) -> None:
        return None
