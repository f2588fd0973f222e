"""What every deterministic grader gets, and how it turns a score into a verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from agent.checks import CHECKS, Context, Finding, check_text
from agent.checks.text import Span, lowered
from agent.config import Policy
from evals.graders.lexicon import TOPIC
from evals.graders.text import Reply, quote
from evals.rubrics import Rubric
from evals.scores import Score
from evals.situation import Situation

if TYPE_CHECKING:
    import numpy as np

    from evals.graders.semantic import Reading


@dataclass
class Ctx:
    reply: Reply
    situation: Situation
    policy: Policy
    _topical: set[int] | None = None

    @cached_property
    def findings(self) -> list[Finding]:
        """The shared checks (agent/checks/) on this reply, run once for every grader."""
        situation = self.situation
        context = Context(policy=self.policy, email=situation.email,
                          names=tuple(n for n in (situation.customer_name,) if n),
                          refs=situation.order_ids,
                          must_not_refund=bool(situation.must_not_promise_refund))
        return check_text(self.reply.raw, context)

    @cached_property
    def vectors(self) -> np.ndarray:
        """One embedding per sentence of the reply (the semantic scorer's input)."""
        from evals.graders.semantic import EMBEDDER, sentence_texts

        return EMBEDDER.vectors(sentence_texts(self))

    @cached_property
    def reply_vector(self) -> np.ndarray:
        """The reply as one vector: the normalised mean of its sentences'."""
        from evals.graders.semantic import mean_vector

        return mean_vector(self.vectors)

    @cached_property
    def reading(self) -> Reading:
        """Every head's leaning on the reply, and the sentences that push each head
        furthest up and down (semantic.py)."""
        from evals.graders.semantic import read

        return read(self.vectors, self.reply_vector)

    @cached_property
    def tones(self) -> dict[str, tuple[float, str]]:
        """Sarcasm, blame, condescension, non-apology: those detected, with the sentence."""
        from evals.graders.semantic import tones

        return tones(self)

    def found(self, kind: str | None = None, check: str | None = None) -> list[Finding]:
        """Findings of one kind (safety, policy, tone) or one check id."""
        return [f for f in self.findings
                if (kind is None or CHECKS[f.check].kind == kind)
                and (check is None or f.check == check)]

    def topical(self, pos: int, *, before: bool = False, after: bool = False,
                after_if_short: int = 0) -> bool:
        """Whether the sentence at `pos` (or a neighbour) mentions the customer's situation."""
        if self._topical is None:
            topic = Topic.of(self.situation)
            self._topical = {i for i, s in enumerate(self.reply.sentences)
                             if topic.mentioned_in(s.text.lower())}
        idx = self.reply.sentence_index(pos)
        near = {idx}
        if before:
            near.add(idx - 1)
        here = self.reply.sentences[idx] if 0 <= idx < len(self.reply.sentences) else None
        if after or (after_if_short and here is not None and len(here.text) < after_if_short):
            near.add(idx + 1)
        return bool(near & self._topical)


def verdict(rubric: Rubric, score: float, reason: str, evidence: list[str] | None = None,
            hard_fail: str | None = None) -> Score:
    """A scored verdict; a hard fail is 0 and failed whatever the score said."""
    score = max(0.0, min(1.0, round(score, 3)))
    if hard_fail is not None:
        score = 0.0
    passed = hard_fail is None and rubric.passes(score)
    # Every field is built here from checked values: skip re-validation (hot path).
    return Score.model_construct(rubric=rubric.name, score=score, passed=passed,
                                 status="scored", reason=reason,
                                 evidence=[quote(e) for e in (evidence or [])][:6],
                                 hard_fail=hard_fail, source="deterministic")


def spans(found: list[Span]) -> list[str]:
    return [m.text for m in found]


_WORD = re.compile(r"[^\W\d_]{5,}")
_COMMON = frozenset("""
about above after again against being below between could didn't doesn't during every
first from having here into itself just might never other ought really right should
since still their them then there these they thing things think those through today
under until very want wanted what when where which while would your yours hello thanks
thank please regards because before email emails again order orders getting going
absolutely honestly literally seriously people company customer service someone anyone
nothing everything something""".split())


def _email_words(email: str | None) -> list[str]:
    """Distinctive words the customer used (the reply echoing them is a sign it listened)."""
    if not email:
        return []
    seen: dict[str, None] = {}
    for word in _WORD.findall(email.lower()):
        if word not in _COMMON:
            seen.setdefault(word, None)
    return list(seen)[:60]


_ORDER_REF = re.compile(r"\border\s*#?\s*[a-z0-9-]*\d")
_CATEGORY_TOPIC = {name: re.compile(lowered(r"\b(" + words + r")")) for name, words in
                   TOPIC.items()}
_ANY_TOPIC = re.compile(lowered(r"\b(" + "|".join(TOPIC.values()) + r")"))


@dataclass(frozen=True)
class Topic:
    """What ties a sentence to this customer's situation: the category's words, the
    distinctive words the customer used (a reply word that starts with one), and their
    references, product and duration. Built once per email from sets, not a regex."""

    category: re.Pattern[str]
    words: frozenset[str]
    literals: tuple[str, ...]

    @staticmethod
    @lru_cache(maxsize=4096)
    def build(category: str | None, ids: tuple[str, ...], product: str | None,
              duration: str | None, email: str | None) -> Topic:
        literals = [i.lower() for i in ids]
        if product:
            literals.append(product.split()[-1].lower())
        if duration:
            literals.append(duration.lower())
        return Topic(_CATEGORY_TOPIC.get(category or "", _ANY_TOPIC),
                     frozenset(_email_words(email)), tuple(literals))

    @classmethod
    def of(cls, situation: Situation) -> Topic:
        return cls.build(situation.category, situation.order_ids, situation.product,
                         situation.duration, situation.email)

    def mentioned_in(self, lower: str) -> bool:
        if self.category.search(lower) or _ORDER_REF.search(lower):
            return True
        if any(lit in lower for lit in self.literals):
            return True
        words = self.words
        return bool(words) and any(w[:k] in words for w in _WORD.findall(lower)
                                   for k in range(5, len(w) + 1))
