"""`calmreply prompts check`: every template parses, every playbook partial exists and is
included, and every template renders against the fixture emails in every tone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import TemplateSyntaxError

from agent.config import Settings
from agent.errors import CalmreplyError
from agent.inbound import parse_text
from agent.messages import PLAYBOOK, draft_messages, reask_message, render, revise_message
from agent.models import GuardFinding, Tone
from agent.prompting import default_prompts_dir, make_env


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
                system = draft_messages(email, settings, tone=tone)[0]["content"]
                rendered += 2
            except CalmreplyError as exc:
                problems.append(f"{fixture.name} ({tone.value}): {exc.message}")
                continue
            for partial in PLAYBOOK:
                text = render(f"playbook/{partial}.j2", prompts_dir,
                              policy=settings.policy.model_dump())
                if text not in system:
                    problems.append(f"system.j2 does not include playbook/{partial}.j2")
    problems += _check_offline(settings)
    rendered += len(fixture_emails()) * len(Tone)
    try:
        revise_message([GuardFinding(check="profanity", message="m", evidence="e")],
                       prompts_dir)
        reask_message("the JSON does not match", prompts_dir)
        rendered += 2
    except CalmreplyError as exc:
        problems.append(exc.message)
    return sorted(set(problems)), rendered


def _check_offline(settings: Settings) -> list[str]:
    """The offline composer's templates, rendered through the composer for every fixture."""
    from agent.offline.analyzer import analyze
    from agent.offline.composer import compose

    problems = []
    for fixture in fixture_emails():
        email = parse_text(fixture.read_text(encoding="utf-8"))
        for tone in Tone:
            try:
                compose(email, analyze(email), settings, tone=tone, today=dt.date(2026, 1, 5))
            except CalmreplyError as exc:
                problems.append(f"offline, {fixture.name} ({tone.value}): {exc.message}")
    return problems
