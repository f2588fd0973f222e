"""Build the exact chat messages sent to the model from the templates in `prompts/`.

The customer's email goes in as a variable between markers. Marker look-alikes inside
the email are defused first, so the email cannot close its own fence.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from jinja2 import TemplateError, TemplateNotFound
from pydantic import BaseModel

from agent.config import Settings
from agent.errors import ConfigError
from agent.inbound import InboundEmail
from agent.models import Facts, GuardFinding, Tone, output_model
from agent.profiles import Profile
from agent.prompting import default_prompts_dir, make_env

Message = dict[str, str]

OPEN_MARKER = "<<<CUSTOMER EMAIL>>>"
CLOSE_MARKER = "<<<END CUSTOMER EMAIL>>>"

# One partial per playbook principle (BRIEF.md items 1-14), in order.
PLAYBOOK = (
    "01_composure", "02_listening", "03_empathy", "04_apology", "05_responsibility",
    "06_face_saving", "07_resolution", "08_boundaries", "09_escalation", "10_gratitude",
    "11_documentation", "12_professional_language", "13_walking_away", "14_learning",
)

_MARKERISH = re.compile(r"<{2,}|>{2,}")


def fence(text: str) -> str:
    """Neutralise anything in customer text that could pass for our markers."""
    return _MARKERISH.sub(lambda m: m.group(0)[0] + " " + m.group(0)[1:], text)


def _schema_text(profile: Profile) -> str:
    """A compact outline of the answer's shape: field, type, meaning. A full JSON schema
    costs the model three times the tokens; servers that enforce the schema get the
    full one through response_format anyway. Categories are the company profile's."""
    return _outline(output_model(profile))


@lru_cache(maxsize=8)
def _outline(model: type[BaseModel]) -> str:
    return outline(model)


def outline(model: type[BaseModel], indent: int = 0) -> str:
    pad = "  " * (indent + 1)
    lines = ["{"]
    for name, field in model.model_fields.items():
        kind = _type_text(field.annotation, indent + 1)
        note = f"  // {field.description}" if field.description else ""
        lines.append(f'{pad}"{name}": {kind},{note}')
    lines.append("  " * indent + "}")
    return "\n".join(lines)


def _type_text(annotation: Any, indent: int) -> str:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (UnionType, Union):
        return " or ".join(_type_text(a, indent) for a in args) + " or null"
    if get_origin(annotation) is list:
        return f"[{_type_text(args[0], indent)}, ...]"
    if get_origin(annotation) is Literal:
        return " | ".join(f'"{v}"' for v in get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " | ".join(f'"{m.value}"' for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return outline(annotation, indent)
    return {str: "string", bool: "true | false", int: "integer", float: "number",
            dt.date: '"YYYY-MM-DD"'}.get(annotation, "string")


def render(name: str, prompts_dir: Path | None = None, **context: Any) -> str:
    """Render one template; a missing template or variable becomes a ConfigError."""
    env = make_env(prompts_dir)
    where = prompts_dir or default_prompts_dir()
    try:
        return env.get_template(name).render(**context).strip()
    except TemplateNotFound as exc:
        raise ConfigError(f"template '{exc.name}' is missing from {where}") from None
    except TemplateError as exc:
        raise ConfigError(f"template '{name}' in {where} failed to render: {exc}") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"template '{name}' in {where} cannot be read: {exc}") from None


def draft_messages(
    email: InboundEmail,
    settings: Settings,
    *,
    tone: Tone | None = None,
    facts: Facts | None = None,
    prompts_dir: Path | None = None,
    language_hint: str = "en",
    today: dt.date | None = None,
) -> list[Message]:
    prompts_dir = prompts_dir or settings.prompts_dir
    common = {
        "company": settings.company.model_dump(),
        "policy": settings.policy.model_dump(),
        "open_marker": OPEN_MARKER,
        "close_marker": CLOSE_MARKER,
    }
    system = render(
        "system.j2", prompts_dir, **common,
        playbook=PLAYBOOK,
        tone=(tone or settings.tone).value,
        language_hint=language_hint,
        schema=_schema_text(settings.active_profile),
    )
    user = render(
        "draft.j2", prompts_dir, **common,
        email={
            "subject": fence(email.subject or ""),
            "sender_name": fence(email.sender_name or ""),
            "truncated": email.truncated,
        },
        email_text=fence(email.body),
        facts=facts.model_dump() if facts else None,
        today=(today or dt.date.today()).isoformat(),
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def revise_message(findings: list[GuardFinding], prompts_dir: Path | None) -> Message:
    text = render("revise.j2", prompts_dir, findings=[f.model_dump() for f in findings])
    return {"role": "user", "content": text}


def reask_message(error: str, prompts_dir: Path | None) -> Message:
    return {"role": "user", "content": render("reask.j2", prompts_dir, error=error)}
