"""Reading JSONL input: one JSON object per line, each validated by a pydantic model.

One reader for every JSONL file a user gives us (batch queues, `calmreply grade` input,
the gold set): blank lines are skipped, and the first bad line stops everything with one
InputError that names the source, the line number and what is wrong, before any work.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from agent.errors import InputError
from agent.files import read_text

M = TypeVar("M", bound=BaseModel)


def describe(exc: ValidationError) -> str:
    """A validation error as one short clause: "'email': Field required", or for our own
    checks "'reply' must be a non-empty string"."""
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"])
        if msg.startswith("Value error, "):
            parts.append(f"'{where}' {msg.removeprefix('Value error, ')}")
        else:
            parts.append(f"'{where}': {msg}" if where else msg)
    return "; ".join(parts)


def parse_jsonl(lines: Iterable[str], model: type[M], *, source: str,
                shape: str = "") -> list[tuple[int, M]]:
    """(line number, item) for every non-blank line. Errors read "<source> line N: ...";
    `shape` names the expected object, e.g. '{"id": ..., "email": ...}'."""
    items: list[tuple[int, M]] = []
    expected = f" ({shape})" if shape else ""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source} line {number}: not valid JSON ({exc.msg} at column "
                             f"{exc.colno}); each line must be one JSON object{expected}"
                             ) from None
        if not isinstance(data, dict):
            raise InputError(f"{source} line {number}: expected a JSON object{expected}")
        try:
            items.append((number, model.model_validate(data)))
        except ValidationError as exc:
            raise InputError(f"{source} line {number}: {describe(exc)}") from None
    return items


def read_jsonl(path: Path, model: type[M], *, shape: str = "") -> list[tuple[int, M]]:
    """`parse_jsonl` over a UTF-8 file."""
    return parse_jsonl(read_text(path, what="UTF-8 JSONL").splitlines(), model,
                       source=str(path), shape=shape)
