"""Text and patterns that the regex-level tests (prefilter, factor) run over."""

from __future__ import annotations

import gc
import json
import random
import re
from collections.abc import Iterator
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


_ATOMS = ["a", "b", "k", "s", "A", "K", "\u212a", "\u017f", "[ab]", r"\s", r"\w", "."]
_RUNS = ["abk", "kab", "bak", "Abk", "ab'?k", "k\u212aab"]


def random_pattern(rng: random.Random, *, literal_runs: bool = False) -> str:
    """A random pattern over a small alphabet: alternations whose branches share first
    characters, the characters re.IGNORECASE folds onto ASCII letters, classes, repeats,
    nested groups and assertions (and, with `literal_runs`, runs of literal text, which
    the prefilter reads)."""
    atoms = _ATOMS + _RUNS * 2 if literal_runs else _ATOMS

    def word(depth: int) -> str:
        out = []
        for _ in range(rng.randint(0, 4)):
            roll = rng.random()
            if roll < 0.65:
                out.append(rng.choice(atoms))
            elif roll < 0.75:
                out.append(rng.choice(atoms) + rng.choice(["?", "*", "+", "{1,2}"]))
            elif roll < 0.85 and depth < 2:
                out.append("(" + rng.choice(["", "?:"]) + alternation(depth + 1) + ")"
                           + rng.choice(["", "?"]))
            elif roll < 0.92:
                out.append(rng.choice([r"\b", r"(?<!\w)", r"(?!a)", "$", "^"]))
            else:
                out.append(rng.choice(["(?<=a)", r"(?=\s)", r"\B"]))
        return "".join(out)

    def alternation(depth: int) -> str:
        return "|".join(word(depth) for _ in range(rng.randint(1, 6)))

    return rng.choice(["", r"\b", r"(?<!\w)", "^"]) + "(?:" + alternation(0) + ")"


def random_cases(rng: random.Random, count: int, flag_sets: tuple[int, ...], *,
                 literal_runs: bool = False) -> Iterator[tuple[str, int, re.Pattern[str]]]:
    """(source, flags, Python's own compile) for `count` random patterns under each of
    `flag_sets`, leaving out those Python rejects."""
    for _ in range(count):
        source = random_pattern(rng, literal_runs=literal_runs)
        for flags in flag_sets:
            try:
                yield source, flags, re.compile(source, flags)
            except re.error:
                continue
