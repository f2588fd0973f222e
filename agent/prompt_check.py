"""`calmreply prompts check`: every template parses, every playbook partial exists and is
included, every template renders against the fixture emails in every tone, and what the
model reads is laid out cleanly (no list item glued to the sentence before it, a blank
line before every heading: the whitespace Jinja's block tags eat is easy to lose).

A template that fails is reported once, by the file and line where it failed."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from jinja2 import TemplateSyntaxError

from agent.config import Settings
from agent.errors import CalmreplyError, TemplateFailure
from agent.inbound import parse_text
from agent.messages import (
    CLOSE_MARKER,
    OPEN_MARKER,
    PLAYBOOK,
    draft_messages,
    reask_message,
    render,
    revise_message,
)
from agent.models import GuardFinding, Tone
from agent.prompting import default_prompts_dir, make_env

# Layout mistakes in rendered prompts, with what they look like to the model.
LAYOUT_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[.!?:;)\]\"'”’]\d{1,2}\. \S"),
     "a numbered item runs into the text before it (end the line before it with a newline)"),
    (re.compile(r"[a-z]{2}[.!?][A-Z][a-z]"), "two sentences run together with no space"),
    (re.compile(r"[^\n]\n#{1,6} "), "a heading has no blank line before it"),
    (re.compile(r"[^\n#]#{2,6} \S"), "a heading starts in the middle of a line"),
    (re.compile(r"\n[ \t]*\n[ \t]*\n"), "two or more blank lines in a row"),
)
_EMAIL = re.compile(re.escape(OPEN_MARKER) + ".*?" + re.escape(CLOSE_MARKER), re.S)


def layout_problems(name: str, text: str) -> list[str]:
    """Layout mistakes in `text`, the rendered output of template `name`: one line per
    kind, quoting the first place it happens."""
    problems = []
    for pattern, what in LAYOUT_RULES:
        found = list(pattern.finditer(text))
        if not found:
            continue
        first = found[0]
        excerpt = text[max(0, first.start() - 24):first.end() + 12].replace("\n", "\\n")
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        problems.append(f"{name}: {what}: '…{excerpt}…'{more}")
    return problems


def fixture_emails() -> list[Path]:
    return sorted((default_prompts_dir() / "fixtures").glob("*.txt"))


def check_templates(prompts_dir: Path | None = None) -> tuple[list[str], int]:
    """Problems found (empty when all is well) and how many renders were tried."""
    root = prompts_dir or default_prompts_dir()
    env = make_env(prompts_dir)
    problems: list[str] = []
    for path in sorted(root.rglob("*.j2")):
        name = path.relative_to(root).as_posix()
        try:
            env.parse(path.read_text(encoding="utf-8"), name=name)
        except TemplateSyntaxError as exc:
            problems.append(f"{name}:{exc.lineno}: {exc.message}")
        except (UnicodeDecodeError, OSError) as exc:
            problems.append(f"{name}: cannot be read as UTF-8 text ({exc})")
    for partial in PLAYBOOK:
        if not (root / "playbook" / f"{partial}.j2").is_file():
            problems.append(f"playbook/{partial}.j2: missing playbook partial")
    if problems:
        return problems, 0
    settings = Settings(prompts_dir=prompts_dir)
    rendered = 0
    for fixture in fixture_emails():
        email = parse_text(fixture.read_text(encoding="utf-8"))
        for tone in Tone:
            try:
                system, user = (m["content"] for m in draft_messages(email, settings, tone=tone))
                rendered += 2
            except CalmreplyError as exc:
                problems.append(_failure(exc, f"{fixture.name} ({tone.value})"))
                continue
            problems += layout_problems("system.j2", system)
            # The customer's email is not ours to lay out.
            problems += layout_problems("draft.j2", _EMAIL.sub("(the email)", user))
            for partial in PLAYBOOK:
                text = render(f"playbook/{partial}.j2", prompts_dir,
                              policy=settings.policy.model_dump())
                if text not in system:
                    problems.append(f"system.j2 does not include playbook/{partial}.j2")
    problems += _check_offline(settings)
    rendered += len(fixture_emails()) * len(Tone)
    try:
        revise = revise_message([GuardFinding(check="profanity", message="m", evidence="e")],
                                prompts_dir)
        reask = reask_message("the JSON does not match", prompts_dir)
        problems += layout_problems("revise.j2", revise["content"])
        problems += layout_problems("reask.j2", reask["content"])
        rendered += 2
    except CalmreplyError as exc:
        problems.append(exc.message)
    return sorted(set(problems)), rendered


def _failure(exc: CalmreplyError, context: str) -> str:
    """A template failure is the template's, the same for every fixture: reported once."""
    return exc.message if isinstance(exc, TemplateFailure) else f"{context}: {exc.message}"


def _check_offline(settings: Settings) -> list[str]:
    """The offline composer's templates, rendered through the composer for every fixture."""
    from agent.drafter import compose_offline

    problems = []
    for fixture in fixture_emails():
        email = parse_text(fixture.read_text(encoding="utf-8"))
        for tone in Tone:
            try:
                compose_offline(email, settings, tone=tone, today=dt.date(2026, 1, 5))
            except CalmreplyError as exc:
                problems.append(_failure(exc, f"offline, {fixture.name} ({tone.value})"))
    return problems
