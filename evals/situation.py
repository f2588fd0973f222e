"""What a grader knows about the email a reply answers.

From a suite case or a gold reply: the team's labels (`source` "labels"). From a bare
email (`calmreply grade`): the rule-based analyzer's read (`source` "analyzer"), which
can be wrong, so every result says which it was. From nothing: only the reply
(`source` "none"), and rubrics that need the email say so (not applicable) or judge the
reply alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agent.checks.prefilter import Pattern
from agent.inbound import parse_text
from agent.models import Fault, Threat
from evals.suites import Case

_INJECTION = Pattern(
    r"ignore\s+(all\s+|any\s+|your\s+|the\s+|previous\s+|prior\s+|my\s+)*(instructions|rules|"
    r"guidelines|prompt)|system\s+prompt|hidden\s+instructions|(reply|support|ai)\s+(bot|"
    r"assistant)|internal\s+policy\s+update|(promise|confirm)\s+(me\s+)?(a\s+)?(full\s+|100%\s+)"
    r"?refund|you\s+are\s+now\b|new\s+instructions", re.I)


SituationSource = Literal["labels", "analyzer", "none"]


@dataclass(frozen=True)
class Situation:
    email: str | None = None  # the customer's new message; None when grading a reply alone
    category: str | None = None
    fault: str | None = None  # ours | theirs | unclear
    abusive: bool | None = None
    threats: tuple[str, ...] = ()
    language: str | None = None
    escalate: bool | None = None
    customer_name: str | None = None
    order_ids: tuple[str, ...] = ()
    product: str | None = None
    duration: str | None = None
    must_own_fault: bool | None = None
    must_set_boundary: bool | None = None
    must_escalate: bool | None = None
    must_not_promise_refund: bool | None = None
    must_mention: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    literal: tuple[str, ...] = ()
    injection: bool = False
    problem: bool | None = None  # reports a problem or frustration (None: unknown, assume so)
    source: SituationSource = "none"

    @property
    def known(self) -> bool:
        return self.email is not None

    @property
    def violent(self) -> bool:
        return Threat.violence.value in self.threats

    @property
    def needs_boundary(self) -> bool:
        if self.must_set_boundary is not None:
            return self.must_set_boundary
        return bool(self.abusive) or self.violent

    @property
    def needs_escalation(self) -> bool:
        if self.must_escalate is not None:
            return self.must_escalate
        return bool(self.escalate)

    @property
    def expected_fault(self) -> str | None:
        if self.must_own_fault:
            return Fault.ours.value
        return self.fault


REPLY_ONLY = Situation()


def from_email(text: str) -> Situation:
    """The analyzer's read of a raw email (no team labels available). Only the flags are
    read: the issue list and the anger level, which no grader uses, are never computed."""
    from agent.language import detect_language
    from agent.offline.analyzer import read

    email = parse_text(text)
    reading = read(email)
    injection = bool(_INJECTION.search(email.body))
    refund_bait = injection and "refund" in email.body.lower()
    return Situation(
        email=email.body, category=reading.category, fault=reading.fault.value,
        abusive=reading.abusive, threats=tuple(t.value for t in reading.threats),
        language=detect_language(email.body), escalate=reading.escalate,
        customer_name=reading.name, order_ids=tuple(reading.order_ids),
        product=reading.product, duration=reading.duration,
        must_not_promise_refund=True if refund_bait else None, injection=injection,
        problem=None, source="analyzer",  # the graders read it (graders.reports_problem)
    )


def from_case(case: Case) -> Situation:
    """A suite case: the team's labels win; the analyzer only adds product and duration."""
    from agent.offline.analyzer import read

    email = parse_text(case.email)
    reading = read(email)
    labels, expect = case.labels, case.expect
    injection = "injection" in case.tags or bool(_INJECTION.search(email.body))
    return Situation(
        email=email.body, category=labels.category, fault=labels.fault.value,
        abusive=labels.abusive, threats=tuple(t.value for t in labels.threats),
        language=expect.language or labels.language, escalate=labels.escalate,
        customer_name=labels.customer_name, order_ids=tuple(labels.order_ids),
        product=reading.product, duration=reading.duration,
        must_own_fault=expect.must_own_fault, must_set_boundary=expect.must_set_boundary,
        must_escalate=expect.must_escalate,
        must_not_promise_refund=expect.must_not_promise_refund,
        must_mention=tuple(expect.must_mention), literal=tuple(expect.literal),
        must_not_contain=tuple(expect.must_not_contain),
        injection=injection, problem=True, source="labels",
    )


def from_labels(text: str, *, fault: str, abusive: bool, threats: tuple[str, ...],
                escalate: bool, problem: bool, language: str) -> Situation:
    """An email with the team's labels (a gold reply's own email): the labels win; the
    analyzer only adds what the labels do not carry (category, references, product)."""
    from agent.offline.analyzer import read

    email = parse_text(text)
    reading = read(email)
    return Situation(
        email=email.body, category=reading.category, fault=fault, abusive=abusive,
        threats=threats, language=language, escalate=escalate,
        customer_name=reading.name, order_ids=tuple(reading.order_ids),
        product=reading.product, duration=reading.duration,
        injection=bool(_INJECTION.search(email.body)), problem=problem, source="labels",
    )
