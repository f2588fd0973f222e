"""`calmreply draft`: one email in, one guarded draft out (or a batch, see agent/batch.py)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from click import UsageError

from agent.commands.options import model_options, settings_from, tone_option
from agent.errors import EXIT_FLAGGED, InputError
from agent.inbound import InboundEmail, parse_bytes, read_path
from agent.models import DraftResult, Facts, Tone


@click.command("draft")
@click.argument("path", required=False, type=click.Path(path_type=Path, allow_dash=True))
@tone_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--name", "customer_name", help="The customer's name, if the email lacks it.")
@click.option("--order", "order_id", help="The order number, if the email lacks it.")
@click.option("--batch", "batch_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Draft every email in this JSONL file ({\"id\": ..., \"email\": ...}).")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False),
              help="With --batch: JSONL file the results are appended to (resumable).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True,
              help="With --batch: drafts in flight at once.")
@click.option("--retry-failed", is_flag=True,
              help="With --batch: draft again the emails that failed in an earlier run.")
@click.option("--export-requests", "export_path", type=click.Path(path_type=Path,
              dir_okay=False), help="With --batch: write one Batch-API request per email "
              "(OpenAI/Azure Batch, vLLM run_batch) instead of drafting; with --out, only "
              "the emails not in it yet.")
@click.option("--import-results", "result_paths", multiple=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="With --batch and --out: draft from Batch-API result files (output and "
              "error files; repeatable) instead of calling the model.")
@click.option("--via", type=click.Choice(["live", "batch-api"]), default="live",
              show_default=True, help="With --batch: 'batch-api' sends the queue through the "
              "provider's Batch API (upload, create, poll, download, import; re-run to "
              "re-attach).")
@click.option("--fallback-offline", is_flag=True,
              help="Compose offline if the model still fails after its retries.")
@model_options
def draft_command(path: Path | None, tone: str | None, as_json: bool,
                  customer_name: str | None, order_id: str | None, batch_path: Path | None,
                  out_path: Path | None, concurrency: int, retry_failed: bool,
                  export_path: Path | None, result_paths: tuple[Path, ...], via: str,
                  fallback_offline: bool,
                  config_path: Path | None, model: str | None, base_url: str | None,
                  prompts_dir: Path | None, offline: bool) -> int:
    """Draft a calm reply to the email in PATH (.txt, .eml or .html; - reads stdin).

    \b
    With --batch, drafts a JSONL queue and appends one line per email to --out;
    re-running the same command resumes where it stopped.

    \b
    Past one machine (see "Scaling out" in the README):
      --batch Q --export-requests requests.jsonl      requests for a batch engine
      --batch Q --import-results results.jsonl --out drafts.jsonl
      --batch Q --out drafts.jsonl --via batch-api    OpenAI/Azure Batch, end to end

    \b
    Exit codes:
      0  the draft passed the guard (batch: every email drafted)
      3  the email could not be read (empty, binary, too large, missing)
      4  the config file or a template is wrong
      5  the model failed (auth, quota, unknown model, unreachable, bad answers)
      6  a draft was printed, but the guard flagged it: read the findings first
         (batch: 5 when any email failed for good; its line holds the reason)
      8  batch: another run holds --out (or replaced it mid-run); re-run later
    """
    from agent.output import print_result
    from agent.session import Session

    settings = settings_from(config_path, model, base_url, prompts_dir, offline)
    if fallback_offline:
        settings.model.fallback_offline = True
    offload = bool(export_path or result_paths or via != "live")
    if offload and batch_path is None:
        raise UsageError("--export-requests, --import-results and --via need --batch FILE")
    if batch_path is not None and offload:
        from agent.commands.offload import offload_batch

        return offload_batch(batch_path, out_path, settings, tone=Tone(tone) if tone else None,
                             concurrency=concurrency, retry_failed=retry_failed,
                             export_path=export_path, result_paths=result_paths, via=via,
                             has_path=path is not None)
    if batch_path is not None:
        if path is not None or out_path is None:
            raise UsageError("--batch takes no PATH and needs --out FILE")
        from agent.commands.batch import draft_batch

        return draft_batch(batch_path, out_path, settings, tone=Tone(tone) if tone else None,
                           concurrency=concurrency, retry_failed=retry_failed)
    email = read_email(path, settings.max_email_chars, settings.max_input_bytes)
    facts = Facts(customer_name=customer_name, order_id=order_id) \
        if customer_name or order_id else None

    async def draft() -> DraftResult:
        async with Session(settings) as session:
            return await session.draft(email, tone=Tone(tone) if tone else None, facts=facts)

    result = asyncio.run(draft())
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        print_result(result)
    return EXIT_FLAGGED if result.flagged else 0


def read_email(path: Path | None, max_chars: int, max_bytes: int) -> InboundEmail:
    if path is None or str(path) == "-":
        if path is None and sys.stdin.isatty():
            raise InputError("give an email file, or pipe the email in: "
                             "calmreply draft - < email.txt")
        raw = sys.stdin.buffer.read(max_bytes + 1)
        return parse_bytes(raw, max_chars=max_chars, max_bytes=max_bytes)
    return read_path(path, max_chars=max_chars, max_bytes=max_bytes)
