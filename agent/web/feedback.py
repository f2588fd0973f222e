"""Drafts and the ratings support agents give them, in a local SQLite file.

Prompt owners read the ratings back with `calmreply feedback export` (JSONL or CSV) to
decide which templates to change. The file lives in the user's data directory
(platformdirs) unless `--db` or `CALMREPLY_FEEDBACK_DB` says otherwise. A connection is
opened per call, so the store is safe to use from any thread.

The file carries our SQLite application id and a schema version (`PRAGMA user_version`):
a file that is not ours is refused and never written to, and `MIGRATIONS` brings an older
store up to date without losing a rating. Export writes nothing to a file it cannot
recognise as ours.
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

# "CRLY": PRAGMA application_id marks a file as ours, so a file that is not ours is never
# written to (it used to get our tables added to whatever it was).
APPLICATION_ID = 0x43524C59

# The schema's history: migration N (1-based) takes a store from version N-1 to N, and
# PRAGMA user_version records how far a file has come. Append, never edit: a later release
# changes the store by adding a step here, and every rating already stored is carried over.
# Each step runs in one transaction with the version bump; statements are split at ';'.
MIGRATIONS: tuple[str, ...] = (
    # 1: drafts and the ratings given to them (the tables of the first, unversioned store).
    """
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
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
# What a store made before versioning holds: adopted as version 1.
_UNVERSIONED = {"drafts", "feedback", "sqlite_sequence"}

# A spreadsheet runs a cell that starts with one of these as a formula
# (=HYPERLINK(...) in a customer's email would become a live link in the export).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

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
    """Opened per call (safe from any thread). The file is checked once, on first use: a
    file that is not a calmreply store is refused with one line and left untouched, and an
    older store is migrated forward."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_db_path()
        self._ready = False

    def _fail(self, why: str) -> ConfigError:
        return ConfigError(f"{self.path} is not a calmreply feedback database ({why}); "
                           "pass --db with the desk's file, or a new file name")

    def prepare(self, *, create: bool = True) -> bool:
        """Check that the file is ours and bring it up to date; with `create`, make it (or
        take an empty file) first. False when there is no store to read yet."""
        if self._ready:
            return True
        if not create and not self.path.exists():
            return False
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as conn:
                ours = self._check(conn)
                if not ours and not create:
                    # An empty file, or the first unversioned store: read it as it is,
                    # write nothing (the desk adopts it the next time it opens it).
                    return self._has_tables(conn)
                self._migrate(conn)
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise self._fail(str(exc)) from None
            raise ConfigError(f"cannot open the feedback database {self.path}: {exc}; "
                              "pass --db PATH to use another file") from None
        except OSError as exc:
            raise ConfigError(f"cannot open the feedback database {self.path}: "
                              f"{exc.strerror or exc}; pass --db PATH to use another "
                              "file") from None
        self._ready = True
        return True

    @staticmethod
    def _has_tables(conn: sqlite3.Connection) -> bool:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                            "name IN ('drafts', 'feedback')").fetchone()[0] == 2

    def _check(self, conn: sqlite3.Connection) -> bool:
        """True for our store; False for an empty file or the first, unversioned store;
        anything else is refused."""
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if app_id == APPLICATION_ID:
            if version > SCHEMA_VERSION:
                raise ConfigError(f"{self.path} was written by a newer calmreply (feedback "
                                  f"schema {version}; this one knows up to {SCHEMA_VERSION}); "
                                  "upgrade calmreply to read it")
            return True
        if app_id != 0:
            raise self._fail(f"another program's file: application id {app_id:#x}")
        if tables and not (tables <= _UNVERSIONED and {"drafts", "feedback"} <= tables):
            raise self._fail("it holds tables " + ", ".join(sorted(tables)))
        return False

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see it
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if conn.execute("PRAGMA application_id").fetchone()[0] == 0:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                version = 0  # an empty file, or the first, unversioned store: step 1 is
                # CREATE TABLE IF NOT EXISTS, so its tables and ratings stay as they are
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {step + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("PRAGMA journal_mode = WAL")  # readers and the writer do not block

    def _connect(self) -> sqlite3.Connection:
        self.prepare()
        return self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=10)
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable across app crashes
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
        if not self.prepare(create=False):
            return
        query = """
            SELECT f.id, f.created, f.rating, f.comment, f.draft_id,
                   COALESCE(f.text, d.draft) AS rated_text, d.draft AS original_draft,
                   d.email, d.source, d.model, d.tone
            FROM feedback f LEFT JOIN drafts d ON d.id = f.draft_id ORDER BY f.id"""
        with closing(self._open()) as conn:
            rows = conn.execute(query).fetchall()
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
    # RFC 4180 line ends: the csv module quotes a field holding any line-terminator
    # character, so with "\r\n" a lone CR inside a comment is quoted too, not a row break.
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe, which
    spreadsheet tools show as text (the usual defence against CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
