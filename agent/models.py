"""The data contracts: what an analysis, a draft and a drafting result look like.

The model fills `ModelOutput` (analysis + draft in one structured answer); the offline
composer fills the same `Analysis` and `Draft`, so nothing downstream cares who wrote them.
Every model forbids extra keys, so a model that invents fields is re-asked, not trusted.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Category(StrEnum):
    delivery = "delivery"  # late or missing delivery
    billing = "billing"  # double or wrong charge
    defective = "defective"  # broken or faulty item
    refund_refused = "refund_refused"
    account_locked = "account_locked"
    rude_staff = "rude_staff"
    cancellation = "cancellation"
    other = "other"


class Anger(StrEnum):
    calm = "calm"
    irritated = "irritated"
    angry = "angry"
    furious = "furious"


class Threat(StrEnum):
    legal = "legal"
    chargeback = "chargeback"
    public_review = "public_review"
    violence = "violence"


class Fault(StrEnum):
    ours = "ours"
    theirs = "theirs"
    unclear = "unclear"


class Tone(StrEnum):
    warm = "warm"
    neutral = "neutral"
    formal = "formal"


class Analysis(Strict):
    """A read of the situation, for the support agent and for the draft."""

    goal: str = Field(description="What the customer wants, in one sentence.")
    issues: list[str] = Field(description="Each concrete problem the customer raises.")
    category: Category = Field(description="The main issue category.")
    anger: Anger
    abusive: bool = Field(description="Insults, profanity or personal attacks in the email.")
    threats: list[Threat]
    fault: Fault = Field(description="Who caused the problem, as far as the email shows.")
    language: str = Field(description="ISO 639-1 code of the email's language, e.g. 'en'.")
    customer_name: str | None = Field(description="The customer's name if they give it.")
    order_ids: list[str] = Field(description="Order, ticket or invoice numbers mentioned.")
    product: str | None = Field(description="The product concerned, if named.")
    escalate: bool = Field(description="Whether a manager should take this over.")
    escalation_reason: str | None


class InternalNote(Strict):
    """For the support agent, never sent to the customer."""

    summary: str = Field(description="What the customer said and what we are offering.")
    follow_up: dt.date | None = Field(description="When to check back with the customer.")
    escalation: str | None = Field(description="Who should take over and why, or null.")


class Draft(Strict):
    subject: str
    body: str
    internal_note: InternalNote


class ModelOutput(Strict):
    """The one structured answer asked of the model."""

    analysis: Analysis
    draft: Draft


class Facts(Strict):
    """What the support agent already knows, typed in beside the email (all optional)."""

    customer_name: str | None = None
    order_id: str | None = None
    notes: str | None = Field(default=None, description="Order facts, e.g. 'shipped 3 May'.")


class GuardFinding(Strict):
    check: str = Field(description="Which guard check fired, e.g. 'profanity'.")
    message: str
    evidence: str | None = None


class Usage(Strict):
    """Tokens the server reported; `calls` counts the answers that reported any."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = Field(
        default=0, description="Prompt tokens the server read from its prompt (prefix) cache, "
        "from usage.prompt_tokens_details.cached_tokens where the server reports them.")
    calls: int = 0

    def add(self, prompt: int, completion: int, cached: int = 0) -> None:
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.cached_tokens += cached
        self.calls += 1

    def count(self, reported: Any) -> None:
        """Add one answer's usage as the openai SDK reports it (a CompletionUsage)."""
        details = getattr(reported, "prompt_tokens_details", None)
        self.add(reported.prompt_tokens or 0, reported.completion_tokens or 0,
                 getattr(details, "cached_tokens", None) or 0)

    def merge(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cached_tokens += other.cached_tokens
        self.calls += other.calls


class DraftResult(Strict):
    """What `calmreply draft --json` prints and `POST /api/draft` returns."""

    source: Literal["model", "offline"]
    model: str | None
    analysis: Analysis
    draft: Draft
    flagged: bool = Field(description="True when the guard still objects after revisions.")
    guard: list[GuardFinding]
    revisions: int = 0
    usage: Usage | None = None
    notice: str | None = Field(
        default=None, description="Anything the agent must know, e.g. 'composed offline'."
    )
