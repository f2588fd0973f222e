"""A fault-injecting OpenAI-compatible server on loopback, for tests and benchmarks.

    with FakeModelServer(faults=["429", "500", "ok"]) as srv:
        client = AsyncOpenAI(base_url=srv.base_url, api_key="test", max_retries=0)
        ...
        assert srv.stats.by_kind["429"] == 1

Real HTTP/1.1 with keep-alive (httpx pools connections), one thread per connection, so
dozens of concurrent clients are fine. Endpoints: POST /v1/chat/completions (plain JSON,
or server-sent events when "stream": true, with a usage chunk if
stream_options.include_usage) and GET /v1/models. Faults apply to chat completions only;
see `FAULT_KINDS`.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from ._http import Handler, Server
from .responders import polite_responder

Responder = Callable[[dict[str, Any]], str]
FaultPicker = Callable[[dict[str, Any]], "str | None"]

FAULT_KINDS: dict[str, str] = {
    "ok": "a normal answer from the responder",
    "429": "rate limited, with a Retry-After header (retry_after seconds)",
    "quota": "429 with code insufficient_quota (not worth retrying)",
    "500": "internal server error",
    "503": "service unavailable, with Retry-After",
    "401": "invalid API key",
    "404": "model not found",
    "no_json_schema": "400: this server does not do response_format json_schema",
    "slow": "the answer comes after slow_seconds (longer than a client timeout)",
    "reset": "headers and part of the body, then a TCP reset",
    "drop": "the connection is closed before any response byte",
    "malformed": "200, but the message content is not JSON",
    "malformed_body": "200, but the HTTP body (or an SSE event) is not valid JSON",
    "truncated": "finish_reason 'length' and the content's JSON cut in half",
    "refusal": "message.refusal set and content null",
    "refusal_text": "content is a refusal sentence",
    "schema_violation": "valid JSON content missing the 'draft' key",
    "empty": "content is an empty string",
}

@dataclass
class Stats:
    """Counters, updated under the server's lock; read them after the work is done."""

    connections: int = 0  # TCP connections accepted (keep-alive reuses them)
    requests: int = 0  # every HTTP request, any path
    chat: int = 0  # POST /v1/chat/completions
    streams: int = 0  # of which streaming
    by_kind: Counter[str] = field(default_factory=Counter)  # outcome per kind, incl. "ok"
    in_flight: int = 0
    max_in_flight: int = 0

    @property
    def faults(self) -> int:
        """Chat requests answered with anything but 'ok'."""
        return sum(n for kind, n in self.by_kind.items() if kind != "ok")



class FakeModelServer:
    """An OpenAI-compatible server on 127.0.0.1:<free port>; use as a context manager.

    responder: request dict -> assistant content (default: `polite_responder`).
    faults: None (always ok); a list of kinds consumed one per chat request, then 'ok';
        a mapping kind -> probability (the rest is 'ok'), drawn from random.Random(seed);
        or a callable request dict -> kind (None means 'ok').
    latency: seconds added before every chat answer (for throughput benchmarks).
    retry_after: the Retry-After header on 429/503, in seconds.
    slow_seconds: how long a 'slow' answer takes; ended early when the server stops.
    models: ids served by GET /v1/models; with reject_unknown_models, other model
        names get a 404.
    api_key: if set, a request without `Authorization: Bearer <api_key>` gets a 401.
    chunk_chars / chunk_delay: size of and pause between streamed content deltas.
    prefix_cache: report the system prompt as cached (usage.prompt_tokens_details.
        cached_tokens) when the same system prompt was seen before, as vLLM's prefix
        cache and OpenAI's prompt caching do.
    """

    handler_class: type[Handler] = Handler

    def __init__(self, responder: Responder | None = None,
                 faults: Sequence[str] | Mapping[str, float] | FaultPicker | None = None,
                 *, seed: int = 0, latency: float = 0.0, retry_after: float = 0.01,
                 slow_seconds: float = 5.0, models: Sequence[str] = ("fake-model",),
                 reject_unknown_models: bool = False, api_key: str | None = None,
                 chunk_chars: int = 16, chunk_delay: float = 0.0,
                 prefix_cache: bool = False) -> None:
        self.responder: Responder = responder or polite_responder
        self.latency = latency
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.models = list(models)
        self.reject_unknown_models = reject_unknown_models
        self.api_key = api_key
        self.chunk_chars = max(1, chunk_chars)
        self.chunk_delay = chunk_delay
        self.prefix_cache = prefix_cache
        self._prefixes: set[str] = set()
        self.stats = Stats()
        self.requests: list[dict[str, Any]] = []  # chat request bodies, in arrival order
        self.request_headers: list[dict[str, str]] = []  # their headers, same order
        self.errors: list[Exception] = []  # exceptions raised by the responder
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._rng = random.Random(seed)
        self._script: list[str] = []
        self._odds: list[tuple[str, float]] = []
        self._picker: FaultPicker | None = None
        self.set_faults(faults)
        self._httpd: Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the fake server is not running; use it as a context manager")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> Self:
        handler = type("BoundHandler", (self.handler_class,), {"fake": self})
        httpd = Server(("127.0.0.1", 0), handler)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-model-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- faults ---------------------------------------------------------------------------

    def set_faults(self, faults: Sequence[str] | Mapping[str, float] | FaultPicker | None
                   ) -> None:
        """Replace the fault plan (also allowed while the server runs)."""
        with self._lock:
            self._script, self._odds, self._picker = [], [], None
            if faults is None:
                return
            if callable(faults):
                self._picker = faults
            elif isinstance(faults, Mapping):
                total = sum(faults.values())
                if total > 1 or any(p < 0 for p in faults.values()):
                    raise ValueError(f"fault probabilities must be >= 0 and sum to <= 1: "
                                     f"{dict(faults)}")
                self._odds = [(_known(k), float(p)) for k, p in faults.items()]
            elif isinstance(faults, str):
                raise TypeError("give a list of fault kinds, not a single string")
            else:
                self._script = [_known(k) for k in faults]

    def _pick(self, request: dict[str, Any]) -> str:
        with self._lock:
            if self._picker is not None:
                return _known(self._picker(request) or "ok")
            if self._script:
                return self._script.pop(0)
            roll, acc = self._rng.random(), 0.0
            for kind, p in self._odds:
                acc += p
                if roll < acc:
                    return kind
            return "ok"

    def _record(self, body: dict[str, Any] | None, headers: dict[str, str]) -> None:
        with self._lock:
            self.stats.chat += 1
            self.requests.append(body if body is not None else {})
            self.request_headers.append(headers)

    def _count(self, kind: str) -> None:
        with self._lock:
            self.stats.by_kind[kind] += 1

    def _cached_tokens(self, body: dict[str, Any]) -> int:
        """Tokens of a system prompt seen before, when prefix caching is on."""
        messages = body.get("messages") or []
        first = messages[0] if messages and isinstance(messages[0], dict) else {}
        if not self.prefix_cache or first.get("role") != "system":
            return 0
        system = str(first.get("content") or "")
        with self._lock:
            seen = system in self._prefixes
            self._prefixes.add(system)
        return len(system) // 4 if seen else 0

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


def _known(kind: str) -> str:
    kind = str(kind)
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
    return kind

