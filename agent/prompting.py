"""The Jinja environment for every template, and where the templates live.

Templates are trusted files written by prompt owners. Customer text is only ever passed
to them as a variable: it is never compiled as a template, so `{{ 7*7 }}` in an email
stays literal. The environment is sandboxed and undefined variables are errors.

A template that fails (a missing variable, a syntax error, a file that cannot be read)
is one `TemplateFailure` line naming the file where it happened, the innermost include
(`playbook/03_empathy.j2`, not the `system.j2` that includes it), and the line.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment

from agent.errors import TemplateFailure


def default_prompts_dir() -> Path:
    """`agent/prompts` in an installed wheel; the repository's `prompts/` otherwise."""
    here = Path(__file__).resolve().parent
    bundled = here / "prompts"
    return bundled if bundled.is_dir() else here.parent / "prompts"


@lru_cache(maxsize=8)
def make_env(prompts_dir: Path | None = None) -> ImmutableSandboxedEnvironment:
    root = prompts_dir or default_prompts_dir()
    return ImmutableSandboxedEnvironment(
        loader=_Loader(str(root)),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


class _Unreadable(TemplateError):
    def __init__(self, name: str, reason: BaseException) -> None:
        super().__init__(f"cannot be read as UTF-8 text ({reason})")
        self.name = name


class _Loader(FileSystemLoader):
    """Reads templates from the prompts folder; a file it cannot read is a template error
    naming that file, not an OSError from somewhere."""

    def get_source(self, environment: Environment,
                   template: str) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except TemplateNotFound:
            raise
        except (UnicodeDecodeError, OSError) as exc:
            raise _Unreadable(template, exc) from None


@contextmanager
def template_errors(prompts_dir: Path | None = None) -> Iterator[None]:
    """Turn any failure inside a template under `prompts_dir` into one TemplateFailure."""
    root = prompts_dir or default_prompts_dir()
    try:
        yield
    except TemplateNotFound as exc:
        raise TemplateFailure(f"template '{exc.name}' is missing from {root}; restore it "
                              "from the repository's prompts/ folder",
                              template=str(exc.name)) from None
    except Exception as exc:
        where = _location(exc, root)
        if where is None and not isinstance(exc, TemplateError):
            raise  # not a template's doing: a bug, shown as one
        name, line = where or (None, None)
        detail = exc.message if isinstance(exc, TemplateError) and exc.message \
            else f"{type(exc).__name__}: {exc}"
        at = f"template '{name}'" + (f" line {line}" if line else "") if name else "a template"
        raise TemplateFailure(f"{at} in {root}: {' '.join(detail.split())}",
                              template=name, line=line) from None


def _location(exc: BaseException, root: Path) -> tuple[str, int | None] | None:
    """The template (relative to `root`) and line where `exc` was raised: the innermost
    template frame of the traceback Jinja rewrites to point at template lines."""
    if isinstance(exc, TemplateSyntaxError | _Unreadable) and exc.name:
        return exc.name, getattr(exc, "lineno", None)
    base = root.resolve()
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        if path.suffix != ".j2":
            continue
        try:
            found = path.resolve().relative_to(base).as_posix(), frame.lineno
        except ValueError:
            continue
    return found
