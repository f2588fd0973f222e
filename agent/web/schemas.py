"""What the desk's JSON API accepts and answers. Responses reuse `agent.models.DraftResult`
and the `calmreply grade` line shape, so the CLI, the API and the page agree on one
contract; every failure is `{"error": "<one line>"}` (see http_errors.py). These models
are the OpenAPI document's; the handlers build the same shapes (tests hold them to it).

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

from agent.models import DraftResult, Facts, Tone

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


class RubricScore(BaseModel):
    """One rubric's verdict, as in a `calmreply grade` output line."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    score: float | None = Field(ge=0, le=1, description="0..1; null when not scored.")
    pass_: bool | None = Field(alias="pass", description="null when the rubric does not "
                               "apply, or needs the email and none was given.")
    reason: str = Field(description="Why, quoting the evidence found.")


class GradeResponse(BaseModel):
    """One `calmreply grade` output line."""

    model_config = ConfigDict(extra="forbid")

    id: str | int | float | None = Field(description="The request's id, echoed.")
    scores: dict[str, RubricScore] = Field(description="Rubric name -> verdict.")


class DraftResponse(DraftResult):
    """The `calmreply draft --json` result, plus what the desk adds."""

    draft_id: str = Field(description="Pass it to /api/feedback to rate this draft.")
    scores: dict[str, RubricScore] = Field(description="The draft graded, as /api/grade "
                                           "would; empty when scoring failed.")
    scores_error: str | None = Field(description="Why scores are missing, if they are.")


class ErrorResponse(BaseModel):
    """Every failure, whatever the status."""

    model_config = ConfigDict(extra="forbid")

    error: str = Field(description="One line: what went wrong and what to do about it. "
                       "Never a stack trace or a secret.")


_STATUS = {
    400: "The email or a field cannot be used (empty, binary, an unknown rubric).",
    413: "The request body is over the desk's max_input_bytes.",
    422: "The body is not the JSON object this route takes.",
    500: "The desk itself failed; its log has the details.",
    502: "The model failed for good (auth, quota, unknown model, no valid answer).",
    503: "The model or the graders are unavailable for now; try again.",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these statuses, all with the `{"error": ...}` body."""
    return {code: {"model": ErrorResponse, "description": _STATUS[code]} for code in codes}
