"""The agent desk's FastAPI app: the page, the JSON API, and the OpenAPI docs.

    app = create_app(load_settings(), db_path=None)   # db_path None: the user data dir

Routes: GET / (the page), POST /api/draft, POST /api/draft/stream (NDJSON, see
streaming.py), POST /api/grade, POST /api/feedback, GET /api/info, GET /healthz, /docs.
The API key stays on the server: no route returns it and every JSON body is redacted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import Response

from agent.config import Settings
from agent.drafter import compose_offline
from agent.errors import redact
from agent.inbound import InboundEmail, parse_text
from agent.session import Session
from agent.web.feedback import FeedbackStore
from agent.web.http_errors import (
    BodyLimit,
    install_error_handlers,
    json_response,
    message_for,
)
from agent.web.schemas import (
    DraftRequest,
    DraftResponse,
    FeedbackRequest,
    GradeRequest,
    GradeResponse,
    error_responses,
)
from agent.web.scoring import ScoringUnavailable, score_reply
from agent.web.streaming import ndjson_events

STATIC = Path(__file__).parent / "static"
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
PAGE_HEADERS = {
    # Defence in depth: the page inserts customer text with textContent/value only, and
    # even if that slipped, no inline script or handler could run under this policy.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _version() -> str:
    try:
        return version("calmreply")
    except PackageNotFoundError:
        return "dev"


def create_app(settings: Settings, *, db_path: Path | None = None,
               allowed_hosts: list[str] | None = None) -> FastAPI:
    """Build the app. allowed_hosts guards against DNS rebinding (default: loopback names).

    One model client serves every request (its connection pool and TLS context are built
    once, not per draft: that was most of a draft's CPU), and the CPU-bound steps that do
    not need the event loop (parsing the email, the offline composer, scoring, the store)
    run in worker threads, so one draft's work does not stall every other connection."""
    store = FeedbackStore(db_path)
    store.prepare()  # a --db that is not ours stops the desk here, in one line
    session = Session(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with session:  # one model client for every request; closed at shutdown
            yield

    app = FastAPI(title="calmreply agent desk", version=_version(), docs_url=None,
                  redoc_url=None, description="Draft calm replies to hostile customer "
                  "emails and score them against the de-escalation rubrics.",
                  lifespan=lifespan)

    def secrets() -> tuple[str | None, ...]:
        return (settings.api_key,)

    install_error_handlers(app, secrets)
    app.add_middleware(BodyLimit, max_bytes=settings.max_input_bytes,
                       timeout=settings.desk.body_timeout)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOOPBACK_HOSTS)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _mount_docs(app)

    def parse(req: DraftRequest) -> InboundEmail:
        return parse_text(req.email, max_chars=settings.max_email_chars,
                          max_bytes=settings.max_input_bytes)

    async def draft(req: DraftRequest, on_text: Callable[[str], None] | None) -> dict[str, Any]:
        email = await run_in_threadpool(parse, req)
        if session.client is None:  # the offline composer: all CPU, so a worker thread does it
            result = await run_in_threadpool(compose_offline, email, settings, tone=req.tone,
                                             facts=req.facts())
        else:
            result = await session.draft(email, tone=req.tone, facts=req.facts(),
                                         on_text=on_text)
        payload: dict[str, Any] = result.model_dump(mode="json")
        payload["draft_id"] = await run_in_threadpool(
            store.add_draft, email=req.email, draft=result.draft.body,
            subject=result.draft.subject, source=result.source, model=result.model,
            tone=(req.tone or settings.tone).value)
        payload["scores"], payload["scores_error"] = await _scores(
            result.draft.body, email.body, payload["draft_id"], settings)
        return payload

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    @app.get("/healthz", tags=["meta"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/info", tags=["meta"])
    async def info() -> Response:
        """What drafts here: the model's name or the offline composer (never the key)."""
        configured = settings.model_configured
        return json_response({
            "version": _version(),
            "source": "model" if configured else "offline",
            "model": (settings.model.name or "default model") if configured else None,
            "tones": [t.value for t in type(settings.tone)],
            "default_tone": settings.tone.value,
            "max_input_bytes": settings.max_input_bytes,
        }, secrets())

    @app.post("/api/draft", tags=["draft"], response_model=DraftResponse,
              responses=error_responses(400, 413, 422, 500, 502, 503))
    async def draft_json(req: DraftRequest) -> Response:
        """Draft a reply: the `calmreply draft --json` result, plus `draft_id`, `scores`
        (one `calmreply grade` line's scores) and `scores_error` (why scores are missing)."""
        return json_response(await draft(req, None), secrets())

    @app.post("/api/draft/stream", tags=["draft"],
              responses=error_responses(400, 413, 422, 500))
    async def draft_stream(req: DraftRequest) -> StreamingResponse:
        """Like /api/draft, as NDJSON: `{"type": "text", "text": <reply so far>}` lines while
        a model writes, then `{"type": "result", "result": ...}` or `{"type": "error"}`."""
        await run_in_threadpool(parse, req)  # bad input: a plain 400, before any streaming

        async def redacted() -> AsyncIterator[bytes]:
            async for line in ndjson_events(lambda on_text: draft(req, on_text), message_for,
                                            secrets()):
                yield redact(line.decode("utf-8"), secrets()).encode("utf-8")

        return StreamingResponse(redacted(), media_type="application/x-ndjson",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})

    @app.post("/api/grade", tags=["grade"], response_model=GradeResponse,
              responses=error_responses(400, 413, 422, 500, 503))
    async def grade(req: GradeRequest) -> Response:
        """Score one reply: a `calmreply grade` line in, a `calmreply grade` line out."""
        scores = await score_reply(req.reply, req.email, record_id=req.id, rubrics=req.rubrics,
                                   policy=settings.policy)
        return json_response({"id": req.id, "scores": scores}, secrets())

    @app.post("/api/feedback", tags=["feedback"], status_code=201,
              responses=error_responses(400, 413, 422, 500))
    def feedback(req: FeedbackRequest) -> Response:
        """Rate a draft (thumbs up or down, with a comment) for the prompt owners."""
        feedback_id = store.add_feedback(rating=req.rating, comment=req.comment,
                                         draft_id=req.draft_id, text=req.draft)
        return json_response({"id": feedback_id, "stored": True}, secrets(), 201)

    return app


async def _scores(reply: str, email: str, draft_id: str,
                  settings: Settings) -> tuple[dict[str, Any], str | None]:
    """Scores for a fresh draft; a grader failure leaves the draft usable and says why."""
    try:
        return await score_reply(reply, email, record_id=draft_id,
                                 policy=settings.policy), None
    except ScoringUnavailable as exc:
        return {}, str(exc)
    except Exception as exc:
        return {}, "scoring failed: " + message_for(exc)


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI from a local copy (swagger-ui-bundle-v2): this machine has no CDN."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        swagger_ui_path = None
    if swagger_ui_path is not None:
        app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs")
    from fastapi.openapi.docs import get_swagger_ui_html

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        if swagger_ui_path is None:
            return HTMLResponse("<p>Install swagger-ui-bundle-v2 for the interactive docs; "
                                "the schema is at <a href='/openapi.json'>/openapi.json</a>.</p>")
        return get_swagger_ui_html(openapi_url="/openapi.json", title="calmreply API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")
