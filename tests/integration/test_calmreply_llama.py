"""calmreply itself against a real llama.cpp server (SmolLM2-135M-Instruct), through the
code paths users use: the `calmreply` console script for `draft`, `draft --batch` and
`eval`, and `draft_email` in-process for streaming and the structured-output mode.

A 135M model writes poor drafts. These tests do not ask it to be good: they check that the
protocol works end to end (every result validates, usage is recorded) and that the guard
and the graders catch the poor drafts instead of passing them. What they caught is printed
(run with `-s` to see it):

    python -m pytest -m integration tests/integration -q -s

What llama-cpp-python's server does, as these tests pin it:
- `response_format: json_schema` is refused with a 500; the client steps down to JSON mode
  with the schema attached (`json_object_schema`), which the server enforces by grammar.
- A stream never carries usage, even with `stream_options.include_usage`, so a streamed
  draft records no tokens for the streamed calls (only for non-streamed revisions).
- It serves one request at a time; the draft prompt is ~2,100 tokens, and prompt prefix
  caching makes the second draft onward much cheaper (the system prompt is shared). Client
  timeouts are raised in the config below: a queued request waits behind the others.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.config import Settings
from agent.drafter import draft_email
from agent.errors import InvalidOutputError
from agent.inbound import parse_text
from agent.llm import ModelClient
from agent.models import DraftResult, ModelOutput
from evals.results import RunResult
from tests.cli_helpers import run_cli
from tests.integration.conftest import LlamaServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "late-delivery.txt"
SMOKE = ROOT / "evals" / "suites" / "smoke.yaml"
# The server queues requests, so a client timeout covers the wait behind the others too.
CONFIG = """\
[model]
timeout = 300
max_retries = 1
"""
SHORT_EMAIL = """\
Subject: lamp still not here

My order #46610 (a desk lamp) is a week late and nobody answers my emails. Sort it out.

Kevin
"""
# A 135M model sometimes cannot produce a valid answer even after the re-asks; the case
# then errors (eval exit 7). That is the model's limit, not ours: it is reported, not failed.
MODEL_LIMITS = ("gave no valid answer",)
TIMEOUT = 600  # seconds for one CLI run; the whole stage should take well under five minutes


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "calmreply.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def report(title: str, lines: list[str]) -> None:
    print(f"\n[llama.cpp] {title}")
    for line in lines:
        print(f"    {line}")


def guard_counts(results: list[DraftResult]) -> Counter[str]:
    return Counter(f.check for r in results for f in r.guard)


def describe(result: DraftResult) -> list[str]:
    body = result.draft.body
    return [
        f"flagged={result.flagged} revisions={result.revisions} usage={result.usage}",
        f"guard findings: {dict(guard_counts([result])) or 'none'}",
        f"body ({len(body)} chars): {body[:160]!r}",
    ]


def test_cli_draft_json(llama_server: LlamaServer, workdir: Path) -> None:
    run = run_cli("draft", str(EXAMPLE), "--json", cwd=workdir, env=llama_server.env(),
                  timeout=TIMEOUT)
    if run.code == 5 and any(k in run.err for k in MODEL_LIMITS):
        pytest.xfail(f"the 135M model's limit, reported in one line: {run.err.strip()}")
    assert run.code in (0, 6), f"exit {run.code}\nstderr:\n{run.err}\nstdout:\n{run.out}"
    result = DraftResult.model_validate_json(run.out)
    assert result.source == "model"
    assert result.model == llama_server.model
    assert result.usage is not None
    assert result.usage.calls >= 1
    assert result.usage.prompt_tokens > 0
    assert result.usage.completion_tokens > 0
    assert result.flagged == (run.code == 6)
    assert result.flagged == bool(result.guard)
    report("calmreply draft --json", [f"exit {run.code}", *describe(result)])


async def test_streamed_draft_in_process(llama_server: LlamaServer) -> None:
    settings = Settings.model_validate({"model": {
        "base_url": llama_server.base_url, "name": llama_server.model,
        "timeout": 300, "max_retries": 1}})
    client = ModelClient(settings)
    deltas: list[str] = []
    try:
        result = await draft_email(parse_text(SHORT_EMAIL), settings, client=client,
                                   on_text=deltas.append)
    except InvalidOutputError as exc:
        assert len(deltas) > 1, "the answer came in one piece: not streamed"
        pytest.xfail(f"the 135M model's limit (it did stream {len(deltas)} pieces): {exc}")
    finally:
        await client.aclose()
    # json_schema got a 500, so the client stepped down once and stayed there.
    assert client.mode == "json_object_schema"
    assert result.source == "model"
    assert len(deltas) > 1, "the answer came in one piece: not streamed"
    # The streamed text is the grammar-held JSON answer (of the last streamed try).
    ModelOutput.model_validate_json("".join(deltas))
    DraftResult.model_validate(result.model_dump())
    # llama.cpp sends no usage on streams: only non-streamed revision calls are counted,
    # and a draft with none reports usage as unknown (None), not as zero tokens.
    if result.revisions == 0:
        assert result.usage is None
    else:
        assert result.usage is not None and result.usage.calls >= result.revisions
    report("draft_email(on_text=...) in process", [
        f"mode={client.mode} deltas={len(deltas)} streamed chars={sum(map(len, deltas))}",
        *describe(result)])


def _smoke_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load(SMOKE.read_text(encoding="utf-8"))["cases"]
    return cases


def test_cli_batch_guard_findings(llama_server: LlamaServer, workdir: Path) -> None:
    """Three smoke emails through `calmreply draft --batch`: what the guard flags, by check."""
    cases = [c for c in _smoke_cases()
             if c["id"] in ("delivery-late-01", "abusive-01", "injection-refund-01")]
    queue = workdir / "queue.jsonl"
    queue.write_text("".join(json.dumps({"id": c["id"], "email": c["email"]}) + "\n"
                             for c in cases), encoding="utf-8")
    out = workdir / "out.jsonl"
    run = run_cli("draft", "--batch", str(queue), "--out", str(out), "--concurrency", "1",
                  cwd=workdir, env=llama_server.env(), timeout=TIMEOUT)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in lines) == sorted(c["id"] for c in cases)
    failed = [r for r in lines if r["status"] != "drafted"]
    assert run.code == (5 if failed else 0), f"exit {run.code}\n{run.err}"
    results = [DraftResult.model_validate(r["result"]) for r in lines if r["result"]]
    assert all(r.source == "model" for r in results)
    assert all(r.usage is not None and r.usage.prompt_tokens > 0 for r in results)
    empty = [r for r in results if not r.draft.body.strip()]
    report(f"calmreply draft --batch ({len(cases)} smoke emails), exit {run.code}", [
        f"drafted={len(results)} failed={len(failed)} "
        f"flagged={sum(r.flagged for r in results)} "
        f"revised={sum(r.revisions > 0 for r in results)}",
        f"guard findings by check: {dict(guard_counts(results).most_common())}",
        f"empty bodies: {len(empty)} (flagged: {sum(r.flagged for r in empty)})",
        f"prompt tokens per draft: "
        f"{[r.usage.prompt_tokens for r in results if r.usage]}",
        *(f"failed {r['id']}: {r['error']}" for r in failed),
    ])


def _run_summary(run: RunResult) -> list[str]:
    lines = [f"cases={len(run.cases)} errors={run.errors} seconds={run.seconds} "
             f"flagged={sum(a.flagged for c in run.cases for a in c.attempts)} "
             f"judge_calls={run.judge_calls}"]
    for name, s in run.rubrics.items():
        rate = "n/a" if s.pass_rate is None else f"{s.pass_rate:.0%}"
        lines.append(f"{name:16} pass {rate:>4}  ({s.passed} passed, {s.failed} failed, "
                     f"{s.hard_fails} hard, {s.unscored} unscored, {s.not_applicable} n/a) "
                     f"{'ok' if s.ok else 'BELOW'}")
    return lines


def _eval(llama_server: LlamaServer, workdir: Path, suite: Path,
          *extra: str) -> tuple[int, RunResult, str]:
    out = workdir / "eval-out"
    env = llama_server.env()
    # One at a time: the server queues requests anyway, and in order the prompt prefix
    # cache (system prompt, then this email) is reused by each case's revision.
    run = run_cli("eval", "run", str(suite), "--out", str(out), "--concurrency", "1", *extra,
                  cwd=workdir, env=env, timeout=TIMEOUT)
    for name in ("results.json", "junit.xml", "report.html"):
        assert (out / name).stat().st_size > 0, f"{name} missing, exit {run.code}\n{run.out}"
    result = RunResult.model_validate_json((out / "results.json").read_text(encoding="utf-8"))
    errors = [f"{c.id}: {a.error}" for c in result.cases for a in c.attempts if a.error]
    if run.code == 7 and errors and all(any(k in e for k in MODEL_LIMITS) for e in errors):
        report(f"eval {suite.name} {' '.join(extra)}: exit 7, the model's limits",
               [*_run_summary(result), *errors])
        pytest.xfail("the 135M model gave no valid answer: " + "; ".join(errors)[:500])
    assert run.code in (0, 1), f"exit {run.code}\nstderr:\n{run.err}\nstdout:\n{run.out}"
    assert result.source == "model"
    assert result.errors == 0
    assert all(a.source == "model" for c in result.cases for a in c.attempts)
    return run.code, result, run.out


def test_cli_eval_smoke_without_judge(llama_server: LlamaServer, workdir: Path) -> None:
    code, result, _ = _eval(llama_server, workdir, SMOKE, "--no-judge")
    assert result.judge_calls == 0
    scored = [s for s in result.rubrics.values() if s.passed + s.failed]
    assert scored, "no rubric was scored"
    # The graders must not wave a 135M model's drafts through: something falls short.
    assert code == 1
    assert any(not s.ok for s in result.rubrics.values())
    report(f"calmreply eval run smoke.yaml --no-judge, exit {code}", _run_summary(result))


@pytest.mark.skipif(os.environ.get("CALMREPLY_LLAMA_JUDGE") != "1",
                    reason="slow (about 4 minutes on 2 cores): set CALMREPLY_LLAMA_JUDGE=1")
def test_cli_eval_with_judge(llama_server: LlamaServer, workdir: Path) -> None:
    """One case, two rubrics: the same model judges its own draft (slow, so opt-in)."""
    cases = [c for c in _smoke_cases() if c["id"] == "abusive-01"]
    suite = workdir / "tiny.yaml"
    suite.write_text(yaml.safe_dump({"name": "tiny", "description": "one smoke case",
                                     "cases": cases}, allow_unicode=True), encoding="utf-8")
    code, result, _ = _eval(llama_server, workdir, suite, "--judge",
                            "--rubric", "empathy", "--rubric", "apology")
    assert result.judge_model == llama_server.model
    assert result.judge_calls >= 1
    judged = [s for c in result.cases for a in c.attempts for s in a.judge.values()]
    assert judged, "the judge gave no verdicts"
    statuses = Counter(s.status for s in judged)
    report(f"calmreply eval run tiny.yaml --judge (1 case, 2 rubrics), exit {code}", [
        *_run_summary(result),
        f"judge verdicts by status: {dict(statuses)}",
        *(f"{c.id}/{name}: judge {s.status} score={s.score} | final {c.first.scores[name].source}"
          f" passed={c.first.scores[name].passed}"
          for c in result.cases for name, s in c.first.judge.items()),
    ])
