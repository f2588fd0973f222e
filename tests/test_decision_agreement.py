"""One decision, three outputs: for every case of every suite, the draft, the situation
badges (what `calmreply draft` prints) and the internal note agree on escalation (and its
reason), on whether the reply admits fault, and on the boundary."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from rich.console import Console

from agent.config import Policy, Settings
from agent.drafter import compose_offline
from agent.inbound import parse_text
from agent.models import DraftResult, Fault, Threat
from agent.offline.analyzer import decide
from agent.output import print_result
from agent.profiles import ProfileSettings
from evals.suites import load_suite
from tests.conftest import ROOT

CONTACT = "the escalations desk"  # unique, so its presence means the reply escalates
SUITES = ("core", "holdout", "injection", "smoke", "industries", "blind")
# Phrases the apology uses to own a mistake, in the two languages the composer writes.
ADMITS = re.compile(r"our mistake|on us\b|mistake is ours|error is ours|we got this wrong|"
                    r"fault lies with us|our responsibility|error nuestro|culpa es nuestra|"
                    r"nos hemos equivocado|nos equivocamos", re.I)
BOUNDARY = re.compile(r"respectful|respetuos[oa]", re.I)
STOP = re.compile(r"threats of harm|amenazas de hacer daño", re.I)


def _cases() -> list[tuple[str, str, str]]:
    out = []
    for name in SUITES:
        for case in load_suite(ROOT / f"evals/suites/{name}.yaml").cases:
            out.append((f"{name}:{case.id}", case.email, case.labels.industry))
    return out


def _badges(result: DraftResult) -> str:
    buffer = io.StringIO()
    print_result(result, Console(file=buffer, width=200, color_system=None))
    text = buffer.getvalue()
    return text[text.index("Situation"):text.index("Internal note")]


@pytest.mark.parametrize(("case_id", "email", "industry"), _cases(),
                         ids=[c[0] for c in _cases()])
def test_draft_badges_and_note_render_one_decision(case_id: str, email: str,
                                                   industry: str) -> None:
    settings = Settings(policy=Policy(escalation_contact=CONTACT),
                        profile=ProfileSettings(use=industry))
    result = compose_offline(parse_text(email), settings, today=dt.date(2026, 3, 2))
    analysis, draft = result.analysis, result.draft
    decision = decide(analysis)
    body, note = draft.body, draft.internal_note
    badges = _badges(result)

    # Escalation: the draft names the contact, the badge says yes with the reason, the note
    # has an escalation line, all or none.
    assert (CONTACT in body) == decision.escalate
    assert (note.escalation is not None) == decision.escalate
    escalate_row = re.search(r"Escalate\s+(yes|no)", badges)
    assert escalate_row and (escalate_row.group(1) == "yes") == decision.escalate
    assert (f"Escalate: yes ({analysis.escalation_reason})" in note.summary) == \
        decision.escalate
    if decision.escalate:
        assert analysis.escalation_reason and analysis.escalation_reason in badges
        assert analysis.escalation_reason in (note.escalation or "")
    # Fault: the reply owns the mistake exactly when the decision says so, and the note says
    # when a fault we see is deliberately not admitted.
    assert bool(ADMITS.search(body)) == decision.admit_fault, body
    assert ("not admitted" in note.summary) == (analysis.fault is Fault.ours
                                                and not decision.admit_fault)
    # Boundary: a respectful-conversation request exactly for abuse aimed at people; the
    # conversation stops exactly for violence.
    violent = Threat.violence in analysis.threats
    assert bool(STOP.search(body)) == violent
    assert bool(BOUNDARY.search(body)) == (analysis.abusive and not violent), body
    assert ("reply sets a boundary" in note.summary) == (analysis.abusive and not violent)
    assert re.search(r"Abusive\s+(yes|no)", badges).group(1) == (  # type: ignore[union-attr]
        "yes" if analysis.abusive else "no")
