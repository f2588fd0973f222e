"""Issue 13, "What was seen": each case a new user tried, as a test. The emails are the
industries suite's `*-seen-*` cases (evals/suites/industries.yaml), so the suite and these
tests share one copy."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from agent.config import Settings
from agent.guard import check_draft, guard_context
from agent.inbound import InboundEmail, parse_bytes, parse_text
from agent.models import Analysis, Draft, Fault, Threat, Tone
from agent.offline import analyze, compose
from agent.offline.analyzer import decide
from evals.suites import load_suite
from tests.conftest import ROOT

TODAY = dt.date(2026, 3, 2)
# Sentences the acknowledgement, restatement and apology draw on to name a feeling.
_EMPATHY = re.compile(r"[^.!?]*\b(?:frustrat\w*|stressful|upsetting|letdown|disappointing|"
                      r"worrying|unsettling|I can hear|I can tell|understand why|makes it "
                      r"worse|real disruption)\b[^.!?]*[.!?]")


@cache
def _cases() -> dict[str, str]:
    suite = load_suite(ROOT / "evals/suites/industries.yaml")
    return {c.id: c.email for c in suite.cases}


def read(case_id: str, settings: Settings | None = None) -> tuple[InboundEmail, Analysis,
                                                                   Draft]:
    settings = settings or Settings()
    email = parse_text(_cases()[case_id])
    analysis = analyze(email, profile=settings.active_profile)
    return email, analysis, compose(email, analysis, settings, tone=Tone.warm, today=TODAY)


def test_a_return_number_is_not_an_order_and_each_issue_gets_a_line() -> None:
    # .eml, HTML part, quoted chain: return label to the wrong address, ticket closed.
    email, analysis, d = read("ecom-seen-return-label")
    assert email.source_format == "eml" and "Please print the attached label" not in email.body
    assert analysis.category == "returns"
    assert analysis.order_ids == []
    assert {(r.id, r.kind) for r in analysis.other_refs} == {("R-2291", "return"),
                                                             ("55810", "ticket")}
    body = d.body
    assert "order R-2291" not in body and "order #R-2291" not in body
    assert "tracking" not in body and "hasn't arrived" not in body
    assert "return label for your stand mixer (return R-2291)" in body
    assert "ticket 55810 was closed without an answer" in body
    assert body.startswith("Hi Marta,")


def test_a_legal_safety_email_admits_nothing_offers_no_remedy_and_names_the_escalation() -> None:
    _, analysis, d = read("ecom-seen-heater-legal")
    assert analysis.escalate and Threat.legal in analysis.threats
    decision = decide(analysis)
    assert decision.cautious and not decision.admit_fault
    body = d.body.lower()
    for admission in ("damaged", "our mistake", "on us", "mistake is ours", "we got this wrong",
                      "fault lies with us"):
        assert admission not in body, admission
    for remedy in ("replacement", "refund", "credit", "exchange"):
        assert remedy not in body, remedy
    assert "space heater" in body and "safety" in body
    assert "a team lead, who will reply to you within 48 hours" in d.body
    assert d.internal_note.escalation is not None
    assert "admits no fault" in d.internal_note.escalation
    assert "not admitted" in d.internal_note.summary


def test_a_first_refund_request_outside_the_window_is_not_called_a_refusal() -> None:
    _, analysis, d = read("ecom-seen-refund-window")
    body = d.body
    assert "turned down" not in body and "refused" not in body
    assert "past the 30-day window" in body
    assert "the colour is nothing like the photo on the website" in body
    assert "credit" not in body.lower()  # "not store credit": none is offered
    assert analysis.fault is Fault.unclear


def test_a_rambling_two_issue_email_answers_both_and_uses_the_signed_name() -> None:
    _, analysis, d = read("ecom-seen-two-issues")
    assert d.body.startswith("Hi Priya,")
    assert "the order has not arrived" not in analysis.issues
    assert "they are locked out of their account" in analysis.issues
    assert "the item arrived damaged" in analysis.issues
    assert "locked out of your account" in d.body
    assert "mugs (order #41177) arrived damaged" in d.body
    assert "replacement" in d.body
    assert "reply from the email address registered on the account" in d.body


def test_venting_in_a_third_email_gets_empathy_once_and_no_lecture() -> None:
    _, analysis, d = read("ecom-seen-third-email-swearing")
    assert analysis.profanity and not analysis.abusive and not analysis.escalate
    assert "respectful" not in d.body
    assert "tell me a little more" not in d.body
    assert len(_EMPATHY.findall(d.body)) == 1, _EMPATHY.findall(d.body)
    assert "order #55120" in d.body


def test_the_draft_never_escalates_what_the_situation_does_not() -> None:
    # A chargeback in Spanish is read, and alone it does not escalate anywhere.
    _, analysis, d = read("ecom-seen-spanish-chargeback")
    assert analysis.language == "es"
    assert analysis.threats == [Threat.chargeback] and not analysis.escalate
    assert "un responsable de equipo" not in d.body and "a team lead" not in d.body
    assert "banco" in d.body
    assert d.internal_note.escalation is None
    for case_id in ("ecom-seen-third-email-swearing", "ecom-seen-two-issues"):
        _, analysis, d = read(case_id)
        assert not analysis.escalate and "team lead" not in d.body


def test_german_is_read_as_german() -> None:
    analysis = analyze(parse_text("Ich will mein Geld zurück!"))
    assert analysis.language == "de"
    _, analysis, d = read("ecom-seen-german-money-back")
    assert analysis.language == "de" and analysis.category == "defective"
    assert d.internal_note.summary.startswith("LANGUAGE: customer wrote in German")


def test_a_correct_dutch_reply_is_not_flagged_for_its_language() -> None:
    email = parse_text(_cases()["ecom-dutch-late"])
    analysis = analyze(email)
    assert analysis.language == "nl"
    reply = Draft.model_validate({
        "subject": "Uw bestelling 90211",
        "body": ("Beste Sanne,\n\nHet spijt me dat uw bestelling 90211 nog steeds niet is "
                 "aangekomen. Ik controleer vandaag bij de vervoerder waar het pakket is en "
                 "laat u binnen 48 uur weten wat er is gebeurd en wat de volgende stap is.\n\n"
                 "Met vriendelijke groet,\nSam"),
        "internal_note": {"summary": "Late parcel; checking with the carrier.",
                          "follow_up": None, "escalation": None}})
    findings = check_draft(reply, analysis, guard_context(Settings(), email))
    assert [f for f in findings if f.check == "language"] == []


def test_a_cp1251_email_is_analysed_in_russian() -> None:
    text = ("Здравствуйте! Мой заказ 55120 до сих пор не пришёл, хотя прошло три недели. "
            "Верните деньги.")
    analysis = analyze(parse_bytes(text.encode("cp1251")))
    assert analysis.language == "ru"
