"""The terminal side of `calmreply draft --batch` with --export-requests, --import-results
or --via batch-api (see agent/offload/)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click
from click import UsageError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from agent.batch import BatchSummary, done_ids, read_items
from agent.config import Settings
from agent.errors import EXIT_MODEL, ConfigError
from agent.llm import ModelClient
from agent.models import Tone
from agent.offload.cost import estimate_lines, usage_lines
from agent.offload.state import Part


def offload_batch(batch_path: Path, out_path: Path | None, settings: Settings, *,
                  tone: Tone | None, concurrency: int, retry_failed: bool,
                  export_path: Path | None, result_paths: Sequence[Path], via: str,
                  has_path: bool) -> int:
    """Check the flag combination, then export, import or go through the Batch API."""
    if has_path:
        raise UsageError("--batch takes no PATH")
    chosen = [flag for flag, on in (("--export-requests", export_path is not None),
                                    ("--import-results", bool(result_paths)),
                                    ("--via batch-api", via == "batch-api")) if on]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)} do not go together: pick one")
    if export_path is not None:
        return export_batch(batch_path, export_path, out_path, settings, tone=tone,
                            retry_failed=retry_failed)
    if out_path is None:
        raise UsageError(f"{chosen[0]} needs --out FILE")
    if result_paths:
        return import_batch(batch_path, result_paths, out_path, settings, tone=tone,
                            concurrency=concurrency, retry_failed=retry_failed)
    if not settings.model_configured:
        raise ConfigError("--via batch-api needs a model provider: set OPENAI_API_KEY (or "
                          "Azure's AZURE_OPENAI_ENDPOINT and key), or --base-url")
    return batch_via_api(batch_path, out_path, settings, tone=tone, concurrency=concurrency,
                         retry_failed=retry_failed)


def _echo(text: str) -> None:
    click.echo(text, err=True)


def _finish(summary: BatchSummary, out_path: Path) -> int:
    _echo(f"drafted {summary.drafted}, failed {summary.failed}, "
          f"skipped {summary.skipped} already in {out_path}")
    return EXIT_MODEL if summary.failed else 0


def export_batch(batch_path: Path, export_path: Path, out_path: Path | None,
                 settings: Settings, *, tone: Tone | None, retry_failed: bool) -> int:
    """Write one Batch-API request per email; with --out, only those not yet in it."""
    from agent.offload.export import write_requests

    items = read_items(batch_path)
    if out_path is not None:
        done = done_ids(out_path, retry_failed=retry_failed)
        items = [item for item in items if item.id not in done]
    result = asyncio.run(write_requests(items, export_path, settings, tone))
    model = ModelClient(settings).model
    _echo(f"wrote {result.written} requests to {export_path}")
    for email_id, reason in list(result.refused.items())[:10]:
        _echo(f"not exported: {email_id}: {reason}")
    for line in estimate_lines(result.estimate, settings, model):
        _echo(line)
    limits = settings.batch_api
    size = export_path.stat().st_size
    if result.written > limits.max_requests or size > limits.max_file_bytes:
        _echo(f"note: over the Batch API's limits ({limits.max_requests:,} requests, "
              f"{limits.max_file_bytes:,} bytes per file); --via batch-api splits it for you")
    _echo(f"then: calmreply draft --batch {batch_path} --import-results RESULTS.jsonl "
          f"--out {out_path or 'drafts.jsonl'}")
    return 0


def import_batch(batch_path: Path, result_paths: Sequence[Path], out_path: Path,
                 settings: Settings, *, tone: Tone | None, concurrency: int,
                 retry_failed: bool) -> int:
    from agent.offload.importer import ImportTotals, import_results, no_result
    from agent.offload.results import read_results

    items = read_items(batch_path)
    answers = read_results(result_paths)
    totals = ImportTotals()

    async def go() -> BatchSummary:
        live = ModelClient(settings) if settings.model_configured else None
        try:
            with _bar("importing") as (progress, task):
                return await import_results(
                    items, out_path, settings, answers, tone=tone, concurrency=concurrency,
                    retry_failed=retry_failed, missing=no_result(result_paths),
                    totals=totals, live=live,
                    on_start=lambda todo: progress.update(task, total=todo),
                    on_done=lambda: progress.advance(task))
        finally:
            if live is not None:
                await live.aclose()

    summary = asyncio.run(go())
    for line in usage_lines(totals.batch, totals.live, settings, ModelClient(settings).model):
        _echo(line)
    return _finish(summary, out_path)


def batch_via_api(batch_path: Path, out_path: Path, settings: Settings, *,
                  tone: Tone | None, concurrency: int, retry_failed: bool) -> int:
    from agent.offload.batch_api import BatchRun

    items = read_items(batch_path)
    console = Console(stderr=True, highlight=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as progress:
        display = ProgressDisplay(progress)
        outcome = asyncio.run(BatchRun(items, out_path, settings, tone=tone,
                                       concurrency=concurrency, retry_failed=retry_failed,
                                       display=display).run())
    for line in usage_lines(outcome.totals.batch, outcome.totals.live, settings,
                            outcome.model):
        _echo(line)
    return _finish(outcome.summary, out_path)


class ProgressDisplay:
    """One progress bar per batch, with the provider's counts; stages as lines."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[int, TaskID] = {}

    def note(self, text: str) -> None:
        self.progress.console.print(text, markup=False, soft_wrap=True)

    def stage(self, stage: str, part: Part, parts: int) -> None:
        label = f"batch {part.number}/{parts}"
        if stage == "polled":
            task = self.tasks.get(part.number)
            if task is None:
                task = self.tasks[part.number] = self.progress.add_task(label, total=None)
            done = part.completed + part.failed
            self.progress.update(task, description=f"{label} {part.status} "
                                 f"({part.failed} failed)", completed=done,
                                 total=part.total or None)
        elif stage == "created":
            self.note(f"{label}: {part.batch_id} created ({len(part.ids)} emails)")
        elif stage == "downloaded":
            self.note(f"{label}: {part.status}: {part.completed} answered, "
                      f"{part.failed} failed at the provider")
        elif stage == "imported":
            self.note(f"{label}: imported into the output")


@contextmanager
def _bar(label: str) -> Iterator[tuple[Progress, TaskID]]:
    """A transient progress bar on stderr."""
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), transient=True,
                  console=Console(stderr=True)) as progress:
        yield progress, progress.add_task(label, total=None)
