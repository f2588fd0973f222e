"""Build the exact chat messages sent to the model from the templates in `prompts/`.

The customer's email (subject and sender included) goes in as a variable between markers,
and the facts the agent typed (name, order, notes) between markers of their own. Marker
look-alikes inside any of them are defused first, so no field can close its own fence.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from agent.checks.text import clean
from agent.config import Settings
from agent.inbound import InboundEmail
from agent.models import Facts, GuardFinding, Tone, output_model
from agent.profiles import Profile
from agent.prompting import make_env, template_errors

Message = dict[str, str]

OPEN_MARKER = "<<<CUSTOMER EMAIL>>>"
CLOSE_MARKER = "<<<END CUSTOMER EMAIL>>>"
NOTES_OPEN = "<<<AGENT NOTES>>>"
NOTES_CLOSE = "<<<END AGENT NOTES>>>"

# One partial per playbook principle (BRIEF.md items 1-14), in order.
PLAYBOOK = (
    "01_composure", "02_listening", "03_empathy", "04_apology", "05_responsibility",
    "06_face_saving", "07_resolution", "08_boundaries", "09_escalation", "10_gratitude",
    "11_documentation", "12_professional_language", "13_walking_away", "14_learning",
)

# Angle brackets and their look-alikes (guillemets, math and CJK brackets, Canadian
# syllabics, full-width and small forms) in runs that could pass for our markers.
_ANGLES = "<>‹›«»⟨⟩〈〉˂˃ᐸᐳ＜＞﹤﹥❮❯⟪⟫《》〈〉⦉⦊⧼⧽"
_MARKERISH = re.compile(f"[{re.escape(_ANGLES)}]{{2,}}")
# Our marker words, written as a marker would be: next to bracket-ish marks, or in capitals.
_PUNCT = "[" + re.escape(_ANGLES) + r"\[\]{}()#=*_~|/\\:-]"
_WORDS = r"(?:begin\s+|end\s+(?:of\s+(?:the\s+)?)?)?(?:customer\s+e-?mail|agent\s+notes)"
_MARKER_WORDS = re.compile(rf"{_PUNCT}\s{{0,2}}{_WORDS}|{_WORDS}(?=\s{{0,2}}{_PUNCT})",
                           re.IGNORECASE)
_MARKER_CAPS = re.compile(r"\b(?:(?:BEGIN|END)\s+(?:OF\s+(?:THE\s+)?)?)?"
                          r"(?:CUSTOMER\s+E-?MAIL|AGENT\s+NOTES)\b")
_REMOVED = "[marker text removed]"


def fence(text: str, *, single_line: bool = False) -> str:
    """Neutralise anything in customer- or agent-supplied text that could pass for our
    markers: invisible and tag characters go, full-width and look-alike brackets are read
    as brackets, bracket runs are broken up, and marker words are replaced. A single-line
    field (a name, an order id, a subject) cannot start a new line."""
    text = clean(text)
    if single_line:
        text = " ".join(text.split())
    text = _MARKERISH.sub(lambda m: " ".join(m.group(0)), text)
    return _MARKER_CAPS.sub(_REMOVED, _MARKER_WORDS.sub(_REMOVED, text))


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
    """Render one template; any failure is one TemplateFailure naming file and line."""
    with template_errors(prompts_dir):
        return make_env(prompts_dir).get_template(name).render(**context).strip()


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
        "notes_open": NOTES_OPEN,
        "notes_close": NOTES_CLOSE,
    }
    system = render(
        "system.j2", prompts_dir, **common,
        playbook=PLAYBOOK,
        tone=(tone or settings.tone).value,
        schema=_schema_text(settings.active_profile),
    )
    # Everything the customer or the agent typed is fenced; only our own words are not.
    fenced_facts = None
    if facts is not None:
        fenced_facts = {
            "customer_name": fence(facts.customer_name, single_line=True)
            if facts.customer_name else None,
            "order_id": fence(facts.order_id, single_line=True) if facts.order_id else None,
            "notes": fence(facts.notes) if facts.notes else None,
        }
        if not any(fenced_facts.values()):
            fenced_facts = None
    user = render(
        "draft.j2", prompts_dir, **common,
        email={
            "subject": fence(email.subject or "", single_line=True),
            "sender_name": fence(email.sender_name or "", single_line=True),
            "truncated": email.truncated,
        },
        email_text=fence(email.body),
        facts=fenced_facts,
        today=(today or dt.date.today()).isoformat(),
        language_hint=language_hint,
    )
    # Nothing that varies per email goes into the system prompt: it is a byte-stable
    # prefix, so provider prompt caching and vLLM's prefix caching reuse it.
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def revise_message(findings: list[GuardFinding], prompts_dir: Path | None) -> Message:
    text = render("revise.j2", prompts_dir, findings=[f.model_dump() for f in findings])
    return {"role": "user", "content": text}


def reask_message(error: str, prompts_dir: Path | None) -> Message:
    return {"role": "user", "content": render("reask.j2", prompts_dir, error=error)}
