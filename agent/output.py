"""Readable terminal output for a drafting result: the draft first, then the read of the
situation, the guard's findings and the internal note."""

from __future__ import annotations

import re
import unicodedata

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.models import DraftResult

# Control characters (escape sequences: OSC 8 links, OSC 52 clipboard writes, hidden
# text, carriage-return overwrites) and invisible format characters (bidi overrides).
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]|[\u200b-\u200f\u202a-\u202e\u2066-\u2069"
                     r"\ufeff\U000e0000-\U000e007f]")


def _shown(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch == "\x1b":
        return "␛"
    name = unicodedata.name(ch, "")
    return f"<U+{ord(ch):04X}{' ' + name if name else ''}>" if ord(ch) > 0x9f else \
        f"\\x{ord(ch):02x}"


def printable(text: str) -> str:
    """Untrusted text made safe for a terminal: every control or invisible format character
    is shown as a visible escape instead of acting on the terminal."""
    return _UNSAFE.sub(_shown, text)


def print_result(result: DraftResult, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    a, d = result.analysis, result.draft
    origin = f"model {result.model}" if result.source == "model" else "offline composer"
    if result.notice:
        console.print(Text(printable(f"Note: {result.notice}"), style="yellow"))
    # Customer-derived text is printed as Text, never parsed as rich markup.
    console.print(Panel(Text(printable(f"Subject: {d.subject}\n\n{d.body}")),
                        title=printable(f"Draft ({origin})"),
                        title_align="left", border_style="green" if not result.flagged
                        else "red"))
    read = Table.grid(padding=(0, 2))
    read.add_column(style="bold")
    read.add_column()
    read.add_row("Goal", Text(printable(a.goal)))
    read.add_row("Issues", Text(printable("; ".join(a.issues) or "-")))
    read.add_row("Category", a.category)
    read.add_row("Anger", a.anger.value)
    read.add_row("Abusive", "yes" if a.abusive else "no")
    read.add_row("Profanity", "yes" if a.profanity else "no")
    read.add_row("Threats", ", ".join(t.value for t in a.threats) or "none")
    read.add_row("Fault", a.fault.value)
    read.add_row("Language", Text(printable(a.language)))
    read.add_row("Escalate", Text(printable(f"yes: {a.escalation_reason}") if a.escalate
                                  else "no"))
    parts: list[Table | Text] = [read]
    if result.guard:
        parts.append(Text("\nGuard findings:", style="bold red"))
        for f in result.guard:
            evidence = f' ("{f.evidence}")' if f.evidence else ""
            parts.append(Text(printable(f"- {f.check}: {f.message}{evidence}")))
    console.print(Panel(Group(*parts), title="Situation", title_align="left"))
    note = d.internal_note
    lines = [note.summary]
    if note.follow_up:
        lines.append(f"Follow up: {note.follow_up.isoformat()}")
    if note.escalation:
        lines.append(f"Escalation: {note.escalation}")
    if result.usage and result.usage.calls:
        lines.append(f"Tokens: {result.usage.prompt_tokens} prompt "
                     f"({result.usage.cached_tokens} cached), "
                     f"{result.usage.completion_tokens} completion, {result.usage.calls} calls")
    console.print(Panel(Text(printable("\n".join(lines))), title="Internal note (not sent)",
                        title_align="left"))
