"""`calmreply prompts render|check`: see the exact messages, and catch template mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import click

from agent.commands.draft import read_email
from agent.commands.options import model_options, settings_from, tone_option
from agent.errors import ConfigError
from agent.models import Tone


@click.group("prompts")
def prompts_group() -> None:
    """Render and check the prompt templates."""


@prompts_group.command("render")
@click.argument("path", type=click.Path(path_type=Path, allow_dash=True))
@tone_option
@click.option("--json", "as_json", is_flag=True, help="Print the messages as JSON.")
@model_options
def render_command(path: Path, tone: str | None, as_json: bool, config_path: Path | None,
                   model: str | None, base_url: str | None, prompts_dir: Path | None,
                   offline: bool) -> None:
    """Print the exact messages that would be sent to the model for the email in PATH."""
    from agent.language import detect_language
    from agent.messages import draft_messages

    settings = settings_from(config_path, model, base_url, prompts_dir, offline)
    email = read_email(path, settings.max_email_chars, settings.max_input_bytes)
    messages = draft_messages(email, settings, tone=Tone(tone) if tone else None,
                              language_hint=detect_language(email.body))
    if as_json:
        click.echo(json.dumps(messages, indent=2, ensure_ascii=False))
        return
    for message in messages:
        click.echo(f"===== {message['role']} =====")
        click.echo(message["content"])
        click.echo()


@prompts_group.command("check")
@click.option("--prompts", "prompts_dir", type=click.Path(path_type=Path, file_okay=False,
              exists=True), help="Template directory to check (default: the built-in one).")
def check_command(prompts_dir: Path | None) -> None:
    """Render every template against the fixtures; fail on any missing variable or partial."""
    from agent.prompt_check import check_templates

    problems, rendered = check_templates(prompts_dir)
    for problem in problems:
        click.echo(f"FAIL {problem}", err=True)
    if problems:
        raise ConfigError(f"{len(problems)} template problem(s); see above")
    click.echo(f"ok: {rendered} renders, every playbook partial present")
