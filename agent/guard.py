"""The guard: checks every draft before it reaches a support agent.

Default-deny: the checks in agent/checks/ say what a reply may contain (the policy's money,
the company's own contact points, plain text, the customer's language) and everything else
is a finding. Every field an agent reads is checked: the subject, the body, the internal
note and the analysis strings, since a manipulated model can plant a link or a "pre-approved
refund" in any of them. A draft that fails is revised by the model (bounded) or returned
flagged with these findings; it is never passed on silently. The offline composer's drafts
are checked too.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.checks import Context, Finding, check_text
from agent.checks.contact import EMAIL, PHONE_SHAPES, URL, Allowed
from agent.checks.text import fold
from agent.config import Settings
from agent.errors import redact
from agent.inbound import InboundEmail
from agent.language import detect, name
from agent.models import Analysis, Draft, Facts, GuardFinding

_MIN_BODY_WORDS = 12
_MIN_EMAIL_LETTERS = 20  # less than this says too little about the customer's language
_PLAUSIBLE = 0.15  # an email this likely to be in the draft's language may well be
# Findings that only make sense for what the customer reads; in the note and the analysis
# a refund or a date describes the request, not a promise.
_PROMISES = frozenset({"refund_promise", "credit_promise", "refund_outside_window",
                       "deadline_too_short", "shouting"})
# Checks of text the customer reads (the subject and the body), not of the internal note or
# the analysis (where a product may well be called "Honey").
_FOR_THE_CUSTOMER = frozenset({"placeholder", "aside", "mocking", "threat"})


def guard_context(settings: Settings, email: InboundEmail | None = None,
                  facts: Facts | None = None, *, prompt: str = "",
                  secrets: Iterable[str] = ()) -> Context:
    """What the guard knows about one email: the policy, the company's allowed contact
    points (plus any in its own signature), the email, names and references."""
    company = settings.company
    signature = fold(company.signature)
    allowed = Allowed.of(
        domains=[*company.domains],
        urls=[*company.urls, *(m.group(0) for m in URL.finditer(signature))],
        emails=[*company.emails, *(m.group(0) for m in EMAIL.finditer(signature))],
        phones=[*company.phones, *(m.group(0) for m in PHONE_SHAPES.finditer(signature))])
    text = None
    names: list[str] = [company.agent_name]
    refs: list[str] = []
    if email is not None:
        from agent.offline.analyzer import references

        text = f"{email.subject or ''}\n{email.body}"
        names += [n for n in (email.sender_name,) if n]
        refs += list(references(email))
    if facts is not None:
        names += [n for n in (facts.customer_name,) if n]
        refs += [r for r in (facts.order_id,) if r]
    return Context(policy=settings.policy, allowed=allowed, email=text, names=tuple(names),
                   refs=tuple(refs), prompt=prompt, secrets=tuple(s for s in secrets if s))


def check_draft(draft: Draft, analysis: Analysis, ctx: Context) -> list[GuardFinding]:
    """Every reason this draft must not go out as it is (empty when it may)."""
    findings: list[GuardFinding] = []
    if len(draft.body.split()) < _MIN_BODY_WORDS:
        findings.append(GuardFinding(check="empty", message="the draft has no real reply in "
                                     "it", evidence=draft.body.strip()[:80] or None))
    for where, text in _fields(draft, analysis):
        if not text:
            continue
        for finding in check_text(text, ctx):
            if where != "body" and finding.check in _PROMISES:
                continue
            if where not in ("subject", "body") and finding.check in _FOR_THE_CUSTOMER:
                continue  # an internal note may hold notes to colleagues, a product name
            findings.append(_guard_finding(finding, where))
    findings += _language_findings(draft.body, ctx.email)
    # Evidence quotes the draft: a secret in it must not ride along.
    return [f.model_copy(update={"evidence": redact(f.evidence, ctx.secrets)}) if f.evidence
            else f for f in findings]


def _fields(draft: Draft, analysis: Analysis) -> list[tuple[str, str]]:
    note = draft.internal_note
    return [("subject", draft.subject), ("body", draft.body),
            ("internal note", note.summary), ("internal note", note.escalation or ""),
            ("analysis goal", analysis.goal), *(("analysis issues", i) for i in analysis.issues),
            ("analysis escalation reason", analysis.escalation_reason or ""),
            ("analysis product", analysis.product or ""),
            ("analysis customer name", analysis.customer_name or ""),
            *(("analysis order ids", i) for i in analysis.order_ids)]


def _guard_finding(finding: Finding, where: str) -> GuardFinding:
    message = f"the draft {finding.message}" if where == "body" else \
        f"{where}: {finding.message}"
    return GuardFinding(check=finding.check, message=message, evidence=finding.evidence)


def _language_findings(body: str, email: str | None) -> list[GuardFinding]:
    """The reply must be in the customer's language, as read from the email itself."""
    if not email:
        return []
    want, got = detect(email), detect(body)
    # The draft's language is clear, and the email is plainly not in it (headers, names and
    # numbers can blur the email's own best guess, so ask how likely the draft's language is).
    if not got.sure or want.letters < _MIN_EMAIL_LETTERS or want.code == got.code \
            or want.share(got.code) >= _PLAUSIBLE:
        return []
    return [GuardFinding(check="language", message=f"the draft is in {name(got.code)} but "
                         f"the customer wrote in {name(want.code)}")]
