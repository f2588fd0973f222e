"""The runner: concurrency, repeats, errors, thresholds, baseline and the CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from agent.config import Settings
from agent.inbound import InboundEmail
from agent.models import Analysis, Anger, Draft, DraftResult, Facts, Fault, InternalNote
from evals.compare import compare, load_run
from evals.rubrics import load_rubrics, pick
from evals.runner import combine, run_suite
from evals.scores import Score
from evals.suites import Suite, load_suite

GOOD = ("Hi Dana, I'm sorry your desk (order #48213) is late; that is on us. Waiting ten "
        "days is frustrating. I've opened a trace and will email you within 48 hours.")
BAD = "We apologise for any inconvenience. Delivery times are estimates."

SUITE_YAML = """
name: mini
cases:
  - id: late
    tags: [delivery]
    email: |
      Subject: late desk
      My desk, order #48213, was due ten days ago. I'm fed up. Dana
    labels: {category: delivery, fault: ours, abusive: false, language: en,
             order_ids: ["48213"]}
    expect: {must_own_fault: true, language: en, must_mention: ["48213", "desk"]}
  - id: rude
    tags: [abusive]
    email: |
      You idiots lost order #7001. Useless.
    labels: {category: delivery, fault: ours, abusive: true, language: en,
             order_ids: ["7001"]}
"""


def suite(tmp_path: Path) -> Suite:
    path = tmp_path / "mini.yaml"
    path.write_text(SUITE_YAML)
    return load_suite(path)


def result(body: str) -> DraftResult:
    analysis = Analysis(goal="g", issues=[], category="delivery", anger=Anger.angry,
                        abusive=False, threats=[], fault=Fault.ours, language="en",
                        customer_name=None, order_ids=[], product=None, escalate=False,
                        escalation_reason=None)
    draft = Draft(subject="Re", body=body, internal_note=InternalNote(
        summary="s", follow_up=None, escalation=None))
    return DraftResult(source="model", model="fake", analysis=analysis, draft=draft,
                       flagged=False, guard=[])


class FakeDrafter:
    def __init__(self, bodies: list[str] | None = None, fail: set[str] | None = None) -> None:
        self.bodies = bodies or [GOOD]
        self.fail = fail or set()
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.prompts_dirs: list[Path | None] = []

    async def __call__(self, email: InboundEmail, *, prompts_dir: Path | None = None,
                       facts: Facts | None = None) -> DraftResult:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.prompts_dirs.append(prompts_dir)
        try:
            await asyncio.sleep(0.01)
            body = self.bodies[self.calls % len(self.bodies)]
            self.calls += 1
            if any(word in email.body for word in self.fail):
                from agent.errors import ModelError

                raise ModelError("the model at http://x is down")
            return result(body)
        finally:
            self.in_flight -= 1


async def test_drafts_every_case_with_bounded_concurrency(tmp_path: Path) -> None:
    drafter = FakeDrafter()
    progress: list[tuple[int, int]] = []
    run = await run_suite(suite(tmp_path), Settings(), load_rubrics(), draft=drafter,
                          concurrency=1, repeat=3,
                          on_progress=lambda d, t: progress.append((d, t)))
    assert drafter.calls == 6 and drafter.max_in_flight == 1
    assert progress[-1] == (6, 6)
    assert [len(c.attempts) for c in run.cases] == [3, 3]
    assert run.rubrics["boundaries"].not_applicable == 3  # only the abusive case applies
    assert run.rubrics["empathy"].pass_rate == 1.0


async def test_good_drafts_exit_0_and_bad_ones_exit_1(tmp_path: Path) -> None:
    rubrics = pick(load_rubrics(), ["empathy", "apology"])
    good = await run_suite(suite(tmp_path), Settings(), rubrics, draft=FakeDrafter([GOOD]))
    bad = await run_suite(suite(tmp_path), Settings(), rubrics, draft=FakeDrafter([BAD]))
    assert good.exit_code == 0 and all(s.ok for s in good.rubrics.values())
    assert bad.exit_code == 1 and not bad.rubrics["apology"].ok


async def test_a_failed_draft_is_unscored_and_a_harness_error(tmp_path: Path) -> None:
    run = await run_suite(suite(tmp_path), Settings(), load_rubrics(),
                          draft=FakeDrafter(fail={"idiots"}))
    rude = next(c for c in run.cases if c.id == "rude")
    assert rude.first.error and "down" in rude.first.error
    assert all(s.status == "unscored" for s in rude.first.scores.values())
    assert run.errors == 1 and run.exit_code == 7


async def test_repeat_reports_spread_and_flaky_cases(tmp_path: Path) -> None:
    run = await run_suite(suite(tmp_path), Settings(), pick(load_rubrics(), ["empathy"]),
                          draft=FakeDrafter([GOOD, BAD]), concurrency=1, repeat=2)
    stat = run.cases[0].stats["empathy"]
    assert stat.scored == 2 and stat.passes == 1 and stat.flaky and (stat.spread or 0) > 0.9


async def test_judge_verdicts_combine_with_deterministic(tmp_path: Path) -> None:
    from evals.judge import Judge
    from tests.test_judge import FakeClient, verdict

    rubrics = pick(load_rubrics(), ["empathy", "policy"])
    client = FakeClient(*[verdict(0.1, False, [])] * 10)
    run = await run_suite(suite(tmp_path), Settings(), rubrics, draft=FakeDrafter([GOOD]),
                          judge=Judge(client))
    first = run.cases[0].first
    assert first.scores["empathy"].source == "judge" and first.scores["empathy"].passed is False
    assert first.deterministic["empathy"].passed is True
    assert run.judge_calls == len(client.calls) == 4  # 2 cases x 2 applicable rubrics


def test_combine_rules() -> None:
    det_ok = Score(rubric="policy", score=1.0, passed=True, status="scored", reason="ok")
    hard = Score(rubric="policy", score=0.0, passed=False, status="scored", reason="bad",
                 hard_fail="refund_promise")
    judged = Score(rubric="policy", score=1.0, passed=True, status="scored", reason="fine",
                   source="judge")
    silent = Score.unscored("policy", "judge gave no usable answer")
    assert combine(hard, judged) is hard  # no judge can hide a hard fail
    assert combine(det_ok, judged) is judged
    fallback = combine(det_ok, silent)
    assert fallback.passed is True and "judge unscored" in fallback.reason


async def test_baseline_comparison_lists_regressions(tmp_path: Path) -> None:
    rubrics = pick(load_rubrics(), ["empathy", "apology"])
    before = await run_suite(suite(tmp_path), Settings(), rubrics, draft=FakeDrafter([GOOD]))
    after = await run_suite(suite(tmp_path), Settings(), rubrics, draft=FakeDrafter([BAD]))
    path = tmp_path / "base.json"
    path.write_text(before.model_dump_json())
    diff = compare(load_run(path), after)
    assert {(c.case, c.rubric) for c in diff.regressions} >= {("late", "apology"),
                                                               ("late", "empathy")}
    assert diff.improvements == []
    assert diff.rubric_rates["apology"][0] == 1.0


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from agent.cli import main

    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def test_cli_eval_runs_offline_and_writes_all_reports(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "mini.yaml"
    path.write_text(SUITE_YAML)
    code, out, _ = run_cli(["eval", str(path), "--out", "out", "--concurrency", "2"], capsys)
    assert code in (0, 1)
    for name in ("results.json", "junit.xml", "report.html"):
        assert (tmp_path / "out" / name).is_file()
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["source"] == "offline" and len(data["cases"]) == 2
    assert "empathy" in out and "need" in out
    # the explicit subcommand form and a baseline work too
    code2, out2, _ = run_cli(["eval", "run", str(path), "--out", "out2", "--baseline",
                              "out/results.json"], capsys)
    assert code2 == code and "0 regressions" in out2


def test_cli_compare_two_template_dirs(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: Any) -> None:
    from agent.prompting import default_prompts_dir

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "mini.yaml"
    path.write_text(SUITE_YAML)
    prompts = str(default_prompts_dir())
    code, out, _ = run_cli(["eval", str(path), "--out", "cmp", "--compare", prompts, prompts],
                           capsys)
    assert code in (0, 1)
    assert (tmp_path / "cmp" / "a" / "results.json").is_file()
    assert (tmp_path / "cmp" / "b" / "report.html").is_file()
    assert f"A = {prompts} vs B = {prompts}" in " ".join(out.split())
    assert "A=" not in out and "B=" not in out


def test_cli_eval_help_shows_the_run_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["eval", "--help"], capsys)
    assert code == 0
    for option in ("--out", "--baseline", "--compare", "--concurrency", "--judge"):
        assert option in out
    assert "temporary directory" in out and "calibrate" in out


def test_cli_eval_without_out_writes_nothing_in_the_working_directory(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    import tempfile

    work, temp = tmp_path / "work", tmp_path / "temp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    path = tmp_path / "mini.yaml"
    path.write_text(SUITE_YAML)
    code, out, _ = run_cli(["eval", str(path)], capsys)
    assert code in (0, 1)
    [made] = list(temp.iterdir())
    assert (made / "results.json").is_file() and str(made) in out
    code, out, _ = run_cli(["eval", str(path), "--baseline", str(made / "results.json")],
                           capsys)
    assert code in (0, 1) and "0 regressions" in out
    assert list(work.iterdir()) == []
    assert len(list(temp.iterdir())) == 2


def test_cli_bad_suite_is_one_line_input_error(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ncases:\n  - id: a\n    email: hi\n    labels: {fault: ours}\n")
    code, _, err = run_cli(["eval", str(path)], capsys)
    assert code == 3
    assert err.startswith("error: suite") and "case 'a'" in err and len(err.splitlines()) == 1
    code, _, err = run_cli(["eval", str(tmp_path / "missing.yaml")], capsys)
    assert code == 3 and "not found" in err


def test_cli_judge_without_model_is_a_config_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(SUITE_YAML)
    code, _, err = run_cli(["eval", str(path), "--judge", "--out", str(tmp_path / "o")],
                           capsys)
    assert code == 4 and "--judge needs a model" in err
