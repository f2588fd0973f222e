"""Batch drafting: nothing lost under faults, exactly-once output, resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from agent.batch import BatchItem, done_ids, make_drafter, read_items, run_batch
from agent.config import ModelSettings, Settings
from agent.errors import InputError
from agent.session import Session
from tests.cli_helpers import CALMREPLY, run_cli
from tests.fakes.model_server import FakeModelServer

EMAILS = [
    "My order #{n} is two weeks late and nobody answers. Where is it?",
    "You charged me twice for order {n}. Fix it now.",
    "The kettle from order #{n} arrived with a cracked lid. I want a replacement.",
    "I have been locked out of my account for 3 days, ticket {n}. This is ridiculous.",
]


def write_queue(path: Path, count: int, *, extra: list[dict[str, str]] | None = None) -> None:
    lines = [json.dumps({"id": f"e{i:04d}", "email": EMAILS[i % len(EMAILS)].format(n=40000 + i)})
             for i in range(count)]
    lines += [json.dumps(x) for x in extra or []]
    path.write_text("\n".join(lines) + "\n")


def read_out(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_bad_lines_are_refused_before_anything_runs(tmp_path: Path) -> None:
    queue = tmp_path / "q.jsonl"
    queue.write_text('{"id": "a", "email": "late"}\n{"id": "a", "email": "again"}\n')
    with pytest.raises(InputError, match=r"q\.jsonl line 2: duplicate id 'a'"):
        read_items(queue)
    queue.write_text('{"id": "a", "email": "late"}\nnot json\n')
    with pytest.raises(InputError, match=r"q\.jsonl line 2: not valid JSON"):
        read_items(queue)
    queue.write_text('{"id": "a"}\n')
    with pytest.raises(InputError, match="'email': Field required"):
        read_items(queue)


def test_torn_last_line_is_repaired_and_redone(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "a", "status": "drafted"}\n{"id": "b", "status": "fai')
    assert done_ids(out, retry_failed=False) == {"a"}
    assert out.read_text() == '{"id": "a", "status": "drafted"}\n'


def test_retry_failed_drops_failed_lines(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "a", "status": "drafted"}\n{"id": "b", "status": "failed"}\n')
    assert done_ids(out, retry_failed=True) == {"a"}
    assert "b" not in out.read_text()


def test_offline_batch_writes_failures_with_reasons(tmp_path: Path) -> None:
    queue, out = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    write_queue(queue, 6, extra=[{"id": "empty", "email": "   "}])
    run = run_cli("draft", "--batch", str(queue), "--out", str(out), cwd=tmp_path)
    assert run.code == 5, run.err
    assert "drafted 6, failed 1" in run.err
    records = {r["id"]: r for r in read_out(out)}
    assert len(records) == 7
    assert records["empty"]["status"] == "failed" and "empty" in str(records["empty"]["error"])
    assert records["e0001"]["result"]["source"] == "offline"  # type: ignore[index]
    again = run_cli("draft", "--batch", str(queue), "--out", str(out), cwd=tmp_path)
    assert "skipped 7" in again.err and len(read_out(out)) == 7


async def test_thousand_emails_at_twenty_percent_faults_lose_nothing(tmp_path: Path) -> None:
    queue, out = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    write_queue(queue, 1000)
    faults = {"429": 0.04, "500": 0.03, "503": 0.03, "reset": 0.02, "drop": 0.02,
              "malformed": 0.02, "truncated": 0.01, "schema_violation": 0.02, "slow": 0.01}
    with FakeModelServer(faults=faults, seed=7, slow_seconds=2.0) as srv:
        settings = Settings(model=ModelSettings(base_url=srv.base_url, timeout=0.5,
                                                max_retries=4))
        async with Session(settings) as session:
            assert session.client is not None
            session.client._backoff = 0.01
            draft = make_drafter(session)
            summary = await run_batch(read_items(queue), out, draft, concurrency=20)
        stats = srv.stats
    records = read_out(out)
    ids = Counter(r["id"] for r in records)
    assert len(ids) == 1000 and max(ids.values()) == 1
    assert summary.drafted + summary.failed == 1000
    assert all(r["status"] == "drafted" or r["error"] for r in records)
    assert stats.faults >= 150, stats.by_kind
    failures = [r["error"] for r in records if r["status"] == "failed"]
    print(f"\nfailed for good: {failures}")
    print(f"\n1000 emails: {stats.chat} requests, {stats.faults} faults "
          f"({dict(stats.by_kind)}), drafted {summary.drafted}, failed {summary.failed}")


def test_kill_9_then_resume_gives_the_same_final_set(tmp_path: Path) -> None:
    queue, out = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    write_queue(queue, 120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CALMREPLY_"))}
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    with FakeModelServer(latency=0.05) as srv:
        args = [CALMREPLY, "draft", "--batch", str(queue), "--out", str(out),
                "--concurrency", "4", "--base-url", srv.base_url]
        proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
                not out.exists() or out.read_text().count("\n") < 30):
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        before = out.read_text().count("\n")
        assert 30 <= before < 120
        resumed = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True,
                                 timeout=120, check=False)
    assert resumed.returncode == 0, resumed.stderr
    ids = Counter(r["id"] for r in read_out(out))
    assert set(ids) == {f"e{i:04d}" for i in range(120)} and max(ids.values()) == 1
    assert f"skipped {before} already" in resumed.stderr


def test_items_accept_integer_ids(tmp_path: Path) -> None:
    queue = tmp_path / "q.jsonl"
    queue.write_text('{"id": 7, "email": "late"}\n')
    assert read_items(queue) == [BatchItem(id="7", email="late")]

