"""`calmreply profiles`: the company profiles, built-in and configured, and their categories."""

from __future__ import annotations

from pathlib import Path

import click

from agent.profiles import BUILT_IN, DEFAULT, Profile, built_in


@click.command("profiles")
@click.argument("name", required=False)
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Config file (default: ./calmreply.toml, then the user config dir).")
def profiles_command(name: str | None, config_path: Path | None) -> None:
    """List the company profiles, or show one profile's categories in full.

    The profile in force is chosen with `[profile] use = "<name>"` in calmreply.toml
    (default: ecommerce); it sets the categories the analyzer and the model file emails
    under, and what each category's next step is.
    """
    from agent.config import load_settings
    from agent.errors import InputError

    active = load_settings(config_path).active_profile
    if name is None:
        for profile in (built_in(n) for n in BUILT_IN):
            mark = "*" if profile.key == active.key else " "
            default = " (default)" if profile.name == DEFAULT else ""
            click.echo(f"{mark} {profile.name}{default}: {profile.description}")
            click.echo(f"    categories: {', '.join(profile.category_names)}")
        if active.name not in BUILT_IN or all(active.key != built_in(n).key for n in BUILT_IN):
            click.echo(f"* {active.name} (from the config): {active.description}")
            click.echo(f"    categories: {', '.join(active.category_names)}")
        click.echo("\n* = in force. `calmreply profiles NAME` shows a profile's categories.")
        return
    if name == active.name:
        chosen = active
    elif name in BUILT_IN:
        chosen = built_in(name)
    else:
        raise InputError(f"no profile '{name}'; profiles: {', '.join(BUILT_IN)}"
                         + (f", {active.name}" if active.name not in BUILT_IN else ""))
    _show(chosen)


def _show(profile: Profile) -> None:
    click.echo(f"{profile.name}: {profile.description}")
    click.echo(f"main reference: {profile.reference}\n")
    for spec in profile.categories:
        click.echo(f"{spec.name}  ({spec.handling.value})")
        if spec.description:
            click.echo(f"  {spec.description}")
        if spec.examples:
            click.echo(f"  examples: {' | '.join(spec.examples)}")
        if spec.keywords:
            click.echo(f"  keywords: {', '.join(spec.keywords)}")
        if spec.signals:
            click.echo("  signals: " + ", ".join(f"{s.value} ({w})" for s, w in
                                                 spec.signals.items()))
        if spec.next_step.get("en"):
            click.echo(f"  next step: I will {spec.next_step['en']}")
        if spec.asks:
            click.echo(f"  asks for: {', '.join(a.value for a in spec.asks)}")
