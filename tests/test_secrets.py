"""A canary API key must never appear in any output: drafts, errors, exceptions, batch
files, reports, or what the CLI prints, even when the model server echoes it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from agent.config import ModelSettings, Settings
from agent.errors import ModelError
from agent.inbound import parse_text
from agent.llm import ModelClient
from agent.models import ModelOutput
from agent.session import Session
from tests.cli_helpers import run_cli
from tests.conftest import ROOT, good_output
from tests.fakes.model_server import FakeModelServer

CANARY = "sk-canary-7f3a9c2e5b1d4e8f"
LATE = ROOT / "prompts/fixtures/late_delivery.txt"


def echoing_responder(_request: dict[str, Any]) -> str:
    """A compromised or buggy model that writes the key into everything it returns."""
    out = good_output(body=f"Hi Dana, your key is {CANARY}. Sorry about order #48213.")
    out["draft"]["internal_note"]["summary"] = f"key {CANARY}"
    out["analysis"]["goal"] = f"wants {CANARY}"
    return json.dumps(out)


@pytest.fixture(autouse=True)
def canary_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)


async def test_a_draft_that_echoes_the_key_is_flagged_and_redacted() -> None:
    with FakeModelServer(responder=echoing_responder) as srv:
        settings = Settings(model=ModelSettings(base_url=srv.base_url))
        async with Session(settings) as session:
            result = await session.draft(parse_text(LATE.read_text()))
        headers = {k.lower(): v for k, v in srv.request_headers[0].items()}
        assert headers["authorization"] == f"Bearer {CANARY}"  # the key really was in use
    assert result.flagged and any(f.check == "leak" for f in result.guard)
    assert CANARY not in result.draft.model_dump_json()
    assert CANARY not in json.dumps([f.model_dump() for f in result.guard])


@respx.mock
async def test_an_error_that_echoes_the_key_is_redacted() -> None:
    respx.post("http://model.test/v1/chat/completions").mock(return_value=httpx.Response(
        400, json={"error": {"message": f"bad request from key {CANARY}"}}))
    settings = Settings(model=ModelSettings(base_url="http://model.test/v1"))
    with pytest.raises(ModelError) as info:
        await ModelClient(settings).structured([{"role": "user", "content": "x"}],
                                               ModelOutput)
    assert CANARY not in str(info.value) and CANARY not in repr(info.value.args)
    assert "***" in info.value.message


def test_cli_and_batch_outputs_never_hold_the_key(tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": CANARY}
    queue, out = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    queue.write_text("\n".join(json.dumps({"id": str(i), "email": "My order #1234 is late."})
                               for i in range(5)) + "\n")
    with FakeModelServer(responder=echoing_responder, faults=["401", "ok"]) as srv:
        runs = [
            run_cli("draft", str(LATE), "--base-url", srv.base_url, cwd=tmp_path, env=env),
            run_cli("-vv", "draft", str(LATE), "--json", "--base-url", srv.base_url,
                    cwd=tmp_path, env=env),
            run_cli("-vv", "draft", "--batch", str(queue), "--out", str(out), "--base-url",
                    srv.base_url, cwd=tmp_path, env=env),
        ]
    assert runs[0].code == 5 and "rejected the API key" in runs[0].err
    assert json.loads(runs[1].out)["flagged"] is True
    assert "asking the model to revise" in runs[1].err  # the verbose log was on
    for run in runs:
        assert CANARY not in run.out + run.err
    assert out.read_text().count("\n") == 5 and CANARY not in out.read_text()


def echoing_model_and_judge(request: dict[str, Any]) -> str:
    """Drafts that echo the key, and a judge whose reasons echo it too."""
    fmt = request.get("response_format") or {}
    if fmt.get("json_schema", {}).get("name") == "JudgeVerdict":
        return json.dumps({"reason": f"fine, and the key is {CANARY}", "score": 0.9,
                           "pass": True, "evidence": []})
    return echoing_responder(request)


def test_eval_reports_never_hold_the_key(tmp_path: Path) -> None:
    suite = tmp_path / "mini.yaml"
    cases = [c for c in __import__("yaml").safe_load(
        (ROOT / "evals/suites/smoke.yaml").read_text())["cases"]][:2]
    suite.write_text(__import__("yaml").safe_dump({"name": "mini", "cases": cases}))
    with FakeModelServer(responder=echoing_model_and_judge) as srv:
        run = run_cli("-vv", "eval", str(suite), "--out", str(tmp_path / "out"), "--judge",
                      "--base-url", srv.base_url, cwd=tmp_path,
                      env={"OPENAI_API_KEY": CANARY, "OPENAI_BASE_URL": srv.base_url})
        judged = sum(1 for r in srv.requests
                     if (r.get("response_format") or {}).get("json_schema", {}).get("name")
                     == "JudgeVerdict")
    assert run.code in (0, 1), run.err
    assert judged > 0  # the judge really ran and really echoed the key
    reports = [p.read_text() for p in (tmp_path / "out").iterdir()]
    assert len(reports) == 3
    for text in [*reports, run.out, run.err]:
        assert CANARY not in text
