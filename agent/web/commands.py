"""`calmreply serve` (the agent desk) and `calmreply feedback export`."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import Literal

import click

from agent.commands.options import model_options, settings_from
from agent.errors import ConfigError, InputError

db_option = click.option("--db", "db_path", type=click.Path(path_type=Path, dir_okay=False),
                         help="Feedback database (default: feedback.sqlite3 in the user data "
                         "directory, or CALMREPLY_FEEDBACK_DB).")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the desk to others.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@db_option
@model_options
def serve_command(host: str, port: int, db_path: Path | None, config_path: Path | None,
                  model: str | None, base_url: str | None, prompts_dir: Path | None,
                  offline: bool) -> None:
    """Start the agent desk: a web page to paste an email, get a draft, score and rate it.

    With no model configured, drafts come from the offline composer. The page, the JSON
    API (/api/draft, /api/grade) and the API docs (/docs) are served on http://HOST:PORT/.
    """
    try:
        import uvicorn

        from agent.web.app import create_app
        from agent.web.server import uvicorn_options
    except ImportError as exc:
        raise ConfigError(f"the desk needs the web extra, which is not installed (no module "
                          f"{exc.name!r}); run: pip install 'calmreply[web]'") from None
    settings = settings_from(config_path, model, base_url, prompts_dir, offline)
    allowed: list[str] | None = None
    if not is_loopback(host):
        allowed = ["*"]
        click.echo(f"warning: listening on {host}, not loopback: anyone who can reach this "
                   "machine can use the desk, spend the model's quota and read stored "
                   "feedback; there is no login.", err=True)
    app = create_app(settings, db_path=db_path, allowed_hosts=allowed)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    what = f"model {settings.model.name or '(server default)'}" if settings.model_configured \
        else "offline composer, no model configured"
    click.echo(f"calmreply agent desk on http://{shown}:{port}/ ({what}); Ctrl+C to stop",
               err=True)
    uvicorn.run(app, host=host, port=port, **uvicorn_options(settings.desk))


@click.group("feedback")
def feedback_group() -> None:
    """Ratings left on the agent desk's drafts, for prompt owners."""


@feedback_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@db_option
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              default="-", help="File to write (default: stdout).")
def export_command(fmt: Literal["jsonl", "csv"], db_path: Path | None, output: Path) -> None:
    """Print every rating with its draft, the email and any edit, oldest first.

    Fields: id, created, rating, comment, draft_id, rated_text, edited, original_draft,
    email, source, model, tone.
    """
    from agent.web.feedback import FeedbackStore, export

    store = FeedbackStore(db_path)
    if not store.path.exists():
        click.echo(f"no feedback yet: {store.path} does not exist", err=True)
    text = export(store, fmt)
    if str(output) == "-":
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None
