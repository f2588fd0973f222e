"""Show the draft while the model writes it.

The model streams one JSON document (analysis, then the draft). `DraftBodyReader` pulls
the part of `draft.body` written so far out of that partial JSON, so the page can show
plain reply text, not JSON. `ndjson_events` turns a drafting coroutine into NDJSON lines:
`{"type": "text", "text": <body so far>}` as it grows, then one
`{"type": "result", "result": {...}}` or `{"type": "error", "error": "..."}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

_BODY_KEY = re.compile(r'(?<!\\)"body"\s*:\s*"')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t"}


def partial_json_string(text: str, start: int) -> str:
    """Decode a JSON string literal that begins at `start` (after its quote), stopping at
    its closing quote or where the text ends (mid-escape included)."""
    out: list[str] = []
    i = start
    while i < len(text):
        ch = text[i]
        if ch == '"':
            break
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(text):
            break
        esc = text[i + 1]
        if esc == "u":
            digits = text[i + 2:i + 6]
            if len(digits) < 4:
                break
            with contextlib.suppress(ValueError):
                out.append(chr(int(digits, 16)))
            i += 6
            continue
        out.append(_ESCAPES.get(esc, esc))
        i += 2
    if out and "\ud800" <= out[-1] <= "\udbff":
        out.pop()  # the first half of a pair whose second half has not arrived yet
    # Join surrogate pairs (\ud83d\ude00 is one emoji); a stray half becomes U+FFFD.
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class DraftBodyReader:
    """Feed it streamed deltas; `.body` is the reply body written so far (or '')."""

    def __init__(self) -> None:
        self._text = ""
        self._scanned = 0  # where the search for the next "body" key resumes
        self._start: int | None = None  # just after the latest "body": " seen
        self.body = ""

    def feed(self, delta: str) -> bool:
        """Add a delta; True when the visible body changed."""
        self._text += delta
        # A key may straddle two deltas: look back a little; a re-ask starts a new document.
        for found in _BODY_KEY.finditer(self._text, max(0, self._scanned - 16)):
            self._start = found.end()
        self._scanned = len(self._text)
        if self._start is None:
            return False
        body = partial_json_string(self._text, self._start)
        changed = body != self.body
        self.body = body
        return changed


def _line(event: dict[str, Any]) -> bytes:
    return (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")


async def ndjson_events(
    run: Callable[[Callable[[str], None]], Awaitable[dict[str, Any]]],
    on_error: Callable[[BaseException], str],
) -> AsyncIterator[bytes]:
    """Run `run(on_text)`; yield text events while it streams, then its result or error."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    reader = DraftBodyReader()

    def on_text(delta: str) -> None:
        if reader.feed(delta):
            queue.put_nowait(reader.body)

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
