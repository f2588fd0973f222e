"""Readable terminal output for a drafting result: the draft first, then the read of the
situation, the guard's findings and the internal note."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.models import DraftResult


def print_result(result: DraftResult, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    a, d = result.analysis, result.draft
    origin = f"model {result.model}" if result.source == "model" else "offline composer"
    if result.notice:
        console.print(Text(f"Note: {result.notice}", style="yellow"))
    # Customer-derived text is printed as Text, never parsed as rich markup.
    console.print(Panel(Text(f"Subject: {d.subject}\n\n{d.body}"), title=f"Draft ({origin})",
                        title_align="left", border_style="green" if not result.flagged
                        else "red"))
    read = Table.grid(padding=(0, 2))
    read.add_column(style="bold")
    read.add_column()
    read.add_row("Goal", Text(a.goal))
    read.add_row("Issues", Text("; ".join(a.issues) or "-"))
    read.add_row("Category", a.category)
    read.add_row("Anger", a.anger.value)
    read.add_row("Abusive", "yes" if a.abusive else "no")
    read.add_row("Profanity", "yes" if a.profanity else "no")
    read.add_row("Threats", ", ".join(t.value for t in a.threats) or "none")
    read.add_row("Fault", a.fault.value)
    read.add_row("Language", a.language)
    read.add_row("Escalate", Text(f"yes: {a.escalation_reason}" if a.escalate else "no"))
    parts: list[Table | Text] = [read]
    if result.guard:
        parts.append(Text("\nGuard findings:", style="bold red"))
        for f in result.guard:
            evidence = f' ("{f.evidence}")' if f.evidence else ""
            parts.append(Text(f"- {f.check}: {f.message}{evidence}"))
    console.print(Panel(Group(*parts), title="Situation", title_align="left"))
    note = d.internal_note
    lines = [note.summary]
    if note.follow_up:
        lines.append(f"Follow up: {note.follow_up.isoformat()}")
    if note.escalation:
        lines.append(f"Escalation: {note.escalation}")
    if result.usage and result.usage.calls:
        lines.append(f"Tokens: {result.usage.prompt_tokens} prompt, "
                     f"{result.usage.completion_tokens} completion, {result.usage.calls} calls")
    console.print(Panel(Text("\n".join(lines)), title="Internal note (not sent)",
                        title_align="left"))
