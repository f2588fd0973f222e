"""What the desk's JSON API accepts. Responses reuse `agent.models.DraftResult` and the
`calmreply grade` line shape, so the CLI, the API and the page agree on one contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.models import Facts, Tone


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
