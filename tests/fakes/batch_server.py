"""The OpenAI Files and Batches endpoints on top of the fake model server, for loopback
tests through the real SDK (and a stand-in for vLLM's run_batch).

    with FakeBatchServer(polls_to_finish=2) as srv:
        sdk = AsyncOpenAI(base_url=srv.base_url, api_key="test", max_retries=0)
        ...   # files.create / batches.create / batches.retrieve / files.content ...
        assert srv.calls["batches.create"] == 1

A batch moves one step per retrieve: validating -> in_progress (answering `lines_per_poll`
request lines per retrieve, all of them by default) -> finalizing -> completed, with an
output file (answered lines) and an error file (lines that failed). `expire_after_polls`
makes it expire part-way, with the unanswered lines in the error file as `batch_expired`;
a cancel makes it `cancelling`, then `cancelled`, the same way. A line is answered by the
same responder and in the same shape as a live chat completion. Chat completions still
work on the same server (live re-asks and revisions).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ._http import Handler, chat_completion
from .model_server import FakeModelServer, Responder
from .responders import polite_responder

LineError = Callable[[str], "tuple[int, str] | None"]  # custom_id -> (status, message)


@dataclass
class FakeFile:
    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int

    def obj(self) -> dict[str, Any]:
        return {"id": self.id, "object": "file", "bytes": len(self.content),
                "created_at": self.created_at, "filename": self.filename,
                "purpose": self.purpose, "status": "processed"}


@dataclass
class FakeBatch:
    obj: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)
    answered: list[bytes] = field(default_factory=list)
    errors: list[bytes] = field(default_factory=list)
    done: int = 0  # lines handled
    polls: int = 0


def answer_line(line: dict[str, Any], responder: Responder, number: int,
                error: tuple[int, str] | None = None) -> tuple[bytes, bool]:
    """One result line for one request line, as OpenAI's Batch API (and vLLM's run_batch)
    writes it; True when it is an answer, False for an error line."""
    custom_id = str(line.get("custom_id"))
    if error is not None:
        status, message = error
        result = {"id": f"batch_req_{number}", "custom_id": custom_id,
                  "response": {"status_code": status, "request_id": f"req_{number}",
                               "body": {"error": {"message": message,
                                                  "type": "invalid_request_error",
                                                  "param": None, "code": None}}},
                  "error": None}
        return (json.dumps(result) + "\n").encode(), False
    body = line.get("body") or {}
    reply = {"role": "assistant", "content": responder(body), "refusal": None}
    result = {"id": f"batch_req_{number}", "custom_id": custom_id,
              "response": {"status_code": 200, "request_id": f"req_{number}",
                           "body": chat_completion(body, reply, "stop", number=number)},
              "error": None}
    return (json.dumps(result) + "\n").encode(), True


def run_requests(requests: Path, results: Path, responder: Responder = polite_responder,
                 error: LineError | None = None) -> int:
    """What `python -m vllm.entrypoints.openai.run_batch -i requests -o results` does,
    with a responder for a model: answer every line; returns how many."""
    count = 0
    with requests.open("rb") as source, results.open("wb") as fh:
        for raw in source:  # line by line, as a runner streams a large file
            if not raw.strip():
                continue
            line = json.loads(raw)
            count += 1
            data, _ = answer_line(line, responder, count,
                                  error(str(line.get("custom_id"))) if error else None)
            fh.write(data)
    return count


class BatchHandler(Handler):
    fake: FakeBatchServer

    def _is_batch_api(self) -> bool:
        return urlsplit(self.path).path.startswith(("/v1/files", "/v1/batches"))

    def do_GET(self) -> None:
        if self._is_batch_api():
            self._batch_api("GET", b"")
        else:
            super().do_GET()

    def do_POST(self) -> None:
        if self._is_batch_api():
            self._batch_api("POST", self._read_body())
        else:
            super().do_POST()

    def do_DELETE(self) -> None:
        self._batch_api("DELETE", b"")

    def _batch_api(self, method: str, raw: bytes) -> None:
        fake = self.fake
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")[1:]  # without "v1"
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            if parts == ["files"] and method == "POST":
                self._send_json(*fake.upload(self.headers.get("Content-Type", ""), raw))
            elif parts == ["files"] and method == "GET":
                self._send_json(200, fake.page(fake.list_files(query.get("purpose")), query))
            elif len(parts) == 3 and parts[0] == "files" and parts[2] == "content":
                content = fake.file_content(parts[1])
                if content is None:
                    self._error(404, f"No such File object: {parts[1]}",
                                "invalid_request_error", None)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
            elif parts == ["batches"] and method == "POST":
                self._send_json(*fake.create(json.loads(raw or b"{}")))
            elif parts == ["batches"] and method == "GET":
                self._send_json(200, fake.page(fake.list_batches(), query))
            elif len(parts) == 2 and parts[0] == "batches" and method == "GET":
                self._send_json(*fake.retrieve(parts[1]))
            elif len(parts) == 3 and parts[0] == "batches" and parts[2] == "cancel":
                self._send_json(*fake.cancel(parts[1]))
            else:
                self._error(404, f"no route {method} {self.path}", "invalid_request_error",
                            None)
        except FakeError as exc:
            self._error(exc.status, exc.message, "invalid_request_error", None)


class FakeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FakeBatchServer(FakeModelServer):
    """FakeModelServer plus /v1/files and /v1/batches (see the module docstring).

    polls_to_finish: retrieves spent in_progress before the batch can finish (the lines
        are answered `lines_per_poll` at a time; None answers all of them on the first).
    expire_after_polls: retrieves in_progress after which the batch expires.
    line_error: custom_id -> (HTTP status, message) for request lines the provider fails.
    max_requests: lines one batch may hold (more fails the batch at validation).
    hold_create: when set, a create waits for this event before answering (the batch
        exists already), so a test can kill the client while the answer is in flight.
    lose_uploads / lose_creates: how many uploads / creates take effect but answer 500,
        as when the answer is lost on the way back.
    """

    handler_class = BatchHandler

    def __init__(self, *args: Any, polls_to_finish: int = 1, lines_per_poll: int | None = None,
                 expire_after_polls: int | None = None, line_error: LineError | None = None,
                 max_requests: int | None = None, hold_create: threading.Event | None = None,
                 lose_uploads: int = 0, lose_creates: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.polls_to_finish = polls_to_finish
        self.lines_per_poll = lines_per_poll
        self.expire_after_polls = expire_after_polls
        self.line_error = line_error
        self.max_requests = max_requests
        self.hold_create = hold_create
        self.lose_uploads = lose_uploads
        self.lose_creates = lose_creates
        self.files: dict[str, FakeFile] = {}
        self.batches: dict[str, FakeBatch] = {}
        self.calls: Counter[str] = Counter()
        self.batch_lines = 0  # request lines answered or failed, over every batch
        self._next = 0

    def _id(self, prefix: str) -> str:
        self._next += 1
        return f"{prefix}-{self._next:04d}"

    # --- files ----------------------------------------------------------------------------

    def upload(self, content_type: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            fields[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes)
                                 else b"")
        if "file" not in fields:
            raise FakeError(400, "'file' is a required property")
        filename, content = fields["file"]
        purpose = fields.get("purpose", (None, b""))[1].decode()
        with self._lock:
            self.calls["files.create"] += 1
            file = FakeFile(self._id("file"), filename or "upload.jsonl", purpose, content,
                            int(time.time()))
            self.files[file.id] = file
            lost, self.lose_uploads = self.lose_uploads > 0, max(0, self.lose_uploads - 1)
        if lost:
            raise FakeError(500, "The server had an error while processing your request.")
        return 200, file.obj()

    def list_files(self, purpose: str | None) -> list[dict[str, Any]]:
        with self._lock:
            self.calls["files.list"] += 1
            return [f.obj() for f in reversed(self.files.values())
                    if purpose is None or f.purpose == purpose]

    def file_content(self, file_id: str) -> bytes | None:
        with self._lock:
            self.calls["files.content"] += 1
            file = self.files.get(file_id)
            return None if file is None else file.content

    def _store(self, name: str, content: bytes) -> str:
        file = FakeFile(self._id("file"), name, "batch_output", content, int(time.time()))
        self.files[file.id] = file
        return file.id

    # --- batches --------------------------------------------------------------------------

    def create(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls["batches.create"] += 1
            file = self.files.get(str(request.get("input_file_id")))
            if file is None:
                raise FakeError(400, f"No such File object: {request.get('input_file_id')}")
            now = int(time.time())
            batch = FakeBatch({
                "id": self._id("batch"), "object": "batch",
                "endpoint": request.get("endpoint"), "errors": None,
                "input_file_id": file.id, "completion_window": request.get("completion_window"),
                "status": "validating", "output_file_id": None, "error_file_id": None,
                "created_at": now, "in_progress_at": None, "expires_at": now + 86400,
                "finalizing_at": None, "completed_at": None, "failed_at": None,
                "expired_at": None, "cancelling_at": None, "cancelled_at": None,
                "request_counts": {"total": 0, "completed": 0, "failed": 0},
                "metadata": request.get("metadata")})
            self.batches[batch.obj["id"]] = batch
            lost, self.lose_creates = self.lose_creates > 0, max(0, self.lose_creates - 1)
        if self.hold_create is not None:
            self.hold_create.wait(30)
        if lost:
            raise FakeError(500, "The server had an error while processing your request.")
        return 200, batch.obj

    def list_batches(self) -> list[dict[str, Any]]:
        with self._lock:
            self.calls["batches.list"] += 1
            return [b.obj for b in reversed(self.batches.values())]

    def page(self, data: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        """A cursor page: newest first, `limit` items after the id `after`."""
        if query.get("after"):
            ids = [d["id"] for d in data]
            data = data[ids.index(query["after"]) + 1:] if query["after"] in ids else []
        limit = int(query.get("limit") or 20)
        return {"object": "list", "data": data[:limit], "has_more": len(data) > limit,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[:limit][-1]["id"] if data else None}

    def _batch(self, batch_id: str, call: str) -> FakeBatch:
        """The batch a retrieve or cancel names (counted), or the API's 404."""
        self.calls[call] += 1
        batch = self.batches.get(batch_id)
        if batch is None:
            raise FakeError(404, f"No batch found with id '{batch_id}'.")
        return batch

    def retrieve(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            batch = self._batch(batch_id, "batches.retrieve")
            self._advance(batch)
            return 200, batch.obj

    def cancel(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            batch = self._batch(batch_id, "batches.cancel")
            if batch.obj["status"] in ("validating", "in_progress", "finalizing"):
                batch.obj.update(status="cancelling", cancelling_at=int(time.time()))
            return 200, batch.obj

    def _advance(self, batch: FakeBatch) -> None:
        obj, now = batch.obj, int(time.time())
        status = obj["status"]
        if status == "validating":
            problem = self._validate(batch)
            if problem:
                obj.update(status="failed", failed_at=now, errors={
                    "object": "list", "data": [{"code": "invalid_request", "message": problem,
                                                "param": None, "line": None}]})
                return
            obj.update(status="in_progress", in_progress_at=now)
            obj["request_counts"]["total"] = len(batch.lines)
        elif status == "in_progress":
            batch.polls += 1
            step = self.lines_per_poll or len(batch.lines)
            for line in batch.lines[batch.done:batch.done + step]:
                self.batch_lines += 1
                data, ok = answer_line(line, self.responder, self.batch_lines,
                                       self.line_error(str(line.get("custom_id")))
                                       if self.line_error else None)
                (batch.answered if ok else batch.errors).append(data)
                batch.done += 1
            obj["request_counts"].update(completed=len(batch.answered),
                                         failed=len(batch.errors))
            if self.expire_after_polls is not None and batch.polls >= self.expire_after_polls \
                    and batch.done < len(batch.lines):
                self._close(batch, "expired", "batch_expired", "This request could not be "
                            "executed before the completion window expired.")
            elif batch.done >= len(batch.lines) and batch.polls >= self.polls_to_finish:
                obj.update(status="finalizing", finalizing_at=now)
        elif status == "finalizing":
            self._close(batch, "completed", "", "")
        elif status == "cancelling":
            self._close(batch, "cancelled", "batch_cancelled", "This request was not "
                        "executed because the batch was cancelled.")

    def _validate(self, batch: FakeBatch) -> str:
        content = self.files[batch.obj["input_file_id"]].content
        seen: set[str] = set()
        for number, raw in enumerate(content.decode().splitlines(), start=1):
            if not raw.strip():
                continue
            line = json.loads(raw)
            if line.get("custom_id") in seen:
                return f"line {number}: duplicate custom_id {line.get('custom_id')!r}"
            if line.get("method") != "POST" or line.get("url") != batch.obj["endpoint"]:
                return f"line {number}: method or url does not match the batch's endpoint"
            seen.add(line.get("custom_id"))
            batch.lines.append(line)
        if self.max_requests is not None and len(batch.lines) > self.max_requests:
            return (f"The batch input file is larger than the {self.max_requests} maximum for "
                    "the batch endpoint.")
        return ""

    def _close(self, batch: FakeBatch, status: str, code: str, message: str) -> None:
        """End a batch: unanswered lines become error lines with `code`."""
        obj, now = batch.obj, int(time.time())
        for line in batch.lines[batch.done:]:
            self.batch_lines += 1
            batch.errors.append((json.dumps({
                "id": f"batch_req_{self.batch_lines}", "custom_id": line.get("custom_id"),
                "response": None, "error": {"code": code, "message": message}}) + "\n").encode())
        batch.done = len(batch.lines)
        if batch.answered:
            obj["output_file_id"] = self._store(f"{obj['id']}_output.jsonl",
                                                b"".join(batch.answered))
        if batch.errors:
            obj["error_file_id"] = self._store(f"{obj['id']}_error.jsonl",
                                               b"".join(batch.errors))
        obj["request_counts"].update(completed=len(batch.answered), failed=len(batch.errors))
        obj.update(status=status, **{f"{status}_at": now})
