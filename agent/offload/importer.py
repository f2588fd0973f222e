"""Batch results into the same output lines as a live batch.

Each email's answer goes through the live drafter (see results.py), and the lines go
through `run_batch`, so the output is what `calmreply draft --batch` writes: one line per
email, resumable, never dropped. An email the provider failed, or never answered, is a
failed line with the reason; so is an answer the guard flags when no model is configured
to revise it (with a model, a flagged draft is revised live, as a live batch would).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agent.batch import BatchItem, BatchSummary, Drafter, make_drafter, run_batch
from agent.config import Settings
from agent.errors import ModelError
from agent.llm import ModelClient
from agent.models import DraftResult, Tone, Usage
from agent.offload.results import Answer, replay_client, replay_settings
from agent.session import Session


@dataclass
class ImportTotals:
    drafts: Usage = field(default_factory=Usage)  # every call the imported drafts took
    batch: Usage = field(default_factory=Usage)  # of which the batch answered

    @property
    def live(self) -> Usage:
        return Usage(prompt_tokens=self.drafts.prompt_tokens - self.batch.prompt_tokens,
                     completion_tokens=self.drafts.completion_tokens
                     - self.batch.completion_tokens,
                     cached_tokens=self.drafts.cached_tokens - self.batch.cached_tokens,
                     calls=self.drafts.calls - self.batch.calls)


def import_drafter(settings: Settings, answers: dict[str, Answer], *, tone: Tone | None,
                   live: ModelClient | None, missing: Callable[[str], str],
                   totals: ImportTotals) -> Drafter:
    """The per-email draft function of an import; `missing(id)` says why an email has no
    answer."""
    used = replay_settings(settings, live)

    async def draft(item: BatchItem) -> DraftResult:
        client = replay_client(used, answers.get(item.id), missing(item.id), live,
                               totals.batch)
        inner = make_drafter(Session(used, client=client), tone)
        result: DraftResult = await inner(item)
        if live is not None:
            live.mode = client.mode
        if result.usage is not None:
            totals.drafts.merge(result.usage)
        if result.flagged and live is None and result.source == "model":
            findings = "; ".join(f"{f.check}: {f.message}" for f in result.guard)
            raise ModelError(f"the guard flagged the batch answer ({findings}) and no model "
                             "is configured to revise it; configure one and re-run with "
                             "--retry-failed")
        return result

    return draft


def no_result(sources: Sequence[Path]) -> Callable[[str], str]:
    names = ", ".join(str(p) for p in sources)
    return lambda _id: (f"no result for this email in {names}; export it again "
                        "(--export-requests with --out sends only what is missing)")


async def import_results(items: Sequence[BatchItem], out: Path, settings: Settings,
                         answers: dict[str, Answer], *, tone: Tone | None, concurrency: int,
                         retry_failed: bool, missing: Callable[[str], str],
                         totals: ImportTotals, live: ModelClient | None,
                         on_start: Callable[[int], None] | None = None,
                         on_done: Callable[[], None] | None = None) -> BatchSummary:
    draft = import_drafter(settings, answers, tone=tone, live=live, missing=missing,
                           totals=totals)
    return await run_batch(list(items), out, draft, concurrency=concurrency,
                           retry_failed=retry_failed, on_start=on_start, on_done=on_done)
