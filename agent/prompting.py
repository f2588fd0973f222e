"""The Jinja environment for every template, and where the templates live.

Templates are trusted files written by prompt owners. Customer text is only ever passed
to them as a variable: it is never compiled as a template, so `{{ 7*7 }}` in an email
stays literal. The environment is sandboxed and undefined variables are errors.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment


def default_prompts_dir() -> Path:
    """`agent/prompts` in an installed wheel; the repository's `prompts/` otherwise."""
    here = Path(__file__).resolve().parent
    bundled = here / "prompts"
    return bundled if bundled.is_dir() else here.parent / "prompts"


@lru_cache(maxsize=8)
def make_env(prompts_dir: Path | None = None) -> ImmutableSandboxedEnvironment:
    root = prompts_dir or default_prompts_dir()
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(root)),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
