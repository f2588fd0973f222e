"""Every failure the desk can answer with: one JSON shape, `{"error": "<message>"}`.

No stack trace ever reaches a response (tracebacks go to the server log), and every message
passes through `redact`, so the API key cannot leak through an error either.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.errors import (
    CalmreplyError,
    ConfigError,
    InputError,
    ModelError,
    TransientModelError,
    redact,
)
from agent.web.schemas import BAD_TEXT
from agent.web.scoring import ScoringUnavailable

log = logging.getLogger("calmreply.web")


def json_response(payload: Any, secrets: tuple[str | None, ...], status: int = 200) -> Response:
    body = redact(json.dumps(payload, ensure_ascii=False), secrets)
    return Response(body, status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store"})


def status_for(exc: BaseException) -> int:
    if isinstance(exc, InputError):
        return 400
    if isinstance(exc, TransientModelError | ScoringUnavailable):
        return 503
    if isinstance(exc, ModelError):
        return 502
    if isinstance(exc, ConfigError):
        return 500
    return 500


def message_for(exc: BaseException) -> str:
    if isinstance(exc, CalmreplyError):
        prefix = "the model failed: " if isinstance(exc, ModelError) else ""
        return prefix + exc.message
    if isinstance(exc, ScoringUnavailable):
        return str(exc)
    log.error("unexpected error in the agent desk", exc_info=exc)
    return "internal error in calmreply; the server's log has the details"


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "the request body is not valid JSON; send a JSON object"
    bad_text = next((e for e in errors if e.get("type") == BAD_TEXT), None)
    if bad_text is not None:  # text no store, log or response could encode
        return 400, "invalid request: " + str(bad_text.get("msg"))
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "model_attributes_type":
            msg = "the body must be a JSON object"
        parts.append(f"'{where}': {msg}" if where else msg)
    return 422, "invalid request: " + "; ".join(parts)


def install_error_handlers(app: FastAPI, secrets: Callable[[], tuple[str | None, ...]]) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        status, message = _validation_message(exc)
        return json_response({"error": message}, secrets(), status)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> Response:
        message = str(exc.detail)
        if exc.status_code == 400 and message == "There was an error parsing the body":
            message = "the request body is not valid JSON in UTF-8; send a JSON object"
        return json_response({"error": message}, secrets(), exc.status_code)

    @app.exception_handler(CalmreplyError)
    async def _ours(_: Request, exc: CalmreplyError) -> Response:
        return json_response({"error": message_for(exc)}, secrets(), status_for(exc))

    @app.exception_handler(ScoringUnavailable)
    async def _no_graders(_: Request, exc: ScoringUnavailable) -> Response:
        return json_response({"error": message_for(exc)}, secrets(), status_for(exc))

    @app.exception_handler(Exception)
    async def _any(_: Request, exc: Exception) -> Response:
        return json_response({"error": message_for(exc)}, secrets(), status_for(exc))


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, by Content-Length or as they stream,
    and bodies that stall for `timeout` seconds between two reads with 408."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    def message(self, size: int | None) -> str:
        got = f"{size:,} bytes, " if size is not None else ""
        return (f"the request is {got}over the {self.max_bytes:,}-byte limit; paste only the "
                "customer's message (raise max_input_bytes in calmreply.toml if you must)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_json(send, 413, {"error": self.message(int(declared))})
            return
        seen = 0
        body_done = False

        async def limited() -> Message:
            nonlocal seen, body_done
            if body_done:  # e.g. a streaming response waiting for the client to go away
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                raise HTTPException(408, f"the request body stalled for {self.timeout:g} s; "
                                    "send it in one go") from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, self.message(None))
                body_done = not message.get("more_body", False)
            else:
                body_done = True
            return message

        await self.app(scope, limited, send)


async def _send_json(send: Send, status: int, payload: dict[str, str]) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
