"""Per-language YAML tables: the checks' word lists (`agent/checks/words/`) and the
analyzer's rules (`agent/offline/lexicon/`) are written for the same languages, one
`<code>.yaml` per language, read and assembled into patterns the same way."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel

LANGUAGES = ("en", "es", "de", "fr", "nl", "pt", "it")

T = TypeVar("T", bound=BaseModel)


def read_table(directory: Path, code: str, model: type[T]) -> T:
    """`<code>.yaml` in `directory`, validated by `model`. Each file names its own language
    (a `language` field), so a misnamed copy is caught."""
    path = directory / f"{code}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    said = data.get("language") if isinstance(data, dict) else None
    if said != code:
        raise ValueError(f"{path.parent.name}/{path.name} says it is '{said}'")
    return model.model_validate(data)


def longest_first(fragments: Iterable[str]) -> str:
    """The fragments as one alternation, longest first so "money back" wins over "money"
    (ties in alphabetical order, so the pattern is the same on every run)."""
    return "|".join(sorted(set(fragments), key=lambda f: (-len(f), f)))
