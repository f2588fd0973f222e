"""The terminal side of `calmreply draft --batch`: progress bar, summary, and stopping
cleanly on SIGTERM (the lock is released and every result written so far is kept)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import click

from agent.batch import BatchSummary, make_drafter, read_items, run_batch
from agent.batch_lock import Holder
from agent.config import Settings
from agent.errors import EXIT_MODEL, StoppedError
from agent.models import Tone
from agent.session import Session


def draft_batch(batch_path: Path, out_path: Path, settings: Settings, *, tone: Tone | None,
                concurrency: int, retry_failed: bool) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TimeRemainingColumn,
    )

    items = read_items(batch_path)
    done = 0

    def took_over(holder: Holder) -> None:
        click.echo(f"note: taking over {out_path}.lock from a run that stopped without "
                   f"releasing it ({holder.describe()}); resuming", err=True)

    async def go() -> BatchSummary:
        nonlocal done
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        terminated = False

        def on_sigterm() -> None:
            nonlocal terminated
            terminated = True
            if main is not None:
                main.cancel()

        def advance(progress: Progress, task: TaskID) -> None:
            nonlocal done
            done += 1
            progress.advance(task)

        with contextlib.suppress(NotImplementedError):  # Windows: no loop signal handlers
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        try:
            async with Session(settings) as session:
                draft = make_drafter(session, tone)
                with Progress("[progress.description]{task.description}", BarColumn(),
                              MofNCompleteColumn(), TimeRemainingColumn(),
                              transient=True) as progress:
                    task = progress.add_task("drafting", total=None)
                    return await run_batch(
                        items, out_path, draft, concurrency=concurrency,
                        retry_failed=retry_failed,
                        on_start=lambda todo: progress.update(task, total=todo),
                        on_done=lambda: advance(progress, task), on_takeover=took_over)
        except asyncio.CancelledError:
            if not terminated:
                raise
            raise StoppedError(f"stopped by SIGTERM: the {done} results of this run are kept in "
                               f"{out_path}; re-run the same command to resume") from None
        finally:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signal.SIGTERM)

    summary = asyncio.run(go())
    click.echo(f"drafted {summary.drafted}, failed {summary.failed}, "
               f"skipped {summary.skipped} already in {out_path}", err=True)
    return EXIT_MODEL if summary.failed else 0
