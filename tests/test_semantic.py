"""The semantic scorer: lazy loading, committed heads, training reproducible on tune only,
reasons that quote the sentence carrying the score."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evals.graders import grade_reply
from evals.graders.semantic import HEADS_DIR, RUBRIC_HEADS, TONES, load_head
from evals.rubrics import load_rubrics
from evals.situation import Situation
from evals.train import fit, train

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = load_rubrics()
LATE = Situation(email="My oak desk, order #48213, was due on the 9th and has not arrived.",
                 category="delivery", fault="ours", language="en", order_ids=("48213",),
                 problem=True, source="labels")


def test_help_and_rule_only_rubrics_never_load_the_embedding_model() -> None:
    code = ("import sys; from agent.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "from evals.graders import grade_reply; from evals.rubrics import load_rubrics\n"
            "from evals.situation import REPLY_ONLY\n"
            "r = load_rubrics(); grade_reply('We will refund $900.', REPLY_ONLY,"
            " {'policy': r['policy'], 'safety': r['safety']})\n"
            "print('wordllama' in sys.modules, 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split()[-2:]
    assert out == ["False", "False"]


def test_committed_heads_are_small_and_say_what_they_were_trained_on() -> None:
    for name in (*RUBRIC_HEADS, "problem"):
        head = load_head(name)
        assert head is not None, name
        assert "tune" in head.meta["trained_on"] and "heldout" not in head.meta["trained_on"]
        assert (HEADS_DIR / f"{name}.json").stat().st_size < 16_000
    assert any(load_head(t) is not None for t in TONES)


def test_reason_quotes_the_sentence_that_carried_the_score() -> None:
    reply = ("Hi Dana. Your oak desk should have reached you on the 9th and it still has "
             "not, which is a miserable wait after clearing your day for it. I've asked the "
             "warehouse to trace order 48213 and I will email you by Thursday.")
    score = grade_reply(reply, LATE, {"empathy": RUBRICS["empathy"]})["empathy"]
    assert score.passed is True
    quoted = score.reason.split("most of all ")[1].strip('"')
    assert quoted.rstrip("…") in reply
    assert score.evidence[0] in reply


def test_newton_fit_is_deterministic_and_separates() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    y = (x[:, 0] + 0.1 * rng.normal(size=200) > 0).astype(int)
    w1, b1 = fit(x, y, 1.0)
    w2, b2 = fit(x, y, 1.0)
    assert np.array_equal(w1, w2) and b1 == b2
    assert ((x @ w1 + b1 > 0).astype(int) == y).mean() > 0.9


def _gold_rows(split: str, n: int) -> list[str]:
    rows = [json.loads(line) for line in
            (ROOT / "evals/gold/writer-a.jsonl").read_text().splitlines()[:n]]
    return [json.dumps({**r, "split": split}) for r in rows]


def test_training_reads_the_tune_split_only_and_is_reproducible(tmp_path: Path) -> None:
    held = tmp_path / "held"
    held.mkdir()
    (held / "g.jsonl").write_text("\n".join(_gold_rows("heldout", 40)) + "\n")
    with pytest.raises(SystemExit, match="no tune rows"):
        train(held, tmp_path / "never", seed=0)
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "g.jsonl").write_text("\n".join(_gold_rows("tune", 120) +
                                            _gold_rows("heldout", 0)) + "\n")
    first, second = tmp_path / "one", tmp_path / "two"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    for out in (first, second):
        subprocess.run([sys.executable, "-m", "evals.train", "--gold", str(gold), "--out",
                        str(out), "--seed", "3"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    names = sorted(p.name for p in first.glob("*.json"))
    assert "empathy.json" in names and "problem.json" in names
    for name in names:
        assert (first / name).read_text() == (second / name).read_text(), name
