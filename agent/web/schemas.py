"""What the desk's JSON API accepts. Responses reuse `agent.models.DraftResult` and the
`calmreply grade` line shape, so the CLI, the API and the page agree on one contract.

Text that is not valid Unicode (a lone UTF-16 surrogate such as `"\ud800"`, which JSON
can carry but UTF-8 cannot) is refused here, before any model call, as a 400 that names
the field: it used to reach the model and then fail in the feedback store with a 500.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from agent.models import Facts, Tone

BAD_TEXT = "bad_text"  # the error type http_errors answers with a 400
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _bad_text(value: Any, where: str) -> tuple[str, int, str] | None:
    """(field, position, the code point) of the first lone surrogate in a JSON value."""
    if isinstance(value, str):
        found = _SURROGATE.search(value)
        return (where, found.start(), f"U+{ord(found.group()):04X}") if found else None
    if isinstance(value, list):
        return next((bad for i, v in enumerate(value)
                     if (bad := _bad_text(v, f"{where}.{i}"))), None)
    if isinstance(value, dict):
        return next((bad for k, v in value.items()
                     if (bad := _bad_text(k, where) or _bad_text(v, f"{where}.{k}"))), None)
    return None


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        bad = _bad_text(data, "") if isinstance(data, dict) else None
        if bad is not None:
            where, at, code = bad
            raise PydanticCustomError(
                BAD_TEXT, "'{field}' is not valid Unicode text: a lone surrogate ({code}) at "
                "character {at}; send the text as UTF-8",
                {"field": where.lstrip("."), "code": code, "at": at + 1})
        return data


class DraftRequest(Request):
    email: str = Field(description="The customer's email: pasted text, HTML, or a .eml's text.")
    tone: Tone | None = Field(default=None, description="Default: the config's tone.")
    customer_name: str | None = Field(default=None, max_length=200)
    order_id: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=5000,
                              description="Order facts, e.g. 'shipped 3 May'.")

    def facts(self) -> Facts | None:
        fields = {k: (v or "").strip() or None for k, v in
                  (("customer_name", self.customer_name), ("order_id", self.order_id),
                   ("notes", self.notes))}
        return Facts(**fields) if any(fields.values()) else None


class GradeRequest(Request):
    """One `calmreply grade` input line, plus an optional choice of rubrics."""

    id: str | int | float | None = Field(default=None, description="Echoed back.")
    reply: str = Field(min_length=1, description="The reply to score.")
    email: str | None = Field(default=None, description="The customer's email, if known.")
    rubrics: list[str] | None = Field(default=None, description="Default: every rubric.")

    @field_validator("id")
    @classmethod
    def _finite(cls, value: str | int | float | None) -> str | int | float | None:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("a number id must be finite (NaN and Infinity are not JSON)")
        return value


class FeedbackRequest(Request):
    draft_id: str | None = Field(default=None, max_length=64)
    draft: str | None = Field(default=None, description="The text rated, if edited or "
                              "not drafted here.")
    rating: Literal["up", "down"]
    comment: str = Field(default="", max_length=5000)

    @model_validator(mode="after")
    def _about_something(self) -> FeedbackRequest:
        if not self.draft_id and not (self.draft or "").strip():
            raise ValueError("give the draft_id from /api/draft, or the draft text")
        return self
