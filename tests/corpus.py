"""Text and patterns that the regex-level tests (prefilter, factor) run over."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import yaml

from agent.checks.prefilter import Pattern
from agent.checks.text import fold


def texts() -> list[str]:
    """Every suite email and gold reply and email, folded and lower-cased (as most
    patterns read them)."""
    found: set[str] = set()
    for suite in Path("evals/suites").glob("*.yaml"):
        found.update(c["email"] for c in yaml.safe_load(suite.read_text())["cases"])
    for gold in Path("evals/gold").glob("*.jsonl"):
        for line in gold.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                found.update(t for t in (row.get("reply"), row.get("email")) if t)
    return sorted({fold(text).lower() for text in found})


def code_patterns() -> list[Pattern]:
    """Every prefiltered pattern the analyzer, the checks and the graders compile (each
    compiled lazily somewhere, so one email is analyzed and one reply graded first)."""
    from agent.inbound import parse_text
    from agent.offline.analyzer import analyze
    from evals.graders import grade_reply
    from evals.rubrics import load_rubrics
    from evals.situation import from_email

    email = "Subject: late\n\nMy order 48213 is late and you charged me twice. Sam"
    analyze(parse_text(email))
    grade_reply("Sorry, Sam: that is on us.", from_email(email), load_rubrics(),
                rules_only=True)
    return [o for o in gc.get_objects() if isinstance(o, Pattern)]
