"""`calmreply eval` and `calmreply grade`, registered lazily by agent/cli.py.

    calmreply eval SUITE [--out DIR] [--baseline RUN.json] [--compare DIR_A DIR_B]
                         [--concurrency N] [--repeat K] [--judge/--no-judge] [--config FILE]
    calmreply eval calibrate [--gold PATH] [--suite PATH] [--json]
    calmreply grade [INPUT|-] [--out FILE|-] [--rubric NAME]...

`eval` is a group whose first argument, when it is not a subcommand, is the SUITE of the
default `run` command, so `calmreply eval SUITE` and `calmreply eval run SUITE` both work.
Exit codes for `eval`: 0 every rubric meets its threshold, 1 a rubric falls short (or
has a hard fail), 7 harness error (a case could not be drafted, or the run failed).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from agent.commands.options import DefaultGroup, model_options, settings_from
from agent.errors import EXIT_HARNESS, CalmreplyError, ConfigError, InputError

DEFAULT_GOLD = Path(__file__).resolve().parent / "gold"
DEFAULT_CORE = Path(__file__).resolve().parent / "suites" / "core.yaml"
SUITES_DIR = Path(__file__).resolve().parent / "suites"


class HarnessError(CalmreplyError):
    """The eval harness itself failed (exit 7)."""

    exit_code = EXIT_HARNESS


def _suite_path(value: str) -> Path:
    path = Path(value)
    if path.exists() or path.suffix:
        return path
    named = SUITES_DIR / f"{value}.yaml"  # `calmreply eval core` works too
    return named if named.exists() else path


@click.group("eval", cls=DefaultGroup, default_command="run", invoke_without_command=False,
             context_settings={"help_option_names": ["-h", "--help"]})
def eval_group() -> None:
    """Run an eval suite and report pass rates per rubric.

    `calmreply eval SUITE` is `calmreply eval run SUITE`; its options are below. SUITE is
    a suite file or the name of a built-in suite (core, holdout, injection, smoke).

    \b
    calmreply eval core --out eval-out
    calmreply eval core --baseline eval-out/results.json
    calmreply eval core --compare prompts/ my-prompts/
    calmreply eval calibrate

    \b
    Exit codes: 0 every rubric meets its threshold; 1 a rubric is below its
    threshold or has a hard fail; 7 harness error.
    """


@eval_group.command("run")
@click.argument("suite")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Directory for results.json, junit.xml and report.html (--compare: "
              "a/ and b/ inside it). Default: a new temporary directory, printed at the "
              "end; nothing is written to the working directory.")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A previous results.json: show regressions and improvements case by case.")
@click.option("--compare", nargs=2, type=click.Path(path_type=Path, file_okay=False,
              exists=True), metavar="DIR_A DIR_B",
              help="Run the suite with two template directories and show them side by side.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Cases drafted at the same time.")
@click.option("--repeat", type=click.IntRange(1, 20), default=1, show_default=True,
              help="Draft and grade every case K times; reports the per-case spread.")
@click.option("--judge/--no-judge", default=None,
              help="Add the LLM judge (default: on when a model is configured).")
@click.option("--rubric", "rubric_names", multiple=True, metavar="NAME",
              help="Only these rubrics (repeatable).")
@click.option("--export-requests", "export_path", type=click.Path(path_type=Path,
              dir_okay=False), help="Write Batch-API requests instead of calling the model: "
              "the drafts' requests; with --import-results, the judge's.")
@click.option("--import-results", "result_paths", multiple=True, metavar="FILE",
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Batch-API result files (drafts, judge verdicts) to use instead of live "
              "calls; repeatable.")
@model_options
def run_command(suite: str, out_dir: Path | None, baseline: Path | None,
                compare: tuple[Path, Path] | None, concurrency: int, repeat: int,
                judge: bool | None, rubric_names: tuple[str, ...], export_path: Path | None,
                result_paths: tuple[Path, ...], config_path: Path | None,
                model: str | None, base_url: str | None, prompts_dir: Path | None,
                offline: bool) -> int:
    """Draft every case of SUITE, grade the drafts, and write reports.

    \b
    With --offline the judge is off too.

    \b
    Through a batch engine (OpenAI/Azure Batch, vLLM run_batch), in steps:
      SUITE --export-requests drafts-req.jsonl
      SUITE --import-results drafts-res.jsonl --export-requests judge-req.jsonl
      SUITE --import-results drafts-res.jsonl --import-results judge-res.jsonl

    \b
    Exit codes:
      0  every rubric meets its threshold
      1  a rubric is below its threshold, or has a hard fail
      7  harness error: a case could not be drafted, or the run failed
    """
    from evals.compare import compare as compare_runs
    from evals.compare import load_run
    from evals.reports import write_reports
    from evals.reports.terminal import print_run, print_side_by_side
    from evals.rubrics import load_rubrics, pick
    from evals.suites import load_suite

    settings = settings_from(config_path, model, base_url, prompts_dir, offline)
    loaded = load_suite(_suite_path(suite))
    rubrics = pick(load_rubrics(), rubric_names)
    base = load_run(baseline) if baseline else None
    offload = None
    if export_path is not None or result_paths:
        if compare:
            raise click.UsageError("--compare does not go with --export-requests or "
                                   "--import-results")
        from evals.offload import Offload

        offload = Offload(loaded, settings, repeat, result_paths)
        if not result_paths:
            assert export_path is not None
            return _export_drafts(offload, export_path, suite)
        if export_path is not None and judge is False:
            raise click.UsageError("--no-judge leaves no judge requests to export")
    exporting_judge = offload is not None and export_path is not None
    use_judge = settings.model_configured if judge is None else judge
    if offload is not None and judge is None:
        use_judge = exporting_judge or offload.has_judge_answers or settings.model_configured
    if use_judge and not settings.model_configured and offload is None:
        raise ConfigError("--judge needs a model: set OPENAI_API_KEY or OPENAI_BASE_URL "
                          "(or [model] base_url in the config)")
    console = Console(stderr=True, highlight=False)
    out = Console(highlight=False)
    if out_dir is None:
        import tempfile

        out_dir = Path(tempfile.mkdtemp(prefix="calmreply-eval-"))

    def one(label: str, prompts_dir: Path | None, target: Path) -> Any:
        from evals.reports.terminal import progress_bar

        with progress_bar(console, f"{loaded.name} {label}".strip()) as update:
            run = asyncio.run(_run(loaded, settings, rubrics, use_judge, concurrency, repeat,
                                   prompts_dir, update, label, offload, exporting_judge))
        if base is not None:
            run.comparison = compare_runs(base, run, str(baseline))
        paths = write_reports(run, target)
        return run, paths

    try:
        if compare:
            run_a, _ = one(str(compare[0]), compare[0], out_dir / "a")
            run_b, _ = one(str(compare[1]), compare[1], out_dir / "b")
            run_b.comparison = compare_runs(run_a, run_b, f"A ({compare[0]})")
            write_reports(run_b, out_dir / "b")
            print_side_by_side(run_a, run_b, out)
            print_run(run_b, out)
            out.print(f"Reports: {out_dir / 'a'} and {out_dir / 'b'}", markup=False,
                      soft_wrap=True)
            return max(run_a.exit_code, run_b.exit_code)
        run, paths = one("", None, out_dir)
    except CalmreplyError:
        raise
    except Exception as exc:  # the harness broke: one line, exit 7
        raise HarnessError(f"the eval harness failed: {type(exc).__name__}: {exc}") from exc
    print_run(run, out)
    out.print("Reports: " + ", ".join(str(p) for p in paths.values()), markup=False,
              soft_wrap=True)
    if offload is not None and offload.judge_requests is not None:
        assert export_path is not None
        _report_export(offload.judge_requests.write(export_path), export_path, "judge",
                       settings, suite)
        return EXIT_HARNESS if run.errors else 0
    code: int = run.exit_code
    return code


def _export_drafts(offload: Any, path: Path, suite: str) -> int:
    result = asyncio.run(offload.export_drafts(path))
    _report_export(result, path, "draft", offload.settings, suite)
    return 0


def _report_export(result: Any, path: Path, what: str, settings: Any, suite: str) -> None:
    from agent.llm import ModelClient
    from agent.offload.cost import estimate_lines

    console = Console(stderr=True, highlight=False)
    console.print(f"wrote {result.written} {what} requests to {path}", markup=False)
    for case_id, reason in list(result.refused.items())[:10]:
        console.print(f"not exported: {case_id}: {reason}", markup=False)
    for line in estimate_lines(result.estimate, settings, ModelClient(settings).model):
        console.print(line, markup=False)
    step = ("--import-results RESULTS.jsonl --export-requests judge-requests.jsonl"
            if what == "draft" else
            "--import-results DRAFT-RESULTS.jsonl --import-results JUDGE-RESULTS.jsonl")
    console.print(f"then: calmreply eval {suite} {step}", markup=False)


async def _run(suite: Any, settings: Any, rubrics: Any, use_judge: bool, concurrency: int,
               repeat: int, prompts_dir: Path | None, update: Any, label: str,
               offload: Any = None, exporting_judge: bool = False) -> Any:
    from agent.session import Session
    from evals.runner import run_suite

    async with Session(settings) as session:
        judge = None
        if use_judge:
            from evals.judge import Judge
            from evals.judge_cache import JudgeCache, default_cache_dir

            judge_client = session.client if offload is None else \
                offload.judge_client(session.client, export=exporting_judge)
            if judge_client is not None:
                judge = Judge(judge_client, cache=JudgeCache(default_cache_dir()),
                              policy=settings.policy)
        draft = offload.drafter(session.client) if offload is not None else session.draft
        return await run_suite(suite, settings, rubrics, draft=draft, judge=judge,
                               concurrency=concurrency, repeat=repeat, prompts_dir=prompts_dir,
                               on_progress=update, label=label)


@eval_group.command("calibrate")
@click.option("--gold", type=click.Path(path_type=Path), default=DEFAULT_GOLD,
              show_default=True,
              help="Gold replies labelled per rubric: a JSONL file or a folder of them.")
@click.option("--suite", "suite_path", type=click.Path(path_type=Path, dir_okay=False),
              default=DEFAULT_CORE, show_default=True,
              help="The suite whose cases the gold replies answer.")
@click.option("--public", "public_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of public human-labelled corpora (evals/data/README.md): add "
                   "ROC-AUC / Spearman on each one present (out-of-domain transfer).")
@click.option("--judge/--no-judge", "use_judge", default=False,
              help="Also run the LLM judge on the gold replies and report its kappa beside "
                   "the deterministic graders' (needs a model; answers are cached).")
@click.option("--judge-limit", type=click.IntRange(1), default=None, metavar="N",
              help="Judge at most N replies per split (the first in file order).")
@click.option("--rules-only", is_flag=True,
              help="Measure the rule layer alone, without the semantic heads.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@model_options
def calibrate_command(gold: Path, suite_path: Path, public_dir: Path | None, use_judge: bool,
                      judge_limit: int | None, rules_only: bool, as_json: bool,
                      config_path: Path | None,
                      model: str | None, base_url: str | None, prompts_dir: Path | None,
                      offline: bool) -> int:
    """Precision, recall, F1 and Cohen's kappa of each grader against gold labels,
    for the tune and held-out splits ('fail' is the positive class); with --public,
    ROC-AUC / Spearman on public human-labelled corpora; with --judge, the LLM judge's
    kappa beside the deterministic graders'.

    \b
    The semantic heads are trained on the tune split (python -m evals.train), so tune
    figures are in-sample; held-out figures are the honest ones.
    """
    import json

    from rich.table import Table

    from evals.calibrate import as_json as table_json
    from evals.calibrate import calibrate, load_gold
    from evals.rubrics import load_rubrics
    from evals.suites import load_suite

    settings = settings_from(config_path, model, base_url, prompts_dir, offline)
    if use_judge and not settings.model_configured:
        raise ConfigError("--judge needs a model: set OPENAI_API_KEY or OPENAI_BASE_URL "
                          "(or [model] base_url in the config)")
    items, suite, rubrics = load_gold(gold), load_suite(suite_path), load_rubrics()
    table = calibrate(items, suite, rubrics, settings.policy, rules_only=rules_only)
    judged = asyncio.run(_judge_gold(items, suite, rubrics, settings, judge_limit,
                                     prompts_dir)) if use_judge else None
    public = None
    if public_dir is not None:
        from evals.public import evaluate_public

        public = evaluate_public(public_dir)
    if as_json:
        import dataclasses

        data: dict[str, Any] = table_json(table, judged)
        if public is not None:
            data["public"] = [dataclasses.asdict(f) for f in public]
        click.echo(json.dumps(data, indent=2))
        return 0

    def f(x: float | None) -> str:
        return "–" if x is None else f"{x:.2f}"

    out = Table(title="Graders vs gold labels (positive class: fail)", title_justify="left")
    columns = ["rubric", "split", "n", "precision", "recall", "F1", "kappa", "agree",
               "n/a mismatch"]
    if judged is not None:
        columns += ["judge n", "judge kappa"]
    for col in columns:
        out.add_column(col, justify="left" if col in ("rubric", "split") else "right",
                       no_wrap=True)
    for name, splits in table.items():
        for split in ("tune", "heldout"):
            m = splits[split]
            row = [name if split == "tune" else "", split, str(m.n), f(m.precision),
                   f(m.recall), f(m.f1), f(m.kappa), f(m.agreement), str(m.na_mismatch)]
            if judged is not None:
                j = judged[name][split]
                row += [str(j.n), f(j.kappa)]
            out.add_row(*row)
    console = Console(highlight=False)
    console.print(out)
    if public is not None:
        ptable = Table(title="Public human-labelled corpora (out of domain; not trained on)",
                       title_justify="left")
        for col in ("corpus", "score", "human label", "metric", "value", "n"):
            ptable.add_column(col, justify="right" if col in ("value", "n") else "left")
        for fig in public:
            ptable.add_row(fig.corpus, fig.rubric, fig.target, fig.metric.replace("_", "-"),
                           f(fig.value), str(fig.n))
        console.print(ptable)
    return 0


async def _judge_gold(items: Any, suite: Any, rubrics: Any, settings: Any, limit: int | None,
                      prompts_dir: Path | None) -> Any:
    from agent.llm import ModelClient
    from evals.calibrate import calibrate_judge
    from evals.judge import Judge
    from evals.judge_cache import JudgeCache, default_cache_dir

    client = ModelClient(settings)
    judge = Judge(client, cache=JudgeCache(default_cache_dir()), policy=settings.policy,
                  prompts_dir=prompts_dir)
    try:
        return await calibrate_judge(items, suite, rubrics, judge, limit=limit)
    finally:
        await client.aclose()


@click.command("grade")
@click.argument("input_path", metavar="[INPUT|-]", required=False, default="-",
                type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option("--out", "out_path", default="-", type=click.Path(path_type=Path,
              dir_okay=False, allow_dash=True), help="Where to write the JSONL (- = stdout).")
@click.option("--rubric", "rubric_names", multiple=True, metavar="NAME",
              help="Only these rubrics (repeatable; default: all).")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Config file (the policy the graders enforce).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes to grade with (default: every core for 2,000+ lines, else 1).")
def grade_command(input_path: Path, out_path: Path, rubric_names: tuple[str, ...],
                  config_path: Path | None, workers: int | None) -> int:
    """Score existing replies: JSONL in, JSONL out, one line per input line.

    \b
    Input lines:  {"id": ..., "reply": "...", "email": "..." (optional)}
    Output lines: {"id": ..., "situation_source": "analyzer"|"none",
                   "scores": {"<rubric>": {"score": 0..1|null,
                                           "pass": true|false|null, "reason": "..."}}}
    pass is null when a rubric does not apply (or needs the email and none was given).
    situation_source "analyzer": the verdicts rest on the analyzer's reading of the email.
    """
    from agent.config import load_settings
    from evals.grade import dumps, grade_requests, parse_requests
    from evals.rubrics import load_rubrics, pick

    settings = load_settings(config_path)
    rubrics = pick(load_rubrics(), rubric_names)
    if str(input_path) == "-":
        try:
            lines = sys.stdin.buffer.read().decode("utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise InputError(f"standard input is not UTF-8 JSONL: {exc}") from None
        source = "standard input"
    else:
        from agent.files import read_text

        lines = read_text(input_path, what="UTF-8 JSONL").splitlines()
        source = str(input_path)
    requests = parse_requests(lines, source)
    if workers is None:  # large inputs use every core; small ones are not worth a pool
        workers = (os.cpu_count() or 1) if len(requests) >= 2_000 else 1
    results = grade_requests(requests, rubrics, settings.policy, workers=workers)
    if str(out_path) == "-":
        for obj in results:
            click.echo(dumps(obj))
        return 0
    try:
        with out_path.open("w", encoding="utf-8") as fh:
            for obj in results:
                fh.write(dumps(obj) + "\n")
    except OSError as exc:
        raise InputError(f"cannot write {out_path}: {exc.strerror}") from None
    return 0
