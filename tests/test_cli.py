"""The CLI through its real entry point: output, exit codes, and one-line errors."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from agent.models import DraftResult
from tests.cli_helpers import run_cli
from tests.conftest import ROOT, good_output
from tests.fakes.model_server import FakeModelServer

LATE = ROOT / "prompts/fixtures/late_delivery.txt"


def assert_one_line_error(err: str, needle: str) -> None:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err


def test_help_lists_every_command(tmp_path: Path) -> None:
    run = run_cli("--help", cwd=tmp_path)
    assert run.code == 0
    for name in ("draft", "prompts", "eval", "grade", "serve", "feedback"):
        assert name in run.out


def test_draft_offline_prints_draft_analysis_and_note(tmp_path: Path) -> None:
    run = run_cli("draft", str(LATE), cwd=tmp_path)
    assert run.code in (0, 6), run.err
    assert "offline" in run.out and "48213" in run.out
    assert "Situation" in run.out and "Internal note" in run.out


def test_draft_reads_stdin(tmp_path: Path) -> None:
    run = run_cli("draft", "-", "--json", cwd=tmp_path, stdin=LATE.read_bytes())
    assert run.code in (0, 6), run.err
    assert DraftResult.model_validate_json(run.out).source == "offline"


def test_draft_json_with_a_model_server(tmp_path: Path) -> None:
    with FakeModelServer(responder=lambda _req: json.dumps(good_output())) as srv:
        run = run_cli("draft", str(LATE), "--json", "--base-url", srv.base_url,
                      "--model", "test-model", cwd=tmp_path)
        sent = srv.requests[0]
    assert run.code == 0, run.err
    result = DraftResult.model_validate_json(run.out)
    assert result.source == "model" and result.model == "test-model"
    assert result.analysis.order_ids == ["48213"] and not result.flagged
    assert result.usage is not None and result.usage.prompt_tokens > 0
    assert sent["model"] == "test-model"
    assert sent["response_format"]["type"] == "json_schema"


def test_flagged_draft_exits_6_and_shows_findings(tmp_path: Path) -> None:
    rude = json.dumps(good_output(body="Hi Dana, WE ALREADY TOLD YOU, read the damn page."))
    with FakeModelServer(responder=lambda _req: rude) as srv:
        run = run_cli("draft", str(LATE), "--base-url", srv.base_url, cwd=tmp_path)
    assert run.code == 6, run.err
    assert "Guard findings" in run.out and "profanity" in run.out


@pytest.mark.parametrize("content, needle", [
    (b"", "the email is empty"),
    (b"   \n\n  ", "the email is empty"),
    (bytes(range(256)) * 40, "looks binary"),
])
def test_bad_input_is_one_line_exit_3(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "email.txt"
    path.write_bytes(content)
    run = run_cli("draft", str(path), cwd=tmp_path)
    assert run.code == 3
    assert_one_line_error(run.err, needle)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert_one_line_error(run_cli("draft", "nope.txt", cwd=tmp_path).err, "no such file")
    run = run_cli("draft", str(tmp_path), cwd=tmp_path)
    assert run.code == 3
    assert_one_line_error(run.err, "is a directory")


def test_oversized_input_is_refused(tmp_path: Path) -> None:
    (tmp_path / "calmreply.toml").write_text("max_input_bytes = 1000\n")
    path = tmp_path / "big.txt"
    path.write_text("My order is late. " * 200)
    run = run_cli("draft", str(path), cwd=tmp_path)
    assert run.code == 3
    assert_one_line_error(run.err, "over the 1,000-byte limit")


def test_bad_config_is_exit_4(tmp_path: Path) -> None:
    (tmp_path / "calmreply.toml").write_text("[policy]\nmax_credit = 'lots'\n")
    run = run_cli("draft", str(LATE), cwd=tmp_path)
    assert run.code == 4
    assert_one_line_error(run.err, "policy.max_credit")
    (tmp_path / "calmreply.toml").write_text("tone = [\n")
    assert_one_line_error(run_cli("draft", str(LATE), cwd=tmp_path).err, "not valid TOML")


def test_config_changes_the_policy_and_signature(tmp_path: Path) -> None:
    (tmp_path / "calmreply.toml").write_text(
        '[company]\nname = "Bramble Tea"\nsignature = "Priya, Bramble Tea support"\n')
    run = run_cli("draft", str(LATE), "--json", cwd=tmp_path)
    assert "Priya, Bramble Tea support" in DraftResult.model_validate_json(run.out).draft.body


def test_wrong_api_key_is_one_line_exit_5(tmp_path: Path) -> None:
    with FakeModelServer(faults=["401"]) as srv:
        run = run_cli("draft", str(LATE), "--base-url", srv.base_url, cwd=tmp_path,
                      env={"OPENAI_API_KEY": "sk-canary-should-not-print"})
    assert run.code == 5
    assert_one_line_error(run.err, "rejected the API key")
    assert "sk-canary" not in run.out + run.err


def test_unknown_model_is_one_line_exit_5(tmp_path: Path) -> None:
    with FakeModelServer(faults=["404"]) as srv:
        run = run_cli("draft", str(LATE), "--base-url", srv.base_url, "--model", "gpt-9",
                      cwd=tmp_path)
    assert run.code == 5
    assert_one_line_error(run.err, "model 'gpt-9' was not found")


def test_unreachable_server_is_one_line_exit_5(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (tmp_path / "calmreply.toml").write_text("[model]\nmax_retries = 1\n")
    run = run_cli("draft", str(LATE), "--base-url", f"http://127.0.0.1:{port}/v1",
                  cwd=tmp_path)
    assert run.code == 5
    assert_one_line_error(run.err, "cannot reach a model server")


def test_fallback_offline_after_model_failure(tmp_path: Path) -> None:
    with FakeModelServer(faults=["401"]) as srv:
        run = run_cli("draft", str(LATE), "--json", "--fallback-offline",
                      "--base-url", srv.base_url, cwd=tmp_path)
    result = DraftResult.model_validate_json(run.out)
    assert result.source == "offline" and "rejected the API key" in (result.notice or "")


def test_prompts_render_keeps_template_syntax_literal(tmp_path: Path) -> None:
    run = run_cli("prompts", "render", str(ROOT / "prompts/fixtures/injection.txt"), "--json",
                  cwd=tmp_path)
    assert run.code == 0, run.err
    messages = json.loads(run.out)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "{{ 7*7 }}" in messages[1]["content"] and "49" not in messages[1]["content"]


def test_prompts_check_passes_and_catches_a_missing_partial(tmp_path: Path) -> None:
    assert run_cli("prompts", "check", cwd=tmp_path).code == 0
    broken = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", broken)
    (broken / "playbook" / "08_boundaries.j2").unlink()
    run = run_cli("prompts", "check", "--prompts", str(broken), cwd=tmp_path)
    assert run.code == 4
    assert "08_boundaries.j2: missing playbook partial" in run.err


def test_prompts_check_catches_an_undefined_variable(tmp_path: Path) -> None:
    broken = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", broken)
    (broken / "tone" / "warm.j2").write_text("Warm, like {{ weather }}.")
    run = run_cli("prompts", "check", "--prompts", str(broken), cwd=tmp_path)
    assert run.code == 4 and "'weather' is undefined" in run.err


@pytest.mark.parametrize("args, code, needle", [
    (["draft", str(LATE), "--base-url", "http://[::1"], 4, "is not valid"),
    (["draft", str(LATE), "--base-url", "ftp://models"], 4, "must start with http://"),
    (["draft", "--batch", str(LATE), "--out", "/dev/full"], 3, "line 1: not valid JSON"),
    (["eval", "calibrate", "--gold", str(LATE)], 3, "line 1"),
    (["grade", "-"], 3, "not UTF-8"),
])
def test_odd_inputs_get_one_line_errors(tmp_path: Path, args: list[str], code: int,
                                        needle: str) -> None:
    run = run_cli(*args, cwd=tmp_path, stdin=b"\xff\xfe{}\n")
    assert run.code == code, run.err
    assert_one_line_error(run.err, needle)


def test_batch_out_must_be_a_regular_file(tmp_path: Path) -> None:
    queue = tmp_path / "q.jsonl"
    queue.write_text('{"id": "a", "email": "late"}\n')
    run = run_cli("draft", "--batch", str(queue), "--out", "/dev/full", cwd=tmp_path)
    assert run.code == 3
    assert_one_line_error(run.err, "not a regular file")
    (tmp_path / "taken").write_text("")
    run = run_cli("draft", "--batch", str(queue), "--out", str(tmp_path / "taken" / "o.jsonl"),
                  cwd=tmp_path)
    assert run.code == 3
    assert_one_line_error(run.err, "cannot write")


def test_serve_without_the_web_extra_is_one_line_exit_4(tmp_path: Path) -> None:
    """It exited 1, a code the README's table does not have."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['uvicorn'] = None  # as if the web extra were missing\n"
            "from agent.cli import main; main(['serve'])")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 4, done.stderr
    assert_one_line_error(done.stderr, "the desk needs the web extra, which is not installed "
                                       "(no module 'uvicorn'); run: pip install 'calmreply[web]'")
    table = (ROOT / "README.md").read_text()
    assert "| 4 | the config file, a template or the installation is wrong" in table
    assert "`serve` without the web extra" in table
