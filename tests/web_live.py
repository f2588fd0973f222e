"""Run the agent desk on a real socket (127.0.0.1, a free port) in a background thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from agent.config import Settings
from agent.web.app import create_app
from agent.web.server import uvicorn_options


@contextlib.contextmanager
def live_desk(settings: Settings, db_path: Path) -> Iterator[str]:
    """Yield the desk's base URL while uvicorn serves it; stop it afterwards."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(settings, db_path=db_path)
    # The desk's own limits and timeouts, as `calmreply serve` runs it; the lifespan closes
    # the desk's one model client at shutdown.
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", **uvicorn_options(settings.desk)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="calmreply-desk")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the agent desk did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
