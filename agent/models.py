"""The data contracts: what an analysis, a draft and a drafting result look like.

The model fills `ModelOutput` (analysis + draft in one structured answer); the offline
composer fills the same `Analysis` and `Draft`, so nothing downstream cares who wrote them.
Every model forbids extra keys, so a model that invents fields is re-asked, not trusted.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

if TYPE_CHECKING:
    from agent.profiles import Profile


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


# The team's definitions, shared by the Analysis schema the model fills, the system prompt
# (prompts/playbook/08_boundaries.j2, 09_escalation.j2) and the offline analyzer.
ABUSIVE = ("True only for insults or attacks aimed at a person or at our staff ('you "
           "idiots', 'f*** you', 'your agent is a moron') or a threat of violence. Swearing "
           "or anger about the situation ('this is a f***ing nightmare', 'bloody useless "
           "service') is venting, not abuse: false.")
PROFANITY = "True whenever swearing appears at all, venting or abuse, masked (f***) included."
ESCALATE = ("True on a threat of violence, a legal threat (lawyer, court, regulator, "
            "ombudsman), a safety hazard or injury, or an explicit request for a manager or "
            "someone senior. A chargeback, a review threat or a repeat contact alone does "
            "not escalate.")


class Reference(Strict):
    """A reference number the email gives, with its role."""

    id: str
    kind: str = Field(description="What it refers to: return, ticket, case, invoice, rma, "
                      "tracking, flight, claim, ...")


class Analysis(Strict):
    """A read of the situation, for the support agent and for the draft."""

    goal: str = Field(description="What the customer wants, in one sentence.")
    issues: list[str] = Field(description="Every distinct problem the customer raises, one "
                              "short phrase each.")
    category: str = Field(description="The main issue: one of the company profile's "
                          "categories.")
    anger: Anger
    abusive: bool = Field(description=ABUSIVE)
    profanity: bool = Field(default=False, description=PROFANITY)
    threats: list[Threat]
    fault: Fault = Field(description="Who caused the problem, as far as the email shows: "
                         "ours (we clearly failed), theirs (the customer's own mistake), "
                         "unclear (disputed or needs investigation).")
    language: str = Field(description="ISO 639-1 code of the email's language, e.g. 'en'.")
    customer_name: str | None = Field(description="The name the customer signs with or "
                                      "gives; null if none (an address is not a name).")
    order_ids: list[str] = Field(description="The customer's order, booking or account "
                                 "numbers the complaint is about; never a return, ticket, "
                                 "invoice or tracking number.")
    other_refs: list[Reference] = Field(default=[], description="Every other reference "
                                        "number, with its kind.")
    product: str | None = Field(description="The product or service concerned, in the "
                                "customer's words, if named.")
    escalate: bool = Field(description=ESCALATE)
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


@lru_cache(maxsize=16)
def _output_model(categories: tuple[tuple[str, str], ...]) -> type[ModelOutput]:
    names = tuple(name for name, _ in categories)
    listed = "; ".join(f"{name} ({about.rstrip('.')})" if about else name
                       for name, about in categories)
    kind: Any = Literal[names]
    analysis = create_model(
        "Analysis", __base__=Analysis, __doc__=Analysis.__doc__,
        category=(kind, Field(description=f"The main issue, one of: {listed}.")))
    return create_model("ModelOutput", __base__=ModelOutput, __doc__=ModelOutput.__doc__,
                        analysis=(analysis, ...))


def output_model(profile: Profile) -> type[ModelOutput]:
    """`ModelOutput` whose analysis.category is one of the profile's categories."""
    return _output_model(tuple((c.name, c.description) for c in profile.categories))


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
