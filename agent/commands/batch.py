"""The terminal side of `calmreply draft --batch`: progress bar and summary."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from agent.batch import BatchSummary, make_drafter, read_items, run_batch
from agent.config import Settings
from agent.errors import EXIT_MODEL
from agent.models import Tone
from agent.session import Session


def draft_batch(batch_path: Path, out_path: Path, settings: Settings, *, tone: Tone | None,
                concurrency: int, retry_failed: bool) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    items = read_items(batch_path)

    async def go() -> BatchSummary:
        async with Session(settings) as session:
            draft = make_drafter(session, tone)
            with Progress("[progress.description]{task.description}", BarColumn(),
                          MofNCompleteColumn(), TimeRemainingColumn(),
                          transient=True) as progress:
                task = progress.add_task("drafting", total=None)
                summary = await run_batch(
                    items, out_path, draft, concurrency=concurrency, retry_failed=retry_failed,
                    on_start=lambda todo: progress.update(task, total=todo),
                    on_done=lambda: progress.advance(task))
            return summary

    summary = asyncio.run(go())
    click.echo(f"drafted {summary.drafted}, failed {summary.failed}, "
               f"skipped {summary.skipped} already in {out_path}", err=True)
    return EXIT_MODEL if summary.failed else 0
