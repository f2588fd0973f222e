"""Drafts and the ratings support agents give them, in a local SQLite file.

Prompt owners read the ratings back with `calmreply feedback export` (JSONL or CSV) to
decide which templates to change. The file lives in the user's data directory
(platformdirs) unless `--db` or `CALMREPLY_FEEDBACK_DB` says otherwise. A connection is
opened per call, so the store is safe to use from any thread.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, Literal

from agent.errors import ConfigError, InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS drafts (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    source TEXT NOT NULL,
    model TEXT,
    tone TEXT,
    email TEXT NOT NULL,
    subject TEXT,
    draft TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    draft_id TEXT REFERENCES drafts(id),
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    text TEXT
);
"""

EXPORT_FIELDS = ["id", "created", "rating", "comment", "draft_id", "rated_text", "edited",
                 "original_draft", "email", "source", "model", "tone"]


def default_db_path() -> Path:
    env = os.environ.get("CALMREPLY_FEEDBACK_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("calmreply")) / "feedback.sqlite3"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class FeedbackStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_db_path()

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10)
            conn.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the feedback database {self.path}: {exc}; "
                              "pass --db PATH to use another file") from None
        conn.row_factory = sqlite3.Row
        return conn

    def add_draft(self, *, email: str, draft: str, subject: str | None, source: str,
                  model: str | None, tone: str | None) -> str:
        draft_id = uuid.uuid4().hex[:16]
        with closing(self._connect()) as conn, conn:
            conn.execute("INSERT INTO drafts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (draft_id, _now(), source, model, tone, email, subject, draft))
        return draft_id

    def add_feedback(self, *, rating: Literal["up", "down"], comment: str = "",
                     draft_id: str | None = None, text: str | None = None) -> int:
        if draft_id is None and not text:
            raise InputError("feedback needs a draft_id or the draft text it is about")
        with closing(self._connect()) as conn, conn:
            if draft_id is not None and conn.execute(
                    "SELECT 1 FROM drafts WHERE id = ?", (draft_id,)).fetchone() is None:
                raise InputError(f"no draft with id {draft_id!r}; draft again, or send the "
                                 "draft text instead of its id")
            cur = conn.execute(
                "INSERT INTO feedback (created, draft_id, rating, comment, text) "
                "VALUES (?, ?, ?, ?, ?)", (_now(), draft_id, rating, comment or "", text))
            return int(cur.lastrowid or 0)

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every rating, oldest first, joined with the draft it rates."""
        if not self.path.exists():
            return
        query = """
            SELECT f.id, f.created, f.rating, f.comment, f.draft_id,
                   COALESCE(f.text, d.draft) AS rated_text, d.draft AS original_draft,
                   d.email, d.source, d.model, d.tone
            FROM feedback f LEFT JOIN drafts d ON d.id = f.draft_id ORDER BY f.id"""
        with closing(self._connect()) as conn:
            try:
                rows = conn.execute(query).fetchall()
            except sqlite3.Error as exc:
                raise ConfigError(f"{self.path} is not a calmreply feedback database ({exc}); "
                                  "pass --db with the desk's file") from None
            for row in rows:
                item = dict(row)
                item["edited"] = bool(item["original_draft"] is not None
                                      and item["rated_text"] != item["original_draft"])
                yield {name: item.get(name) for name in EXPORT_FIELDS}


def export(store: FeedbackStore, fmt: Literal["jsonl", "csv"]) -> str:
    rows = list(store.rows())
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
