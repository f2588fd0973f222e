"""The per-language YAML tables: one reader, one alternation builder."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from agent.language_tables import longest_first, read_table


class _Table(BaseModel):
    language: str
    words: list[str] = []


def test_a_table_is_read_and_validated(tmp_path: Path) -> None:
    (tmp_path / "es.yaml").write_text("language: es\nwords: [hola]\n", encoding="utf-8")
    assert read_table(tmp_path, "es", _Table).words == ["hola"]


def test_a_misnamed_table_is_refused(tmp_path: Path) -> None:
    (tmp_path / "es.yaml").write_text("language: en\nwords: [hello]\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"es\.yaml says it is 'en'"):
        read_table(tmp_path, "es", _Table)


def test_longest_first_puts_longer_fragments_first_and_orders_ties() -> None:
    assert longest_first(["money", "money back", "cash", "bank", "cash"]) == \
        "money back|money|bank|cash"
