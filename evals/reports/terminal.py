"""The terminal report: pass rate per rubric, the worst cases with reasons, changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from agent.output import printable
from evals.results import CaseResult, RunResult, usage_summary


@contextmanager
def progress_bar(console: Console, label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr-like console; yields the runner's `on_progress` callback."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(label.replace("[", "\\["), total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def summary_table(run: RunResult) -> Table:
    table = Table(title=f"{run.suite}{' ' + run.label if run.label else ''}: "
                  f"{len(run.cases)} cases × {run.repeat}", title_justify="left")
    table.add_column("rubric", no_wrap=True, min_width=15)
    for col in ("rate", "need", "pass", "fail", "n/a", "unsc", "hard", ""):
        table.add_column(col, justify="right", no_wrap=True)
    for s in run.rubrics.values():
        status = Text("ok", style="green") if s.ok else Text("BELOW", style="bold red")
        table.add_row(s.rubric, _rate(s.pass_rate), f"{s.threshold:.0%}", str(s.passed),
                      str(s.failed), str(s.not_applicable), str(s.unscored),
                      str(s.hard_fails) if s.hard_fails else "", status)
    return table


def worst_cases(run: RunResult, limit: int = 8) -> list[tuple[CaseResult, str, float, str]]:
    """(case, rubric, score, reason) for the lowest-scoring failed verdicts."""
    found = []
    for case in run.cases:
        for name, score in case.first.scores.items():
            if score.status == "scored" and not score.passed:
                found.append((case, name, score.score or 0.0, score.reason))
    found.sort(key=lambda item: (item[2], item[0].id))
    return found[:limit]


def print_run(run: RunResult, console: Console | None = None, *, worst: int = 8) -> None:
    console = console or Console(highlight=False)
    console.print(summary_table(run))
    tokens = usage_summary(run)
    if tokens:
        console.print(Text(tokens))
    errors = [(c.id, a.error) for c in run.cases for a in c.attempts if a.error]
    for case_id, error in errors[:5]:
        console.print(Text(printable(f"  error in {case_id}: {error}"), style="red"))
    bad = worst_cases(run, worst)
    if bad:
        console.print(Text("Worst cases:", style="bold"))
        for case, rubric, score, reason in bad:
            console.print(Text(printable(f"  {case.id} · {rubric} {score:.2f}: {reason}")))
    flaky = [(c.id, n) for c in run.cases for n, st in c.stats.items() if st.flaky]
    if flaky:
        console.print(Text(f"Flaky across {run.repeat} repeats: " +
                           ", ".join(f"{c}/{n}" for c, n in flaky[:10]), style="yellow"))
    if run.comparison is not None:
        comp = run.comparison
        console.print(Text(f"Against {comp.baseline}: {len(comp.regressions)} regressions, "
                           f"{len(comp.improvements)} improvements", style="bold"))
        for change in comp.regressions[:10]:
            console.print(Text(printable(f"  - {change.case} · {change.rubric}: now fails: "
                                         f"{change.reason}"), style="red"))
        for change in comp.improvements[:10]:
            console.print(Text(f"  + {change.case} · {change.rubric}: now passes",
                               style="green"))


def print_side_by_side(a: RunResult, b: RunResult, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    table = Table(title=f"{a.suite}: A = {a.label}  vs  B = {b.label}", title_justify="left")
    table.add_column("rubric", no_wrap=True, min_width=15)
    for col in ("A", "B", "change", "need"):
        table.add_column(col, justify="right", no_wrap=True)
    for name, sa in a.rubrics.items():
        sb = b.rubrics[name]
        delta: Text | str = ""
        if sa.pass_rate is not None and sb.pass_rate is not None:
            d = sb.pass_rate - sa.pass_rate
            delta = Text(f"{d:+.1%}", style="green" if d > 0 else "red" if d < 0 else "")
        table.add_row(name, _rate(sa.pass_rate), _rate(sb.pass_rate), delta,
                      f"{sa.threshold:.0%}")
    console.print(table)
