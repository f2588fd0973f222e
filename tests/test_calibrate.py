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


INLINE = {"id": "w1", "split": "heldout", "register": "tweet", "kind": "bad",
          "industry": "airline",
          "email": "Just wanted to say thanks, the crew on flight SK12 were lovely!",
          "situation": {"fault": "unclear", "abusive": False, "profanity": False,
                        "threats": [], "escalate": False, "problem": False,
                        "language": "en"},
          "reply": "Sorry you feel that way.",
          "labels": {"apology": None, "professionalism": False}, "why": "non-apology"}


def test_inline_email_rows_use_their_own_labels(tmp_path: Path) -> None:
    folder = tmp_path / "gold"
    folder.mkdir()
    (folder / "a.jsonl").write_text(gold_line() + "\n")
    (folder / "b.jsonl").write_text(json.dumps(INLINE) + "\n")
    items = load_gold(folder)
    assert [i.id for i in items] == ["x1", "w1"] and items[1].register_ == "tweet"
    table = calibrate(items, load_suite(CORE), load_rubrics())
    # No problem reported: apology is not applicable, as labelled (no mismatch counted).
    assert table["apology"]["heldout"].n == 0 and table["apology"]["heldout"].na_mismatch == 0
    assert table["apology"]["tune"].n == 1


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(gold_line() + "\n")
    (tmp_path / "b.jsonl").write_text(gold_line() + "\n")
    with pytest.raises(InputError, match="'x1' appears twice"):
        load_gold(tmp_path)


async def test_judge_kappa_against_gold(tmp_path: Path) -> None:
    from evals.calibrate import calibrate_judge
    from evals.judge import Judge
    from tests.test_judge import FakeClient

    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join([
        gold_line(labels={"apology": False}),
        gold_line(id="x2", split="heldout", labels={"apology": True},
                  reply="I'm sorry your desk is late; that's on us."),
    ]))
    client = FakeClient(*[{"reason": "r", "score": s, "pass": s > 0.5, "evidence": []}
                          for s in (0.1, 0.9)])
    table = await calibrate_judge(load_gold(path), load_suite(CORE),
                                  {"apology": load_rubrics()["apology"]}, Judge(client),
                                  concurrency=1)
    assert table["apology"]["tune"].tp == 1 and table["apology"]["heldout"].tn == 1
    assert table["apology"]["all"].kappa == 1.0 and len(client.calls) == 2
    definitions = client.calls[0]["messages"][0]["content"]
    for term in ("Sarcasm", "Blame", "Non-apology", "When an apology is owed"):
        assert term in definitions


def test_public_metrics_arithmetic() -> None:
    from evals.public import roc_auc, spearman

    assert roc_auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert roc_auc([0.5, 0.5], [True, False]) == pytest.approx(0.5)
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)


def test_cli_calibrate_with_a_public_folder(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli import main

    rows = [{"text": t, "label": lab, "score": s, "split": "test"} for t, lab, s in [
        ("Could you please share the log? Thanks so much!", "polite", 1.2),
        ("Would you mind checking the settings, please?", "polite", 0.9),
        ("Why didn't you read the docs? This is obvious.", "impolite", -1.4),
        ("Did you even try searching first?", "impolite", -1.1)]]
    (tmp_path / "stanford_politeness_stackexchange.jsonl").write_text(
        "\n".join(json.dumps(r) for r in rows) + "\n")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(gold_line() + "\n")
    with pytest.raises(SystemExit) as exc:
        main(["eval", "calibrate", "--gold", str(gold), "--public", str(tmp_path), "--json"])
    assert exc.value.code == 0
    data = json.loads(capsys.readouterr().out)
    metrics = {(f["corpus"], f["metric"]) for f in data["public"]}
    assert metrics == {("politeness", "spearman"), ("politeness", "roc_auc")}
    assert all(f["n"] in (4,) for f in data["public"])
