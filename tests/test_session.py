"""One Session owns the model client for a whole run: draft, batch, eval (drafts and the
judge) and the desk share one client, and it is closed however the run ends.

The shared client shows from outside: a server that refuses `response_format: json_schema`
is refused once per client, because the client remembers the mode it stepped down to.
A client per draft (or one for the drafts and another for the judge) is refused again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.config import ModelSettings, Settings
from agent.inbound import parse_text
from agent.session import Session
from tests.cli_helpers import run_cli
from tests.conftest import ROOT
from tests.fakes.model_server import FakeModelServer
from tests.fakes.responders import messages_text, polite_responder
from tests.web_live import live_desk

LATE = ROOT / "examples" / "late-delivery.txt"
SUITE = """
name: two
cases:
  - id: late
    email: |
      Subject: late desk
      My desk, order #48213, was due ten days ago. I'm fed up. Dana
    labels: {category: delivery, fault: ours, abusive: false, language: en,
             order_ids: ["48213"]}
  - id: charged
    email: |
      You charged me twice for order #7001. Fix it. Lee
    labels: {category: billing, fault: ours, abusive: false, language: en,
             order_ids: ["7001"]}
"""


def refuse_json_schema(request: dict[str, Any]) -> str | None:
    fmt = request.get("response_format") or {}
    return "no_json_schema" if fmt.get("type") == "json_schema" else None


def drafts_and_verdicts(request: dict[str, Any]) -> str:
    if "REPLY TO GRADE" in messages_text(request, "user"):
        return json.dumps({"reason": "ties the feeling to the delay", "score": 0.8,
                           "pass": True, "evidence": []})
    return polite_responder(request)


async def test_the_session_closes_its_client_even_when_the_run_fails() -> None:
    settings = Settings(model=ModelSettings(base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(RuntimeError, match="boom"):
        async with Session(settings) as session:
            assert session.client is not None
            sdk = session.client.sdk
            assert not sdk.is_closed()
            raise RuntimeError("boom")
    assert sdk.is_closed()


async def test_with_no_model_there_is_no_client_and_drafts_are_offline() -> None:
    async with Session(Settings()) as session:
        assert session.client is None
        result = await session.draft(parse_text(LATE.read_text()))
    assert result.source == "offline" and result.model is None


async def test_drafts_in_one_session_share_the_client_and_its_mode() -> None:
    with FakeModelServer(faults=refuse_json_schema) as srv:
        async with Session(Settings(model=ModelSettings(base_url=srv.base_url))) as session:
            for _ in range(3):
                result = await session.draft(parse_text(LATE.read_text()))
                assert result.source == "model"
        assert srv.stats.by_kind["no_json_schema"] == 1
        assert srv.stats.connections == 1  # one pool, kept alive across drafts


def test_the_desk_uses_one_client_for_every_request(tmp_path: Path) -> None:
    with FakeModelServer(faults=refuse_json_schema) as srv:
        settings = Settings(model=ModelSettings(base_url=srv.base_url))
        with live_desk(settings, tmp_path / "feedback.sqlite3") as desk:
            for _ in range(3):
                reply = httpx.post(f"{desk}/api/draft", json={"email": LATE.read_text()},
                                   timeout=30)
                assert reply.status_code == 200, reply.text
                assert reply.json()["source"] == "model"
        assert srv.stats.chat == 4  # one refusal, then three drafts
        assert srv.stats.by_kind["no_json_schema"] == 1


def test_eval_drafts_and_judge_share_one_client(tmp_path: Path) -> None:
    suite = tmp_path / "two.yaml"
    suite.write_text(SUITE)
    with FakeModelServer(responder=drafts_and_verdicts, faults=refuse_json_schema) as srv:
        run = run_cli("eval", str(suite), "--base-url", srv.base_url, "--judge",
                      "--rubric", "empathy", "--concurrency", "1", "--out", "out",
                      cwd=tmp_path)
        assert run.code in (0, 1), run.err
        bodies = srv.requests
    judged = [b for b in bodies if "REPLY TO GRADE" in messages_text(b, "user")]
    assert len(judged) == 2, "the judge scored both drafts"
    # The judge's calls came after the drafts stepped down, through the same client.
    assert srv.stats.by_kind["no_json_schema"] == 1
    assert all("response_format" not in b or b["response_format"]["type"] != "json_schema"
               for b in judged)
