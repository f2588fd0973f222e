"""Calibration: the metric arithmetic, gold loading errors, and the real gold set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.errors import InputError
from evals.calibrate import Metrics, calibrate, load_gold
from evals.rubrics import load_rubrics
from evals.suites import load_suite

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "evals" / "gold" / "replies.jsonl"
CORE = ROOT / "evals" / "suites" / "core.yaml"


def test_metrics_arithmetic() -> None:
    m = Metrics(tp=20, fp=5, fn=10, tn=65)
    assert m.n == 100
    assert m.precision == pytest.approx(0.8)
    assert m.recall == pytest.approx(20 / 30)
    assert m.f1 == pytest.approx(2 * 0.8 * (2 / 3) / (0.8 + 2 / 3))
    # po = 0.85; pe = (25*30 + 75*70) / 100^2 = 0.6; kappa = 0.25 / 0.4
    assert m.kappa == pytest.approx(0.625)
    assert Metrics().kappa is None and Metrics(tn=5).kappa == 1.0


def gold_line(**over: object) -> str:
    base = {"id": "x1", "case": "delivery-late-01", "split": "tune", "kind": "bad",
            "reply": "We apologise for any inconvenience.",
            "labels": {"apology": False, "boundaries": None}, "why": "filler"}
    return json.dumps({**base, **over})


def test_calibrate_counts_against_labels(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join([
        gold_line(),
        gold_line(id="x2", split="heldout", kind="good", labels={"apology": True},
                  reply="I'm sorry your oak desk (order #48213) is late; that's on us."),
        gold_line(id="x3", labels={"apology": True}, reply="Sorry you feel that way."),
    ]))
    table = calibrate(load_gold(path), load_suite(CORE), load_rubrics())
    tune, held = table["apology"]["tune"], table["apology"]["heldout"]
    assert (tune.tp, tune.fp, tune.fn, tune.tn) == (1, 1, 0, 0)
    assert (held.tp, held.fp, held.fn, held.tn) == (0, 0, 0, 1)
    assert table["apology"]["all"].n == 3
    assert table["boundaries"]["tune"].n == 0  # null label and N/A grader: left out


@pytest.mark.parametrize(("line", "message"), [
    ("{oops", "line 1"),
    (gold_line(split="train"), "line 1: 'split': Input should be 'tune' or 'heldout'"),
    (gold_line(labels={"apology": "yes"}), "line 1: 'labels.apology': Input should be"),
    (json.dumps({"id": "z", "labels": {}, "split": "tune", "reply": "Hi"}),
     "line 1: .*give 'case', or 'email' with its 'situation'"),
    (gold_line(email="My parcel is late."), "line 1: .*not both"),
])
def test_bad_gold_lines_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(InputError, match=message):
        load_gold(path)


def test_unknown_case_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(gold_line(case="no-such-case") + "\n")
    with pytest.raises(InputError, match="'no-such-case', which is not in suite"):
        calibrate(load_gold(path), load_suite(CORE), load_rubrics())


@pytest.mark.skipif(not GOLD.is_file(), reason="gold set not present")
def test_real_gold_set_calibrates_every_rubric_on_both_splits() -> None:
    table = calibrate(load_gold(GOLD), load_suite(CORE), load_rubrics())
    for name, splits in table.items():
        assert splits["tune"].n > 0 and splits["heldout"].n > 0, name
    # The three rubrics the product is judged on agree with the team well beyond chance.
    for name in ("empathy", "apology", "boundaries"):
        assert (table[name]["heldout"].kappa or 0) > 0.5, name


def test_cli_calibrate_prints_both_splits(capsys: pytest.CaptureFixture[str]) -> None:
    if not GOLD.is_file():
        pytest.skip("gold set not present")
    from agent.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["eval", "calibrate", "--json"])
    assert exc.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == set(load_rubrics())
    assert {"tune", "heldout"} <= set(data["empathy"])
    assert {"precision", "recall", "f1", "kappa"} <= set(data["empathy"]["heldout"])
