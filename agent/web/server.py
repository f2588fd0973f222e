"""How the desk is served: uvicorn, with the limits and timeouts it lacks by default.

uvicorn has a keep-alive timeout but no timeout for reading a request: a client that opens
a connection and sends half a header (or nothing) holds it for as long as it likes, and so
can a thousand of them. With `--host 0.0.0.0` that is anyone on the network. The desk sets
(all in `[desk]` of calmreply.toml):

- header_timeout: a request's line and headers must arrive within this many seconds of
  the connection opening or the previous response ending, or the connection is closed;
- body_timeout: the body may pause at most this long between two reads (then 408);
- keep_alive: an idle keep-alive connection is closed after this many seconds;
- max_connections: beyond this many open connections (or requests in flight) a new
  request gets a 503 at once instead of queueing;
- max_header_bytes: a bigger request head is refused (h11's limit);
- the request body limit is `max_input_bytes` (413), see http_errors.BodyLimit.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from agent.config import Desk


class HeaderTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for each request's head."""

    header_timeout: float = Desk().header_timeout

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._sync_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._sync_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may start a pipelined request already buffered
        self._sync_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _sync_head_timer(self) -> None:
        """Run the timer while we wait for a request's head, and only then."""
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and self._head_timer is None and not self.transport.is_closing():
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)
        elif not waiting:
            self._stop_head_timer()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(desk: Desk) -> dict[str, Any]:
    """Keyword arguments for uvicorn.run / uvicorn.Config that apply the [desk] limits."""
    protocol = type("DeskH11Protocol", (HeaderTimeoutH11,),
                    {"header_timeout": desk.header_timeout})
    return {
        "http": protocol,
        "timeout_keep_alive": desk.keep_alive,
        "limit_concurrency": desk.max_connections,
        "h11_max_incomplete_event_size": desk.max_header_bytes,
        "server_header": False,
        "log_level": "warning",
    }
