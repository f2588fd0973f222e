"""`--via batch-api` against a loopback fake of the Files and Batches endpoints, through the
real openai SDK: end to end, split over limits, killed at every stage and restarted (no
batch created twice, no line lost or doubled), expiry, cancel, and the edge cases respx
fakes (a partly expired batch, a failed upload, a 429 on create)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from agent.batch import BatchItem, make_drafter, run_batch
from agent.config import Settings
from agent.errors import ModelError
from agent.offload.batch_api import BatchRun
from agent.offload.state import Part, load_state, state_path, work_dir
from agent.session import Session
from tests.cli_helpers import CALMREPLY, run_cli
from tests.fakes import FakeBatchServer, polite_responder

EMAILS = [
    "My order #{n} is two weeks late and nobody answers. Where is it?",
    "You charged me twice for order {n}. Fix it now.",
    "The kettle from order #{n} arrived with a cracked lid. I want a replacement.",
    "I have been locked out of my account for 3 days, ticket {n}. This is ridiculous.",
]


def items(count: int) -> list[BatchItem]:
    return [BatchItem(id=f"e{i:03d}", email=EMAILS[i % len(EMAILS)].format(n=50000 + i))
            for i in range(count)]


def write_queue(path: Path, count: int) -> None:
    path.write_text("".join(json.dumps(i.model_dump(exclude_none=True)) + "\n"
                            for i in items(count)))


def lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in out.read_text().splitlines() if x.strip()]


def settings_for(base_url: str, **batch_api: Any) -> Settings:
    return Settings.model_validate({"model": {"base_url": base_url, "max_retries": 2},
                                    "batch_api": {"poll_seconds": 0, **batch_api}})


class Stop(Exception):
    """Stands in for a kill: raised from the display at the chosen stage."""


class Watch:
    """A Display that records every stage, and raises Stop at `kill_at` (once)."""

    def __init__(self, kill_at: str | None = None, when: Any = None) -> None:
        self.kill_at = kill_at
        self.when = when or (lambda part: True)
        self.stages: list[tuple[str, int, str | None]] = []
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        self.notes.append(text)

    def stage(self, stage: str, part: Part, parts: int) -> None:
        self.stages.append((stage, part.number, part.status))
        if stage == self.kill_at and self.when(part):
            self.kill_at = None
            raise Stop(stage)


async def live_reference(base_url: str, count: int, tmp: Path) -> dict[str, Any]:
    """What a live batch writes for the same emails against the same model."""
    out = tmp / "live.jsonl"
    session = Session(settings_for(base_url))
    draft = make_drafter(session)
    await run_batch(items(count), out, draft, concurrency=4)
    await session.aclose()
    return {r["id"]: r for r in lines(out)}


async def test_end_to_end_matches_a_live_run_and_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "drafts.jsonl"
    with FakeBatchServer(polls_to_finish=3, lines_per_poll=2) as srv:
        watch = Watch()
        outcome = await BatchRun(items(5), out, settings_for(srv.base_url), tone=None,
                                 concurrency=4, retry_failed=False, display=watch).run()
        reference = await live_reference(srv.base_url, 5, tmp_path)
        calls = dict(srv.calls)
    assert {r["id"]: r for r in lines(out)} == reference
    assert outcome.summary.drafted == 5 and outcome.summary.failed == 0
    assert calls["files.create"] == 1 and calls["batches.create"] == 1
    assert "files.list" not in calls and "batches.list" not in calls  # nothing to look up
    polled = [status for stage, _, status in watch.stages if stage == "polled"]
    assert polled[0] == "in_progress" and polled[-1] == "completed"
    assert outcome.totals.batch.calls == 5 and outcome.totals.live.calls == 0
    assert not state_path(out).exists() and not work_dir(out).exists()


async def test_work_over_the_limits_is_split_into_several_batches(tmp_path: Path) -> None:
    out = tmp_path / "drafts.jsonl"
    queue = [*items(7), BatchItem(id="huge", email="Where is my order? " * 4000)]
    with FakeBatchServer() as srv:
        one = await _request_size(srv.base_url)
        settings = settings_for(srv.base_url, max_requests=3, max_file_bytes=int(one * 2.2))
        outcome = await BatchRun(queue, out, settings, tone=None, concurrency=4,
                                 retry_failed=False, display=Watch()).run()
        uploads = [f.content for f in srv.files.values() if f.purpose == "batch"]
    assert len(uploads) == 4  # 7 requests, at most 2 (by bytes) and 3 (by count) a file
    assert all(len(u) <= int(one * 2.2) and u.count(b"\n") <= 3 for u in uploads)
    records = {r["id"]: r for r in lines(out)}
    assert len(records) == 8 and outcome.summary.drafted == 7
    assert records["huge"]["status"] == "failed"
    assert "over the provider's limit" in records["huge"]["error"]


async def _request_size(base_url: str) -> int:
    """The largest request line among the emails (their lengths differ a little)."""
    from agent.offload.export import RequestRecorder, draft_request, exporting, request_line

    settings = settings_for(base_url)
    sizes = []
    for item in items(7):
        body = await draft_request(item, exporting(settings), None, RequestRecorder(settings))
        sizes.append(len(request_line(item.id, body, "/v1/chat/completions")))
    return max(sizes) + 50


KILL_POINTS = [
    ("exported", lambda p: True),
    ("uploaded", lambda p: True),
    ("created", lambda p: True),
    ("polled", lambda p: p.status == "in_progress"),
    ("downloaded", lambda p: True),
    ("imported", lambda p: True),  # the first part in, the second not yet
]


@pytest.mark.parametrize(("stage", "when"), KILL_POINTS, ids=[k for k, _ in KILL_POINTS])
async def test_a_run_killed_at_any_stage_resumes_without_sending_twice(
        tmp_path: Path, stage: str, when: Any) -> None:
    out = tmp_path / "drafts.jsonl"
    with FakeBatchServer(polls_to_finish=3, lines_per_poll=1) as srv:
        settings = settings_for(srv.base_url, max_requests=3)  # 7 emails: 3 batches
        killed = Watch(kill_at=stage, when=when)
        with pytest.raises(Stop):
            await BatchRun(items(7), out, settings, tone=None, concurrency=2,
                           retry_failed=False, display=killed).run()
        saved = load_state(out)
        assert saved is not None and len(saved.parts) == 3
        resumed = Watch()
        outcome = await BatchRun(items(7), out, settings, tone=None, concurrency=2,
                                 retry_failed=False, display=resumed).run()
        reference = await live_reference(srv.base_url, 7, tmp_path)
        calls = dict(srv.calls)
    assert calls["files.create"] == 3 and calls["batches.create"] == 3, calls
    assert len(srv.batches) == 3
    ids = Counter(r["id"] for r in lines(out))
    assert set(ids) == {i.id for i in items(7)} and max(ids.values()) == 1
    assert {r["id"]: r for r in lines(out)} == reference
    assert any("re-attaching" in n for n in resumed.notes)
    assert outcome.summary.drafted + outcome.summary.skipped == 7
    assert not state_path(out).exists()


async def test_no_key_in_the_state_the_request_files_or_the_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "sk-canary-5f0c1e2d3b4a"
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    out = tmp_path / "drafts.jsonl"
    with FakeBatchServer(api_key=canary) as srv:
        with pytest.raises(Stop):
            await BatchRun(items(3), out, settings_for(srv.base_url), tone=None,
                           concurrency=2, retry_failed=False,
                           display=Watch(kill_at="downloaded")).run()
        written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert state_path(out) in written and len(written) >= 3  # state, requests, results
    assert all(canary.encode() not in p.read_bytes() for p in written)


async def test_lost_answers_to_upload_and_create_are_looked_up_not_resent(
        tmp_path: Path) -> None:
    """The provider made the file and the batch, but its answers were lost (500): the
    retry finds them instead of uploading or creating again."""
    out = tmp_path / "drafts.jsonl"
    with FakeBatchServer(lose_uploads=1, lose_creates=1) as srv:
        await BatchRun(items(3), out, settings_for(srv.base_url), tone=None, concurrency=2,
                       retry_failed=False, display=Watch(), backoff=0.001).run()
        calls = dict(srv.calls)
    assert calls["files.create"] == 1 and calls["files.list"] == 1
    assert calls["batches.create"] == 1 and calls["batches.list"] == 1
    assert len(srv.batches) == 1 and len(lines(out)) == 3


def _cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CALMREPLY_"))}
    env.update({"XDG_CONFIG_HOME": str(tmp_path / ".config"),
                "XDG_CACHE_HOME": str(tmp_path / ".cache")})
    return env


def _wait_for(check: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def test_sigkill_while_the_create_answer_is_in_flight_never_creates_twice(
        tmp_path: Path) -> None:
    queue, out = tmp_path / "q.jsonl", tmp_path / "drafts.jsonl"
    write_queue(queue, 4)
    (tmp_path / "calmreply.toml").write_text("[batch_api]\npoll_seconds = 0.05\n")
    hold = threading.Event()
    with FakeBatchServer(hold_create=hold) as srv:
        args = [CALMREPLY, "draft", "--batch", str(queue), "--out", str(out), "--via",
                "batch-api", "--base-url", srv.base_url]
        proc = subprocess.Popen(args, cwd=tmp_path, env=_cli_env(tmp_path),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(lambda: srv.calls["batches.create"] == 1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        hold.set()
        saved = load_state(out)
        assert saved is not None and saved.parts[0].create_started
        assert saved.parts[0].batch_id is None  # the answer never arrived
        resumed = subprocess.run(args, cwd=tmp_path, env=_cli_env(tmp_path),
                                 capture_output=True, text=True, timeout=120, check=False)
        calls = dict(srv.calls)
    assert resumed.returncode == 0, resumed.stderr
    assert calls["batches.create"] == 1 and len(srv.batches) == 1
    assert sorted(r["id"] for r in lines(out)) == [f"e{i:03d}" for i in range(4)]


def test_sigkill_while_polling_reattaches_to_the_same_batch(tmp_path: Path) -> None:
    queue, out = tmp_path / "q.jsonl", tmp_path / "drafts.jsonl"
    write_queue(queue, 4)
    (tmp_path / "calmreply.toml").write_text("[batch_api]\npoll_seconds = 0.05\n")
    with FakeBatchServer(polls_to_finish=30, lines_per_poll=1) as srv:
        args = [CALMREPLY, "draft", "--batch", str(queue), "--out", str(out), "--via",
                "batch-api", "--base-url", srv.base_url]
        proc = subprocess.Popen(args, cwd=tmp_path, env=_cli_env(tmp_path),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(lambda: srv.calls["batches.retrieve"] >= 3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not out.exists() or not lines(out)
        resumed = subprocess.run(args, cwd=tmp_path, env=_cli_env(tmp_path),
                                 capture_output=True, text=True, timeout=120, check=False)
        calls = dict(srv.calls)
    assert resumed.returncode == 0, resumed.stderr
    assert "re-attaching" in resumed.stderr
    assert calls["files.create"] == 1 and calls["batches.create"] == 1
    assert sorted(r["id"] for r in lines(out)) == [f"e{i:03d}" for i in range(4)]


async def test_an_expired_batch_imports_what_was_answered_and_fails_the_rest(
        tmp_path: Path) -> None:
    out = tmp_path / "drafts.jsonl"
    with FakeBatchServer(lines_per_poll=2, expire_after_polls=1) as srv:
        outcome = await BatchRun(items(5), out, settings_for(srv.base_url), tone=None,
                                 concurrency=2, retry_failed=False, display=Watch()).run()
        records = {r["id"]: r for r in lines(out)}
        assert outcome.summary.drafted == 2 and outcome.summary.failed == 3
        expired = [r["error"] for r in records.values() if r["status"] == "failed"]
        assert all("completion window expired" in e for e in expired)
        # --retry-failed sends the expired ones again, in a new batch.
        srv.expire_after_polls = None
        await BatchRun(items(5), out, settings_for(srv.base_url), tone=None,
                       concurrency=2, retry_failed=True, display=Watch()).run()
        creates = srv.calls["batches.create"]
    records = {r["id"]: r for r in lines(out)}
    assert creates == 2
    assert len(lines(out)) == 5 and {r["status"] for r in records.values()} == {"drafted"}


async def test_a_cancelled_batch_keeps_its_answers(tmp_path: Path) -> None:
    out = tmp_path / "drafts.jsonl"
    with FakeBatchServer(polls_to_finish=10, lines_per_poll=1) as srv:
        def cancel_after_two(part: Part) -> bool:
            if part.status == "in_progress" and part.completed == 2:
                run_cli("batches", "cancel", str(part.batch_id), "--base-url", srv.base_url,
                        cwd=tmp_path)
            return False

        await BatchRun(items(5), out, settings_for(srv.base_url), tone=None, concurrency=2,
                       retry_failed=False,
                       display=Watch(kill_at="polled", when=cancel_after_two)).run()
        listed = run_cli("batches", "list", "--base-url", srv.base_url, cwd=tmp_path)
    records = {r["id"]: r for r in lines(out)}
    assert len(records) == 5
    assert sum(r["status"] == "drafted" for r in records.values()) >= 2
    cancelled = [r["error"] for r in records.values() if r["status"] == "failed"]
    assert cancelled and all("cancelled" in e for e in cancelled)
    assert "cancelled" in listed.out and "drafts.jsonl" in listed.out


async def test_a_batch_the_provider_rejects_fails_every_line_with_its_message(
        tmp_path: Path) -> None:
    out = tmp_path / "drafts.jsonl"
    with FakeBatchServer(max_requests=2) as srv:
        outcome = await BatchRun(items(3), out, settings_for(srv.base_url), tone=None,
                                 concurrency=2, retry_failed=False, display=Watch()).run()
    assert outcome.summary.failed == 3
    assert all("larger than the 2 maximum" in r["error"] for r in lines(out))


async def test_per_request_errors_become_failed_lines(tmp_path: Path) -> None:
    out = tmp_path / "drafts.jsonl"
    bad = {"e001": (400, "Invalid 'messages': too long.")}
    with FakeBatchServer(line_error=bad.get) as srv:
        await BatchRun(items(3), out, settings_for(srv.base_url), tone=None, concurrency=2,
                       retry_failed=False, display=Watch()).run()
    records = {r["id"]: r for r in lines(out)}
    assert records["e001"]["status"] == "failed"
    assert "HTTP 400: Invalid 'messages': too long." in records["e001"]["error"]
    assert records["e000"]["status"] == records["e002"]["status"] == "drafted"


def test_cli_end_to_end_prints_estimate_cost_and_usage(tmp_path: Path) -> None:
    queue, out = tmp_path / "q.jsonl", tmp_path / "drafts.jsonl"
    write_queue(queue, 3)
    (tmp_path / "calmreply.toml").write_text(
        '[batch_api]\npoll_seconds = 0\n[prices."gpt-4o-mini"]\ninput = 0.15\noutput = 0.60\n')
    with FakeBatchServer() as srv:
        run = run_cli("draft", "--batch", str(queue), "--out", str(out), "--via", "batch-api",
                      "--base-url", srv.base_url, cwd=tmp_path)
    assert run.code == 0, run.err
    assert "3 requests to gpt-4o-mini: about" in run.err
    assert "estimated cost: at most $" in run.err and "through the Batch API" in run.err
    assert "batch answers:" in run.err and "live would have been $" in run.err
    assert "drafted 3, failed 0" in run.err and len(lines(out)) == 3


async def test_batches_list_shows_calmreplys_unless_all(tmp_path: Path) -> None:
    from agent.offload.batch_api import cancel_batches, list_batches

    with FakeBatchServer() as srv:
        srv.upload("multipart/form-data; boundary=x",
                   b'--x\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
                   b'--x\r\nContent-Disposition: form-data; name="file"; filename="f.jsonl"'
                   b'\r\n\r\n{}\r\n--x--\r\n')
        srv.create({"input_file_id": "file-0001", "endpoint": "/v1/chat/completions",
                    "completion_window": "24h", "metadata": None})
        srv.create({"input_file_id": "file-0001", "endpoint": "/v1/chat/completions",
                    "completion_window": "24h", "metadata": {"calmreply": "draft",
                                                             "out": "mine.jsonl"}})
        settings = settings_for(srv.base_url)
        mine = await list_batches(settings, limit=20, everything=False)
        every = await list_batches(settings, limit=20, everything=True)
        (cancelled,) = await cancel_batches(settings, ["batch-0003"])
        listed = run_cli("batches", "--base-url", srv.base_url, cwd=tmp_path)
        missing = run_cli("batches", "cancel", "batch-9999", "--base-url", srv.base_url,
                          cwd=tmp_path)
    assert [b.id for b in mine] == ["batch-0003"]
    assert [b.id for b in every] == ["batch-0003", "batch-0002"]
    assert cancelled.status == "cancelling"
    assert listed.code == 0 and "batch-0003" in listed.out and "mine.jsonl" in listed.out
    assert "batch-0002" not in listed.out
    assert missing.code == 5 and "404" in missing.err and "Traceback" not in missing.err


# --- edge cases through respx -------------------------------------------------------------

API = "https://batch.test/v1"


def _file(file_id: str, purpose: str = "batch") -> dict[str, Any]:
    return {"id": file_id, "object": "file", "bytes": 1, "created_at": int(time.time()),
            "filename": "x.jsonl", "purpose": purpose, "status": "processed"}


def _batch(status: str, **extra: Any) -> dict[str, Any]:
    return {"id": "batch_1", "object": "batch", "endpoint": "/v1/chat/completions",
            "input_file_id": "file-in", "completion_window": "24h", "status": status,
            "created_at": int(time.time()), "request_counts": {"total": 3, "completed": 1,
                                                               "failed": 2}, **extra}


def _answer(custom_id: str) -> bytes:
    email = next(i.email for i in items(3) if i.id == custom_id)
    body = {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant",
                "content": polite_responder({"messages": [{"role": "user",
                                                           "content": email}]})}}],
            "usage": {"prompt_tokens": 1900, "completion_tokens": 250, "total_tokens": 2150}}
    return (json.dumps({"custom_id": custom_id, "response": {"status_code": 200,
                                                            "body": body}}) + "\n").encode()


def _respx_settings() -> Settings:
    return Settings.model_validate({"model": {"base_url": API, "max_retries": 2},
                                    "batch_api": {"poll_seconds": 0}})


@respx.mock
async def test_respx_expired_batch_with_partial_results(tmp_path: Path) -> None:
    out = tmp_path / "drafts.jsonl"
    expired = ("".join(json.dumps({"custom_id": c, "response": None, "error": {
        "code": "batch_expired", "message": "This request could not be executed before the "
        "completion window expired."}}) + "\n" for c in ("e001", "e002"))).encode()
    respx.post(f"{API}/files").mock(return_value=httpx.Response(200, json=_file("file-in")))
    respx.post(f"{API}/batches").mock(return_value=httpx.Response(200, json=_batch(
        "validating")))
    respx.get(f"{API}/batches/batch_1").mock(return_value=httpx.Response(200, json=_batch(
        "expired", output_file_id="file-out", error_file_id="file-err")))
    respx.get(f"{API}/files/file-out/content").mock(
        return_value=httpx.Response(200, content=_answer("e000")))
    respx.get(f"{API}/files/file-err/content").mock(
        return_value=httpx.Response(200, content=expired))
    outcome = await BatchRun(items(3), out, _respx_settings(), tone=None, concurrency=2,
                             retry_failed=False, display=Watch()).run()
    records = {r["id"]: r for r in lines(out)}
    assert records["e000"]["status"] == "drafted"
    assert records["e000"]["result"]["usage"]["prompt_tokens"] == 1900
    assert [records[i]["status"] for i in ("e001", "e002")] == ["failed", "failed"]
    assert "(batch_expired)" in records["e001"]["error"]
    assert outcome.summary.drafted == 1 and outcome.summary.failed == 2


@respx.mock
async def test_respx_failed_upload_is_one_error_then_a_rerun_uploads_once(
        tmp_path: Path) -> None:
    out = tmp_path / "drafts.jsonl"
    upload = respx.post(f"{API}/files").mock(return_value=httpx.Response(
        503, json={"error": {"message": "Service Unavailable", "type": "server_error"}},
        headers={"Retry-After": "0"}))
    listing = respx.get(f"{API}/files").mock(return_value=httpx.Response(200, json={
        "object": "list", "data": [], "has_more": False}))
    with pytest.raises(ModelError, match=r"uploading part 1: .*503"):
        await BatchRun(items(3), out, _respx_settings(), tone=None, concurrency=2,
                       retry_failed=False, display=Watch(), backoff=0.001).run()
    assert upload.call_count == 3  # the first try and two retries; nothing created
    saved = load_state(out)
    assert saved is not None and saved.parts[0].file_id is None
    # A 400 is not retried.
    upload.mock(return_value=httpx.Response(400, json={"error": {
        "message": "Invalid file format for Batch API.", "type": "invalid_request_error"}}))
    with pytest.raises(ModelError, match="Invalid file format"):
        await BatchRun(items(3), out, _respx_settings(), tone=None, concurrency=2,
                       retry_failed=False, display=Watch()).run()
    assert upload.call_count == 4 and listing.called  # looked for the earlier upload first


@respx.mock
async def test_respx_429_on_create_is_retried_into_one_batch(tmp_path: Path) -> None:
    out = tmp_path / "drafts.jsonl"
    respx.post(f"{API}/files").mock(return_value=httpx.Response(200, json=_file("file-in")))
    create = respx.post(f"{API}/batches").mock(side_effect=[
        httpx.Response(429, json={"error": {"message": "Rate limit reached for batch "
                                            "creation.", "type": "requests"}},
                       headers={"Retry-After": "0"}),
        httpx.Response(200, json=_batch("validating")),
    ])
    listing = respx.get(f"{API}/batches").mock(return_value=httpx.Response(200, json={
        "object": "list", "data": [], "has_more": False}))
    respx.get(f"{API}/batches/batch_1").mock(return_value=httpx.Response(200, json=_batch(
        "completed", output_file_id="file-out",
        request_counts={"total": 3, "completed": 3, "failed": 0})))
    respx.get(f"{API}/files/file-out/content").mock(return_value=httpx.Response(
        200, content=b"".join(_answer(f"e00{i}") for i in range(3))))
    outcome = await BatchRun(items(3), out, _respx_settings(), tone=None, concurrency=2,
                             retry_failed=False, display=Watch(), backoff=0.001).run()
    assert create.call_count == 2 and listing.call_count == 1  # looked before retrying
    sent = json.loads(create.calls[1].request.content)
    assert sent["input_file_id"] == "file-in" and sent["metadata"]["calmreply"] == "draft"
    assert outcome.summary.drafted == 3


async def test_a_second_run_on_the_same_output_is_refused_before_it_submits(
        tmp_path: Path) -> None:
    from agent.batch_lock import OutputLock
    from agent.errors import BusyError

    out = tmp_path / "drafts.jsonl"
    with FakeBatchServer() as srv, OutputLock(state_path(out)):  # a first run holds it
        with pytest.raises(BusyError):
            await BatchRun(items(3), out, settings_for(srv.base_url), tone=None,
                           concurrency=2, retry_failed=False, display=Watch()).run()
        assert not srv.files and not srv.batches  # nothing was uploaded or submitted
