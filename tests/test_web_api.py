"""The agent desk's JSON API, over real HTTP: uvicorn on a free loopback port, httpx."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from agent.cli import cli
from agent.config import ModelSettings, Settings
from agent.models import DraftResult
from agent.web.schemas import DraftResponse, ErrorResponse, GradeResponse
from tests.fakes import FakeModelServer
from tests.web_live import live_desk

CANARY = "sk-canary-DO-NOT-LEAK-0123456789abcdef"
HOSTILE = ("Subject: order #48213\n\nThis is RIDICULOUS. My order #48213 is two weeks late, "
           "the tracking hasn't moved and I want my money back NOW. Useless company.\n\nDana")
EXTRA_KEYS = {"draft_id", "scores", "scores_error"}
HAVE_GRADERS = importlib.util.find_spec("evals.grade") is not None


def as_draft_result(body: dict[str, Any]) -> DraftResult:
    """The response is exactly `calmreply draft --json` plus the desk's own keys, and
    exactly the DraftResponse the OpenAPI document declares (no key more or less)."""
    assert body.keys() >= EXTRA_KEYS
    DraftResponse.model_validate(body)
    return DraftResult.model_validate({k: v for k, v in body.items() if k not in EXTRA_KEYS})


def as_error(response: httpx.Response) -> str:
    """Every failure has the one documented shape: {"error": "<one line>"}."""
    return ErrorResponse.model_validate(response.json()).error


def check_scores(scores: dict[str, Any]) -> None:
    """The `calmreply grade` shape: rubric -> {score 0..1 or null, pass, reason}."""
    assert scores, "no rubric was scored"
    for name, s in scores.items():
        assert isinstance(name, str)
        assert s["score"] is None or 0 <= s["score"] <= 1
        assert s["pass"] in (True, False, None)
        assert isinstance(s["reason"], str) and s["reason"]


def no_trace(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "feedback.sqlite3"


@pytest.fixture
def desk(db: Path) -> Iterator[str]:
    with live_desk(Settings(max_input_bytes=50_000), db) as url:
        yield url


def test_healthz_info_and_docs(desk: str) -> None:
    assert httpx.get(f"{desk}/healthz").json() == {"status": "ok"}
    info = httpx.get(f"{desk}/api/info").json()
    assert info["source"] == "offline" and info["model"] is None
    spec = httpx.get(f"{desk}/openapi.json").json()
    assert {"/api/draft", "/api/grade", "/api/feedback", "/healthz"} <= spec["paths"].keys()
    docs = httpx.get(f"{desk}/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text.lower()


def test_openapi_documents_the_real_response_and_error_shapes(desk: str) -> None:
    spec = httpx.get(f"{desk}/openapi.json").json()
    ref = "#/components/schemas/"

    def body(route: str, status: str) -> str:
        response = spec["paths"][route]["post"]["responses"][status]
        return str(response["content"]["application/json"]["schema"]["$ref"])

    assert body("/api/draft", "200") == ref + "DraftResponse"
    assert body("/api/grade", "200") == ref + "GradeResponse"
    for route, path in spec["paths"].items():
        if "post" not in path:
            continue
        failures = {s for s in path["post"]["responses"] if s[0] in "45"}
        assert {"413", "422", "500"} <= failures, route
        assert {body(route, s) for s in failures} == {ref + "ErrorResponse"}, route
    schemas = spec["components"]["schemas"]
    assert schemas["ErrorResponse"]["required"] == ["error"]
    assert "pass" in schemas["RubricScore"]["properties"]
    assert set(schemas["DraftResponse"]["properties"]) >= EXTRA_KEYS | {"draft", "guard"}
    # FastAPI's default {"detail": [...]} is not what this API sends: not documented.
    assert "HTTPValidationError" not in schemas and '"detail"' not in json.dumps(spec)


def test_page_is_served_with_a_strict_content_policy(desk: str) -> None:
    page = httpx.get(f"{desk}/")
    assert page.status_code == 200 and "Draft reply" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    script = httpx.get(f"{desk}/static/app.js").text
    assert "innerHTML" not in script.replace("no innerHTML", "").replace("uses innerHTML", "")
    assert httpx.get(f"{desk}/static/app.css").status_code == 200


def test_draft_offline_returns_a_validated_result_with_scores(desk: str) -> None:
    response = httpx.post(f"{desk}/api/draft", json={
        "email": HOSTILE, "tone": "formal", "customer_name": "Dana", "notes": "shipped 3 May"},
        timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    result = as_draft_result(body)
    assert result.source == "offline" and result.model is None
    assert result.draft.body.strip() and "offline" in (result.notice or "")
    assert "48213" in result.analysis.order_ids
    assert body["draft_id"]
    if HAVE_GRADERS:
        assert body["scores_error"] is None
        check_scores(body["scores"])
    else:  # the graders are not in this checkout: the draft still comes, and says why
        assert body["scores"] == {} and "graders" in body["scores_error"]


def test_a_dropped_eml_file_is_read_as_an_email(desk: str) -> None:
    """The page sends a dropped .eml's text as `email`; MIME and quoted-printable are decoded."""
    eml = ("From: Dana Whitfield <dana@example.com>\r\nTo: care@acme.example\r\n"
           "Subject: Order 48213\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
           "My order 48213 is two weeks late and nobody answers. Caf=C3=A9 set, not a tr=\r\n"
           "ack update since. Refund me.\r\n")
    response = httpx.post(f"{desk}/api/draft", json={"email": eml}, timeout=30)
    assert response.status_code == 200, response.text
    result = as_draft_result(response.json())
    assert "48213" in result.analysis.order_ids
    assert "Content-Transfer-Encoding" not in result.draft.body


def test_stream_offline_ends_with_the_result(desk: str) -> None:
    with httpx.stream("POST", f"{desk}/api/draft/stream", json={"email": HOSTILE},
                      timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        events = [json.loads(line) for line in response.iter_lines() if line.strip()]
    assert events[-1]["type"] == "result"
    as_draft_result(events[-1]["result"])


@pytest.mark.skipif(not HAVE_GRADERS, reason="evals/grade.py is not in this checkout yet")
def test_grade_has_the_calmreply_grade_shape(desk: str) -> None:
    reply = ("Hi Dana, I'm sorry your order #48213 is late; that is frustrating. I have opened "
             "a trace with the courier and will write within 48 hours. Thank you, Sam")
    response = httpx.post(f"{desk}/api/grade", json={"id": "r1", "reply": reply,
                                                     "email": HOSTILE}, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "scores"} and body["id"] == "r1"
    check_scores(body["scores"])
    GradeResponse.model_validate(body)
    picked = httpx.post(f"{desk}/api/grade", json={"reply": reply, "rubrics": ["empathy"]})
    assert list(picked.json()["scores"]) == ["empathy"]
    unknown = httpx.post(f"{desk}/api/grade", json={"reply": reply, "rubrics": ["vibes"]})
    assert unknown.status_code == 400 and "unknown rubric" in as_error(unknown)


def test_grade_needs_a_reply(desk: str) -> None:
    response = httpx.post(f"{desk}/api/grade", json={"id": 1})
    assert response.status_code == 422
    assert "reply" in as_error(response)


def test_oversized_request_is_refused_with_413(desk: str) -> None:
    big = {"email": "x" * 60_000}
    response = httpx.post(f"{desk}/api/draft", json=big)
    assert response.status_code == 413
    assert "limit" in as_error(response)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"email": "'
        for _ in range(60):
            yield b"y" * 1000
        yield b'"}'

    response = httpx.post(f"{desk}/api/draft", content=chunks(),
                          headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "50,000-byte limit" in response.json()["error"]


@pytest.mark.parametrize(("content", "status", "words"), [
    (b"{not json", 400, "not valid JSON"),
    (b"[1, 2]", 422, "JSON object"),
    (b'{"tone": "furious"}', 422, "'email': Field required"),
    (b'{"email": "hi", "api_key": "x"}', 422, "api_key"),
])
def test_bad_requests_get_a_clear_json_error(desk: str, content: bytes, status: int,
                                             words: str) -> None:
    response = httpx.post(f"{desk}/api/draft", content=content,
                          headers={"content-type": "application/json"})
    assert response.status_code == status
    assert words in as_error(response)
    no_trace(response.text)


def test_an_empty_email_is_a_400_that_says_what_to_do(desk: str) -> None:
    for path in ("/api/draft", "/api/draft/stream"):
        response = httpx.post(f"{desk}{path}", json={"email": "   \n  "})
        assert response.status_code == 400
        assert "paste the customer's message" in response.json()["error"]


def test_a_foreign_host_header_is_refused(desk: str) -> None:
    """DNS rebinding: a web page that resolves its own name to 127.0.0.1 gets nothing."""
    response = httpx.get(f"{desk}/api/info", headers={"host": "evil.example"})
    assert response.status_code == 400


def test_feedback_is_stored_and_exported(desk: str, db: Path) -> None:
    drafted = httpx.post(f"{desk}/api/draft", json={"email": HOSTILE}, timeout=30).json()
    edited = drafted["draft"]["body"] + "\n\nP.S. I have refunded the shipping."
    for payload in (
        {"draft_id": drafted["draft_id"], "draft": edited, "rating": "up",
         "comment": "good, added a P.S."},
        {"draft": "A reply written by hand.", "rating": "down", "comment": "too curt"},
    ):
        response = httpx.post(f"{desk}/api/feedback", json=payload)
        assert response.status_code == 201, response.text
    unknown = httpx.post(f"{desk}/api/feedback", json={"draft_id": "nope", "rating": "up"})
    assert unknown.status_code == 400 and "no draft" in unknown.json()["error"]
    assert httpx.post(f"{desk}/api/feedback", json={"rating": "meh", "draft": "x"}
                      ).status_code == 422

    runner = CliRunner()
    out = runner.invoke(cli, ["feedback", "export", "--db", str(db)])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert [r["rating"] for r in rows] == ["up", "down"]
    assert rows[0]["edited"] is True and rows[0]["rated_text"] == edited
    assert rows[0]["original_draft"] == drafted["draft"]["body"]
    assert rows[0]["email"] == HOSTILE and rows[0]["source"] == "offline"
    assert rows[1]["draft_id"] is None and rows[1]["comment"] == "too curt"

    out = runner.invoke(cli, ["feedback", "export", "--db", str(db), "--format", "csv"])
    assert out.exit_code == 0, out.output
    table = list(csv.DictReader(io.StringIO(out.output)))
    assert [r["comment"] for r in table] == ["good, added a P.S.", "too curt"]


def model_settings(srv: FakeModelServer) -> Settings:
    return Settings(model=ModelSettings(name="fake-model", base_url=srv.base_url,
                                        max_retries=0, timeout=10))


def test_with_a_model_the_draft_streams_and_the_key_never_reaches_the_page(
        monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    with FakeModelServer(api_key=CANARY, chunk_chars=12, chunk_delay=0.005) as srv, \
            live_desk(model_settings(srv), db) as desk:
        bodies = [httpx.get(f"{desk}{p}").text for p in ("/", "/api/info", "/openapi.json",
                                                         "/static/app.js")]
        info = json.loads(bodies[1])
        assert info["source"] == "model" and info["model"] == "fake-model"

        plain = httpx.post(f"{desk}/api/draft", json={"email": HOSTILE}, timeout=30)
        assert plain.status_code == 200, plain.text
        result = as_draft_result(plain.json())
        assert result.source == "model" and result.model == "fake-model"
        bodies.append(plain.text)

        with httpx.stream("POST", f"{desk}/api/draft/stream", json={"email": HOSTILE},
                          timeout=30) as response:
            raw = response.read().decode()
        bodies.append(raw)
        events = [json.loads(line) for line in raw.splitlines() if line.strip()]
        texts = [e["text"] for e in events if e["type"] == "text"]
        assert len(texts) >= 3, "the draft should arrive in pieces while the model writes"
        final = as_draft_result(events[-1]["result"])
        assert texts[-1] == final.draft.body  # plain reply text, never raw JSON
        assert all(final.draft.body.startswith(t) for t in texts)
        assert srv.stats.streams >= 1
        sent = {k.lower(): v for k, v in srv.request_headers[0].items()}
        assert sent["authorization"] == f"Bearer {CANARY}"  # the key is used, server-side
    for body in bodies:
        assert CANARY not in body


def test_a_model_failure_is_a_clear_json_error(monkeypatch: pytest.MonkeyPatch,
                                               db: Path) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    with FakeModelServer(faults=["401", "401"], api_key="another-key") as srv, \
            live_desk(model_settings(srv), db) as desk:
        response = httpx.post(f"{desk}/api/draft", json={"email": HOSTILE}, timeout=30)
        assert response.status_code == 502
        error = as_error(response)
        assert "the model failed" in error and "OPENAI_API_KEY" in error
        with httpx.stream("POST", f"{desk}/api/draft/stream", json={"email": HOSTILE},
                          timeout=30) as streamed:
            raw = streamed.read().decode()
        event = json.loads(raw.strip().splitlines()[-1])
        assert event["type"] == "error" and "401" in event["error"]
    for text in (response.text, raw):
        assert CANARY not in text
        no_trace(text)


def test_an_unreachable_model_is_reported_not_crashed(db: Path) -> None:
    settings = Settings(model=ModelSettings(name="m", base_url="http://127.0.0.1:9/v1",
                                            max_retries=0, timeout=2))
    with live_desk(settings, db) as desk:
        response = httpx.post(f"{desk}/api/draft", json={"email": HOSTILE}, timeout=30)
    assert response.status_code in (502, 503)
    assert "cannot reach a model server" in response.json()["error"]


def test_serve_warns_when_not_on_loopback(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    runner = CliRunner()
    quiet = runner.invoke(cli, ["serve", "--db", str(db), "--port", "8123"])
    assert quiet.exit_code == 0, quiet.output
    assert "warning" not in quiet.output and "http://127.0.0.1:8123/" in quiet.output
    loud = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--db", str(db)])
    assert loud.exit_code == 0, loud.output
    assert "warning: listening on 0.0.0.0, not loopback" in loud.output
    assert [c["host"] for c in calls] == ["127.0.0.1", "0.0.0.0"]


def test_the_stream_reader_shows_only_the_reply_text() -> None:
    from agent.web.streaming import DraftBodyReader

    body = 'Hi "Dana",\n\tcaf\u00e9 \U0001f600 \\ ok'
    doc = json.dumps({"analysis": {"goal": 'say "body": "no"'},
                      "draft": {"subject": "Re", "body": body}}, ensure_ascii=True)
    reader, seen = DraftBodyReader(), []
    for i in range(0, len(doc), 3):
        if reader.feed(doc[i:i + 3]):
            seen.append(reader.body)
    assert seen[-1] == body
    assert all(body.startswith(s) for s in seen)
    again = DraftBodyReader()  # a re-ask starts a second document: the newest body wins
    again.feed(doc + json.dumps({"draft": {"body": "Second try"}}))
    assert again.body == "Second try"
