"""Batch drafting: nothing lost under faults, exactly-once output, resume after kill -9,
one run per output file, full disks and replaced files stop a run in one line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import agent.batch
import agent.files
from agent.batch import BatchItem, done_ids, make_drafter, read_items, run_batch
from agent.batch_lock import Holder, OutputLock, lock_path, read_holder
from agent.config import ModelSettings, Settings
from agent.errors import BusyError, InputError
from agent.models import DraftResult
from agent.session import Session
from tests.cli_helpers import CALMREPLY, run_cli
from tests.conftest import ROOT
from tests.fakes.broken_fs import FullDisk, ReadOnly
from tests.fakes.model_server import FakeModelServer
from tests.fakes.responders import polite_responder

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



# --- one run per output file --------------------------------------------------------------

def batch_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CALMREPLY_"))}
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    return env


def start_batch(tmp_path: Path, queue: Path, out: Path, base_url: str,
                *extra: str) -> subprocess.Popen[str]:
    args = [CALMREPLY, "draft", "--batch", str(queue), "--out", str(out),
            "--base-url", base_url, *extra]
    return subprocess.Popen(args, cwd=tmp_path, env=batch_env(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_lines(out: Path, count: int, proc: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines = out.read_bytes().count(b"\n") if out.exists() else 0
        if lines >= count:
            return lines
        assert proc.poll() is None, f"the run ended early: {proc.stderr.read()}"  # type: ignore[union-attr]
        time.sleep(0.02)
    raise AssertionError(f"{out} never reached {count} lines")


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("second", [[], ["--retry-failed"]], ids=["same-command", "retry-failed"])
def test_a_second_run_on_the_same_output_is_refused_naming_the_first(
        tmp_path: Path, second: list[str]) -> None:
    """Two runs used to write every id twice; a --retry-failed used to replace the file
    under the first run, which kept appending to the deleted copy."""
    queue, out = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    write_queue(queue, 80)
    release = threading.Event()  # the first run stays mid-queue until the second is done
    answered = 0

    def held(request: dict[str, Any]) -> str:
        nonlocal answered
        answered += 1
        if answered > 5:
            release.wait(60)
        return polite_responder(request)

    with FakeModelServer(responder=held) as srv:
        first = start_batch(tmp_path, queue, out, srv.base_url, "--concurrency", "2")
        wait_for_lines(out, 3, first)
        holder = read_holder(lock_path(out))
        assert holder is not None and holder.pid == first.pid
        refused = run_cli("draft", "--batch", str(queue), "--out", str(out), "--base-url",
                          srv.base_url, *second, cwd=tmp_path)
        assert first.poll() is None, "the first run should still be going"
        release.set()
        _, err = first.communicate(timeout=120)
    assert refused.code == 8, refused.err
    line = one_line(refused.err)
    assert line.startswith(f"error: {out} is in use by another calmreply run (pid "
                           f"{first.pid} on {socket.gethostname()}, started {holder.started})")
    assert first.returncode == 0, err
    records = read_out(out)
    assert Counter(r["id"] for r in records) == Counter({f"e{i:04d}": 1 for i in range(80)})
    assert "drafted 80, failed 0, skipped 0" in err
    assert not lock_path(out).exists(), "a clean exit removes the lock file"


def test_the_lock_names_its_holder_and_a_crashed_holder_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with OutputLock(out) as held:
        assert read_holder(lock_path(out)) == held.me == Holder(
            os.getpid(), socket.gethostname(), held.me.started)
        with pytest.raises(BusyError, match=rf"in use by another calmreply run \(pid "
                                            rf"{os.getpid()} on "):
            OutputLock(out).acquire()  # another open file: flock refuses it, same process too
    assert not lock_path(out).exists()
    # A lock file that names a run but is not locked: that run died (kill -9, power cut).
    dead = Holder(pid=999_999, host=socket.gethostname(), started="2026-01-01T00:00:00Z")
    lock_path(out).write_text(json.dumps(dead.__dict__) + "\n")
    with OutputLock(out) as taken:
        assert taken.taken_over == dead
        assert read_holder(lock_path(out)) == taken.me


def test_kill_9_leaves_a_lock_the_next_run_takes_over(tmp_path: Path) -> None:
    queue, out = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    write_queue(queue, 60)
    with FakeModelServer(latency=0.05) as srv:
        proc = start_batch(tmp_path, queue, out, srv.base_url, "--concurrency", "2")
        wait_for_lines(out, 5, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert read_holder(lock_path(out)).pid == proc.pid  # type: ignore[union-attr]
        resumed = run_cli("draft", "--batch", str(queue), "--out", str(out), "--base-url",
                          srv.base_url, cwd=tmp_path)
    assert resumed.code == 0, resumed.err
    assert f"taking over {out}.lock from a run that stopped without releasing it (pid " \
           f"{proc.pid} on " in resumed.err
    assert Counter(r["id"] for r in read_out(out)) == Counter({f"e{i:04d}": 1 for i in range(60)})
    assert not lock_path(out).exists()


def test_sigterm_stops_in_one_line_keeps_every_result_and_releases_the_lock(
        tmp_path: Path) -> None:
    queue, out = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    write_queue(queue, 60)
    with FakeModelServer(latency=0.05) as srv:
        proc = start_batch(tmp_path, queue, out, srv.base_url, "--concurrency", "2")
        wait_for_lines(out, 5, proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 143, err
        line = one_line(err)
        kept = read_out(out)  # every line whole: read_out would fail on a torn one
        assert line == (f"error: stopped by SIGTERM: the {len(kept)} results of this run are "
                        f"kept in {out}; re-run the same command to resume")
        assert not lock_path(out).exists()
        resumed = run_cli("draft", "--batch", str(queue), "--out", str(out), "--base-url",
                          srv.base_url, cwd=tmp_path)
    assert resumed.code == 0 and f"skipped {len(kept)} already" in resumed.err
    assert Counter(r["id"] for r in read_out(out)) == Counter({f"e{i:04d}": 1 for i in range(60)})


# --- replaced files, full disks, read-only file systems ------------------------------------

def offline_drafter(on_call: Any = None) -> Any:
    draft = make_drafter(Session(Settings(offline=True)))
    calls = 0

    async def wrapped(item: BatchItem) -> DraftResult:
        nonlocal calls
        calls += 1
        if on_call is not None:
            on_call(calls)
        result: DraftResult = await draft(item)
        return result

    return wrapped


async def test_a_run_notices_its_file_was_replaced_and_stops(tmp_path: Path) -> None:
    """What an unlocked rewrite (an older calmreply's --retry-failed, an editor) does."""
    queue, out = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    write_queue(queue, 30)

    def replace_on_tenth(calls: int) -> None:
        if calls == 10:
            copy = tmp_path / "copy.jsonl"
            copy.write_bytes(out.read_bytes())
            os.replace(copy, out)

    with pytest.raises(BusyError, match=r"was replaced or removed by another program while "
                                        r"this run was writing it; stopped after \d+ results"):
        await run_batch(read_items(queue), out, offline_drafter(replace_on_tenth), concurrency=1)
    assert not lock_path(out).exists()
    summary = await run_batch(read_items(queue), out, offline_drafter(), concurrency=4)
    assert summary.skipped >= 9
    assert Counter(r["id"] for r in read_out(out)) == Counter({f"e{i:04d}": 1 for i in range(30)})


async def test_a_full_disk_stops_the_run_in_one_line_without_a_torn_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    queue, out = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    write_queue(queue, 30)
    out.write_bytes(b"")
    monkeypatch.setattr(agent.batch, "os", FullDisk(out, room=20_000))
    with pytest.raises(InputError) as caught:
        await run_batch(read_items(queue), out, offline_drafter(), concurrency=4)
    message = caught.value.message
    assert message.startswith(f"cannot write {out}: No space left on device; the ")
    assert "re-run the same command to resume" in message and "\n" not in message
    assert out.read_bytes().endswith(b"\n"), "the torn line was cut back"
    written = read_out(out)
    assert 0 < len(written) < 30
    assert not lock_path(out).exists()
    monkeypatch.undo()  # space freed: a re-run resumes
    summary = await run_batch(read_items(queue), out, offline_drafter(), concurrency=4)
    assert summary.skipped == len(written)
    assert Counter(r["id"] for r in read_out(out)) == Counter({f"e{i:04d}": 1 for i in range(30)})


def run_broken_fs(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI entry point over a file system that fails (what a test cannot mount)."""
    env = {**batch_env(tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "tests.fakes.broken_fs", *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_full_disk_through_the_cli_is_one_line_exit_3(tmp_path: Path) -> None:
    queue, out = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    write_queue(queue, 20)
    out.write_bytes(b"")
    done = run_broken_fs(tmp_path, "full-disk", str(out), "8000", "--",
                         "draft", "--batch", str(queue), "--out", str(out))
    assert done.returncode == 3, done.stderr
    assert one_line(done.stderr).startswith(f"error: cannot write {out}: No space left on device")
    assert out.read_bytes().endswith(b"\n") and not lock_path(out).exists()


def test_a_torn_line_on_a_read_only_file_system_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.jsonl"
    torn = b'{"id": "a", "status": "drafted"}\n{"id": "b", "sta'
    out.write_bytes(torn)
    monkeypatch.setattr(agent.files, "os", ReadOnly(".tmp"))
    with pytest.raises(InputError) as caught:
        done_ids(out, retry_failed=False)
    assert caught.value.message == (
        f"cannot rewrite {out} to repair its torn last line or drop failed lines: Read-only "
        "file system (writing out.jsonl.tmp); nothing was changed")
    assert out.read_bytes() == torn
    assert not (tmp_path / "out.jsonl.tmp").exists()


def test_a_read_only_file_system_through_the_cli_is_one_line_exit_3(tmp_path: Path) -> None:
    queue, out = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    write_queue(queue, 3)
    out.write_bytes(b'{"id": "e0000", "status": "drafted"}\n{"id": "e0001", "sta')
    done = run_broken_fs(tmp_path, "read-only", ".tmp", "--",
                         "draft", "--batch", str(queue), "--out", str(out))
    assert done.returncode == 3, done.stderr
    assert one_line(done.stderr) == (
        f"error: cannot rewrite {out} to repair its torn last line or drop failed lines: "
        "Read-only file system (writing out.jsonl.tmp); nothing was changed")


# --- limits ---------------------------------------------------------------------------------

@pytest.fixture
def big_queue(tmp_path: Path) -> Iterator[Path]:
    queue = tmp_path / "q.jsonl"
    lines = [{"id": "small", "email": "My order #48213 is late. Where is it?"},
             {"id": "big", "email": "My order #48213 is late. " * 100_000}]  # 2.5 MB
    queue.write_text("".join(json.dumps(x) + "\n" for x in lines))
    yield queue


async def test_each_email_is_held_to_max_input_bytes(tmp_path: Path, big_queue: Path) -> None:
    """Not to a hard-coded 2,000,000: a smaller limit refuses more, a larger one less."""
    for limit, big_status in ((1_000, "failed"), (3_000_000, "drafted")):
        out = tmp_path / f"out-{limit}.jsonl"
        draft = make_drafter(Session(Settings(offline=True, max_input_bytes=limit)))
        await run_batch(read_items(big_queue), out, draft, concurrency=2)
        records = {r["id"]: r for r in read_out(out)}
        assert records["small"]["status"] == "drafted"
        assert records["big"]["status"] == big_status, records["big"]["error"]
        if big_status == "failed":
            assert "over the 1,000 limit" in str(records["big"]["error"])
