"""`calmreply batches`: the Batch API batches at the provider; list them, cancel them.

    calmreply batches [list] [--all] [--limit N]
    calmreply batches cancel BATCH_ID...
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from agent.commands.options import DefaultGroup, model_options, settings_from
from agent.config import Settings
from agent.errors import ConfigError


def _settings(config_path: Path | None, model: str | None, base_url: str | None,
              prompts_dir: Path | None, offline: bool) -> Settings:
    settings = settings_from(config_path, model, base_url, prompts_dir, offline)
    if not settings.model_configured:
        raise ConfigError("no provider configured: set OPENAI_API_KEY (or Azure's "
                          "AZURE_OPENAI_ENDPOINT and key), or --base-url")
    return settings


@click.group("batches", cls=DefaultGroup, default_command="list",
             invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def batches_group(ctx: click.Context) -> None:
    """Batch API batches at the provider (those `--via batch-api` made, by default).

    \b
    calmreply batches                 the newest of calmreply's batches
    calmreply batches --all           every batch on the account
    calmreply batches cancel ID...    cancel; answered requests are still delivered

    Both take --base-url, --config and --model like `calmreply draft`.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command)


@batches_group.command("list")
@click.option("--all", "everything", is_flag=True, help="Every batch, not only calmreply's.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@model_options
def list_command(everything: bool = False, limit: int = 20, config_path: Path | None = None,
                 model: str | None = None, base_url: str | None = None,
                 prompts_dir: Path | None = None, offline: bool = False) -> int:
    """List batches, newest first: id, status, progress, output file, created."""
    from agent.offload.batch_api import list_batches

    settings = _settings(config_path, model, base_url, prompts_dir, offline)
    found = asyncio.run(list_batches(settings, limit=limit, everything=everything))
    table = Table(title_justify="left", title=f"{len(found)} batches"
                  + ("" if everything else " made by calmreply"))
    for column in ("id", "status", "done", "failed", "total", "output", "part", "created"):
        table.add_column(column, no_wrap=True)
    for b in found:
        counts = b.request_counts
        meta = b.metadata or {}
        created = dt.datetime.fromtimestamp(b.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
        table.add_row(b.id, b.status, str(counts.completed if counts else "?"),
                      str(counts.failed if counts else "?"), str(counts.total if counts else "?"),
                      meta.get("out", ""), meta.get("part", ""), created)
    Console(highlight=False).print(table)
    return 0


@batches_group.command("cancel")
@click.argument("batch_ids", nargs=-1, required=True, metavar="BATCH_ID...")
@model_options
def cancel_command(batch_ids: tuple[str, ...], config_path: Path | None, model: str | None,
                   base_url: str | None, prompts_dir: Path | None, offline: bool) -> int:
    """Cancel batches. A `--via batch-api` run that is waiting on one imports what was
    answered and writes the rest as failed (re-run with --retry-failed to send it again)."""
    from agent.offload.batch_api import cancel_batches

    settings = _settings(config_path, model, base_url, prompts_dir, offline)
    for batch in asyncio.run(cancel_batches(settings, batch_ids)):
        click.echo(f"{batch.id}: {batch.status}")
    return 0
