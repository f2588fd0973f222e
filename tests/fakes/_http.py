"""The HTTP side of the fake model server: one handler thread per connection.

`FakeModelServer` (in model_server.py) decides what to answer; this module turns a fault
kind into bytes on the wire, the way OpenAI's API (or a broken proxy in front of it) would.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model_server import FakeModelServer


class Abort(Exception):
    """Stop handling this connection (after a reset or drop, or when the server stops)."""


_ERRORS: dict[str, tuple[int, str, str, str | None]] = {
    # kind: (status, message, type, code)
    "429": (429, "Rate limit reached for requests. Please try again shortly.", "requests",
            "rate_limit_exceeded"),
    "quota": (429, "You exceeded your current quota, please check your plan and billing "
              "details.", "insufficient_quota", "insufficient_quota"),
    "500": (500, "The server had an error while processing your request.", "server_error",
            None),
    "503": (503, "The engine is currently overloaded, please try again later.",
            "server_error", None),
    "401": (401, "Incorrect API key provided. You can find your API key at "
            "https://platform.openai.com/account/api-keys.", "invalid_request_error",
            "invalid_api_key"),
    "404": (404, "The model `{model}` does not exist or you do not have access to it.",
            "invalid_request_error", "model_not_found"),
    "no_json_schema": (400, "response_format of type 'json_schema' is not supported by this "
                       "server", "invalid_request_error", None),
}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True


class Handler(BaseHTTPRequestHandler):
    fake: FakeModelServer
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def handle(self) -> None:
        with self.fake._lock:
            self.fake.stats.connections += 1
        # The client went away (timeout), or we reset the connection on purpose.
        with contextlib.suppress(Abort, OSError, ValueError):
            super().handle()

    def _track(self, delta: int) -> None:
        with self.fake._lock:
            stats = self.fake.stats
            if delta > 0:
                stats.requests += 1
            stats.in_flight += delta
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)

    # --- plumbing -------------------------------------------------------------------------

    def _send_json(self, status: int, payload: Any, headers: Mapping[str, str] = {}) -> None:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _error(self, status: int, message: str, type_: str, code: str | None,
               headers: Mapping[str, str] = {}) -> None:
        self._send_json(status, {"error": {"message": message, "type": type_, "param": None,
                                           "code": code}}, headers)

    def _reset(self, partial: bytes) -> None:
        """Send `partial`, then close with SO_LINGER 0 so the peer gets a TCP RST."""
        if partial:
            self.wfile.write(partial)
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.wfile.close()
        sock.close()
        raise Abort

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    # --- endpoints ------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._track(+1)
        try:
            if self.path.rstrip("/") == "/v1/models":
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                        for m in self.fake.models]
                self._send_json(200, {"object": "list", "data": data})
            else:
                self._error(404, f"no route {self.path}", "invalid_request_error", None)
        finally:
            self._track(-1)

    def do_POST(self) -> None:
        self._track(+1)
        try:
            raw = self._read_body()
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._error(404, f"no route {self.path}", "invalid_request_error", None)
                return
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = None
            self.fake._record(body if isinstance(body, dict) else None, dict(self.headers))
            if not isinstance(body, dict):
                self._error(400, "We could not parse the JSON body of your request.",
                            "invalid_request_error", None)
                return
            self._chat(body)
        finally:
            self._track(-1)

    def _chat(self, body: dict[str, Any]) -> None:
        fake = self.fake
        model = str(body.get("model") or "")
        kind = fake._pick(body)
        if fake.api_key is not None and \
                self.headers.get("Authorization") != f"Bearer {fake.api_key}":
            kind = "401"
        elif fake.reject_unknown_models and model not in fake.models:
            kind = "404"
        fake._count(kind)
        fake._sleep(fake.latency)
        if kind in _ERRORS:
            status, message, type_, code = _ERRORS[kind]
            headers = {"Retry-After": f"{fake.retry_after:g}"} if status in (429, 503) else {}
            self._error(status, message.format(model=model), type_, code, headers)
            return
        if kind == "drop":
            self._reset(b"")
        if kind == "slow":
            fake._sleep(fake.slow_seconds)
            if fake._stopping.is_set():
                raise Abort
        try:
            content = fake.responder(body)
        except Exception as exc:  # a bug in a test's responder: say so, loudly
            fake.errors.append(exc)
            self._error(500, f"fake responder raised {exc!r}", "server_error", "responder")
            return
        if body.get("stream"):
            with fake._lock:
                fake.stats.streams += 1
            self._stream(body, kind, model, content)
        else:
            self._complete(body, kind, model, content)

    def _message(self, kind: str, content: str) -> tuple[dict[str, Any], str]:
        """(message, finish_reason) for a 200 answer of this kind."""
        text: str | None = content
        finish, refusal = "stop", None
        if kind == "malformed":
            text = "Sure! Here is the reply you asked for: Dear customer, sorry."
        elif kind == "truncated":
            text, finish = content[: max(1, len(content) // 2)], "length"
        elif kind == "refusal":
            text, refusal = None, "I'm sorry, but I can't help with that request."
        elif kind == "refusal_text":
            text = "I'm sorry, but I can't assist with that."
        elif kind == "schema_violation":
            parsed = _json_or_none(content)
            text = json.dumps({"analysis": parsed.get("analysis")} if parsed else
                              {"reply": "Dear customer, sorry for the trouble."})
        elif kind == "empty":
            text = ""
        return {"role": "assistant", "content": text, "refusal": refusal}, finish

    def _complete(self, body: dict[str, Any], kind: str, model: str, content: str) -> None:
        message, finish = self._message(kind, content)
        if kind == "malformed_body":
            self._send_json(200, b'{"id": "chatcmpl-fake", "choices": [{"message": {"con')
            return
        payload = chat_completion(body, message, finish, number=self.fake.stats.chat,
                                  cached=self.fake._cached_tokens(body))
        if kind == "reset":
            raw = json.dumps(payload).encode()
            head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(raw)}\r\n\r\n").encode()
            self._reset(head + raw[: len(raw) // 3])
        self._send_json(200, payload)

    def _stream(self, body: dict[str, Any], kind: str, model: str, content: str) -> None:
        message, finish = self._message(kind, content)
        base = {"id": f"chatcmpl-fake-{self.fake.stats.chat}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": model, "system_fingerprint": "fake"}

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                         "finish_reason": finish_reason}]}

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._event(chunk({"role": "assistant", "content": ""}))
        if kind == "reset":
            self._reset(b"")
        if kind == "malformed_body":
            self._write_chunk(b'data: {"id": "chatcmpl-fake", "choices": [{"del\n\n')
        key = "refusal" if message["refusal"] else "content"
        text = message["refusal"] or message["content"] or ""
        size = self.fake.chunk_chars
        for i in range(0, len(text), size):
            self.fake._sleep(self.fake.chunk_delay)
            self._event(chunk({key: text[i:i + size]}))
        self._event(chunk({}, finish))
        options = body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            self._event({**base, "choices": [],
                         "usage": _usage(body, text, self.fake._cached_tokens(body))})
        self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")

    def _event(self, payload: dict[str, Any]) -> None:
        self._write_chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")


def chat_completion(body: dict[str, Any], message: dict[str, Any], finish: str, *,
                    number: int, cached: int = 0) -> dict[str, Any]:
    """A chat.completion body answering `body` with `message`, usage included (as a live
    answer and a batch result line carry it)."""
    return {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model") or ""),
        "system_fingerprint": "fake",
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": finish}],
        "usage": _usage(body, message.get("content") or message.get("refusal") or "", cached),
    }


def _usage(body: dict[str, Any], content: str, cached: int = 0) -> dict[str, Any]:
    prompt = sum(len(str(m.get("content") or "")) for m in body.get("messages") or []
                 if isinstance(m, dict)) // 4 + 1
    completion = len(content) // 4 + 1
    usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion,
                             "total_tokens": prompt + completion}
    if cached:
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    return usage


def _json_or_none(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
