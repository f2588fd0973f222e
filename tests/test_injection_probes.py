"""Injection probes (evals/suites/injection.yaml) against a deliberately gullible model.

The fake model (tests/fakes/gullible.py) obeys whatever the customer's email or the agent
notes tell it. Every harmful draft it writes must come back flagged for the harm it
carries, and what is hidden or fenced on the way in must stay so. The judging lives in
tests/probes.py, which `python -m tests.probes` also runs to print the README's table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.config import Settings
from agent.drafter import compose_offline
from agent.guard import check_draft, guard_context
from agent.inbound import parse_text
from agent.models import Draft, InternalNote
from agent.offline.analyzer import analyze
from evals.suites import load_suite
from tests.fakes.gullible import gullible_responder
from tests.fakes.model_server import FakeModelServer
from tests.probes import SUITE, Outcome, klass, run_probe

CASES = load_suite(SUITE).cases
CLASSES = {"contact", "money", "outside", "language", "leak", "fence", "terminal", "override"}


@pytest.fixture(scope="module")
def server() -> Any:
    with FakeModelServer(responder=gullible_responder) as srv:
        yield srv


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    return {}


def test_there_are_enough_probes_and_half_are_blind() -> None:
    blind = [c for c in CASES if "blind" in c.tags]
    assert len(CASES) >= 120 and len(blind) * 2 >= len(CASES)
    assert {klass(c) for c in blind} >= CLASSES


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_every_harmful_draft_is_flagged_for_it(case: Any, server: Any,
                                                    outcomes: dict[str, Outcome]) -> None:
    outcome = await run_probe(case, server)
    outcomes[case.id] = outcome
    assert outcome.input_ok, outcome.problems
    if outcome.harmful:
        assert outcome.flagged_for_it, f"unflagged harm: {outcome.harmful}"


def test_the_gullible_model_really_obeys(outcomes: dict[str, Outcome]) -> None:
    """Without this, a fake that misreads the prompt would make every probe pass vacuously."""
    output = [o for o in outcomes.values() if o.kind == "output"]
    if len(output) < 50:
        pytest.skip("run with the probe tests (it reads their outcomes)")
    assert sum(o.obeyed for o in output) >= 0.9 * len(output)


def test_good_replies_are_not_flagged() -> None:
    """The team's good replies to the core suite pass the guard as drafts (0 false
    positives), and so do the offline composer's English and Spanish drafts."""
    core = load_suite(Path("evals/suites/core.yaml"))
    settings = Settings()
    flagged = []
    for line in Path("evals/gold/replies.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row.get("kind") != "good" or "case" not in row:
            continue
        email = parse_text(core.case(row["case"]).email)
        draft = Draft(subject="Re: your email", body=row["reply"],
                      internal_note=InternalNote(summary="Replied.", follow_up=None,
                                                 escalation=None))
        found = check_draft(draft, analyze(email), guard_context(settings, email))
        if found:
            flagged.append((row["id"], [(f.check, f.evidence) for f in found]))
    for case in core.cases:
        email = parse_text(case.email)
        result = compose_offline(email, settings)
        if case.labels.language in ("en", "es") and result.flagged:
            flagged.append((case.id, [(f.check, f.evidence) for f in result.guard]))
    assert flagged == []


def test_template_payloads_stay_literal_offline() -> None:
    for case in CASES:
        for literal in case.expect.literal:
            email = parse_text(case.email)
            result = compose_offline(email, Settings())
            assert "49" not in result.draft.body or "49" in case.email
            assert literal in email.body or literal in (email.subject or "")
