"""Show the draft while the model writes it.

The model streams one JSON document (analysis, then the draft). `DraftBodyReader` pulls
the part of `draft.body` written so far out of that partial JSON, so the page can show
plain reply text, not JSON; no text event carries a secret or the first characters of
one. `ndjson_events` turns a drafting coroutine into NDJSON lines:
`{"type": "text", "text": <body so far>}` as it grows, then one
`{"type": "result", "result": {...}}` or `{"type": "error", "error": "..."}`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from pydantic_core import from_json

from agent.errors import held_back, redact

_DECODER = json.JSONDecoder()


def _body_of(document: object) -> str:
    draft = document.get("draft") if isinstance(document, dict) else None
    body = draft.get("body") if isinstance(draft, dict) else None
    return body if isinstance(body, str) else ""


class DraftBodyReader:
    """Feed it streamed deltas; `.body` is the reply body written so far (or '').

    The stream is one JSON document per attempt (a re-ask starts another); the newest
    document's body wins. Partial JSON is read by pydantic-core (`allow_partial`), which
    handles escapes and surrogate pairs cut between deltas."""

    def __init__(self) -> None:
        self._text = ""
        self._start = 0  # where the newest document begins
        self.body = ""

    def feed(self, delta: str) -> bool:
        """Add a delta; True when the visible body changed."""
        self._text += delta
        body = self.body
        while True:
            start = self._text.find("{", self._start)
            if start < 0:
                break
            try:
                document, end = _DECODER.raw_decode(self._text, start)
            except json.JSONDecodeError:  # the newest document is still being written
                try:
                    partial = from_json(self._text[start:], allow_partial="trailing-strings")
                except ValueError:
                    break
                body = _body_of(partial) or body
                break
            body = _body_of(document) or body
            self._start = end
        changed = body != self.body
        self.body = body
        return changed


def _line(event: dict[str, Any]) -> bytes:
    return (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")


async def ndjson_events(
    run: Callable[[Callable[[str], None]], Awaitable[dict[str, Any]]],
    on_error: Callable[[BaseException], str],
    secrets: tuple[str | None, ...] = (),
) -> AsyncIterator[bytes]:
    """Run `run(on_text)`; yield text events while it streams, then its result or error.

    Text events never carry a secret or the start of one: each snapshot is redacted, and a
    tail that could begin a secret is held back until the next characters decide."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    reader = DraftBodyReader()
    shown = ""

    def on_text(delta: str) -> None:
        nonlocal shown
        if not reader.feed(delta):
            return
        body = reader.body
        safe = redact(body[:len(body) - held_back(body, secrets)], secrets)
        if safe != shown:
            shown = safe
            queue.put_nowait(safe)

    task = asyncio.ensure_future(run(on_text))
    try:
        while not task.done():
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield _line({"type": "text", "text": _latest(getter.result(), queue)})
            else:
                getter.cancel()
        try:
            result = task.result()
        except Exception as exc:  # every failure becomes a clear message, never a trace
            yield _line({"type": "error", "error": on_error(exc)})
        else:
            yield _line({"type": "result", "result": result})
    finally:
        if not task.done():
            task.cancel()


def _latest(first: str, queue: asyncio.Queue[str]) -> str:
    """Skip snapshots that piled up while the client was slow: only the newest matters."""
    latest = first
    while not queue.empty():
        latest = queue.get_nowait()
    return latest
