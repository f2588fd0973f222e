"""Options shared by several commands, and turning them into Settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from agent.config import Settings, load_settings
from agent.models import Tone

F = Callable[..., Any]


def model_options(func: F) -> F:
    """--config, --model, --base-url, --prompts: the flags that pick what drafts."""
    for option in reversed([
        click.option("--config", "config_path", type=click.Path(path_type=Path),
                     help="Config file (default: ./calmreply.toml, then the user config dir)."),
        click.option("--model", help="Model name (overrides CALMREPLY_MODEL and the config)."),
        click.option("--base-url", help="OpenAI-compatible server URL, e.g. "
                     "http://127.0.0.1:8080/v1 (overrides OPENAI_BASE_URL)."),
        click.option("--prompts", "prompts_dir", type=click.Path(path_type=Path,
                     file_okay=False, exists=True), help="Template directory to use instead "
                     "of the built-in prompts/."),
        click.option("--offline", is_flag=True, help="Ignore any configured model and compose "
                     "offline."),
    ]):
        func = option(func)
    return func


tone_option = click.option(
    "--tone", type=click.Choice([t.value for t in Tone]), default=None,
    help="Tone of the reply (default from the config: warm).",
)


def settings_from(config_path: Path | None, model: str | None, base_url: str | None,
                  prompts_dir: Path | None, offline: bool) -> Settings:
    settings = load_settings(config_path)
    if model:
        settings.model.name = model
    if base_url:
        settings.model.base_url = base_url
    if prompts_dir:
        settings.prompts_dir = prompts_dir
    if offline:
        settings.model.base_url = None
        settings.offline = True
    return settings


class DefaultGroup(click.Group):
    """A group that treats an unknown first argument (or option) as the start of its
    default command: `calmreply eval SUITE` runs `eval run SUITE`."""

    def __init__(self, *args: Any, default_command: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_command = default_command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def _default(self, ctx: click.Context) -> tuple[click.Command, click.Context]:
        default = self.commands[self.default_command]
        return default, click.Context(default, info_name=default.name, parent=ctx)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        default, sub = self._default(ctx)
        formatter.write_usage(ctx.command_path, " ".join(default.collect_usage_pieces(sub)))
        formatter.write_usage(ctx.command_path, "COMMAND [ARGS]...", prefix="   or: ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """--help shows the default command's options: they are what people type."""
        default, sub = self._default(ctx)
        default.format_options(sub, formatter)
        self.format_commands(ctx, formatter)
