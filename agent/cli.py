"""The `calmreply` command line.

Subcommands live in their own modules and are imported only when run, so
`calmreply --help` starts fast. Every calmreply error is printed as one line
(`error: ...`) with its exit code; no traceback reaches the user. `-v` logs what the
model client does (retries, step-downs, re-asks, guard revisions) to stderr; `-vv`
adds every request.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from agent.errors import CalmreplyError

# name -> "module:attribute", imported on first use.
COMMANDS = {
    "draft": "agent.commands.draft:draft_command",
    "prompts": "agent.commands.prompts:prompts_group",
    "eval": "evals.commands:eval_group",
    "grade": "evals.commands:grade_command",
    "serve": "agent.web.commands:serve_command",
    "feedback": "agent.web.commands:feedback_group",
    "batches": "agent.commands.batches:batches_group",
    "profiles": "agent.commands.profiles:profiles_command",
}

HELP = {
    "draft": "Draft a calm reply to a hostile email (file, .eml, or - for stdin).",
    "prompts": "Render and check the prompt templates.",
    "eval": "Run an eval suite and report pass rates per rubric.",
    "grade": "Score existing replies (JSONL in, JSONL out).",
    "serve": "Start the agent desk web page on loopback.",
    "feedback": "Export draft ratings left on the agent desk.",
    "batches": "List and cancel Batch API batches at the provider.",
    "profiles": "List the company profiles (industries) and their categories.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from a table, so --help imports no subcommand module.
        with formatter.section("Commands"):
            formatter.write_dl([(name, HELP[name]) for name in COMMANDS])


def _verbose(ctx: click.Context, param: click.Parameter, count: int) -> None:
    if count:
        configure_logging(count)


def configure_logging(verbosity: int) -> None:
    """calmreply's own log lines on stderr: INFO with -v, DEBUG with -vv."""
    import logging

    from agent.errors import redact

    class Stderr(logging.StreamHandler):
        """Writes to sys.stderr as it is at the time: rich's progress bars swap it while
        they run, and lines written through the swap land above the bar."""

        def emit(self, record: logging.LogRecord) -> None:
            self.setStream(sys.stderr)
            super().emit(record)

    class Redact(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg, record.args = redact(record.getMessage()), None
            return True

    logger = logging.getLogger("calmreply")
    logger.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)
    if any(h.get_name() == "calmreply-cli" for h in logger.handlers):
        return  # main() ran before in this process (tests do that)
    handler = Stderr()
    handler.set_name("calmreply-cli")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(Redact())
    logger.addHandler(handler)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="calmreply")
@click.option("-v", "--verbose", count=True, expose_value=False, callback=_verbose,
              help="Log retries, structured-output step-downs, re-asks and guard revisions "
              "to stderr (-vv: every request too).")
def cli() -> None:
    """calmreply drafts calm, professional replies to hostile customer emails.

    With no model configured it composes replies offline from the playbook templates.
    Set OPENAI_API_KEY (and optionally OPENAI_BASE_URL, CALMREPLY_MODEL) to use a model.
    """


def main(argv: list[str] | None = None) -> Any:
    try:
        code = cli.main(args=argv, prog_name="calmreply", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except CalmreplyError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
