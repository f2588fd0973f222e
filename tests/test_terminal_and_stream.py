"""Untrusted text on the way out: no raw control characters in the terminal, and no part
of a secret in a streamed draft, however the stream is cut."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.config import ModelSettings, Settings
from tests.cli_helpers import run_cli
from tests.conftest import ROOT, good_output
from tests.fakes.model_server import FakeModelServer
from tests.web_live import live_desk

LATE = ROOT / "prompts/fixtures/late_delivery.txt"
CANARY = "sk-canary-7f3a9c2e5b1d4e8f"
ESCAPES = ("\x1b]8;;https://evil.example/\x1b\\click here\x1b]8;;\x1b\\ "
           "\x1b]52;c;cm0gLXJmIH4=\x07 \x1b[8mhidden text\x1b[0m \rOverwritten line \u202egnp.exe")


def escaping_responder(_request: dict[str, Any]) -> str:
    out = good_output(body=f"Hi Dana, sorry about order #48213. {ESCAPES}")
    out["analysis"]["goal"] = f"wants {ESCAPES}"
    out["draft"]["internal_note"]["summary"] = f"note {ESCAPES}"
    return json.dumps(out)


def test_the_terminal_never_receives_raw_control_characters(tmp_path: Path) -> None:
    with FakeModelServer(responder=escaping_responder) as srv:
        run = run_cli("draft", str(LATE), "--base-url", srv.base_url, cwd=tmp_path,
                      env={"OPENAI_API_KEY": "sk-test"})
    assert run.code == 6, run.err  # printed, and flagged for the control characters
    shown = run.out + run.err
    for raw in ("\x1b", "\x07", "\r", "\u202e"):
        assert raw not in shown, repr(raw)
    assert "␛]8;;https://evil.example/" in shown  # shown as visible text instead
    assert "control_characters" in shown


def key_writing_responder(_request: dict[str, Any]) -> str:
    return json.dumps(good_output(body=f"Hi Dana, here is something: {CANARY} and then "
                                       f"the rest of a reply about order #48213."))


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 11])
def test_a_stream_never_shows_any_start_of_the_key(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path, chunk: int) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    with FakeModelServer(responder=key_writing_responder, api_key=CANARY,
                         chunk_chars=chunk, chunk_delay=0.002) as srv:
        settings = Settings(model=ModelSettings(base_url=srv.base_url, name="fake-model",
                                                max_revisions=0, max_retries=0))
        with live_desk(settings, tmp_path / "fb.sqlite3") as desk, httpx.stream(
                "POST", f"{desk}/api/draft/stream",
                json={"email": "Where is order #48213?"}, timeout=30) as response:
            raw = response.read().decode()
    events = [json.loads(line) for line in raw.splitlines() if line.strip()]
    texts = [e["text"] for e in events if e["type"] == "text"]
    assert len(texts) >= 3 and "here is something" in texts[-1]
    for text in texts:
        for n in range(4, len(CANARY) + 1):
            assert CANARY[:n] not in text, (n, text)
    assert CANARY[:4] not in raw


def test_redaction_hides_any_start_of_a_secret_but_not_ordinary_words() -> None:
    from agent.errors import held_back, redact

    secrets = (CANARY,)
    assert redact(f"key {CANARY} end", secrets) == "key *** end"
    assert redact("cut off at sk-can", secrets) == "cut off at ***"
    assert redact("a task-canary list, sk- alone", secrets) == "a task-canary list, sk- alone"
    assert held_back("the key is sk-", secrets) == 3  # could still become the key
    assert held_back("the key is sk-x", secrets) == 0
