"""`calmreply -v`: what the model client did, on stderr; quiet without it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from agent.cli import configure_logging
from tests.cli_helpers import run_cli
from tests.conftest import ROOT, good_output
from tests.fakes.model_server import FakeModelServer

LATE = ROOT / "prompts/fixtures/late_delivery.txt"
# A refused response_format, a rate limit, an answer missing its draft, then a draft the
# guard rejects (an insult), then a good one.
FAULTS = ["no_json_schema", "429", "schema_violation", "ok", "ok"]


def answer(request: dict[str, Any]) -> str:
    """An insulting draft, until the guard's findings come back; then a good one."""
    last = request["messages"][-1]["content"]
    if "cannot be sent as it is" in last:
        return json.dumps(good_output())
    return json.dumps(good_output(body="Hi Dana, only an idiot would miss the tracking link."))


def draft(tmp_path: Path, *flags: str) -> tuple[int, str, int]:
    with FakeModelServer(responder=answer, faults=list(FAULTS)) as srv:
        run = run_cli(*flags, "draft", str(LATE), "--base-url", srv.base_url, cwd=tmp_path)
        chat = srv.stats.chat
    return run.code, run.err, chat


def test_verbose_logs_retries_step_downs_reasks_and_revisions(tmp_path: Path) -> None:
    code, err, chat = draft(tmp_path, "-v")
    assert code == 0, err
    assert chat == 5
    lines = err.splitlines()

    def one(needle: str) -> str:
        found = [line for line in lines if needle in line]
        assert len(found) == 1, (needle, err)
        return found[0]

    assert "stepping down to json_object_schema" in one("refused response_format mode json_schema")
    assert "(429)" in one("retry 1 of 4")
    assert "draft: Field required" in one("re-asking")
    assert "insult" in one("asking the model to revise (1 of 1)")
    assert not any("asking gpt-4o-mini at" in line for line in lines)  # that is -vv


def test_very_verbose_adds_every_request(tmp_path: Path) -> None:
    code, err, chat = draft(tmp_path, "-vv")
    assert code == 0, err
    assert sum("asking gpt-4o-mini at" in line for line in err.splitlines()) == chat


def test_quiet_without_verbose(tmp_path: Path) -> None:
    code, err, _ = draft(tmp_path)
    assert code == 0 and err.strip() == "", err


def test_log_lines_never_carry_the_api_key(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    canary = "sk-canary-in-a-log-line-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    logger = logging.getLogger("calmreply")
    before = (logger.level, list(logger.handlers))
    try:
        configure_logging(1)
        logging.getLogger("calmreply.test").info("the server said %s", f"bad key {canary}")
    finally:
        logger.setLevel(before[0])
        logger.handlers[:] = before[1]
    err = capsys.readouterr().err
    assert "the server said bad key ***" in err and canary not in err
